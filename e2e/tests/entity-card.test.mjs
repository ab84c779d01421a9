import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  baseUrl,
  launchBrowser,
  screenshot,
  signInAsGuest,
} from '../lib/browser.mjs';
import {
  api,
  deleteQuietly,
  requestVmThroughDialog,
  uniqueName,
} from '../lib/portal.mjs';

let browser;
const name = uniqueName('e2e-team');
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await deleteQuietly('default', name);
});

test("a group's entity page shows its VMs and requests new ones owned by the group", async () => {
  const page = await browser.newPage({
    viewport: { width: 1400, height: 900 },
  });
  await signInAsGuest(page);
  await page.goto(`${baseUrl}/catalog/default/group/team-a`);
  await page
    .getByRole('heading', { name: 'Virtual machines', exact: true })
    .waitFor({ timeout: 30_000 });
  await page.getByText('Owned by team-a', { exact: true }).waitFor();
  await screenshot(page, 'entity-1-group-card');

  await page.getByRole('button', { name: 'Request VM' }).click();
  await requestVmThroughDialog(page, name, {
    before: async dialog => {
      assert.equal(
        await dialog.getByLabel('Owner').inputValue(),
        'group:default/team-a',
      );
    },
  });
  await page
    .getByRole('list', { name: 'Virtual machines of team-a' })
    .getByRole('link', { name, exact: true })
    .waitFor({ timeout: 15_000 });
  await screenshot(page, 'entity-2-group-card-with-vm');

  const { body } = await api('GET', `/instances/default/${name}`);
  assert.equal(
    body.metadata.annotations['osac.openshift.io/owner'],
    'group:default/team-a',
  );
});

test("a component's entity page shows the card too", async () => {
  const page = await browser.newPage({
    viewport: { width: 1400, height: 900 },
  });
  await signInAsGuest(page);
  await page.goto(`${baseUrl}/catalog/default/component/shop`);
  await page
    .getByRole('heading', { name: 'Virtual machines', exact: true })
    .waitFor({ timeout: 30_000 });
  await page.getByText('Owned by shop', { exact: true }).waitFor();
  await page
    .getByText(/owns no virtual machines yet|Virtual machines of/)
    .first()
    .waitFor();
  await screenshot(page, 'entity-3-component-card');
});
