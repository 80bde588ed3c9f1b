// Point 8 of issue 14: with JavaScript off (or before the client arrives on a slow phone), a
// person logs in, changes the display name, saves a theme and logs out with plain HTML forms.
import { expect, test } from './fixtures';
import { htmlAttr, signUp, uniqueName } from './helpers';

test('without JavaScript: log in, change the display name, save a theme, log out', async ({ browser, baseURL, allow }) => {
  allow(/status of 401/);
  const setup = await browser.newContext({ baseURL });
  const { username, password } = await signUp(setup.request, uniqueName('nojs'));
  await setup.close();

  const context = await browser.newContext({ baseURL, javaScriptEnabled: false });
  const page = await context.newPage();

  // A refused login comes back to the form with the reason and the name typed.
  await page.goto('/login?next=/profile');
  await page.getByLabel('Username or email').fill(username);
  await page.getByLabel('Password').fill('not-the-password');
  await expect(page.getByRole('button', { name: 'Log in' })).toBeEnabled();
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/login\?next=\/profile$/);
  await expect(page.getByRole('alert')).toHaveText('Invalid username or password.');
  await expect(page.getByLabel('Username or email')).toHaveValue(username);

  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByTestId('nav-profile')).toHaveText(username);

  // The display name: saved, and the top bar shows it.
  await page.getByLabel('Display name').fill('Grace Hopper');
  await page.getByRole('button', { name: 'Save details' }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByTestId('details-saved')).toHaveText('Saved.');
  await expect(page.getByTestId('nav-profile')).toHaveText('Grace Hopper');
  // A refused change says why, and keeps what was typed.
  await page.getByLabel('Email').fill('not-an-email');
  await page.getByLabel('Email').evaluate((input: HTMLInputElement) => (input.type = 'text'));
  await page.getByRole('button', { name: 'Save details' }).click();
  await expect(page.getByRole('alert')).toContainText(/email/i);
  await expect(page.getByLabel('Email')).toHaveValue('not-an-email');

  // A theme: the radios are a form; the saved theme is in the next page's first HTML.
  await page.goto('/theme');
  await page.locator('label[for="mode-dark"]').click();
  await page.locator('label[for="layout-vertical"]').click();
  await page.getByTestId('theme-save').click();
  await expect(page).toHaveURL(/\/theme$/);
  await expect(page.getByTestId('theme-status')).toContainText('Saved to your account');
  expect(await htmlAttr(page, 'data-mode')).toBe('dark');
  expect(await htmlAttr(page, 'data-layout')).toBe('vertical');
  const saved = await (await context.request.get('/api/theme')).json();
  expect([saved.mode, saved.layout]).toEqual(['dark', 'vertical']);

  // Log out: a form too.
  await page.getByTestId('logout').click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId('home-login')).toBeVisible();
  expect((await context.request.get('/api/me')).status()).toBe(401);
  await context.close();
});

test('without JavaScript: sign up, with a refusal first', async ({ browser, baseURL }) => {
  const context = await browser.newContext({ baseURL, javaScriptEnabled: false });
  const page = await context.newPage();
  const username = uniqueName('nojssu');
  await page.goto('/signup');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Email').fill(`${username}@example.com`);
  await page.getByLabel('Password').fill('short');
  await page.getByLabel('Password').evaluate((input: HTMLInputElement) => input.removeAttribute('minlength'));
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/signup$/);
  await expect(page.getByRole('alert')).toContainText(/password/i);
  await expect(page.getByLabel('Username')).toHaveValue(username);
  await page.getByLabel('Password').fill('a-long-enough-password');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByTestId('profile-name')).toHaveText(username);
  await context.close();
});

test('the phone menu opens without JavaScript', async ({ browser, baseURL }) => {
  const context = await browser.newContext({ baseURL, javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await page.goto('/about');
  const about = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'About' });
  await expect(about).toBeHidden();
  await page.getByTestId('menu-button').click();
  await expect(about).toBeVisible();
  await about.click();
  await expect(page).toHaveURL(/\/about$/);
  await context.close();
});
