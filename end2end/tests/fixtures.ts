// The `test` every spec uses: Playwright's, plus a guard that fails a test when any page of its
// browser context reports a Content-Security-Policy violation (the DOM event, or Chromium's
// console message) or a Permissions-Policy error, so the whole suite runs under the policy.
import { expect, test as base } from '@playwright/test';

export { expect };

export const test = base.extend<{ policyViolations: string[] }>({
  policyViolations: [
    async ({ context }, use) => {
      const seen: string[] = [];
      context.on('console', (message) => {
        if (/Content[ -]Security[ -]Policy|Permissions[ -]Policy/i.test(message.text())) {
          seen.push(`console: ${message.text()}`);
        }
      });
      await context.exposeBinding('__reportPolicyViolation', (_source, text: string) => {
        seen.push(text);
      });
      await context.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (e) => {
          (window as unknown as { __reportPolicyViolation: (t: string) => void }).__reportPolicyViolation(
            `${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`,
          );
        });
      });
      await use(seen);
      expect(seen, 'Content-Security-Policy or Permissions-Policy violations').toEqual([]);
    },
    { auto: true },
  ],
});
