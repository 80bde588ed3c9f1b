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
