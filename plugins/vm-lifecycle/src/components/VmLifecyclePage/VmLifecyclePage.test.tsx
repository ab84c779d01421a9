import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { configApiRef, identityApiRef } from '@backstage/core-plugin-api';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { signalApiRef } from '@backstage/plugin-signals-react';
import { vmLifecycleApiRef, VmLifecycleApi } from '../../api';
import { rootRouteRef } from '../../routes';
import {
  job,
  makeInstance,
  mockVmApi,
  pageOf,
} from '../../__testUtils__/fixtures';
import { VmLifecyclePage } from './VmLifecyclePage';

// AuthorizeResult lives in plugin-permission-common; its values are these strings.
const DENY = 'DENY' as any;

function mockSignals() {
  const listeners = new Map<string, (message: any) => void>();
  return {
    api: {
      subscribe: jest.fn((channel: string, onMessage: (m: any) => void) => {
        listeners.set(channel, onMessage);
        return { unsubscribe: () => listeners.delete(channel) };
      }),
    },
    publish: (channel: string, message: object) =>
      act(() => listeners.get(channel)?.(message)),
  };
}

async function renderPage(
  api: VmLifecycleApi,
  options: { signals?: ReturnType<typeof mockSignals>; path?: string } = {},
) {
  const apis: any[] = [
    [vmLifecycleApiRef, api],
    [
      identityApiRef,
      mockApis.identity({ userEntityRef: 'user:default/guest' }),
    ],
    [permissionApiRef, mockApis.permission({ authorize: DENY })],
    [configApiRef, mockApis.config()],
  ];
  if (options.signals) apis.push([signalApiRef, options.signals.api]);
  return renderInTestApp(
    <TestApiProvider apis={apis}>
      <VmLifecyclePage />
    </TestApiProvider>,
    {
      routeEntries: [options.path ?? '/'],
      mountedRoutes: { '/virtual-machines': rootRouteRef },
    },
  );
}

const RUNNING = makeInstance('web-1', {
  phase: 'Running',
  ipAddress: '10.0.0.7',
  jobs: [job({ jobID: '7', state: 'Succeeded' })],
});
const STARTING = makeInstance('web-2', {
  phase: 'Starting',
  jobs: [job({ jobID: '8', state: 'Running' })],
});

describe('Virtual Machines page', () => {
  it("lists the caller's instances with phase, latest job and who requested them", async () => {
    const api = mockVmApi({
      listInstancePage: jest
        .fn()
        .mockResolvedValue(pageOf([RUNNING, STARTING])),
    });
    await renderPage(api);

    expect(
      screen.getByRole('heading', { name: 'Virtual Machines', level: 1 }),
    ).toBeInTheDocument();
    expect(await screen.findByRole('link', { name: 'web-1' })).toHaveAttribute(
      'href',
      '/virtual-machines/default/web-1',
    );
    expect(api.listInstancePage).toHaveBeenCalledWith({
      requestedBy: 'user:default/guest',
      sort: 'creationTimestamp',
      order: 'desc',
      limit: 20,
      continue: undefined,
    });

    const table = screen.getByRole('table');
    for (const header of [
      'Name',
      'Template',
      'Cores / memory',
      'Phase',
      'Latest job',
      'IP address',
      'Requested by',
      'Age',
    ]) {
      expect(
        within(table).getByRole('columnheader', { name: new RegExp(header) }),
      ).toBeInTheDocument();
    }
    const row1 = within(table)
      .getByRole('link', { name: 'web-1' })
      .closest('tr')!;
    expect(within(row1).getByText('small')).toBeInTheDocument();
    expect(within(row1).getByText('2 vCPU · 4 GiB')).toBeInTheDocument();
    expect(within(row1).getByText('Running')).toBeInTheDocument();
    expect(within(row1).getByText('provision job 7')).toBeInTheDocument();
    expect(within(row1).getByText('Succeeded')).toBeInTheDocument();
    expect(within(row1).getByText('10.0.0.7')).toBeInTheDocument();
    expect(within(row1).getByText('guest')).toBeInTheDocument();

    const row2 = within(table)
      .getByRole('link', { name: 'web-2' })
      .closest('tr')!;
    expect(within(row2).getByText('Starting')).toBeInTheDocument();
    expect(within(row2).getByText('provision job 8')).toBeInTheDocument();
  });

  it('searches by name and sorts on the server, and says when nothing matches', async () => {
    const api = mockVmApi({
      listInstancePage: jest.fn(async query =>
        pageOf(query?.search === 'zzz' ? [] : [RUNNING, STARTING]),
      ),
    });
    await renderPage(api);
    await screen.findByRole('link', { name: 'web-1' });
    expect(screen.getByText('Your virtual machines (2)')).toBeInTheDocument();

    await userEvent.type(screen.getByLabelText('Search by name'), 'ZZ Z!');
    await waitFor(() =>
      expect(api.listInstancePage).toHaveBeenLastCalledWith(
        expect.objectContaining({ search: 'zzz', limit: 20 }),
      ),
    );
    expect(
      await screen.findByText('No virtual machine of yours matches “zzz”.'),
    ).toBeInTheDocument();

    await userEvent.selectOptions(screen.getByLabelText('Sort'), 'name:asc');
    await waitFor(() =>
      expect(api.listInstancePage).toHaveBeenLastCalledWith(
        expect.objectContaining({ search: 'zzz', sort: 'name', order: 'asc' }),
      ),
    );
  });

  it('invites a first-time user to request a VM', async () => {
    await renderPage(mockVmApi());
    expect(
      await screen.findByText('You have no virtual machines yet'),
    ).toBeInTheDocument();
    expect(
      screen.getAllByRole('button', { name: 'Request VM' }).length,
    ).toBeGreaterThan(0);
  });

  it('opens the request dialog from "Request VM"', async () => {
    await renderPage(mockVmApi());
    await screen.findByText('You have no virtual machines yet');
    await userEvent.click(
      screen.getAllByRole('button', { name: 'Request VM' })[0],
    );
    expect(
      await screen.findByRole('dialog', { name: 'Request a virtual machine' }),
    ).toBeInTheDocument();
    expect(await screen.findByLabelText('Template')).toHaveValue('small');
  });

  it('says why the list is missing when the backend fails, and retries', async () => {
    const api = mockVmApi({
      listInstancePage: jest
        .fn()
        .mockRejectedValueOnce(new Error('connect ECONNREFUSED'))
        .mockResolvedValue(pageOf([RUNNING])),
    });
    await renderPage(api);
    expect(
      await screen.findByText(/Could not load your virtual machines/),
    ).toBeInTheDocument();
    expect(screen.getByText('connect ECONNREFUSED')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(
      await screen.findByRole('link', { name: 'web-1' }),
    ).toBeInTheDocument();
  });

  it('refetches when a vm-lifecycle signal arrives', async () => {
    const signals = mockSignals();
    const api = mockVmApi({
      listInstancePage: jest
        .fn()
        .mockResolvedValueOnce(pageOf([STARTING]))
        .mockResolvedValue(
          pageOf([
            { ...STARTING, status: { ...STARTING.status, phase: 'Running' } },
          ]),
        ),
    });
    await renderPage(api, { signals });
    const link = await screen.findByRole('link', { name: 'web-2' });
    expect(
      within(link.closest('tr')!).getByText('Starting'),
    ).toBeInTheDocument();
    expect(screen.getByText('● Live updates')).toBeInTheDocument();

    signals.publish('vm-lifecycle', {
      type: 'instance',
      namespace: 'default',
      name: 'web-2',
      resourceVersion: '2',
      phase: 'Running',
    });
    await waitFor(() => expect(api.listInstancePage).toHaveBeenCalledTimes(2));
    await waitFor(() =>
      expect(
        within(
          screen.getByRole('link', { name: 'web-2' }).closest('tr')!,
        ).queryByText('Starting'),
      ).not.toBeInTheDocument(),
    );
  });

  it('polls slowly when signals are unavailable', async () => {
    jest.useFakeTimers();
    try {
      const api = mockVmApi({
        listInstancePage: jest.fn().mockResolvedValue(pageOf([RUNNING])),
      });
      await renderPage(api);
      await screen.findByRole('link', { name: 'web-1' });
      expect(screen.getByText('Refreshing every 15 s')).toBeInTheDocument();
      const calls = api.listInstancePage.mock.calls.length;
      await act(async () => {
        jest.advanceTimersByTime(15_000);
      });
      expect(api.listInstancePage.mock.calls.length).toBe(calls + 1);
    } finally {
      jest.useRealTimers();
    }
  });

  // The tab shown to admins is tested in AdminInstancesTab.test.tsx: usePermission caches
  // decisions per permission for the whole test file.
  it('hides the "All instances" tab without the admin permission', async () => {
    await renderPage(mockVmApi());
    expect(
      await screen.findByRole('tab', { name: 'My instances' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('tab', { name: 'How it works' }),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('tab', { name: 'All instances' }),
    ).not.toBeInTheDocument();
  });

  it('explains the design with diagrams on "How it works"', async () => {
    await renderPage(mockVmApi(), { path: '/how-it-works' });
    expect(
      await screen.findByRole('heading', { name: 'How it works' }),
    ).toBeInTheDocument();
    for (const title of [
      'The pieces',
      'Requesting a VM (AAP Direct)',
      'Deleting a VM that is still being provisioned',
      'Deleting through Event-Driven Ansible (EDA)',
    ]) {
      expect(
        await screen.findByRole('img', {
          name: new RegExp(`^${title.replace(/[()]/g, '\\$&')}`),
        }),
      ).toBeInTheDocument();
    }
    expect(
      await screen.findByText(/This portal uses AAP Direct/),
    ).toBeInTheDocument();
    expect(screen.getAllByText('Used by this portal')).toHaveLength(2);
  });
});
