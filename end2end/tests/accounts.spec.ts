import { expect, test } from './fixtures';
import { deflateSync } from 'node:zlib';
import { uniqueName, waitForHydration } from './helpers';

/** A small, valid PNG (solid colour), built here so the test needs no fixture file. */
function png(width: number, height: number, rgb: [number, number, number]): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) rows.set(rgb, y * (width * 3 + 1) + 1 + x * 3);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

test('sign up, log out, log in, change the display name, upload an avatar and see it', async ({ page, allow }) => {
  allow(/status of 401/);
  const username = uniqueName('e2e');
  const password = 'a-long-enough-password';

  await page.goto('/signup');
  await waitForHydration(page);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Email').fill(`${username}@example.com`);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByTestId('profile-name')).toHaveText(username);

  await page.getByTestId('logout').click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Log in' })).toBeVisible();
  expect((await page.request.get('/api/me')).status()).toBe(401);

  await page.goto('/login?next=/profile');
  await waitForHydration(page);
  await page.getByLabel('Username or email').fill(username);
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Invalid username or password.');
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/profile$/);

  await waitForHydration(page);
  await page.getByLabel('Display name').fill('Ada <b>Lovelace</b>');
  await page.getByRole('button', { name: 'Save details' }).click();
  await expect(page.getByTestId('details-saved')).toHaveText('Saved.');
  await expect(page.getByTestId('profile-name')).toHaveText('Ada <b>Lovelace</b>');
  // The top bar follows at once, without a reload.
  await expect(page.getByTestId('nav-profile')).toHaveText('Ada <b>Lovelace</b>');

  await page.getByLabel(/^Image/).setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: png(32, 32, [200, 30, 90]) });
  await page.getByRole('button', { name: 'Upload avatar' }).click();
  await expect(page.getByTestId('avatar-saved')).toHaveText('Avatar uploaded.');
  const avatar = page.getByTestId('avatar');
  await expect(avatar).toBeVisible();
  await expect.poll(() => avatar.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(32);

  // The new name and avatar are there on a fresh load too.
  await page.reload();
  await expect(page.getByTestId('profile-name')).toHaveText('Ada <b>Lovelace</b>');
  await expect(page.getByTestId('avatar')).toHaveAttribute('src', /^\/media\/avatars\/[0-9a-f]{32}\.png$/);
});

test('an anonymous visit to a page that needs a login redirects to it, and back after', async ({ page }) => {
  const username = uniqueName('rd');
  await page.request.post('/api/signup', { data: { username, email: `${username}@example.com`, password: 'long-enough-pw' } });
  await page.request.post('/api/logout');
  const response = await page.goto('/profile');
  await expect(page).toHaveURL(/\/login\?next=\/profile$/);
  expect(response?.status()).toBe(200);
  await waitForHydration(page);
  await page.getByLabel('Username or email').fill(username);
  await page.getByLabel('Password').fill('long-enough-pw');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/profile$/);
});

test('a next= pointing to another site is ignored', async ({ page }) => {
  const username = uniqueName('nx');
  await page.request.post('/api/signup', { data: { username, email: `${username}@example.com`, password: 'long-enough-pw' } });
  await page.request.post('/api/logout');
  await page.goto('/login?next=https://evil.example/');
  await waitForHydration(page);
  await page.getByLabel('Username or email').fill(username);
  await page.getByLabel('Password').fill('long-enough-pw');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/127\.0\.0\.1:\d+\/$/);
});
