import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { createTestEnv, type TestEnv } from '../support/test-env.js';
import { seedTenant, startWeb } from '../support/web.js';
import { closeBrowser, launchBrowser, openPage, screenshot, signIn } from '../support/browser.js';
import type { WebService } from '../../services/web/src/server.js';

let env: TestEnv;
let web: WebService;
let browser: Browser;

beforeAll(async () => {
  env = await createTestEnv();
  web = await startWeb(env);
  browser = await launchBrowser();
});

afterAll(async () => {
  await closeBrowser(browser);
  await web?.stop();
  await env?.cleanup();
});

/** Marks the window, so a test can tell an htmx swap from a full page load. */
async function markWindow(page: Page): Promise<void> {
  await page.evaluate(() => Object.assign(window, { notReloaded: true }));
}

async function stillSameWindow(page: Page): Promise<boolean> {
  return page.evaluate(() => 'notReloaded' in window);
}

/** Answers the next confirm() (hx-confirm uses it) and resolves to the question it asked. */
function answerNextDialog(page: Page, accept: boolean): Promise<string> {
  return new Promise((resolve) => {
    page.once('dialog', async (dialog) => {
      await (accept ? dialog.accept() : dialog.dismiss());
      resolve(dialog.message());
    });
  });
}

describe('projects in the browser', () => {
  test('a person creates, renames and deletes a project without the page reloading', async () => {
    const tenant = await seedTenant(env, 'Initech');
    const { page, errors } = await openPage(browser, web.url);
    await signIn(page, tenant.email, tenant.password);
    await page.getByRole('heading', { name: 'Projects' }).waitFor();
    await page.getByText('No projects yet.').waitFor();
    await screenshot(page, 'projects-empty');
    await markWindow(page);

    await page.getByLabel('New project').fill('Wholesale EU');
    await page.getByRole('button', { name: 'Create project' }).click();
    const projects = page.getByRole('table', { name: 'Projects' });
    await projects.getByRole('link', { name: 'Wholesale EU' }).waitFor();
    expect(await stillSameWindow(page)).toBe(true);
    expect(page.url()).toBe(`${web.url}/projects`);
    await screenshot(page, 'projects-created');

    const row = page.locator('tr', { has: page.getByRole('link', { name: 'Wholesale EU' }) });
    await row.getByText('Rename').click();
    await row.getByLabel('New name for Wholesale EU').fill('Wholesale Europe');
    await screenshot(page, 'projects-renaming');
    await row.getByRole('button', { name: 'Save' }).click();
    await projects.getByRole('link', { name: 'Wholesale Europe' }).waitFor();
    expect(await projects.getByRole('link', { name: 'Wholesale EU', exact: true }).count()).toBe(0);
    expect(await stillSameWindow(page)).toBe(true);
    await screenshot(page, 'projects-renamed');

    const question = answerNextDialog(page, true);
    const renamed = page.locator('tr', { has: page.getByRole('link', { name: 'Wholesale Europe' }) });
    await renamed.getByRole('button', { name: 'Delete' }).click();
    expect(await question).toBe('Delete the project “Wholesale Europe” and everything in it?');
    await page.getByText('No projects yet.').waitFor();
    expect(await stillSameWindow(page)).toBe(true);
    await screenshot(page, 'projects-deleted');
    expect(errors).toEqual([]);
  });

  test('declining the confirmation keeps the project', async () => {
    const tenant = await seedTenant(env, 'Hooli');
    const { page } = await openPage(browser, web.url);
    await signIn(page, tenant.email, tenant.password);
    await page.getByLabel('New project').fill('Keep me');
    await page.getByRole('button', { name: 'Create project' }).click();
    const row = page.locator('tr', { has: page.getByRole('link', { name: 'Keep me' }) });
    await row.waitFor();

    const question = answerNextDialog(page, false);
    await row.getByRole('button', { name: 'Delete' }).click();
    await question;
    await page.reload();
    await page.getByRole('link', { name: 'Keep me' }).waitFor();
  });

  test('a second project with the same name is refused with the reason beside the field', async () => {
    const tenant = await seedTenant(env, 'Soylent');
    const { page, errors } = await openPage(browser, web.url);
    await signIn(page, tenant.email, tenant.password);
    for (let i = 0; i < 2; i++) {
      await page.getByLabel('New project').fill('Catalog');
      await page.getByRole('button', { name: 'Create project' }).click();
      await page.getByRole('link', { name: 'Catalog' }).waitFor();
    }

    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toBe('A project named "Catalog" already exists');
    const field = page.getByLabel('New project');
    expect(await field.inputValue()).toBe('Catalog');
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('link', { name: 'Catalog' }).count()).toBe(1);
    await screenshot(page, 'projects-duplicate-name');
    // The page's script moves the keyboard focus to the field in error after the swap.
    expect(await field.evaluate((input) => input === document.activeElement)).toBe(true);
    // The refusal answers 409; Chromium reports that status as an error.
    expect(errors.filter((error) => !error.includes('status of 409'))).toEqual([]);
  });

  test("a project's page lists its sections in the navigation", async () => {
    const tenant = await seedTenant(env, 'Umbrella');
    const { page, errors } = await openPage(browser, web.url);
    await signIn(page, tenant.email, tenant.password);
    await page.getByLabel('New project').fill('Retail US');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByRole('link', { name: 'Retail US' }).click();

    await page.waitForURL(/\/projects\/[0-9a-f-]{36}\/dashboard$/);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    const nav = page.getByRole('navigation', { name: 'Project' });
    expect(await nav.getByRole('listitem').allInnerTexts()).toEqual(['Dashboard', 'Connections', 'ETL', 'Datasets', 'Features', 'Models', 'Experiments']);
    expect(await nav.getByRole('link', { name: 'Dashboard' }).getAttribute('aria-current')).toBe('page');
    expect(await nav.innerText()).toContain('Retail US');
    await screenshot(page, 'project-dashboard');

    await nav.getByRole('link', { name: 'ETL' }).click();
    await page.getByRole('heading', { name: 'ETL' }).waitFor();
    await page.getByText('Not built yet.').waitFor();
    await screenshot(page, 'project-etl');
    expect(errors).toEqual([]);
  });
});
