import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { configApiRef, identityApiRef } from '@backstage/core-plugin-api';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { Entity } from '@backstage/catalog-model';
import { vmLifecycleApiRef, VmLifecycleApi } from '../../api';
import { rootRouteRef } from '../../routes';
import {
  job,
  makeInstance,
  mockVmApi,
  pageOf,
} from '../../__testUtils__/fixtures';
import { EntityVmLifecycleCard } from './EntityVmLifecycleCard';

const TEAM_A: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: { name: 'team-a', namespace: 'default' },
  spec: { type: 'team', children: [] },
};

const PAYMENTS: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'payments', namespace: 'default' },
  spec: { type: 'service', lifecycle: 'production', owner: 'team-a' },
  relations: [{ type: 'ownedBy', targetRef: 'group:default/team-a' }],
};

async function renderCard(api: VmLifecycleApi, entity: Entity = TEAM_A) {
  await renderInTestApp(
    <TestApiProvider
      apis={[
        [vmLifecycleApiRef, api],
        [identityApiRef, mockApis.identity()],
        [configApiRef, mockApis.config()],
      ]}
    >
      <EntityProvider entity={entity}>
        <EntityVmLifecycleCard />
      </EntityProvider>
    </TestApiProvider>,
    { mountedRoutes: { '/virtual-machines': rootRouteRef } },
  );
}

describe('EntityVmLifecycleCard', () => {
  it('lists the VMs the entity owns', async () => {
    const api = mockVmApi({
      listInstancePage: jest.fn().mockResolvedValue(
        pageOf([
          makeInstance('team-vm', {
            phase: 'Running',
            owner: 'group:default/team-a',
            ipAddress: '10.0.0.9',
            jobs: [job({ jobID: '5', state: 'Succeeded' })],
          }),
        ]),
      ),
    });
    await renderCard(api);
    expect(
      await screen.findByRole('link', { name: 'team-vm' }),
    ).toHaveAttribute('href', '/virtual-machines/default/team-vm');
    expect(api.listInstancePage).toHaveBeenCalledWith({
      owner: 'group:default/team-a',
      sort: 'name',
      order: 'asc',
      limit: 10,
      continue: undefined,
    });
    // One page: no pager.
    expect(screen.queryByRole('navigation', { name: 'Pages' })).toBeNull();
    const list = screen.getByRole('list', {
      name: 'Virtual machines of team-a',
    });
    expect(within(list).getByText('Running')).toBeInTheDocument();
    expect(within(list).getByText(/10\.0\.0\.9/)).toBeInTheDocument();
  });

  it("pages through many VMs with the server's continue token", async () => {
    const first = Array.from({ length: 10 }, (_, i) =>
      makeInstance(`vm-${String(i).padStart(2, '0')}`, {
        owner: 'group:default/team-a',
      }),
    );
    const api = mockVmApi({
      listInstancePage: jest.fn(async query =>
        query?.continue === 'after-vm-09'
          ? pageOf([makeInstance('vm-10', { owner: 'group:default/team-a' })])
          : pageOf(first, { continue: 'after-vm-09', remainingItemCount: 1 }),
      ),
    });
    await renderCard(api);
    await screen.findByRole('link', { name: 'vm-00' });
    const pager = screen.getByRole('navigation', { name: 'Pages' });
    expect(within(pager).getByText('1–10 of 11')).toBeInTheDocument();
    expect(
      within(pager).getByRole('button', { name: 'Previous page' }),
    ).toBeDisabled();
    await userEvent.click(
      within(pager).getByRole('button', { name: 'Next page' }),
    );
    expect(await screen.findByRole('link', { name: 'vm-10' })).toBeVisible();
    expect(screen.queryByRole('link', { name: 'vm-00' })).toBeNull();
    expect(api.listInstancePage).toHaveBeenLastCalledWith(
      expect.objectContaining({ continue: 'after-vm-09', limit: 10 }),
    );
    expect(screen.getByText('11–11 of 11')).toBeInTheDocument();
    await userEvent.click(
      screen.getByRole('button', { name: 'Previous page' }),
    );
    expect(await screen.findByRole('link', { name: 'vm-00' })).toBeVisible();
  });

  it('says when the entity owns none', async () => {
    await renderCard(mockVmApi());
    expect(
      await screen.findByText(/team-a owns no virtual machines yet/),
    ).toBeInTheDocument();
  });

  it('requests a VM owned by the entity', async () => {
    const api = mockVmApi();
    await renderCard(api);
    await userEvent.click(
      await screen.findByRole('button', { name: 'Request VM' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Request a virtual machine',
    });
    expect(await within(dialog).findByLabelText('Owner')).toHaveValue(
      'group:default/team-a',
    );
    await userEvent.type(within(dialog).getByLabelText(/^Name\W*$/), 'team-vm');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Request' }),
    );
    await waitFor(() => expect(api.createInstance).toHaveBeenCalled());
    expect(api.createInstance.mock.calls[0][0].metadata.annotations).toEqual({
      'osac.openshift.io/owner': 'group:default/team-a',
    });
  });

  it('shows why the list could not be loaded', async () => {
    await renderCard(
      mockVmApi({
        listInstancePage: jest.fn().mockRejectedValue(new Error('nope')),
      }),
    );
    expect(
      await screen.findByText(
        /Could not load the virtual machines of team-a: nope/,
      ),
    ).toBeInTheDocument();
  });

  it("on a component's page, requests a VM owned by the component's group that names the component", async () => {
    const api = mockVmApi();
    await renderCard(api, PAYMENTS);
    await userEvent.click(
      await screen.findByRole('button', { name: 'Request VM' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Request a virtual machine',
    });
    expect(await within(dialog).findByLabelText('Owner')).toHaveValue(
      'group:default/team-a',
    );
    await userEvent.type(within(dialog).getByLabelText(/^Name\W*$/), 'pay-vm');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Request' }),
    );
    await waitFor(() => expect(api.createInstance).toHaveBeenCalled());
    expect(api.createInstance.mock.calls[0][0].metadata.annotations).toEqual({
      'osac.openshift.io/owner': 'group:default/team-a',
      'osac.openshift.io/component': 'component:default/payments',
    });
  });

  it("on a component's page, asks the server for the owner's VMs that name the component", async () => {
    const payVm = makeInstance('pay-vm', { owner: 'group:default/team-a' });
    payVm.metadata.annotations['osac.openshift.io/component'] =
      'component:default/payments';
    const api = mockVmApi({
      listInstancePage: jest.fn().mockResolvedValue(pageOf([payVm])),
    });
    await renderCard(api, PAYMENTS);
    expect(await screen.findByRole('link', { name: 'pay-vm' })).toBeVisible();
    expect(api.listInstancePage).toHaveBeenCalledWith({
      owner: 'group:default/team-a',
      component: 'component:default/payments',
      sort: 'name',
      order: 'asc',
      limit: 10,
      continue: undefined,
    });
  });

  it("on a system's page, lists the VMs of the system's components", async () => {
    const shop: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'System',
      metadata: { name: 'shop', namespace: 'default' },
      spec: { owner: 'team-a' },
      relations: [
        { type: 'ownedBy', targetRef: 'group:default/team-a' },
        { type: 'hasPart', targetRef: 'component:default/payments' },
      ],
    };
    const payVm = makeInstance('pay-vm', { owner: 'group:default/team-a' });
    payVm.metadata.annotations['osac.openshift.io/component'] =
      'component:default/payments';
    const api = mockVmApi({
      listInstancePage: jest
        .fn()
        .mockResolvedValue(
          pageOf([
            payVm,
            makeInstance('team-vm', { owner: 'group:default/team-a' }),
          ]),
        ),
    });
    await renderCard(api, shop);
    expect(await screen.findByRole('link', { name: 'pay-vm' })).toBeVisible();
    expect(screen.queryByRole('link', { name: 'team-vm' })).toBeNull();
  });
});
