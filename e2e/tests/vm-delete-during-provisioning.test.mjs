import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, screenshot, signInAsGuest } from '../lib/browser.mjs';
import {
  deleteQuietly,
  jobRows,
  openVirtualMachines,
  requestVmThroughDialog,
  simulatorJobs,
  simulatorVms,
  uniqueName,
  waitForPhase,
} from '../lib/portal.mjs';

let browser;
const name = uniqueName('e2e-doomed');
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await deleteQuietly('default', name);
});

test('deleting a VM while it is provisioned cancels the provision job and runs one deprovision job', async () => {
  const page = await browser.newPage({
    viewport: { width: 1400, height: 900 },
  });
  await signInAsGuest(page);
  await openVirtualMachines(page);
  await page.getByRole('button', { name: 'Request VM' }).first().click();
  await requestVmThroughDialog(page, name);
  await page.getByRole('heading', { name, level: 1 }).waitFor();

  // Wait until AAP really runs the provision job (the sandbox's take 20 s).
  const provision = jobRows(page, 'provision');
  await provision.filter({ hasText: 'Running' }).waitFor({ timeout: 30_000 });
  await screenshot(page, 'delete-1-provisioning');

  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: `Delete ${name}?` });
  await dialog.waitFor();
  await dialog.getByText(/will be cancelled first/).waitFor();
  await screenshot(page, 'delete-2-confirm');
  await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
  await dialog.waitFor({ state: 'detached' });

  // The page follows the deletion: Deleting, the cancelled provision job, one deprovision job.
  await waitForPhase(page, 'Deleting', 15_000);
  await page.getByText(`Deleting ${name}`).waitFor();
  await provision.filter({ hasText: 'Canceled' }).waitFor({ timeout: 30_000 });
  const deprovision = jobRows(page, 'deprovision');
  await deprovision.first().waitFor({ timeout: 30_000 });
  await screenshot(page, 'delete-3-deprovisioning');

  // Once the deprovision job succeeded the record is gone and the page says so.
  await page
    .getByText(`${name} has been deleted`, { exact: true })
    .waitFor({ timeout: 60_000 });
  assert.equal(await provision.count(), 1, 'one provision job');
  assert.equal(
    await provision.filter({ hasText: 'Canceled' }).count(),
    1,
    'the provision job was cancelled',
  );
  assert.equal(await deprovision.count(), 1, 'exactly one deprovision job');
  await screenshot(page, 'delete-4-deleted');

  // What AAP saw agrees: one cancelled provision job, one successful deprovision job, no VM left.
  const jobs = await simulatorJobs('default', name);
  const byTemplate = t => jobs.filter(j => j.template.includes(t));
  assert.equal(byTemplate('create').length, 1, JSON.stringify(jobs));
  assert.equal(
    byTemplate('create')[0].status,
    'canceled',
    JSON.stringify(jobs),
  );
  assert.equal(byTemplate('delete').length, 1, JSON.stringify(jobs));
  assert.equal(
    byTemplate('delete')[0].status,
    'successful',
    JSON.stringify(jobs),
  );
  assert.deepEqual(
    await simulatorVms('default', name),
    [],
    'no VM is left behind',
  );

  // The way back leads to a list without it.
  await page.getByRole('link', { name: 'Back to Virtual Machines' }).click();
  await page
    .getByRole('heading', { name: 'Virtual Machines', level: 1 })
    .waitFor();
  await page.getByRole('tab', { name: 'My instances' }).waitFor();
  await page.waitForLoadState('networkidle');
  await page
    .getByText(/Your virtual machines|You have no virtual machines yet/)
    .first()
    .waitFor();
  assert.equal(
    await page.getByRole('link', { name, exact: true }).count(),
    0,
    'gone from the list',
  );
  await screenshot(page, 'delete-5-list-without-it');
});
