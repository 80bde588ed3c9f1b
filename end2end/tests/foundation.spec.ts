import { expect, test } from './fixtures';

test('the home page is readable before any script runs', async ({ browser, baseURL }) => {
  const context = await browser.newContext({ javaScriptEnabled: false, baseURL });
  const page = await context.newPage();
  const response = await page.goto('/');
  expect(response?.status()).toBe(200);
  await expect(page.getByRole('heading', { level: 1, name: 'SmallStack' })).toBeVisible();
  await expect(page.getByTestId('hydration-status')).toHaveText(/Server-rendered/);
  await expect(page.getByTestId('counter')).toBeDisabled();
  await context.close();
});

test('the home page hydrates and reacts to a click', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('hydration-status')).toHaveText(/Interactive/);
  const counter = page.getByTestId('counter');
  await counter.click();
  await expect(counter).toHaveText('Clicked 1 time');
  await counter.click();
  await expect(counter).toHaveText('Clicked 2 times');
});

test('links between pages navigate on the client, without a full page load', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('hydration-status')).toHaveText(/Interactive/);
  let documentLoads = 0;
  page.on('request', (request) => {
    if (request.resourceType() === 'document') documentLoads += 1;
  });
  await page.evaluate(() => ((window as unknown as { marker: string }).marker = 'still here'));
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'About' }).click();
  await expect(page).toHaveURL(/\/about$/);
  await expect(page.getByRole('heading', { level: 1, name: 'How SmallStack works' })).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe('still here');
  expect(documentLoads).toBe(0);
});

test('an unknown page gets the 404 page', async ({ page }) => {
  const response = await page.goto('/no/such/page');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
});
