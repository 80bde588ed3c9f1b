import { expect, test, type Page } from '@playwright/test';
import { createStaff, logIn, signUp, uniqueName, waitForHydration } from './helpers';

/**
 * Collects every Content-Security-Policy violation a page reports, through the DOM event and
 * the console (Chromium logs each refusal there too), from the first script on.
 */
async function watchViolations(page: Page): Promise<string[]> {
  const seen: string[] = [];
  page.on('console', (message) => {
    if (/Content[ -]Security[ -]Policy|Permissions-Policy/i.test(message.text())) seen.push(`console: ${message.text()}`);
  });
  await page.exposeFunction('__reportViolation', (text: string) => seen.push(text));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { __reportViolation: (t: string) => void }).__reportViolation(
        `${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`,
      );
    });
  });
  return seen;
}

async function visit(page: Page, path: string) {
  const response = await page.goto(path);
  expect(response?.headers()['content-security-policy'], path).toContain("'nonce-");
  await waitForHydration(page);
}

test('every page runs under its Content-Security-Policy without a single violation', async ({ page }) => {
  const violations = await watchViolations(page);

  // Anonymous pages, then a client-side navigation that loads a lazy page's chunk.
  for (const path of ['/', '/about', '/login?next=/profile', '/signup', '/setup?token=not-a-link', '/theme', '/no-such-page']) {
    await visit(page, path);
  }
  await page.goto('/about');
  await waitForHydration(page);
  await page.getByRole('link', { name: /log in/i }).first().click();
  await expect(page).toHaveURL(/\/login/);

  // The theme: the customizer and the panel restyle the page live (inline style attributes).
  await visit(page, '/theme');
  await page.locator('label[for="accent-red"]').first().click();
  await page.locator('label[for="mode-dark"]').first().click();
  await page.getByTestId('open-theme-panel').click();
  await expect(page.getByTestId('theme-panel')).toBeVisible();

  // A signed-in user's profile.
  await signUp(page.request, uniqueName('csp'));
  await visit(page, '/profile');

  // Staff: the dashboard, a backup made from it, its detail page.
  const staff = createStaff('cspstaff');
  await logIn(page.request, staff.username, staff.password);
  await visit(page, '/backups');
  await page.getByTestId('backup-now').click();
  await expect(page.getByTestId('progress')).toHaveAttribute('data-finished', 'true');
  for (const tab of ['files', 'database', 'settings']) await visit(page, `/backups?tab=${tab}`);
  const id = await page.request.get('/api/backups').then((r) => r.json()).then((b) => b.backups[0].id);
  await visit(page, `/backups/${id}`);

  await page.waitForTimeout(300);
  expect(violations).toEqual([]);
});
