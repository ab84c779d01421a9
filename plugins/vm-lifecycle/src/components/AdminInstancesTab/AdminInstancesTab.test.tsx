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
import {
  job,
  makeInstance,
  mockVmApi,
  pageOf,
} from '../../__testUtils__/fixtures';
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
    // The server filters; this answer only has to show that the page is rendered as given.
    listInstancePage: jest.fn(async () => pageOf(INSTANCES)),
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
  it('is a tab for admins that asks the server for every instance, newest first', async () => {
    const api = await renderAdminTab();
    expect(
      await screen.findByRole('tab', { name: 'All instances' }),
    ).toHaveAttribute('aria-selected', 'true');
    await screen.findByRole('link', { name: 'web-1' });
    expect(api.listInstancePage).toHaveBeenCalledWith({
      sort: 'creationTimestamp',
      order: 'desc',
      limit: 20,
      continue: undefined,
    });
    expect(names()).toEqual(['web-1', 'db-1', 'old-1', 'new-1']);
    expect(screen.getByText('4 instances')).toBeInTheDocument();
  });

  it('sends phase, owner, failed jobs, time stuck in Deleting and name search to the server', async () => {
    const api = await renderAdminTab();
    await screen.findByRole('link', { name: 'web-1' });
    const lastQuery = () => api.listInstancePage.mock.calls.at(-1)?.[0];

    await userEvent.selectOptions(screen.getByLabelText('Phase'), 'Failed');
    await waitFor(() => expect(lastQuery()).toMatchObject({ phase: 'Failed' }));
    await userEvent.selectOptions(
      screen.getByLabelText('Phase'),
      'Requested (no phase yet)',
    );
    await waitFor(() => expect(lastQuery()).toMatchObject({ phase: 'None' }));
    await userEvent.selectOptions(screen.getByLabelText('Phase'), '');

    await userEvent.type(screen.getByLabelText('Owner'), 'team-a');
    await waitFor(() =>
      expect(lastQuery()).toMatchObject({ owner: 'group:default/team-a' }),
    );
    expect(lastQuery()).not.toHaveProperty('phase');

    await userEvent.click(
      screen.getByRole('checkbox', { name: 'With failed jobs' }),
    );
    await waitFor(() =>
      expect(lastQuery()).toMatchObject({ failedJobs: true }),
    );

    await userEvent.click(
      screen.getByRole('checkbox', { name: 'Stuck in Deleting' }),
    );
    await waitFor(() =>
      expect(lastQuery()).toMatchObject({ stuckDeletingMinutes: 10 }),
    );
    const minutes = screen.getByLabelText('for longer than (minutes)');
    await userEvent.clear(minutes);
    await userEvent.type(minutes, '30');
    await waitFor(() =>
      expect(lastQuery()).toMatchObject({ stuckDeletingMinutes: 30 }),
    );

    await userEvent.type(screen.getByLabelText('Search by name'), 'db');
    await waitFor(() =>
      expect(lastQuery()).toEqual({
        owner: 'group:default/team-a',
        failedJobs: true,
        stuckDeletingMinutes: 30,
        search: 'db',
        sort: 'creationTimestamp',
        order: 'desc',
        limit: 20,
        continue: undefined,
      }),
    );
    expect(screen.getByText('4 matching instances')).toBeInTheDocument();
  });

  it('says an owner that is not an entity ref is not one, and does not send it', async () => {
    const api = await renderAdminTab();
    await screen.findByRole('link', { name: 'web-1' });
    await userEvent.type(screen.getByLabelText('Owner'), 'a:b:c');
    expect(
      await screen.findByText('An entity ref such as group:default/team-a'),
    ).toBeInTheDocument();
    await new Promise(r => setTimeout(r, 600));
    for (const [query] of api.listInstancePage.mock.calls)
      expect(query).not.toHaveProperty('owner');
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
