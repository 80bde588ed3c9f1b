// Every page fits from phone to wide screen, in each of the six layouts, and has no serious
// accessibility problem (axe-core), in light and dark. One browser, two signed-in pages (staff,
// and a plain user for the 403 page), reused throughout; the layout is the account's saved theme.
import { expect, test } from './fixtures';
import { createStaff, logIn, signUp, uniqueName, waitForHydration } from './helpers';
import type { Page } from '@playwright/test';
import { join } from 'node:path';

const LAYOUTS = ['horizontal', 'vertical', 'vertical-right', 'boxed', 'fluid', 'condensed'] as const;
const VIEWPORTS = [
  { width: 390, height: 844 },
  { width: 768, height: 1024 },
  { width: 1280, height: 800 },
  { width: 1920, height: 1080 },
];
const TABS = ['history', 'files', 'upload', 'settings', 'database'];

/** What does not fit: the page wider than the window, or a control outside it. */
function overflowProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = window.innerWidth;
    const problems: string[] = [];
    const scroll = document.documentElement.scrollWidth;
    if (scroll > width) problems.push(`the page is ${scroll} px wide in a ${width} px window`);
    for (const el of document.querySelectorAll<HTMLElement>('a[href], button, input:not([type="hidden"]), select, textarea, label.choice')) {
      const box = el.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue; // not shown (a folded menu, a closed dialog)
      if (box.left < -1 || box.right > width + 1) {
        const name = (el.getAttribute('aria-label') || el.textContent || el.id || el.tagName).trim().slice(0, 40);
        problems.push(`${el.tagName.toLowerCase()} "${name}" spans ${Math.round(box.left)}–${Math.round(box.right)} px`);
      }
    }
    return problems;
  });
}

async function saveTheme(page: Page, theme: Record<string, string>) {
  const base = { mode: 'light', accent: 'blue', font: 'sans-serif', gray: 'gray', radius: '1', layout: 'horizontal' };
  const response = await page.request.post('/api/theme', { data: { ...base, ...theme } });
  expect(response.status()).toBe(200);
}

// `bypassCSP`: for the axe run only, whose checker is injected as a script tag the page's
// Content-Security-Policy would (rightly) refuse; the policy itself is tested in csp.spec.ts.
async function setUp(browser: import('@playwright/test').Browser, baseURL: string | undefined, bypassCSP = false) {
  const staffContext = await browser.newContext({ baseURL, bypassCSP });
  const staff = await staffContext.newPage();
  const who = createStaff('layout');
  await logIn(staff.request, who.username, who.password);
  // A long display name: it must not push "Log out" off a phone's screen.
  await staff.request.patch('/api/profile', { data: { display_name: 'Maximilian Alexander Bartholomew-Featherstonehaugh' } });
  let id = 0;
  for (let i = 0; i < 3; i++) id = (await (await staff.request.post('/api/backups')).json()).id;
  const userContext = await browser.newContext({ baseURL, bypassCSP });
  const user = await userContext.newPage();
  await signUp(user.request, uniqueName('layout'));
  const pages: [Page, string][] = [
    [staff, '/'], [staff, '/about'], [staff, '/theme'], [staff, '/login'], [staff, '/signup'], [staff, '/profile'],
    ...TABS.map((t) => [staff, `/backups?tab=${t}`] as [Page, string]),
    [staff, `/backups/${id}`], [user, '/backups'], [staff, '/no/such/page'],
  ];
  return { staff, user, pages, close: async () => { await staffContext.close(); await userContext.close(); } };
}

async function visit(page: Page, path: string) {
  const response = await page.goto(path);
  const expected = path === '/no/such/page' ? 404 : path === '/backups' && !(await isStaff(page)) ? 403 : 200;
  expect(response?.status(), path).toBe(expected);
  await waitForHydration(page);
}

const staffPages = new WeakMap<Page, boolean>();
async function isStaff(page: Page) {
  if (!staffPages.has(page)) staffPages.set(page, (await (await page.request.get('/api/me')).json()).user.is_staff);
  return staffPages.get(page)!;
}

test('every page fits every window in every layout: no sideways scrolling, every control reachable', async ({ browser, baseURL, allow }) => {
  test.setTimeout(15 * 60_000);
  allow(/status of 40[34]/);
  const { staff, user, pages, close } = await setUp(browser, baseURL);
  const problems: string[] = [];
  for (const layout of LAYOUTS) {
    await saveTheme(staff, { layout });
    await saveTheme(user, { layout });
    for (const viewport of VIEWPORTS) {
      await staff.setViewportSize(viewport);
      await user.setViewportSize(viewport);
      for (const [page, path] of pages) {
        await visit(page, path);
        for (const p of await overflowProblems(page)) problems.push(`${layout} ${viewport.width}×${viewport.height} ${path}: ${p}`);
      }
      // The phone menu, open: its links fit too (the long name is cut, "Log out" stays on screen).
      if (viewport.width < 800) {
        await visit(staff, '/about');
        await staff.getByTestId('menu-button').click();
        await expect(staff.getByTestId('logout')).toBeInViewport();
        for (const p of await overflowProblems(staff)) problems.push(`${layout} ${viewport.width} open menu: ${p}`);
      }
      // In the sidebars "Log out" lines up with the other links.
      if (viewport.width >= 1280 && layout.startsWith('vertical')) {
        await visit(staff, '/about');
        const logout = (await staff.getByTestId('logout').boundingBox())!;
        const profile = (await staff.getByTestId('nav-profile').boundingBox())!;
        expect(Math.abs(logout.x - profile.x), `${layout}: Log out is indented`).toBeLessThanOrEqual(1);
      }
    }
  }
  expect(problems).toEqual([]);
  await close();
});

test('no serious or critical accessibility problem on any page, light and dark (axe-core)', async ({ browser, baseURL, allow }) => {
  test.setTimeout(10 * 60_000);
  allow(/status of 40[34]/);
  const { staff, user, pages, close } = await setUp(browser, baseURL, true);
  const axe = join(process.env.E2E_ROOT!, 'node_modules/axe-core/axe.min.js');
  const problems: string[] = [];
  for (const mode of ['light', 'dark']) {
    await saveTheme(staff, { mode });
    await saveTheme(user, { mode });
    for (const [page, path] of pages) {
      await visit(page, path);
      await page.addScriptTag({ path: axe });
      const violations = await page.evaluate(async () => {
        const result = await (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } }).axe.run(document, { resultTypes: ['violations'] });
        return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
      });
      for (const v of violations) problems.push(`${mode} ${path}: ${v}`);
    }
  }
  expect(problems).toEqual([]);
  await close();
});
