import { screen } from '@testing-library/react';
import { mockApis, renderTestApp } from '@backstage/frontend-test-utils';
import { vmLifecycleApiRef } from './api';
import { makeInstance, mockVmApi, pageOf } from './__testUtils__/fixtures';
import plugin from './alpha';

describe('the new frontend system plugin (/alpha)', () => {
  it('offers the API, the page with its nav item, the entity card and the entity tab', () => {
    for (const id of [
      'api:vm-lifecycle',
      'page:vm-lifecycle',
      'entity-card:vm-lifecycle/instances',
      'entity-content:vm-lifecycle/instances',
    ]) {
      expect(plugin.getExtension(id as any)).toBeDefined();
    }
  });

  it("renders the Virtual Machines page in an app with the caller's VMs", async () => {
    const api = mockVmApi({
      listInstancePage: jest.fn(async () =>
        pageOf([makeInstance('web-1', { phase: 'Running' })]),
      ),
    });
    renderTestApp({
      features: [plugin],
      initialRouteEntries: ['/virtual-machines'],
      apis: [
        [vmLifecycleApiRef, api],
        mockApis.identity({ userEntityRef: 'user:default/guest' }),
        mockApis.permission(),
      ],
    });
    expect(
      await screen.findByRole('link', { name: 'web-1' }),
    ).toBeInTheDocument();
    expect(api.listInstancePage).toHaveBeenCalledWith(
      expect.objectContaining({ requestedBy: 'user:default/guest' }),
    );
  });
});
