// Runs the end-to-end suite: picks a free port and a scratch data folder, hands both to
// Playwright (whose webServer starts the release binary and waits for /health), then cleans up.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const port = await freePort();
const scratch = mkdtempSync(join(tmpdir(), 'smallstack-e2e-'));
const env = { ...process.env, E2E_PORT: String(port), E2E_DATA: scratch, E2E_ROOT: root };
const result = spawnSync(join(root, 'node_modules/.bin/playwright'), ['test', '--config', join(root, 'end2end/playwright.config.ts'), ...process.argv.slice(2)], {
  stdio: 'inherit',
  env,
  cwd: root,
});
rmSync(scratch, { recursive: true, force: true });
process.exit(result.status ?? 1);
