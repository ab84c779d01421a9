import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { launchBrowser, screenshot, signInAsGuest } from '../lib/browser.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('a guest signs in and opens the Virtual Machines page', async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await signInAsGuest(page);
  await page.getByRole('link', { name: 'Virtual Machines' }).click();
  await page.getByRole('heading', { name: 'Virtual Machines', level: 1 }).waitFor();
  assert.match(page.url(), /\/virtual-machines$/);
  await page.getByRole('tab', { name: 'My instances' }).waitFor();
  await page.getByRole('button', { name: 'Request VM' }).first().waitFor();
  const file = await screenshot(page, 'virtual-machines-page');
  assert.ok(statSync(file).size > 10_000, 'the screenshot has real content');
});
