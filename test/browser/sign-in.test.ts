import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { createTestEnv, type TestEnv } from '../support/test-env.js';
import { seedTenant, startWeb } from '../support/web.js';
import { closeBrowser, launchBrowser, openPage, screenshot, signIn } from '../support/browser.js';
import type { WebService } from '../../services/web/src/server.js';

let env: TestEnv;
let web: WebService;
let browser: Browser;
let acme: Awaited<ReturnType<typeof seedTenant>>;

beforeAll(async () => {
  env = await createTestEnv();
  web = await startWeb(env);
  browser = await launchBrowser();
  acme = await seedTenant(env, 'Acme');
});

afterAll(async () => {
  await closeBrowser(browser);
  await web?.stop();
  await env?.cleanup();
});

describe('signing in and out in the browser', () => {
  test('a wrong password shows the error on the login page and keeps the e-mail', async () => {
    const { page, errors } = await openPage(browser, web.url);
    await page.goto('/projects');
    await page.waitForURL('**/login?next=%2Fprojects');
    await page.getByRole('heading', { name: 'Sign in to b2b-recs' }).waitFor();
    await screenshot(page, 'login');

    await page.getByLabel('E-mail').fill(acme.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').innerText()).toBe('The e-mail or password is not right');
    expect(await page.getByLabel('E-mail').inputValue()).toBe(acme.email);
    expect(await page.getByLabel('Password').inputValue()).toBe('');
    expect(new URL(page.url()).pathname).toBe('/login');
    await screenshot(page, 'login-wrong-password');
    // The login page answers 401 for the wrong password; Chromium reports that status as an error.
    expect(errors.filter((error) => !error.includes('status of 401'))).toEqual([]);
  });

  test('the right password leads to the projects page, and signing out returns to the login page', async () => {
    const { page, errors } = await openPage(browser, web.url);
    await signIn(page, acme.email, acme.password);
    expect(new URL(page.url()).pathname).toBe('/projects');
    const account = page.getByRole('navigation', { name: 'Account' });
    expect(await account.innerText()).toContain('Acme');
    expect(await account.innerText()).toContain(`${acme.email} (admin)`);
    await screenshot(page, 'projects-signed-in');

    await account.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/login');
    await page.getByRole('heading', { name: 'Sign in to b2b-recs' }).waitFor();
    await screenshot(page, 'signed-out');

    // The session is gone: the projects page sends the person back to sign in.
    await page.goto('/projects');
    await page.waitForURL('**/login?next=%2Fprojects');
    expect(errors).toEqual([]);
  });
});
