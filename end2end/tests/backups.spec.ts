import { type Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStaff, logIn, signUp, smallstack, uniqueName, waitForHydration } from './helpers';

async function asStaff(page: Page) {
  const { username, password } = createStaff();
  await logIn(page.request, username, password);
  return { username, password };
}

async function openDashboard(page: Page, tab = '') {
  await page.goto(`/backups${tab ? `?tab=${tab}` : ''}`);
  await waitForHydration(page);
}

test('anonymous visitors are sent to the login page', async ({ page }) => {
  await page.goto('/backups');
  await expect(page).toHaveURL(/\/login\?next=\/backups$/);
});

test('a signed-in user who is not staff gets the 403 page', async ({ page }) => {
  await signUp(page.request, uniqueName('plain'));
  const response = await page.goto('/backups');
  expect(response?.status()).toBe(403);
  await expect(page.getByTestId('forbidden')).toContainText('Staff only');
  const api = await page.request.get('/api/backups');
  expect(api.status()).toBe(403);
});

test('staff make a backup, watch it finish, and download it as a SQLite file', async ({ page }) => {
  await asStaff(page);
  await openDashboard(page);
  const rowsBefore = await page.getByTestId('backup-row').count();
  await page.getByTestId('backup-now').click();
  await expect(page.getByTestId('progress')).toHaveAttribute('data-finished', 'true');
  await expect(page.getByTestId('progress')).toHaveAttribute('data-phase', 'done');
  await expect(page.getByTestId('backup-row')).toHaveCount(rowsBefore + 1);
  const row = page.getByTestId('backup-row').first();
  await expect(row).toHaveAttribute('data-status', 'success');
  const filename = await row.getAttribute('data-filename');

  const [download] = await Promise.all([page.waitForEvent('download'), row.getByRole('link', { name: 'Download' }).click()]);
  expect(download.suggestedFilename()).toBe(filename);
  const saved = join(mkdtempSync(join(tmpdir(), 'dl-')), filename!);
  await download.saveAs(saved);
  const check = execFileSync('sqlite3', [saved, 'PRAGMA integrity_check; SELECT count(*) FROM users;'], { encoding: 'utf8' });
  expect(check.split('\n')[0]).toBe('ok');
});

test('staff delete a backup after confirming', async ({ page }) => {
  await asStaff(page);
  await page.request.post('/api/backups');
  await openDashboard(page);
  const row = page.getByTestId('backup-row').first();
  const filename = await row.getAttribute('data-filename');
  page.once('dialog', (dialog) => dialog.accept());
  await row.getByRole('button', { name: 'Delete' }).click();
  await expect(page.locator(`tr[data-filename="${filename}"]`)).toHaveAttribute('data-status', 'deleted');
  expect((await page.request.get(`/backups/${filename}/download`)).status()).toBe(404);
});

test('staff restore a backup and the data goes back to it', async ({ page, browser, baseURL }) => {
  await asStaff(page);
  const made = await (await page.request.post('/api/backups')).json();
  // A user signs up after the backup...
  const other = await browser.newContext({ baseURL });
  const late = uniqueName('late');
  await signUp(other.request, late);
  await other.close();
  expect(smallstack(['user', 'list'])).toContain(late);

  await openDashboard(page);
  const row = page.locator(`tr[data-filename="${made.filename}"]`);
  await row.getByRole('button', { name: 'Restore' }).click();
  await page.getByTestId('restore-confirm').fill('not-the-name');
  await page.getByTestId('restore-submit').click();
  await expect(page.getByTestId('notice')).toContainText('does not match');
  expect(smallstack(['user', 'list'])).toContain(late);

  await page.getByTestId('restore-confirm').fill(made.filename);
  await page.getByTestId('restore-submit').click();
  await expect(page.getByTestId('notice')).toContainText(`Restored from ${made.filename}`);
  // ...and is gone after the restore; the staff session still works.
  expect(smallstack(['user', 'list'])).not.toContain(late);
  expect((await page.request.get('/api/me')).status()).toBe(200);
  await expect(page.locator('[data-testid="backup-row"][data-filename^="db-"]').filter({ hasText: 'pre-restore' }).first()).toBeVisible();
});

test('an upload that is not a backup is refused with the reason', async ({ page }) => {
  await asStaff(page);
  await openDashboard(page, 'upload');
  const fake = join(mkdtempSync(join(tmpdir(), 'up-')), 'db-20260101-000000.sqlite3');
  writeFileSync(fake, 'this is a text file renamed to look like a backup\n'.repeat(50));
  await page.locator('#upload-file').setInputFiles(fake);
  await page.getByTestId('upload-submit').click();
  await expect(page.getByTestId('notice')).toHaveClass(/error/);
  await expect(page.getByTestId('notice')).toContainText(/not a SQLite database/i);
  expect((await (await page.request.get('/api/backups/files')).json()).orphans).toEqual([]);
});

test('changing the schedule previews it in words and moves the next run', async ({ page }) => {
  await asStaff(page);
  await openDashboard(page, 'settings');
  const nextBefore = await page.getByTestId('next-run').textContent();
  const input = page.getByTestId('schedule-input');
  await input.fill('not a cron');
  await expect(page.getByTestId('schedule-error')).toContainText('invalid schedule');
  await input.fill('*/5 * * * *');
  await expect(page.getByTestId('schedule-preview')).toContainText('Every 5 minutes');
  await page.getByTestId('settings-save').click();
  await expect(page.getByTestId('notice')).toContainText('Settings saved');
  await expect(page.getByTestId('schedule-words')).toHaveText('every 5 minutes');
  await expect(page.getByTestId('next-run')).not.toHaveText(nextBefore!);
  // Put the default back for the other tests.
  await page.request.put('/api/backups/settings', { data: { schedule: '0 2 * * *' } });
});

test('the dashboard with twenty backups, for the README', async ({ page }) => {
  await asStaff(page);
  for (let i = 0; i < 20; i++) {
    expect((await page.request.post('/api/backups')).status()).toBeLessThan(300);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  await openDashboard(page);
  expect(await page.getByTestId('backup-row').count()).toBeGreaterThanOrEqual(20);
  await page.screenshot({ path: join(__dirname, '..', '..', 'docs', 'screenshots', 'backups.png'), fullPage: true });
});

test('the database panel runs an integrity check, VACUUM and a checkpoint, each with its result', async ({ page }) => {
  await asStaff(page);
  await openDashboard(page, 'database');
  await expect(page.getByTestId('database')).toContainText('WAL');
  await page.getByTestId('db-integrity-check').click();
  await expect(page.getByTestId('db-result')).toContainText(/Integrity check: both databases are ok\. \(\d+ ms\)/);
  await expect(page.getByTestId('last-check')).toContainText('ok');
  await page.getByTestId('db-vacuum').click();
  await expect(page.getByTestId('db-result')).toContainText('VACUUM done');
  await page.getByTestId('db-checkpoint').click();
  await expect(page.getByTestId('db-result')).toContainText('WAL checkpoint');
});
