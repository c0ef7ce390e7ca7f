import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { QUEUE_NAMES } from '@b2b-recs/shared';
import { createTestEnv, type TestEnv } from '../support/test-env.js';
import { seedMember, seedTenant, startWeb } from '../support/web.js';
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

describe('the queue board in the browser', () => {
  test('an admin follows the Queues link and sees the five queues', async () => {
    const { page } = await openPage(browser, web.url);
    await signIn(page, acme.email, acme.password);
    await page.getByRole('link', { name: 'Queues' }).click();
    await page.waitForURL('**/admin/queues');

    // Bull Board is a React app: its sidebar lists the queues, then one card per queue appears
    // once it has fetched their counts (a fresh environment has no jobs).
    const sidebar = page.getByRole('navigation').filter({ has: page.getByRole('link', { name: 'web', exact: true }) });
    await sidebar.waitFor();
    expect((await sidebar.getByRole('link').allInnerTexts()).sort()).toEqual(['extractor', 'loader', 'scheduler', 'trainer', 'web']);
    await page.getByText('0 Jobs').nth(QUEUE_NAMES.length - 1).waitFor();
    expect(await page.getByText('0 Jobs').count()).toBe(QUEUE_NAMES.length);
    await screenshot(page, 'queue-board-admin');
  });

  test('an editor sees no Queues link and is refused the board with a 403 page', async () => {
    const editor = await seedMember(env, acme.tenantId, 'editor', 'editor@acme.test');
    const { page } = await openPage(browser, web.url);
    await signIn(page, editor.email, editor.password);
    expect(await page.getByRole('link', { name: 'Queues' }).count()).toBe(0);

    const res = await page.goto('/admin/queues');
    expect(res?.status()).toBe(403);
    await page.getByRole('heading', { name: '403' }).waitFor();
    expect(await page.getByRole('alert').innerText()).toBe('The queue board is for tenant admins; ask an admin of your tenant');
    expect(await page.getByText('web', { exact: true }).count()).toBe(0);
    await screenshot(page, 'queue-board-editor-refused');
  });
});
