import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { configApiRef, identityApiRef } from '@backstage/core-plugin-api';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { vmLifecycleApiRef } from '../../api';
import { rootRouteRef } from '../../routes';
import { job, makeInstance, mockVmApi } from '../../__testUtils__/fixtures';
import { VmLifecyclePage } from '../VmLifecyclePage';

const NOW = Date.now();
const minutesAgo = (m: number) => new Date(NOW - m * 60_000).toISOString();

const INSTANCES = [
  makeInstance('web-1', {
    phase: 'Running',
    owner: 'group:default/team-a',
    requestedBy: 'user:default/guest',
  }),
  makeInstance('db-1', {
    phase: 'Failed',
    owner: 'component:default/shop',
    requestedBy: 'user:default/alice',
    jobs: [job({ jobID: '3', state: 'Failed' })],
  }),
  makeInstance('old-1', {
    namespace: 'team-b',
    phase: 'Deleting',
    deletionTimestamp: minutesAgo(45),
    jobs: [job({ jobID: '4', type: 'deprovision', state: 'Failed' })],
  }),
  makeInstance('new-1', {
    phase: 'Deleting',
    deletionTimestamp: minutesAgo(1),
  }),
];

async function renderAdminTab(authorize: 'ALLOW' | 'DENY' = 'ALLOW') {
  const api = mockVmApi({
    listInstances: jest.fn().mockResolvedValue(INSTANCES),
  });
  await renderInTestApp(
    <TestApiProvider
      apis={[
        [vmLifecycleApiRef, api],
        [identityApiRef, mockApis.identity()],
        [
          permissionApiRef,
          mockApis.permission({ authorize: authorize as any }),
        ],
        [configApiRef, mockApis.config()],
      ]}
    >
      <VmLifecyclePage />
    </TestApiProvider>,
    {
      routeEntries: ['/all'],
      mountedRoutes: { '/virtual-machines': rootRouteRef },
    },
  );
  return api;
}

const names = () =>
  within(screen.getByRole('table'))
    .queryAllByRole('link')
    .map(a => a.textContent);

describe('All instances (admin)', () => {
  it('is a tab for admins that lists every instance without a filter', async () => {
    const api = await renderAdminTab();
    expect(
      await screen.findByRole('tab', { name: 'All instances' }),
    ).toHaveAttribute('aria-selected', 'true');
    await screen.findByRole('link', { name: 'web-1' });
    expect(api.listInstances).toHaveBeenCalledWith();
    expect(names()).toEqual(
      expect.arrayContaining(['web-1', 'db-1', 'old-1', 'new-1']),
    );
    expect(screen.getByText('4 of 4 instances')).toBeInTheDocument();
  });

  it('filters by phase, owner, failed jobs and time stuck in Deleting', async () => {
    await renderAdminTab();
    await screen.findByRole('link', { name: 'web-1' });

    await userEvent.selectOptions(screen.getByLabelText('Phase'), 'Failed');
    expect(names()).toEqual(['db-1']);
    await userEvent.selectOptions(screen.getByLabelText('Phase'), '');

    await userEvent.selectOptions(
      screen.getByLabelText('Owner'),
      'group:default/team-a',
    );
    expect(names()).toEqual(['web-1']);
    await userEvent.selectOptions(screen.getByLabelText('Owner'), '');

    await userEvent.click(
      screen.getByRole('checkbox', { name: 'With failed jobs' }),
    );
    expect(names().sort()).toEqual(['db-1', 'old-1']);
    await userEvent.click(
      screen.getByRole('checkbox', { name: 'With failed jobs' }),
    );

    await userEvent.click(
      screen.getByRole('checkbox', { name: 'Stuck in Deleting' }),
    );
    expect(names()).toEqual(['old-1']);
    const minutes = screen.getByLabelText('for longer than (minutes)');
    await userEvent.clear(minutes);
    await userEvent.type(minutes, '0');
    await waitFor(() => expect(names().sort()).toEqual(['new-1', 'old-1']));
  });

  it('offers the admin actions on every row, each named after its instance', async () => {
    const api = await renderAdminTab();
    await screen.findByRole('link', { name: 'web-1' });
    expect(screen.getByRole('button', { name: 'Restart web-1' })).toBeEnabled();
    expect(screen.getByRole('button', { name: 'Stop web-1' })).toBeEnabled();
    expect(screen.getByRole('button', { name: 'Delete old-1' })).toBeDisabled();

    await userEvent.click(screen.getByRole('button', { name: 'Delete db-1' }));
    const dialog = await screen.findByRole('dialog', { name: 'Delete db-1?' });
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Delete' }),
    );
    await waitFor(() =>
      expect(api.deleteInstance).toHaveBeenCalledWith('default', 'db-1'),
    );
  });
});
