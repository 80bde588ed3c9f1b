import { defineConfig } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const port = Number(process.env.E2E_PORT);
const data = process.env.E2E_DATA;
const root = process.env.E2E_ROOT;
if (!port || !data || !root) {
  throw new Error('start the suite with `node end2end/run.mjs` (or `make test-e2e`): it picks the port and the data folder');
}

// Off-site copies go to a folder remote (a second disk, as far as the server can tell): the
// Remote tab is filled by the server's own uploader, nothing is configured in the browser.
export const offsite = join(data, 'offsite');
mkdirSync(offsite, { recursive: true });

export const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  // Two cores: the server and one browser at a time.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    baseURL,
    browserName: 'chromium',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: {
    command: `${join(root, 'target/release/smallstack')} serve`,
    cwd: data,
    url: `${baseURL}/health`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
    env: {
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: join(root, 'target/site'),
      DATABASE_PATH: join(data, 'db.sqlite3'),
      SYSTEM_DATABASE_PATH: join(data, 'system.sqlite3'),
      MEDIA_ROOT: join(data, 'media'),
      BACKUP_DIR: join(data, 'backups'),
      BACKUP_REMOTE_URL: `file://${offsite}`,
      RUST_LOG: 'error',
    },
  },
});
