import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, screenshot, signInAsGuest } from '../lib/browser.mjs';
import {
  deleteQuietly,
  jobRows,
  openVirtualMachines,
  requestVmThroughDialog,
  simulatorVms,
  uniqueName,
  waitForPhase,
} from '../lib/portal.mjs';

let browser;
const name = uniqueName('e2e-web');
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await deleteQuietly('default', name);
});

test('a developer requests a VM through the dialog and watches it reach Running', async () => {
  const page = await browser.newPage({
    viewport: { width: 1400, height: 900 },
  });
  await signInAsGuest(page);
  await openVirtualMachines(page);
  await screenshot(page, 'request-1-list-before');

  await page.getByRole('button', { name: 'Request VM' }).first().click();
  await requestVmThroughDialog(page, name, {
    before: async dialog => {
      // The first template is pre-selected and its defaults are filled in.
      const template = dialog.getByLabel('Template');
      assert.notEqual(await template.inputValue(), '');
      assert.match(await dialog.getByLabel('CPU cores').inputValue(), /^\d+$/);
      await screenshot(page, 'request-2-dialog');
    },
  });

  // The portal opens the new VM's page; the controller launches the provision job.
  await page.getByRole('heading', { name, level: 1 }).waitFor();
  assert.match(page.url(), new RegExp(`/virtual-machines/default/${name}$`));
  await jobRows(page, 'provision').first().waitFor({ timeout: 30_000 });
  await waitForPhase(page, 'Starting', 30_000);
  await screenshot(page, 'request-3-instance-starting');

  // No reload: the page follows the job live until the VM runs.
  await waitForPhase(page, 'Running', 90_000);
  const provision = jobRows(page, 'provision');
  assert.equal(await provision.count(), 1, 'exactly one provision job');
  await provision.filter({ hasText: 'Succeeded' }).waitFor({ timeout: 10_000 });
  // Backstage's log viewer follows the end of the output: the recap is in view.
  await page
    .getByRole('log', { name: /Output of provision job/ })
    .getByText(/PLAY RECAP/)
    .waitFor({ timeout: 20_000 });
  await page
    .getByRole('img', { name: new RegExp(`^History of ${name}`) })
    .waitFor({ timeout: 30_000 });
  await screenshot(page, 'request-4-instance-running');

  // Back on the list, the VM shows as Running too.
  await page.getByRole('link', { name: 'Virtual Machines' }).first().click();
  const row = page
    .getByRole('row')
    .filter({ has: page.getByRole('link', { name, exact: true }) });
  await row.filter({ hasText: 'Running' }).waitFor({ timeout: 20_000 });
  await screenshot(page, 'request-5-list-running');

  assert.equal(
    (await simulatorVms('default', name)).length,
    1,
    'the simulator created the VM',
  );
});
