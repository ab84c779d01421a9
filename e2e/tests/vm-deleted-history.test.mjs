import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  baseUrl,
  launchBrowser,
  screenshot,
  signInAsGuest,
} from '../lib/browser.mjs';
import { api, deleteQuietly, jobRows, uniqueName } from '../lib/portal.mjs';

let browser;
const name = uniqueName('e2e-gone');
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await deleteQuietly('default', name);
});

async function waitUntil(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 500));
  }
}

test("a deleted VM's page, opened afresh, shows how it ended from the history the server kept", async () => {
  const created = await api('POST', '/instances', {
    metadata: { name },
    spec: { templateID: 'fedora_small' },
  });
  assert.equal(created.status, 201);
  const uid = created.body.metadata.uid;
  assert.equal((await api('DELETE', `/instances/default/${name}`)).status, 202);
  await waitUntil(
    'the VM to be gone',
    async () => (await api('GET', `/instances/default/${name}`)).status === 404,
    90_000,
  );
  const history = await api('GET', `/instances/by-uid/${uid}`);
  assert.equal(history.status, 200);

  // A new page: nothing of the live VM was ever loaded in it.
  const page = await browser.newPage({
    viewport: { width: 1400, height: 900 },
  });
  await signInAsGuest(page);
  await page.goto(`${baseUrl}/virtual-machines/default/${name}`);
  await page
    .getByText(`${name} has been deleted`, { exact: true })
    .waitFor({ timeout: 30_000 });
  const deprovision = history.body.instance.status.provisioningJobs
    .filter(j => j.type === 'deprovision')
    .pop();
  await page
    .getByText(
      new RegExp(
        `deprovision job ${deprovision.jobID} ended ${deprovision.state}`,
      ),
    )
    .waitFor();
  await jobRows(page, 'deprovision').first().waitFor();
  await page
    .getByRole('status', { name: 'Phase' })
    .getByText('Deleted')
    .waitFor();
  await screenshot(page, 'deleted-1-history-page');
});
