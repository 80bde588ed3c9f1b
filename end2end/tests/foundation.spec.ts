import { expect, test } from './fixtures';
import { createStaff, logIn, signUp, uniqueName, waitForHydration } from './helpers';

test('the home page says what SmallStack is and offers sign-up and login, before any script runs', async ({ browser, baseURL }) => {
  const context = await browser.newContext({ javaScriptEnabled: false, baseURL });
  const page = await context.newPage();
  const response = await page.goto('/');
  expect(response?.status()).toBe(200);
  await expect(page.getByRole('heading', { level: 1, name: 'SmallStack' })).toBeVisible();
  await expect(page.locator('.lead')).toContainText('one small server with SQLite');
  await expect(page.getByTestId('home-signup')).toHaveAttribute('href', '/signup');
  await expect(page.getByTestId('home-login')).toHaveAttribute('href', '/login');
  await expect(page.getByText('Interactive check')).toHaveCount(0);
  await context.close();
});

test('signed in, the home page greets the user; staff get a link to the dashboard', async ({ page, browser, baseURL }) => {
  const plain = await signUp(page.request, uniqueName('home'));
  await page.goto('/');
  await expect(page.getByTestId('signed-in-as')).toContainText(plain.username);
  await expect(page.getByTestId('home-dashboard')).toHaveCount(0);

  const staffContext = await browser.newContext({ baseURL });
  const staffPage = await staffContext.newPage();
  const staff = createStaff();
  await logIn(staffPage.request, staff.username, staff.password);
  await staffPage.goto('/');
  await waitForHydration(staffPage);
  await staffPage.getByTestId('home-dashboard').click();
  await expect(staffPage).toHaveURL(/\/backups$/);
  await expect(staffPage.getByTestId('dashboard')).toBeVisible();
  await staffContext.close();
});

test('links between pages navigate on the client, without a full page load', async ({ page }) => {
  await page.goto('/');
  await waitForHydration(page);
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

test('an unknown page gets the 404 page', async ({ page, allow }) => {
  allow(/status of 404/);
  const response = await page.goto('/no/such/page');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
});

test('a skip link is the first stop of the keyboard and moves focus to the content', async ({ page }) => {
  await page.goto('/about');
  await waitForHydration(page);
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to content' });
  await expect(skip).toBeFocused();
  await expect(skip).toBeInViewport();
  await page.keyboard.press('Enter');
  await expect(page.locator('main#content')).toBeFocused();
});

test('the console-error check itself: a page error fails a test unless it is declared', async ({ page, allow }) => {
  allow(/page error.*declared on purpose/);
  await page.goto('/about');
  await page.evaluate(() => setTimeout(() => { throw new Error('declared on purpose'); }, 0));
  await page.waitForTimeout(100);
});

test('the console-error check itself: an undeclared page error fails the test', async ({ page }) => {
  test.fail(true, 'the shared fixture must fail this test: the page throws and the test did not declare it');
  await page.goto('/about');
  await page.evaluate(() => setTimeout(() => { throw new Error('not declared'); }, 0));
  await page.waitForTimeout(100);
});
