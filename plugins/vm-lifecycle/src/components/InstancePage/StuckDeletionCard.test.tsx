import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import {
  ComputeInstance,
  vmInstanceDeletionReleasePermission,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { vmLifecycleApiRef } from '../../api';
import { makeInstance, mockVmApi } from '../../__testUtils__/fixtures';
import { StuckDeletionCard } from './StuckDeletionCard';

/** A fresh name per test: usePermission caches its answers by resource across renders. */
const blocked = (name: string): ComputeInstance => {
  const i = makeInstance(name, {
    phase: 'Deleting',
    deletionTimestamp: '2026-01-01T11:00:00Z',
  });
  i.status.conditions = [
    {
      type: 'DeletionBlocked',
      status: 'True',
      reason: 'DeprovisionFailed',
      message:
        'Deprovision job 43 failed: host unreachable. next attempt at 2026-01-01T11:30:00.000Z',
      lastTransitionTime: '2026-01-01T11:02:00Z',
    },
  ];
  return i;
};

async function renderCard(instance: ComputeInstance, admin: boolean) {
  const api = mockVmApi();
  await renderInTestApp(
    <TestApiProvider
      apis={[
        [vmLifecycleApiRef, api],
        [
          permissionApiRef,
          mockApis.permission({
            authorize: request =>
              !admin &&
              request.permission.name ===
                vmInstanceDeletionReleasePermission.name
                ? ('DENY' as any)
                : ('ALLOW' as any),
          }),
        ],
      ]}
    >
      <StuckDeletionCard instance={instance} />
    </TestApiProvider>,
  );
  return api;
}

describe('StuckDeletionCard', () => {
  it('says why the deletion waits; the requester may retry now but not release', async () => {
    const api = await renderCard(blocked('db-1'), false);
    const card = await screen.findByRole('region', {
      name: 'Deletion blocked',
    });
    expect(card).toHaveTextContent('DeprovisionFailed');
    expect(card).toHaveTextContent('next attempt at 2026-01-01T11:30:00.000Z');
    await waitFor(() =>
      expect(screen.getByRole('button', { name: 'Release…' })).toBeDisabled(),
    );
    await userEvent.click(screen.getByRole('button', { name: 'Retry now' }));
    await waitFor(() =>
      expect(api.retryDeletion).toHaveBeenCalledWith('default', 'db-1'),
    );
  });

  it('an admin releases only with a confirmation and a reason', async () => {
    const api = await renderCard(blocked('db-2'), true);
    const release = await screen.findByRole('button', { name: 'Release…' });
    await waitFor(() => expect(release).toBeEnabled());
    await userEvent.click(release);
    const dialog = await screen.findByRole('dialog', { name: 'Release db-2?' });
    const submit = within(dialog).getByRole('button', { name: 'Release' });
    expect(submit).toBeDisabled();
    await userEvent.click(
      within(dialog).getByLabelText('I checked: the VM no longer exists'),
    );
    await userEvent.type(
      within(dialog).getByRole('textbox', { name: 'Reason' }),
      'short',
    );
    expect(submit).toBeDisabled();
    await userEvent.type(
      within(dialog).getByRole('textbox', { name: 'Reason' }),
      ' but deleted by hand, OPS-1',
    );
    await waitFor(() => expect(submit).toBeEnabled());
    await userEvent.click(submit);
    await waitFor(() =>
      expect(api.releaseDeletion).toHaveBeenCalledWith('default', 'db-2', {
        confirm: 'vm-gone',
        reason: 'short but deleted by hand, OPS-1',
      }),
    );
  });

  it('shows nothing while nothing blocks the deletion', async () => {
    await renderCard(makeInstance('web-1', { phase: 'Running' }), true);
    expect(
      screen.queryByRole('region', { name: 'Deletion blocked' }),
    ).not.toBeInTheDocument();
  });
});
