import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  backendUrl,
  baseUrl,
  launchBrowser,
  screenshot,
  signInAsGuest,
} from '../lib/browser.mjs';
import { api, deleteQuietly, guestToken, uniqueName } from '../lib/portal.mjs';

let browser;
const service = uniqueName('e2e-svc');
const vm = `${service}-dev`;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await deleteQuietly('default', vm);
});

async function catalogEntity(kind, name) {
  const res = await fetch(
    `${backendUrl}/api/catalog/entities/by-name/${kind}/default/${name}`,
    { headers: { Authorization: `Bearer ${await guestToken()}` } },
  );
  return res.ok ? res.json() : undefined;
}

async function until(what, probe, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 500));
  }
}

test('the "Service with a development VM" template creates the component and its VM, which runs, notifies and is a catalog Resource', async () => {
  const page = await browser.newPage({
    viewport: { width: 1400, height: 900 },
  });
  await signInAsGuest(page);

  await page.getByRole('link', { name: 'Create...' }).click();
  const card = page
    .locator('article, .MuiCard-root')
    .filter({ hasText: 'Service with a development VM' })
    .first();
  await card.waitFor({ timeout: 60_000 });
  await screenshot(page, 'template-1-create-page');
  await card.getByRole('button', { name: 'Choose' }).click();

  await page.getByLabel('Name').first().fill(service);
  const owner = page.getByLabel('Owner').first();
  await owner.click();
  await owner.fill('team-a');
  await page
    .getByRole('option', { name: /team-a/ })
    .first()
    .click();
  await screenshot(page, 'template-2-service-step');
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Create' }).click();

  // The task page shows the template's output links once every step is done.
  await page
    .getByRole('link', { name: 'The development VM', exact: true })
    .or(page.getByRole('button', { name: 'The development VM', exact: true }))
    .first()
    .waitFor({ timeout: 180_000 });
  await screenshot(page, 'template-3-task-done');

  const { status, body } = await api('GET', `/instances/default/${vm}`);
  assert.equal(status, 200);
  assert.equal(body.status.phase, 'Running');
  assert.equal(
    body.metadata.annotations['osac.openshift.io/owner'],
    'group:default/team-a',
  );
  assert.equal(
    body.metadata.annotations['osac.openshift.io/component'],
    `component:default/${service}`,
  );

  // The notification reaches the requester (guest, also a member of the owning team).
  await page.goto(`${baseUrl}/notifications`);
  await page
    .getByText(`VM default/${vm} is ready`)
    .first()
    .waitFor({ timeout: 30_000 });
  await screenshot(page, 'template-4-notification');

  // The VM is a Resource of the catalog, owned by the team and a dependency of the new component.
  const resource = await until('the Resource entity', () =>
    catalogEntity('resource', vm),
  );
  assert.equal(resource.spec.type, 'virtual-machine');
  assert.equal(resource.spec.owner, 'group:default/team-a');
  assert.deepEqual(resource.spec.dependencyOf, [
    `component:default/${service}`,
  ]);
  await until('the component entity', () =>
    catalogEntity('component', service),
  );
  // The component's Virtual Machines tab lists its VM.
  await page.goto(`${baseUrl}/catalog/default/component/${service}`);
  await page.getByRole('tab', { name: 'Virtual Machines' }).click();
  await page
    .getByRole('list', { name: `Virtual machines of ${service}` })
    .getByRole('link', { name: vm, exact: true })
    .waitFor({ timeout: 30_000 });
  await screenshot(page, 'template-5-component-vm-tab');

  await page.goto(`${baseUrl}/catalog/default/resource/${vm}`);
  await page.getByText('virtual-machine').first().waitFor({ timeout: 30_000 });
  await screenshot(page, 'template-6-catalog-resource');
});
