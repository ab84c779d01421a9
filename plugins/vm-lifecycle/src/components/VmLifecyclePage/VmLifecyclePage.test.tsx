import { screen } from '@testing-library/react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { VmLifecycleApi, vmLifecycleApiRef } from '../../api';
import { VmLifecyclePage } from './VmLifecyclePage';

function apiWith(getHealth: VmLifecycleApi['getHealth']): VmLifecycleApi {
  return { getHealth };
}

describe('VmLifecyclePage', () => {
  it('shows the page title and a healthy backend', async () => {
    await renderInTestApp(
      <TestApiProvider apis={[[vmLifecycleApiRef, apiWith(async () => ({ status: 'ok' }))]]}>
        <VmLifecyclePage />
      </TestApiProvider>,
    );
    expect(screen.getByRole('heading', { name: 'Virtual Machines' })).toBeInTheDocument();
    expect(await screen.findByText('Controller backend is healthy')).toBeInTheDocument();
  });

  it('shows an error panel when the backend cannot be reached', async () => {
    await renderInTestApp(
      <TestApiProvider
        apis={[[vmLifecycleApiRef, apiWith(async () => { throw new Error('connect ECONNREFUSED'); })]]}
      >
        <VmLifecyclePage />
      </TestApiProvider>,
    );
    expect(await screen.findByText('Error: The VM backend is not reachable')).toBeInTheDocument();
    expect(screen.getByText(/ECONNREFUSED/)).toBeInTheDocument();
  });
});
