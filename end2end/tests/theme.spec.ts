import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { htmlAttr, signUp, uniqueName, waitForHydration } from './helpers';

const SCREENSHOTS = join(__dirname, '..', 'screenshots');

async function openCustomizer(page: Page, path = '/theme') {
  await page.goto(path);
  await waitForHydration(page);
}

/** Picks a value in the /theme page's customizer (the radio's label). */
async function choose(page: Page, group: string, value: string) {
  await page.locator(`label[for="${group}-${value.replace('.', '-')}"]`).first().click();
}

test('changing the accent recolours the page at once, with no network request', async ({ page }) => {
  await openCustomizer(page);
  const button = page.getByTestId('sample-button');
  await expect(button).toHaveCSS('background-color', 'rgb(32, 107, 196)');
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await choose(page, 'accent', 'red');
  await expect(button).toHaveCSS('background-color', 'rgb(214, 57, 57)');
  await choose(page, 'accent', 'amber');
  await expect(button).toHaveCSS('background-color', 'rgb(245, 159, 0)');
  await expect(button).toHaveCSS('color', 'rgb(0, 0, 0)');
  await choose(page, 'mode', 'dark');
  await expect(page.locator('body')).toHaveCSS('background-color', 'rgb(3, 7, 18)');
  expect(await htmlAttr(page, 'data-accent')).toBe('amber');
  expect(requests).toEqual([]);
  // Cancel goes back to the saved theme.
  await page.getByTestId('theme-cancel').click();
  await expect(button).toHaveCSS('background-color', 'rgb(32, 107, 196)');
});

test('the panel in the navigation previews on every page', async ({ page }) => {
  await page.goto('/about');
  await waitForHydration(page);
  await page.getByTestId('open-theme-panel').click();
  const panel = page.getByTestId('theme-panel');
  await expect(panel).toBeVisible();
  await panel.locator('label[for="panel-layout-vertical"]').click();
  expect(await htmlAttr(page, 'data-layout')).toBe('vertical');
  await panel.locator('label[for="panel-font-monospace"]').click();
  await expect(page.locator('h1')).toHaveCSS('font-family', /mono/i);
});

test('a custom accent with too little contrast is flagged with its ratio', async ({ page }) => {
  await openCustomizer(page);
  await choose(page, 'mode', 'light');
  await page.locator('#accent-custom').fill('#f5f5f5');
  await page.locator('#accent-custom').press('Enter');
  await page.locator('#accent-custom').blur();
  await expect(page.getByTestId('contrast-warning')).toContainText(/reaches 1\.\d\d:1/);
  expect(await htmlAttr(page, 'data-accent')).toBe('custom');
  await choose(page, 'mode', 'dark');
  await expect(page.getByTestId('contrast-warning')).toHaveCount(0);
});

test('after Save, a new browser that logs in gets the saved theme in the server HTML, before any script', async ({ browser, baseURL }) => {
  const first = await browser.newContext({ baseURL });
  const page = await first.newPage();
  const { username, password } = await signUp(page.request, uniqueName('th'));
  await openCustomizer(page);
  await choose(page, 'mode', 'dark');
  await choose(page, 'accent', 'green');
  await choose(page, 'layout', 'boxed');
  await choose(page, 'radius', '2');
  await page.getByTestId('theme-save').click();
  await expect(page.getByTestId('theme-status')).toContainText('Saved to your account');
  await first.close();

  const second = await browser.newContext({ baseURL, javaScriptEnabled: false });
  const fresh = await second.newPage();
  const login = await fresh.request.post('/api/login', { data: { username, password } });
  expect(login.status()).toBe(200);
  const html = await (await fresh.request.get('/')).text();
  expect(html).toMatch(/<html[^>]*data-mode="dark"[^>]*data-accent="green"/);
  await fresh.goto('/');
  expect(await htmlAttr(fresh, 'data-layout')).toBe('boxed');
  await expect(fresh.locator('body')).toHaveCSS('background-color', 'rgb(3, 7, 18)');
  await second.close();
});

test("an anonymous visitor's choice survives a reload", async ({ page }) => {
  await openCustomizer(page);
  await choose(page, 'layout', 'fluid');
  await choose(page, 'gray', 'stone');
  await page.getByTestId('theme-save').click();
  await expect(page.getByTestId('theme-status')).toContainText('Saved in this browser');
  const response = await page.reload();
  const html = await response!.text();
  expect(html).toMatch(/<html[^>]*data-gray="stone"[^>]*data-layout="fluid"/);
  expect(await htmlAttr(page, 'data-layout')).toBe('fluid');
});

test('a share link previews a theme without saving it', async ({ page, context }) => {
  await signUp(page.request, uniqueName('sh'));
  await openCustomizer(page);
  await choose(page, 'accent', 'purple');
  await choose(page, 'layout', 'vertical-right');
  await page.getByTestId('copy-share-link').click();
  const link = await page.getByTestId('share-link').inputValue();
  expect(link).toMatch(/\/theme\?t=[0-9a-z]{9}$/);
  await page.getByTestId('theme-cancel').click();

  const other = await context.newPage();
  await other.goto(link);
  await expect(other.getByTestId('share-preview')).toBeVisible();
  expect(await htmlAttr(other, 'data-accent')).toBe('purple');
  expect(await htmlAttr(other, 'data-layout')).toBe('vertical-right');
  const saved = await (await other.request.get('/api/theme')).json();
  expect(saved.accent).toBe('blue');
  expect(saved.layout).toBe('horizontal');

  const broken = link.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
  await other.goto(broken);
  await expect(other.getByTestId('share-error')).toContainText('cannot be opened');
});

type Box = { x: number; y: number; width: number; height: number };
const overlaps = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

const LAYOUTS = ['horizontal', 'vertical', 'vertical-right', 'boxed', 'fluid', 'condensed'] as const;

test('the six layouts arrange navigation and content as designed, without overlap', async ({ browser, baseURL }) => {
  // Twelve browser contexts, each saving a theme and loading two pages: more than the default
  // minute on a busy 2-core machine.
  test.setTimeout(3 * 60_000);
  mkdirSync(SCREENSHOTS, { recursive: true });
  for (const mode of ['light', 'dark']) {
    for (const layout of LAYOUTS) {
      const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      await openCustomizer(page);
      await choose(page, 'mode', mode);
      await choose(page, 'layout', layout);
      await page.getByTestId('theme-save').click();
      await expect(page.getByTestId('theme-status')).toBeVisible();

      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 900 });
        await page.goto('/about');
        expect(await htmlAttr(page, 'data-layout')).toBe(layout);
        const nav = (await page.locator('header.nav').boundingBox())!;
        const main = (await page.locator('main.content').boundingBox())!;
        const what = `${layout} ${mode} at ${width}px`;
        expect(overlaps(nav, main), `${what}: navigation and content overlap`).toBe(false);
        const sideBySide = width === 1280 && (layout === 'vertical' || layout === 'vertical-right');
        if (sideBySide) {
          expect(nav.height, what).toBeGreaterThan(main.height * 0.5);
          if (layout === 'vertical') expect(nav.x + nav.width, what).toBeLessThanOrEqual(main.x + 1);
          else expect(main.x + main.width, what).toBeLessThanOrEqual(nav.x + 1);
        } else {
          expect(nav.y + nav.height, `${what}: navigation above content`).toBeLessThanOrEqual(main.y + 1);
        }
        if (width === 1280) {
          if (layout === 'boxed') {
            const page_ = (await page.locator('div.page').boundingBox())!;
            expect(page_.width, what).toBeLessThanOrEqual(1024 + 2);
            expect(Math.abs(page_.x - (1280 - page_.x - page_.width)), `${what}: centred`).toBeLessThanOrEqual(20);
          }
          if (layout === 'fluid') expect(main.width, what).toBeGreaterThan(1200);
          if (layout === 'horizontal') expect(main.width, what).toBeLessThanOrEqual(1152 + 1);
        }
        if (layout === 'condensed') {
          expect(await page.evaluate(() => getComputedStyle(document.documentElement).fontSize), what).toBe('14.4px');
        }
        if (width === 1280) {
          await page.screenshot({ path: join(SCREENSHOTS, `layout-${layout}-${mode}.png`), fullPage: false });
        }
      }
      await context.close();
    }
  }
});

test('an open tab follows a theme saved in another tab', async ({ context }) => {
  const first = await context.newPage();
  const second = await context.newPage();
  await openCustomizer(first);
  await second.goto('/about');
  await waitForHydration(second);
  expect(await htmlAttr(second, 'data-accent')).not.toBe('orange');
  await choose(first, 'accent', 'orange');
  await first.getByTestId('theme-save').click();
  await expect(first.getByTestId('theme-status')).toBeVisible();
  await expect.poll(() => htmlAttr(second, 'data-accent')).toBe('orange');
});

test('the Customize panel is a modal dialog: focus moves in and stays, Escape closes it, focus comes back', async ({ page }) => {
  await page.goto('/about');
  await waitForHydration(page);
  const opener = page.getByTestId('open-theme-panel');
  await opener.click();
  const panel = page.getByTestId('theme-panel');
  await expect(panel).toBeVisible();
  await expect(panel).toHaveAttribute('aria-modal', 'true');
  expect(await panel.evaluate((d) => d.matches(':modal'))).toBe(true);
  await expect(panel.getByTestId('theme-save')).toBeVisible();
  const focusInside = () => page.evaluate(() => document.activeElement === document.body || !!document.activeElement?.closest('dialog'));
  expect(await page.evaluate(() => !!document.activeElement?.closest('dialog')), 'focus moved into the panel').toBe(true);
  // Tab goes round the panel's controls, never to the links behind it.
  for (let i = 0; i < 70; i++) {
    await page.keyboard.press('Tab');
    expect(await focusInside(), `Tab ${i + 1} left the panel`).toBe(true);
  }
  await page.keyboard.press('Escape');
  await expect(panel).toBeHidden();
  await expect(opener).toBeFocused();
});

test('on a phone the panel fills the screen and its Save bar stays at the bottom, with no gap under it', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/about');
  await waitForHydration(page);
  await page.getByTestId('menu-button').click();
  await page.getByTestId('open-theme-panel').click();
  const panel = page.getByTestId('theme-panel');
  const save = panel.getByTestId('theme-save');
  await expect(save).toBeInViewport();
  const bar = (await panel.locator('.sticky-actions').boundingBox())!;
  const dialog = (await panel.boundingBox())!;
  expect(Math.abs(bar.y + bar.height - (dialog.y + dialog.height)), 'the bar sits on the bottom edge').toBeLessThanOrEqual(1);
  expect(dialog.width).toBeLessThanOrEqual(390);
});

test('an unsaved preview stays in the customizer: leaving asks first, and discarding brings the saved theme back', async ({ page }) => {
  await page.goto('/about');
  await waitForHydration(page);
  const saved = await htmlAttr(page, 'data-mode');
  await page.getByTestId('open-theme-panel').click();
  const panel = page.getByTestId('theme-panel');
  await panel.locator('label[for="panel-mode-dark"]').click();
  expect(await htmlAttr(page, 'data-mode')).toBe('dark');
  await expect(panel.getByTestId('theme-unsaved')).toBeVisible();

  // Escape with unsaved changes asks; "stay" keeps the panel and the preview.
  const questions: string[] = [];
  page.once('dialog', (d) => { questions.push(d.message()); void d.dismiss(); });
  await page.keyboard.press('Escape');
  await expect.poll(() => questions.length).toBe(1);
  expect(questions[0]).toContain('Discard');
  await expect(panel).toBeVisible();
  expect(await htmlAttr(page, 'data-mode')).toBe('dark');
  // "Discard" closes it and the saved theme is back.
  page.once('dialog', (d) => void d.accept());
  await panel.getByTestId('theme-panel-close').click();
  await expect(panel).toBeHidden();
  expect(await htmlAttr(page, 'data-mode')).toBe(saved);

  // On /theme, following a link away asks the same.
  await openCustomizer(page);
  await choose(page, 'accent', 'red');
  expect(await htmlAttr(page, 'data-accent')).toBe('red');
  page.once('dialog', (d) => void d.dismiss());
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'About' }).click();
  await expect(page).toHaveURL(/\/theme$/);
  expect(await htmlAttr(page, 'data-accent')).toBe('red');
  page.once('dialog', (d) => void d.accept());
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'About' }).click();
  await expect(page).toHaveURL(/\/about$/);
  expect(await htmlAttr(page, 'data-accent')).toBe('blue');
});

test('presets: one Rename with a usable field and a Cancel; each button names its preset', async ({ page }) => {
  await signUp(page.request, uniqueName('pr'));
  for (const name of ['Ocean', 'Forest']) {
    expect((await page.request.post('/api/theme/presets', { data: { name, theme: { mode: 'dark', accent: 'teal', font: 'serif', gray: 'slate', radius: '1', layout: 'fluid' } } })).status()).toBe(201);
  }
  await openCustomizer(page);
  const presets = page.getByTestId('presets');
  await expect(presets.getByRole('button', { name: 'Apply Ocean' })).toHaveCount(1);
  await expect(presets.getByRole('button', { name: 'Apply Forest' })).toHaveCount(1);
  await expect(presets.getByRole('button', { name: 'Delete Forest' })).toHaveCount(1);

  await presets.getByRole('button', { name: 'Rename Ocean' }).click();
  const field = presets.getByRole('textbox', { name: 'New name for Ocean' });
  await expect(field).toBeVisible();
  expect((await field.boundingBox())!.width).toBeGreaterThan(120);
  await expect(presets.getByRole('button', { name: /^Rename/ })).toHaveCount(1); // Forest's only
  await field.fill('Sea');
  await presets.getByRole('button', { name: 'Cancel' }).click();
  await expect(presets.getByText('Ocean')).toBeVisible();
  await presets.getByRole('button', { name: 'Rename Ocean' }).click();
  await field.fill('Sea');
  await presets.getByRole('button', { name: 'Save name' }).click();
  await expect(presets.getByRole('button', { name: 'Apply Sea' })).toHaveCount(1);
});
