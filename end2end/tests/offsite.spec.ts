// The Remote tab: the server is started with a folder remote (BACKUP_REMOTE_URL, see
// playwright.config.ts), nothing is configured in the browser. A backup shows up there once the
// server's uploader has copied and verified it, and a copy whose local file is gone is restored
// from the remote through the dashboard.
import { expect, test, type Page } from '@playwright/test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createStaff, logIn, signUp, smallstack, uniqueName, waitForHydration } from './helpers';

async function asStaff(page: Page) {
  const { username, password } = createStaff();
  await logIn(page.request, username, password);
}

async function openRemoteTab(page: Page) {
  await page.goto('/backups?tab=remote');
  await waitForHydration(page);
  await expect(page.getByTestId('remote-tab')).toBeVisible();
}

/** Waits until the server's uploader has copied `filename` (the API, as the tab polls it). */
async function waitForCopy(page: Page, filename: string) {
  await expect
    .poll(async () => {
      const view = await (await page.request.get('/api/backups/remote')).json();
      return view.copies.some((c: { name: string; sha256: string | null }) => c.name === filename && c.sha256);
    })
    .toBe(true);
}

test('the Remote tab fills as a backup is copied off-site', async ({ page }) => {
  await asStaff(page);
  await openRemoteTab(page);
  await expect(page.getByTestId('remote-tab')).toContainText('file://');
  await page.getByTestId('remote-check').click();
  await expect(page.getByTestId('remote-check-result')).toHaveAttribute('data-ok', 'true');

  await page.getByTestId('backup-now').click();
  await expect(page.getByTestId('progress')).toHaveAttribute('data-finished', 'true');
  const filename = await (await page.request.get('/api/backups')).json().then((d) => d.backups[0].filename as string);
  // Without a reload: the tab polls the queue and reads the remote again once it empties.
  const copy = page.locator(`[data-testid="remote-copy"][data-name="${filename}"]`);
  await expect(copy).toHaveAttribute('data-verified', 'true', { timeout: 20_000 });
  await expect(copy).toHaveAttribute('data-local', 'true');
  await expect(page.getByTestId('remote-queue-empty')).toBeVisible();
  expect(existsSync(join(process.env.E2E_DATA!, 'offsite', 'backups', `${filename}.sha256`))).toBe(true);

  await page.goto('/backups');
  await waitForHydration(page);
  const row = page.locator(`tr[data-filename="${filename}"]`);
  await expect(row.getByTestId('remote-badge')).toHaveAttribute('data-remote', 'uploaded');
});

test('staff restore a remote-only copy from the Remote tab', async ({ page, browser, baseURL }) => {
  await asStaff(page);
  const made = await (await page.request.post('/api/backups')).json();
  await waitForCopy(page, made.filename);
  // A user signs up after the backup; then the local file is deleted: only the remote has it.
  const other = await browser.newContext({ baseURL });
  const late = uniqueName('late');
  await signUp(other.request, late);
  await other.close();
  expect((await page.request.delete(`/api/backups/${made.id}`)).status()).toBe(200);

  await openRemoteTab(page);
  const copy = page.locator(`[data-testid="remote-copy"][data-name="${made.filename}"]`);
  await expect(copy).toHaveAttribute('data-local', 'false');
  await copy.getByTestId('remote-restore').click();
  await page.getByTestId('remote-restore-confirm').fill('not-the-name');
  await page.getByTestId('remote-restore-submit').click();
  await expect(page.getByTestId('notice')).toContainText('does not match');
  expect(smallstack(['user', 'list'])).toContain(late);

  await page.getByTestId('remote-restore-confirm').fill(made.filename);
  await page.getByTestId('remote-restore-submit').click();
  await expect(page.getByTestId('notice')).toContainText(`Restored from the off-site copy ${made.filename}`, { timeout: 30_000 });
  expect(smallstack(['user', 'list'])).not.toContain(late);
  expect((await page.request.get('/api/me')).status()).toBe(200);
});
