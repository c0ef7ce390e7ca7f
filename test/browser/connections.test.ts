import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Browser, Locator, Page } from 'playwright-core';
import { createTestEnv, type TestEnv } from '../support/test-env.js';
import { api, seedMember, seedTenant, startWeb } from '../support/web.js';
import { closeBrowser, launchBrowser, openPage, screenshot, signIn } from '../support/browser.js';
import { startPasswordPostgres, type PasswordPostgres } from '../support/password-postgres.js';
import type { WebService } from '../../services/web/src/server.js';

let env: TestEnv;
let web: WebService;
let browser: Browser;
let pgpw: PasswordPostgres;

beforeAll(async () => {
  pgpw = await startPasswordPostgres();
  env = await createTestEnv();
  web = await startWeb(env);
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await closeBrowser(browser);
  await web?.stop();
  await env?.cleanup();
  await pgpw?.stop();
});

/** A tenant signed in on its own page, with one project; resolves to the project's connections page. */
async function signedInWithProject(tenantName: string) {
  const tenant = await seedTenant(env, tenantName);
  const project = await api(web.url, tenant.token)('POST', '/api/v1/projects', { name: `${tenantName} recs` });
  expect(project.status).toBe(201);
  const { page, errors } = await openPage(browser, web.url);
  await signIn(page, tenant.email, tenant.password);
  const url = `/projects/${project.body.id}/connections`;
  return { tenant, projectId: project.body.id as string, page, errors, url };
}

/** Saves a connection to the password server through the API, as if made earlier. */
async function savedConnection(token: string, projectId: string, name: string) {
  const res = await api(web.url, token)('POST', `/api/v1/projects/${projectId}/connections`, {
    name,
    type: 'postgresql',
    config: { host: '127.0.0.1', port: pgpw.port, database: 'postgres', user: pgpw.user, sslMode: 'disable' },
    credentials: { password: pgpw.password },
  });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function markWindow(page: Page): Promise<void> {
  await page.evaluate(() => Object.assign(window, { notReloaded: true }));
}

async function stillSameWindow(page: Page): Promise<boolean> {
  return page.evaluate(() => 'notReloaded' in window);
}

/** Opens the wizard, picks PostgreSQL and fills in the password server's settings. */
async function fillPostgresWizard(page: Page, name: string, password: string): Promise<Locator> {
  await page.getByRole('button', { name: 'New connection' }).click();
  const dialog = page.getByRole('dialog', { name: 'New connection' });
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'PostgreSQL' }).click();
  const form = page.getByRole('dialog', { name: 'New PostgreSQL connection' });
  await form.getByLabel('Name').fill(name);
  await form.getByLabel('Host').fill('127.0.0.1');
  expect(await form.getByLabel('Port').inputValue()).toBe('5432');
  await form.getByLabel('Port').fill(String(pgpw.port));
  await form.getByLabel('Database').fill('postgres');
  await form.getByLabel('User').fill(pgpw.user);
  await form.getByLabel('TLS mode').selectOption('disable');
  await form.getByLabel('Password').fill(password);
  return form;
}

const cardOf = (page: Page, name: string) => page.getByRole('article', { name });
const dotColour = (card: Locator) => card.locator('.dot').evaluate((dot) => getComputedStyle(dot).backgroundColor);
const GREEN = 'rgb(26, 127, 55)';
const RED = 'rgb(179, 38, 30)';
/** Chromium reports refusals (409, 422) as console errors; those are answers the page shows. */
const unexpected = (errors: string[]) => errors.filter((e) => !/status of (400|409|422)/.test(e));

describe('connections in the browser', () => {
  test('a person adds a PostgreSQL connection through the wizard: Test, then Save, and the card is green', async () => {
    const { page, errors, url } = await signedInWithProject('Initech');
    await page.goto(url);
    await page.getByText('No connections yet.').waitFor();
    await markWindow(page);

    await page.getByRole('button', { name: 'New connection' }).click();
    const kinds = page.getByRole('dialog', { name: 'New connection' });
    await kinds.waitFor();
    // The tiles come grouped, and focus is inside the modal dialog.
    expect(await kinds.getByRole('heading', { level: 3 }).allTextContents()).toEqual(['Databases', 'Files', 'NoSQL', 'Warehouses']);
    expect(await kinds.evaluate((dialog) => dialog.contains(document.activeElement))).toBe(true);
    await screenshot(page, 'connections-wizard-kinds');
    await page.keyboard.press('Escape');
    await kinds.waitFor({ state: 'hidden' });

    const form = await fillPostgresWizard(page, 'Orders database', pgpw.password);
    const save = form.getByRole('button', { name: 'Save', exact: true });
    expect(await save.isVisible()).toBe(false);
    await form.getByRole('button', { name: 'Test connection' }).click();
    await form.getByText(/Connection works \(\d+ ms\)/).waitFor();
    await save.waitFor();
    await screenshot(page, 'connections-wizard-tested');

    await save.click();
    await form.waitFor({ state: 'hidden' });
    const card = cardOf(page, 'Orders database');
    await card.getByText('Connected').waitFor();
    expect(await card.innerText()).toContain(`127.0.0.1:${pgpw.port}/postgres`);
    expect(await card.innerText()).toContain('PostgreSQL');
    expect(await dotColour(card)).toBe(GREEN);
    expect(await card.locator('.dot').innerText()).toBe('✓');
    expect(await stillSameWindow(page)).toBe(true);
    // Focus lands on the new card, not lost on the page.
    expect(await card.evaluate((el) => el === document.activeElement)).toBe(true);
    await screenshot(page, 'connections-created');
    expect(errors).toEqual([]);
  });

  test('a wrong password fails the test in red with its hint, and Save is not offered until a test passes', async () => {
    const { page, errors, url } = await signedInWithProject('Hooli');
    await page.goto(url);
    const form = await fillPostgresWizard(page, 'Warehouse feed', 'not-the-password');
    await form.getByRole('button', { name: 'Test connection' }).click();

    const failure = form.getByRole('alert');
    await failure.waitFor();
    expect(await failure.innerText()).toContain(`refused the password for user "${pgpw.user}"`);
    expect(await failure.innerText()).toContain('Hint: Check the user name and password');
    expect(await failure.locator('.dot').evaluate((dot) => getComputedStyle(dot).backgroundColor)).toBe(RED);
    const save = form.getByRole('button', { name: 'Save', exact: true });
    expect(await save.isVisible()).toBe(false);
    // Enter in a field tests again rather than saving.
    const retested = page.waitForResponse((r) => r.url().endsWith('/connections/test'));
    await form.getByLabel('Password').press('Enter');
    await retested;
    expect(await save.isVisible()).toBe(false);
    await screenshot(page, 'connections-wizard-failed');

    // The right password passes; changing a field afterwards takes Save away until the next test.
    await form.getByLabel('Password').fill(pgpw.password);
    await form.getByRole('button', { name: 'Test connection' }).click();
    await save.waitFor();
    await form.getByLabel('Database').fill('postgres2');
    expect(await save.isVisible()).toBe(false);
    await form.getByText('The settings changed since the test').waitFor();
    await screenshot(page, 'connections-wizard-changed');
    await form.getByLabel('Database').fill('postgres');
    expect(await save.isVisible()).toBe(true);

    await form.getByRole('button', { name: 'Cancel' }).click();
    await form.waitFor({ state: 'hidden' });
    expect(await page.getByRole('article').count()).toBe(0);
    expect(unexpected(errors)).toEqual([]);
  });

  test('a saved connection whose server then refuses turns red with its hint on Refresh, and green again when the page reloads', async () => {
    const { page, errors, url, tenant, projectId } = await signedInWithProject('Umbrella');
    await savedConnection(tenant.token, projectId, 'Catalog source');
    // Every card is re-tested in the background as the page loads.
    const retested = page.waitForResponse((r) => /\/connections\/[0-9a-f-]{36}\/test$/.test(r.url()));
    await page.goto(url);
    const card = cardOf(page, 'Catalog source');
    await card.getByText('Connected').waitFor();
    await retested;
    await card.getByText('Connected').waitFor();

    const original = pgpw.password;
    await pgpw.setPassword('Changed-pass-1');
    try {
      await card.getByRole('button', { name: 'Refresh' }).click();
      await card.getByText('Failed').waitFor();
      expect(await dotColour(card)).toBe(RED);
      expect(await card.locator('.dot').innerText()).toBe('✕');
      expect(await card.innerText()).toContain(`refused the password for user "${pgpw.user}"`);
      expect(await card.innerText()).toContain('Hint: Check the user name and password');
      expect(await card.innerText()).toMatch(/tested just now/);
      await screenshot(page, 'connections-refused');
    } finally {
      await pgpw.setPassword(original);
    }

    await page.reload();
    await cardOf(page, 'Catalog source').getByText('Connected').waitFor();
    expect(await dotColour(cardOf(page, 'Catalog source'))).toBe(GREEN);
    expect(unexpected(errors)).toEqual([]);
  });

  test('a person edits a connection keeping its stored password, is told a name is taken, and deletes it', async () => {
    const { page, errors, url, tenant, projectId } = await signedInWithProject('Soylent');
    await savedConnection(tenant.token, projectId, 'Orders');
    await savedConnection(tenant.token, projectId, 'Returns');
    await page.goto(url);
    await markWindow(page);

    await cardOf(page, 'Orders').getByRole('button', { name: 'Edit' }).click();
    const form = page.getByRole('dialog', { name: 'Edit “Orders”' });
    await form.waitFor();
    expect(await form.getByLabel('Host').inputValue()).toBe('127.0.0.1');
    expect(await form.getByLabel('Port').inputValue()).toBe(String(pgpw.port));
    expect(await form.getByLabel('Password').inputValue()).toBe('');
    await form.getByText('Leave empty to keep the stored secret.').waitFor();

    await form.getByLabel('Name').fill('Returns');
    await form.getByRole('button', { name: 'Test connection' }).click();
    await form.getByText(/Connection works/).waitFor();
    await form.getByRole('button', { name: 'Save', exact: true }).click();
    const nameError = form.locator('#f-name-error');
    await nameError.getByText('A connection named "Returns" already exists').waitFor();
    expect(await form.getByLabel('Name').getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, 'connections-edit-name-taken');

    // A new name is not a new setting: Save stays, and the stored password still works.
    await form.getByLabel('Name').fill('Orders EU');
    await form.getByRole('button', { name: 'Save', exact: true }).click();
    await form.waitFor({ state: 'hidden' });
    await cardOf(page, 'Orders EU').getByText('Connected').waitFor();
    expect(await page.getByRole('article', { name: 'Orders', exact: true }).count()).toBe(0);

    await cardOf(page, 'Orders EU').getByRole('button', { name: 'Delete' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete “Orders EU”?' });
    await confirm.getByText('No ETL job uses this connection.').waitFor();
    await screenshot(page, 'connections-delete-confirm');
    await confirm.getByRole('button', { name: 'Delete connection' }).click();
    await confirm.waitFor({ state: 'hidden' });
    await cardOf(page, 'Orders EU').waitFor({ state: 'detached' });
    expect(await page.getByRole('article').count()).toBe(1);
    expect(await stillSameWindow(page)).toBe(true);
    expect(unexpected(errors)).toEqual([]);
  });

  test('a viewer sees the cards and can refresh them, but gets no buttons to add, edit or delete', async () => {
    const { tenant, projectId } = await signedInWithProject('Globex');
    await savedConnection(tenant.token, projectId, 'Shared source');
    const viewer = await seedMember(env, tenant.tenantId, 'viewer', 'viewer@globex.test');
    const { page, errors } = await openPage(browser, web.url);
    await signIn(page, viewer.email, viewer.password);
    await page.goto(`/projects/${projectId}/connections`);
    const card = cardOf(page, 'Shared source');
    await card.getByText('Connected').waitFor();
    expect(await page.getByRole('button', { name: 'New connection' }).count()).toBe(0);
    expect(await card.getByRole('button').count()).toBe(1);
    await card.getByRole('button', { name: 'Refresh' }).click();
    await card.getByText('tested just now').waitFor();
    await screenshot(page, 'connections-viewer');
    expect(errors).toEqual([]);
  });
});
