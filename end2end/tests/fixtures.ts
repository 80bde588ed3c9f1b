// The `test` every spec uses: Playwright's, with two automatic checks added.
// 1. Every page of every browser context a test opens is watched, and the test fails on any
//    console error, page error (an exception or a WASM panic), failed request or server error that
//    it did not declare with `allow(pattern)` (matched against the problem's text, e.g. /status of 401/).
// 2. A Content-Security-Policy violation (the DOM event, or Chromium's console message) or a
//    Permissions-Policy error fails the test, so the whole suite runs under the policy.
import { test as base, expect, type Browser, type BrowserContext, type Page } from '@playwright/test';

export { expect };

type Watch = {
  /** Declares a problem this test expects (a refused login's 401, the 404 page…). */
  allow: (pattern: RegExp) => void;
};

export const test = base.extend<Watch & { _watched: string[]; policyViolations: string[] }>({
  _watched: [
    async ({ browser, context }, use) => {
      const problems: string[] = [];
      const watchPage = (page: Page, scripts = true) => {
        page.on('console', (message) => {
          if (message.type() === 'error') problems.push(`console error on ${page.url()}: ${message.text()}`);
        });
        page.on('pageerror', (error) => problems.push(`page error on ${page.url()}: ${error.message}`));
        page.on('requestfailed', (request) => {
          const failure = request.failure()?.errorText ?? 'failed';
          // A download, or a request cut short by the page navigating away, is not a failure.
          if (failure === 'net::ERR_ABORTED' && (request.isNavigationRequest() || /\/download$/.test(request.url()))) return;
          // With JavaScript off, Chromium blocks the page's scripts (reported as "csp").
          if (!scripts && failure === 'csp' && request.resourceType() === 'script') return;
          problems.push(`request failed: ${request.method()} ${request.url()} (${failure})`);
        });
        page.on('response', (response) => {
          if (response.status() >= 500) problems.push(`server error: ${response.status()} for ${response.request().method()} ${response.url()}`);
        });
      };
      const watchContext = (ctx: BrowserContext, scripts = true) => {
        ctx.pages().forEach((p) => watchPage(p, scripts));
        ctx.on('page', (p) => watchPage(p, scripts));
      };
      watchContext(context);
      // Contexts the test opens itself (a second browser, JavaScript off) are watched too.
      const original = browser.newContext.bind(browser);
      (browser as Browser).newContext = async (options) => {
        const ctx = await original(options);
        watchContext(ctx, options?.javaScriptEnabled !== false);
        return ctx;
      };
      await use(problems);
      (browser as Browser).newContext = original;
    },
    { auto: true },
  ],
  allow: [
    async ({ _watched }, use) => {
      const allowed: RegExp[] = [];
      await use((pattern: RegExp) => allowed.push(pattern));
      const unexpected = _watched.filter((p) => !allowed.some((a) => a.test(p)));
      expect(unexpected, 'console errors, page errors or failed requests the test did not expect').toEqual([]);
    },
    { auto: true },
  ],
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
