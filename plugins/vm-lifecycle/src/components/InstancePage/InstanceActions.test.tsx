import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { vmLifecycleApiRef } from '../../api';
import { makeInstance, mockVmApi } from '../../__testUtils__/fixtures';
import { InstanceActions } from './InstanceActions';

describe('InstanceActions', () => {
  it('disables what the policy denies for this instance and says why, without asking the backend', async () => {
    const api = mockVmApi();
    const permissionApi = mockApis.permission({
      // The policy lets this user delete but not change the VM.
      authorize: request =>
        request.permission.name === 'vm-lifecycle.instance.delete'
          ? AuthorizeResult.ALLOW
          : AuthorizeResult.DENY,
    });
    const authorize = jest.spyOn(permissionApi, 'authorize');
    await renderInTestApp(
      <TestApiProvider
        apis={[
          [vmLifecycleApiRef, api],
          [permissionApiRef, permissionApi],
        ]}
      >
        <InstanceActions
          instance={makeInstance('web-9', { namespace: 'team-a' })}
        />
      </TestApiProvider>,
    );
    const restart = await screen.findByRole('button', { name: 'Restart' });
    expect(restart).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Stop' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Delete' })).toBeEnabled();
    // The decision was asked for this very instance (a resource permission).
    expect(authorize).toHaveBeenCalledWith(
      expect.objectContaining({ resourceRef: 'team-a/web-9' }),
    );
    await userEvent.hover(restart.parentElement!);
    expect(
      await screen.findByText(
        'You may not change web-9: only its requester, its owners and admins may',
      ),
    ).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Delete' }));
    expect(
      within(await screen.findByRole('dialog')).getByText(/web-9/),
    ).toBeInTheDocument();
    expect(api.restartInstance).not.toHaveBeenCalled();
    expect(api.setRunStrategy).not.toHaveBeenCalled();
  });
});
