// Helpers for the Virtual Machines flows: driving the portal as a person would, plus a few
// direct reads of the backend and the AAP simulator to check what really happened.
import { backendUrl, baseUrl } from './browser.mjs';

/** A name no earlier run used: the sandbox may be a long-running portal. */
export function uniqueName(prefix) {
  return `${prefix}-${Date.now().toString(36)}`;
}

export async function guestToken() {
  const res = await fetch(`${backendUrl}/api/auth/guest/refresh`);
  if (!res.ok) throw new Error(`guest refresh answered ${res.status}`);
  return (await res.json()).backstageIdentity.token;
}

export async function api(method, path, body) {
  const token = await guestToken();
  const res = await fetch(`${backendUrl}/api/vm-lifecycle${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body ? { 'Content-Type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return {
    status: res.status,
    body:
      text && res.headers.get('content-type')?.includes('json')
        ? JSON.parse(text)
        : text,
  };
}

/** Every job the bundled AAP simulator ever launched for this instance. */
export async function simulatorJobs(namespace, name) {
  const res = await fetch(`${backendUrl}/api/aap-simulator/_sim/jobs`);
  const { items } = await res.json();
  return items.filter(
    j => j.instance?.namespace === namespace && j.instance?.name === name,
  );
}

export async function simulatorVms(namespace, name) {
  const res = await fetch(`${backendUrl}/api/aap-simulator/_sim/vms`);
  const { items } = await res.json();
  return items.filter(v => v.namespace === namespace && v.name === name);
}

/** Best effort: tests remove what they created so a long-running sandbox stays tidy. */
export async function deleteQuietly(namespace, name) {
  try {
    await api('DELETE', `/instances/${namespace}/${name}`);
  } catch {
    // the portal may already be stopping
  }
}

export async function openVirtualMachines(page) {
  await page.getByRole('link', { name: 'Virtual Machines' }).first().click();
  await page
    .getByRole('heading', { name: 'Virtual Machines', level: 1 })
    .waitFor();
}

/**
 * Fills the request dialog with a name, keeps the pre-selected template and its defaults, and
 * presses Request. Returns the dialog locator (gone once the request was accepted).
 */
export async function requestVmThroughDialog(page, name, { before } = {}) {
  const dialog = page.getByRole('dialog', {
    name: 'Request a virtual machine',
  });
  await dialog.waitFor();
  const nameField = dialog.getByRole('textbox', { name: /^Name\W*$/ });
  await nameField.fill(name);
  const template = dialog.getByLabel('Template');
  await template.waitFor();
  if (before) await before(dialog);
  await dialog.getByRole('button', { name: 'Request', exact: true }).click();
  await dialog.waitFor({ state: 'detached', timeout: 15_000 });
  return dialog;
}

export function timeline(page) {
  return page.getByRole('table', { name: 'Job timeline' });
}

export function jobRows(page, type) {
  const label =
    type === 'deprovision' ? /^Deprovision job / : /^Provision job /;
  return timeline(page)
    .getByRole('row')
    .filter({ has: page.getByText(label) });
}

export async function waitForPhase(page, phase, timeout) {
  await page
    .getByRole('status', { name: 'Phase' })
    .filter({ hasText: phase })
    .waitFor({ timeout });
}

export { baseUrl };
