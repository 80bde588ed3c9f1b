import { expect, test } from './fixtures';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { waitForHydration } from './helpers';

/** Issue 7's budget: JS + WASM + CSS on the first load of `/`, gzip-compressed. */
const GZIP_BUDGET_BYTES = 250_000;

test('the first load of / stays within the client weight budget', async ({ page }) => {
  const assets = new Map<string, Promise<Buffer>>();
  page.on('response', (response) => {
    const url = new URL(response.url());
    if (/\.(js|wasm|css)$/.test(url.pathname)) assets.set(url.pathname, response.body());
  });
  await page.goto('/');
  await waitForHydration(page);
  await page.waitForLoadState('networkidle');

  const rows = [];
  for (const [path, body] of assets) {
    const bytes = await body;
    rows.push({
      path,
      raw: bytes.length,
      gzip: gzipSync(bytes, { level: 9 }).length,
      brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
    });
  }
  const total = rows.reduce((t, r) => ({ raw: t.raw + r.raw, gzip: t.gzip + r.gzip, brotli: t.brotli + r.brotli }), { raw: 0, gzip: 0, brotli: 0 });
  const report = { assets: rows.sort((a, b) => b.raw - a.raw), total, budget_gzip: GZIP_BUDGET_BYTES };
  mkdirSync(join(__dirname, '..', 'test-results'), { recursive: true });
  writeFileSync(join(__dirname, '..', 'test-results', 'client-weight.json'), JSON.stringify(report, null, 2));
  console.log(`client weight of /: raw ${total.raw} B, gzip ${total.gzip} B, brotli ${total.brotli} B (budget ${GZIP_BUDGET_BYTES} B gzip)`);

  expect(rows.some((r) => r.path.endsWith('.wasm')), 'the WASM client was loaded').toBe(true);
  expect(rows.some((r) => r.path.endsWith('.css')), 'the stylesheet was loaded').toBe(true);
  expect(total.gzip, JSON.stringify(report, null, 2)).toBeLessThanOrEqual(GZIP_BUDGET_BYTES);
});
