import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, screenshot, signInAsGuest } from '../lib/browser.mjs';
import {
  api,
  deleteQuietly,
  openVirtualMachines,
  requestVmThroughDialog,
  uniqueName,
} from '../lib/portal.mjs';

const DAY = 24 * 3_600_000;
let browser;
const name = uniqueName('e2e-dev');
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await deleteQuietly('default', name);
});

test('the request dialog shows the quota the template would use, and the VM page its expiry with Extend', async () => {
  const page = await browser.newPage({
    viewport: { width: 1400, height: 1000 },
  });
  await signInAsGuest(page);
  await openVirtualMachines(page);
  const mine = (await api('GET', '/quotas')).body;
  const own = mine.items.find(q => q.kind === 'user');
  assert.ok(own, 'GET /quotas answers the caller their own quota');

  await page.getByRole('button', { name: 'Request VM' }).first().click();
  const started = Date.now();
  await requestVmThroughDialog(page, name, {
    before: async dialog => {
      await dialog
        .getByLabel('Template')
        .selectOption({ label: 'Development Fedora VM (expires)' });
      const quota = dialog.getByTestId('vm-request-quota');
      await quota.waitFor();
      assert.match(
        await quota.innerText(),
        new RegExp(`Quota of ${own.subject}`),
      );
      // The template's 2 cores, against the configured limit.
      assert.match(
        await quota.innerText(),
        new RegExp(
          `cores: ${own.used.cores} in use \\+ 2 for this VM of ${own.limits.cores}`,
        ),
      );
      await dialog.getByLabel('CPU cores').fill('3');
      await quota
        .getByText(`+ 3 for this VM of ${own.limits.cores}`, { exact: false })
        .waitFor();
      const lifetime = dialog.getByLabel('Expires in (days)');
      assert.equal(await lifetime.inputValue(), '7');
      await lifetime.fill('10');
      await screenshot(page, 'quota-1-dialog');
    },
  });

  await page.getByRole('heading', { name, level: 1 }).waitFor();
  const expiry = page.getByTestId('vm-expiry');
  await expiry.waitFor({ timeout: 20_000 });
  assert.match(await expiry.innerText(), /Expires on .* \(in (9|10) days\)/);
  const stored = (await api('GET', `/instances/default/${name}`)).body;
  const expiresAt = Date.parse(
    stored.metadata.annotations['osac.openshift.io/expires-at'],
  );
  assert.ok(
    Math.abs(expiresAt - (started + 10 * DAY)) < 10 * 60_000,
    'stored about 10 days ahead',
  );
  await screenshot(page, 'quota-2-instance-expiry');

  await page.getByRole('button', { name: 'Extend', exact: true }).click();
  const dialog = page.getByRole('dialog', {
    name: `Extend the expiry of ${name}`,
  });
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Extend', exact: true }).click();
  await dialog.waitFor({ state: 'detached', timeout: 15_000 });
  await page
    .getByTestId('vm-expiry')
    .filter({ hasText: /in 1[67] days/ })
    .waitFor({ timeout: 20_000 });
  const extended = (await api('GET', `/instances/default/${name}`)).body;
  assert.ok(
    Date.parse(extended.metadata.annotations['osac.openshift.io/expires-at']) >
      expiresAt,
    'the expiry moved later',
  );
  const events = (await api('GET', `/instances/default/${name}/events`)).body;
  assert.ok(events.items.some(e => e.reason === 'ExpiryExtended'));
  await screenshot(page, 'quota-3-extended');
});
