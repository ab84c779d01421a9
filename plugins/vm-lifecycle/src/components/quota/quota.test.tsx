import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { configApiRef, identityApiRef } from '@backstage/core-plugin-api';
import {
  QuotaStatus,
  VmTemplate,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { vmLifecycleApiRef } from '../../api';
import { mockVmApi, TEMPLATES } from '../../__testUtils__/fixtures';
import { RequestVmDialog } from '../RequestVmDialog';
import { amountsOfForm, applicableQuota, quotaLines } from '../../lib/quota';
import { QuotaUsageCard } from './QuotaUsageCard';

const TEAM: QuotaStatus = {
  subject: 'group:default/team-a',
  kind: 'group',
  source: 'configured',
  limits: { cores: 16, memoryGiB: 64 },
  used: { instances: 3, cores: 14, memoryGiB: 12, diskGiB: 60 },
};
const MINE: QuotaStatus = {
  subject: 'user:default/guest',
  kind: 'user',
  source: 'default',
  limits: { instances: 2, cores: 8 },
  used: { instances: 1, cores: 2, memoryGiB: 4, diskGiB: 20 },
};
const DEV: VmTemplate = {
  ...TEMPLATES[0],
  id: 'dev',
  title: 'Dev',
  lifetime: { defaultDays: 7, maxDays: 30 },
};

describe('quota arithmetic of the portal', () => {
  it('counts the form as the server counts the spec', () => {
    expect(
      amountsOfForm({
        cores: '4',
        memoryGiB: '8',
        bootDiskGiB: '20',
        additionalDisks: '50, 30',
      }),
    ).toEqual({ instances: 1, cores: 4, memoryGiB: 8, diskGiB: 100 });
    expect(
      amountsOfForm({
        cores: 'x',
        memoryGiB: '8',
        bootDiskGiB: '20',
        additionalDisks: '',
      }),
    ).toBeUndefined();
  });

  it("applies the owner's quota when there is an owner, else the caller's own", () => {
    expect(applicableQuota([MINE, TEAM], 'group:default/team-a')).toBe(TEAM);
    expect(applicableQuota([MINE, TEAM], undefined)).toBe(MINE);
    expect(applicableQuota([MINE], 'group:default/other')).toBeUndefined();
  });

  it('marks a resource over its limit, never one without a limit', () => {
    const lines = quotaLines(TEAM, {
      instances: 1,
      cores: 4,
      memoryGiB: 4,
      diskGiB: 9999,
    });
    expect(lines.filter(l => l.over).map(l => l.resource)).toEqual(['cores']);
  });
});

async function renderDialog(api = mockVmApi(), owner?: string) {
  await renderInTestApp(
    <TestApiProvider
      apis={[
        [vmLifecycleApiRef, api],
        [configApiRef, mockApis.config()],
        [identityApiRef, mockApis.identity()],
      ]}
    >
      <RequestVmDialog open onClose={jest.fn()} owner={owner} />
    </TestApiProvider>,
  );
  return screen.findByRole('dialog', { name: 'Request a virtual machine' });
}

describe('the request dialog and quotas', () => {
  it("shows what the chosen template would use of the owner group's quota, and warns when it does not fit", async () => {
    const api = mockVmApi({ listQuotas: jest.fn(async () => [MINE, TEAM]) });
    const dialog = await renderDialog(api, 'group:default/team-a');
    const quota = await within(dialog).findByTestId('vm-request-quota');
    expect(quota).toHaveTextContent('Quota of group:default/team-a');
    expect(quota).toHaveTextContent('cores: 14 in use + 2 for this VM of 16');
    expect(quota).toHaveTextContent(
      'memory GiB: 12 in use + 4 for this VM of 64',
    );
    expect(within(quota).queryByText(/does not fit/)).not.toBeInTheDocument();
    const cores = screen.getByLabelText('CPU cores');
    await userEvent.clear(cores);
    await userEvent.type(cores, '4');
    expect(quota).toHaveTextContent('cores: 14 in use + 4 for this VM of 16');
    expect(
      within(quota).getByText(/does not fit the quota \(cores\)/),
    ).toBeInTheDocument();
  });

  it("shows the caller's own quota for a VM without owner", async () => {
    const api = mockVmApi({ listQuotas: jest.fn(async () => [MINE, TEAM]) });
    const dialog = await renderDialog(api);
    const quota = await within(dialog).findByTestId('vm-request-quota');
    expect(quota).toHaveTextContent('Quota of user:default/guest');
    expect(quota).toHaveTextContent('VMs: 1 in use + 1 for this VM of 2');
  });

  it('offers the lifetime of a template that has one and sends the chosen expiry', async () => {
    const api = mockVmApi({
      listTemplates: jest.fn(async () => [DEV, ...TEMPLATES]),
    });
    const dialog = await renderDialog(api);
    const lifetime = await within(dialog).findByLabelText('Expires in (days)');
    expect(lifetime).toHaveValue(7);
    await userEvent.type(screen.getByLabelText(/^Name\W*$/), 'dev-1');
    await userEvent.clear(lifetime);
    await userEvent.type(lifetime, '31');
    expect(
      within(dialog).getByText(/at most 30 days \(the template's maximum\)/),
    ).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Request' }));
    expect(api.createInstance).not.toHaveBeenCalled();
    await userEvent.clear(lifetime);
    await userEvent.type(lifetime, '10');
    const before = Date.now();
    await userEvent.click(screen.getByRole('button', { name: 'Request' }));
    await waitFor(() => expect(api.createInstance).toHaveBeenCalledTimes(1));
    const sent = api.createInstance.mock.calls[0][0];
    const expiresAt = Date.parse(
      sent.metadata.annotations!['osac.openshift.io/expires-at'],
    );
    expect(Math.abs(expiresAt - (before + 10 * 24 * 3_600_000))).toBeLessThan(
      60_000,
    );
  });
});

describe('QuotaUsageCard', () => {
  it('lists every subject with use against limit', async () => {
    const api = mockVmApi({ listQuotas: jest.fn(async () => [TEAM, MINE]) });
    await renderInTestApp(
      <TestApiProvider apis={[[vmLifecycleApiRef, api]]}>
        <QuotaUsageCard />
      </TestApiProvider>,
    );
    const row = await screen.findByTestId('quota-group:default/team-a');
    expect(row).toHaveTextContent(
      'VMs 3 · cores 14 of 16 · memory GiB 12 of 64 · disk GiB 60',
    );
    expect(screen.getByTestId('quota-user:default/guest')).toHaveTextContent(
      'VMs 1 of 2 · cores 2 of 8',
    );
    expect(api.listQuotas).toHaveBeenCalledWith({ all: true });
  });
});
