import { expect, type Page, type APIRequestContext } from '@playwright/test';

let counter = 0;

/** A username no other test in this run uses. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${counter}`;
}

/** Signs up through the API of the given request context (its cookies then carry the session). */
export async function signUp(request: APIRequestContext, username: string, password = 'correct-horse-battery') {
  const response = await request.post('/api/signup', {
    data: { username, email: `${username}@example.com`, password, display_name: '' },
  });
  expect(response.status()).toBe(201);
  return { username, password };
}

export async function logIn(request: APIRequestContext, username: string, password: string) {
  const response = await request.post('/api/login', { data: { username, password } });
  expect(response.status()).toBe(200);
}

/** Waits until the WASM client has hydrated the page. */
export async function waitForHydration(page: Page) {
  await page.waitForFunction(() => (window as unknown as { __smallstackHydrated?: boolean }).__smallstackHydrated === true);
}

/** The value of an attribute of <html>. */
export function htmlAttr(page: Page, name: string) {
  return page.evaluate((n) => document.documentElement.getAttribute(n), name);
}

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** The environment of the server under test, for running its CLI against the same data. */
export function cliEnv(): NodeJS.ProcessEnv {
  const data = process.env.E2E_DATA!;
  return {
    ...process.env,
    DATABASE_PATH: join(data, 'db.sqlite3'),
    SYSTEM_DATABASE_PATH: join(data, 'system.sqlite3'),
    MEDIA_ROOT: join(data, 'media'),
    BACKUP_DIR: join(data, 'backups'),
    BACKUP_REMOTE_URL: `file://${join(data, 'offsite')}`,
    RUST_LOG: 'error',
  };
}

/** Runs `smallstack <args>` against the server's data folder. */
export function smallstack(args: string[], input?: string): string {
  const bin = join(process.env.E2E_ROOT!, 'target/release/smallstack');
  return execFileSync(bin, args, { env: cliEnv(), input: input ?? '', encoding: 'utf8' });
}

/** Creates a staff user with the CLI (the way an operator would) and returns its credentials. */
export function createStaff(prefix = 'staff') {
  const username = uniqueName(prefix);
  const password = 'staff-password-123';
  smallstack(['user', 'create', '--username', username, '--email', `${username}@example.com`, '--staff'], `${password}\n${password}\n`);
  return { username, password };
}
