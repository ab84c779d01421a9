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
import { LifecycleEvent } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { vmLifecycleApiRef, VmLifecycleApi } from '../../api';
import { rootRouteRef } from '../../routes';
import {
  EVENTS_PROVISIONING,
  job,
  makeInstance,
  mockVmApi,
  responseError,
} from '../../__testUtils__/fixtures';
import { VmLifecyclePage } from '../VmLifecyclePage';

function signalsMock() {
  const listeners = new Set<(m: any) => void>();
  return {
    api: {
      subscribe: (_channel: string, onMessage: (m: any) => void) => {
        listeners.add(onMessage);
        return { unsubscribe: () => listeners.delete(onMessage) };
      },
    },
    publish: (message: object) => act(() => listeners.forEach(l => l(message))),
  };
}

async function renderInstancePage(
  api: VmLifecycleApi,
  signals = signalsMock(),
) {
  await renderInTestApp(
    <TestApiProvider
      apis={[
        [vmLifecycleApiRef, api],
        [identityApiRef, mockApis.identity()],
        [permissionApiRef, mockApis.permission()],
        [configApiRef, mockApis.config()],
        [signalApiRef, signals.api],
      ]}
    >
      <VmLifecyclePage />
    </TestApiProvider>,
    {
      routeEntries: ['/default/web-1'],
      mountedRoutes: { '/virtual-machines': rootRouteRef },
    },
  );
  return signals;
}

const PROVISIONING = makeInstance('web-1', {
  phase: 'Starting',
  jobs: [
    job({ jobID: '12', state: 'Running', timestamp: '2026-01-01T10:00:05Z' }),
  ],
});

describe('Instance page', () => {
  it('shows a VM whose provision job is running: phase, jobs, live output and lifecycle', async () => {
    const api = mockVmApi({
      getInstance: jest.fn().mockResolvedValue(PROVISIONING),
      listEvents: jest.fn().mockResolvedValue(EVENTS_PROVISIONING),
      getJobOutput: jest.fn().mockResolvedValue({
        text: 'PLAY [create compute instance]\nTASK [create vm] ***',
        totalChars: 50,
        truncated: false,
      }),
    });
    await renderInstancePage(api);

    expect(
      await screen.findByRole('heading', { name: 'web-1', level: 1 }),
    ).toBeInTheDocument();
    expect(screen.getAllByText('Starting').length).toBeGreaterThan(0);
    expect(
      screen.getByText(
        'A provision job in AAP is building or reconfiguring the VM.',
      ),
    ).toBeInTheDocument();

    const timeline = screen.getByRole('table', { name: 'Job timeline' });
    const row = within(timeline).getByText('Provision job 12').closest('tr')!;
    expect(within(row).getByText('Running')).toBeInTheDocument();
    expect(
      within(row).getByRole('button', {
        name: 'Show output of provision job 12',
      }),
    ).toHaveAttribute('aria-pressed', 'true');

    const log = await screen.findByRole('log', {
      name: 'Output of provision job 12',
    });
    await waitFor(() => expect(log).toHaveTextContent('TASK [create vm]'), {
      timeout: 8000,
    });
    expect(api.getJobOutput).toHaveBeenCalledWith('default', 'web-1', '12');

    expect(screen.getByRole('button', { name: 'Restart' })).toBeEnabled();
    expect(screen.getByRole('button', { name: 'Stop' })).toBeEnabled();
    expect(screen.getByRole('button', { name: 'Delete' })).toBeEnabled();

    const phaseDiagram = await screen.findByRole('img', {
      name: /^Phase state machine of web-1/,
    });
    expect(phaseDiagram.innerHTML).toContain('class Starting current');
    const history = await screen.findByRole('img', {
      name: /^History of web-1/,
    });
    expect(history.innerHTML).toContain(
      'Controller-&gt;&gt;AAP: launch provision job 12',
    );
  });

  it('shows a launch whose answer was lost as "launching…", with no output to ask AAP for', async () => {
    const api = mockVmApi({
      getInstance: jest.fn().mockResolvedValue(
        makeInstance('web-1', {
          phase: 'Starting',
          jobs: [
            job({
              jobID: 'intent:uid-web-1-provision-0a1b',
              launchID: 'uid-web-1-provision-0a1b',
              state: 'Unknown',
              message:
                'The answer to the provision launch was lost; looking for the job by launch id',
            }),
          ],
        }),
      ),
    });
    await renderInstancePage(api);
    const timeline = await screen.findByRole('table', { name: 'Job timeline' });
    const row = within(timeline)
      .getByText('Provision job launching…')
      .closest('tr')!;
    expect(
      within(row).getByText(/looking for the job by launch id/),
    ).toBeInTheDocument();
    expect(
      within(row).queryByRole('button', { name: /Show output/ }),
    ).toBeNull();
    expect(within(row).getByText('no AAP job yet')).toBeInTheDocument();
    expect(screen.queryByText(/intent:/)).toBeNull();
    expect(api.getJobOutput).not.toHaveBeenCalled();
  });

  it("links each AAP job to AAP's web UI, renders Ansible's colours with search, and shows the resource as YAML", async () => {
    const api = mockVmApi({
      getSettings: jest.fn().mockResolvedValue({
        apiGroup: 'osac.openshift.io',
        provider: 'aap',
        store: 'database',
        pollIntervalMs: 2000,
        controllerEnabled: true,
        aapJobUrlTemplate:
          'https://aap.example.com/execution/jobs/{kind}/{id}/output',
      }),
      getInstance: jest.fn().mockResolvedValue(
        makeInstance('web-1', {
          phase: 'Running',
          jobs: [
            job({ jobID: '12', state: 'Succeeded' }),
            job({ jobID: 'workflow-40', state: 'Succeeded' }),
          ],
        }),
      ),
      getJobOutput: jest.fn().mockResolvedValue({
        text: 'TASK [create vm] ***\n\u001b[0;33mchanged: [localhost]\u001b[0m\n',
        totalChars: 48,
        truncated: false,
      }),
    });
    await renderInstancePage(api);

    expect(
      // Backstage's Link adds ", Opens in a new window" to the name.
      await screen.findByRole('link', {
        name: /^Open provision job 12 in AAP/,
      }),
    ).toHaveAttribute(
      'href',
      'https://aap.example.com/execution/jobs/playbook/12/output',
    );
    expect(
      screen.getByRole('link', {
        name: /^Open provision job workflow-40 in AAP/,
      }),
    ).toHaveAttribute(
      'href',
      'https://aap.example.com/execution/jobs/workflow/40/output',
    );

    const log = await screen.findByRole('log', { name: /^Output of/ });
    // The log viewer links anything that looks like a host ("localhost"), so no "]" follows it.
    await waitFor(() => expect(log).toHaveTextContent(/changed: \[localhost/));
    expect(log.textContent).not.toContain('[0;33m');
    expect(within(log).getByRole('textbox')).toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'YAML' }));
    const dialog = await screen.findByRole('dialog', {
      name: 'ComputeInstance web-1',
    });
    // The code snippet's highlighter loads on demand.
    await waitFor(() =>
      expect(dialog).toHaveTextContent('kind: ComputeInstance'),
    );
    expect(dialog).toHaveTextContent('name: web-1');
    expect(
      within(dialog).getByRole('button', { name: /copy/i }),
    ).toBeInTheDocument();
  });

  it('shows the end of a long output and downloads all of it on request', async () => {
    const whole = `${'x'.repeat(5000)}\nPLAY RECAP ok=5`;
    const api = mockVmApi({
      getInstance: jest.fn().mockResolvedValue(
        makeInstance('web-1', {
          phase: 'Running',
          jobs: [job({ jobID: '12', state: 'Succeeded' })],
        }),
      ),
      getJobOutput: jest.fn().mockResolvedValue({
        text: '[5000 earlier characters not shown]\nPLAY RECAP ok=5',
        totalChars: whole.length,
        truncated: true,
      }),
      getFullJobOutput: jest.fn().mockResolvedValue(whole),
    });
    const created: Blob[] = [];
    const createObjectURL = jest.fn((blob: Blob) => {
      created.push(blob);
      return 'blob:job-12';
    });
    const revokeObjectURL = jest.fn();
    Object.assign(URL, { createObjectURL, revokeObjectURL });
    const clicks: string[] = [];
    const click = jest
      .spyOn(HTMLAnchorElement.prototype, 'click')
      .mockImplementation(function record(this: HTMLAnchorElement) {
        clicks.push(`${this.download} ${this.href}`);
      });
    await renderInstancePage(api);

    const log = await screen.findByRole('log', {
      name: 'Output of provision job 12',
    });
    await waitFor(() => expect(log).toHaveTextContent('PLAY RECAP ok=5'));
    expect(
      screen.getByText(
        /Only the end of the output is shown \(5,016 characters/,
      ),
    ).toBeInTheDocument();
    await userEvent.click(
      screen.getByRole('button', { name: 'Download full output' }),
    );
    await waitFor(() =>
      expect(clicks).toEqual(['default-web-1-job-12.txt blob:job-12']),
    );
    expect(api.getFullJobOutput).toHaveBeenCalledWith('default', 'web-1', '12');
    expect(await created[0].text()).toBe(whole);
    expect(revokeObjectURL).toHaveBeenCalledWith('blob:job-12');
    click.mockRestore();
  });

  it('explains that deleting now cancels the running provision job, and deletes on confirm', async () => {
    const api = mockVmApi({
      getInstance: jest.fn().mockResolvedValue(PROVISIONING),
    });
    await renderInstancePage(api);
    await userEvent.click(
      await screen.findByRole('button', { name: 'Delete' }),
    );

    const dialog = await screen.findByRole('dialog', { name: 'Delete web-1?' });
    expect(dialog).toHaveTextContent(
      'web-1 is still being provisioned. Its running provision job 12 will be cancelled first',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Delete' }),
    );
    await waitFor(() =>
      expect(api.deleteInstance).toHaveBeenCalledWith('default', 'web-1'),
    );
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
  });

  it('does not mention a cancel when nothing is running', async () => {
    const running = makeInstance('web-1', {
      phase: 'Running',
      jobs: [job({ jobID: '12', state: 'Succeeded' })],
    });
    await renderInstancePage(
      mockVmApi({ getInstance: jest.fn().mockResolvedValue(running) }),
    );
    await userEvent.click(
      await screen.findByRole('button', { name: 'Delete' }),
    );
    const dialog = await screen.findByRole('dialog', { name: 'Delete web-1?' });
    expect(dialog).not.toHaveTextContent('cancelled');
    expect(dialog).toHaveTextContent('deprovision job');
  });

  it('keeps the dialog open and shows why a delete failed', async () => {
    const error = await responseError(
      403,
      'NotAllowedError',
      'You may not delete web-1',
    );
    const api = mockVmApi({
      getInstance: jest.fn().mockResolvedValue(PROVISIONING),
      deleteInstance: jest.fn().mockRejectedValue(error),
    });
    await renderInstancePage(api);
    await userEvent.click(
      await screen.findByRole('button', { name: 'Delete' }),
    );
    const dialog = await screen.findByRole('dialog', { name: 'Delete web-1?' });
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Delete' }),
    );
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'You may not delete web-1',
    );
  });

  it('stops and starts the VM through its run strategy, and restarts it', async () => {
    const running = makeInstance('web-1', {
      phase: 'Running',
      jobs: [job({ jobID: '1', state: 'Succeeded' })],
    });
    const api = mockVmApi({
      getInstance: jest.fn().mockResolvedValue(running),
    });
    await renderInstancePage(api);
    await userEvent.click(await screen.findByRole('button', { name: 'Stop' }));
    await waitFor(() =>
      expect(api.setRunStrategy).toHaveBeenCalledWith(
        'default',
        'web-1',
        'Halted',
      ),
    );
    await userEvent.click(screen.getByRole('button', { name: 'Restart' }));
    await waitFor(() =>
      expect(api.restartInstance).toHaveBeenCalledWith('default', 'web-1'),
    );
  });

  it('offers Start for a stopped VM', async () => {
    const stopped = makeInstance('web-1', {
      phase: 'Stopped',
      runStrategy: 'Halted',
    });
    const api = mockVmApi({
      getInstance: jest.fn().mockResolvedValue(stopped),
    });
    await renderInstancePage(api);
    await userEvent.click(await screen.findByRole('button', { name: 'Start' }));
    await waitFor(() =>
      expect(api.setRunStrategy).toHaveBeenCalledWith(
        'default',
        'web-1',
        'Always',
      ),
    );
  });

  it('follows a delete to the end and then offers the way back to the list', async () => {
    const deleting = makeInstance('web-1', {
      phase: 'Deleting',
      deletionTimestamp: '2026-01-01T10:00:10Z',
      jobs: [
        job({
          jobID: '12',
          state: 'Canceled',
          timestamp: '2026-01-01T10:00:05Z',
        }),
        job({
          jobID: '13',
          type: 'deprovision',
          state: 'Running',
          timestamp: '2026-01-01T10:00:14Z',
          blockDeletionOnFailure: true,
        }),
      ],
    });
    const events: LifecycleEvent[] = [
      ...EVENTS_PROVISIONING,
      {
        timestamp: '2026-01-01T10:00:10Z',
        type: 'Normal',
        reason: 'DeletionStarted',
        message: '',
      },
      {
        timestamp: '2026-01-01T10:00:11Z',
        type: 'Normal',
        reason: 'CancelRequested',
        message: '',
        jobID: '12',
      },
      {
        timestamp: '2026-01-01T10:00:13Z',
        type: 'Normal',
        reason: 'ProvisionJobCanceled',
        message: '',
        jobID: '12',
      },
      {
        timestamp: '2026-01-01T10:00:14Z',
        type: 'Normal',
        reason: 'DeprovisionJobLaunched',
        message: '',
        jobID: '13',
      },
    ];
    const notFound = await responseError(
      404,
      'NotFoundError',
      'web-1 not found',
    );
    const api = mockVmApi({
      getInstance: jest
        .fn()
        .mockResolvedValueOnce(deleting)
        .mockRejectedValue(notFound),
      listEvents: jest
        .fn()
        .mockResolvedValueOnce(events)
        .mockRejectedValue(notFound),
    });
    const signals = await renderInstancePage(api);

    expect(await screen.findByText('Deleting web-1')).toBeInTheDocument();
    expect(
      screen.getByText(/The deprovision job 13 is removing the VM/),
    ).toBeInTheDocument();
    const timeline = screen.getByRole('table', { name: 'Job timeline' });
    const provision = within(timeline)
      .getByText('Provision job 12')
      .closest('tr')!;
    expect(within(provision).getByText('Canceled')).toBeInTheDocument();
    expect(within(provision).getByText('8s')).toBeInTheDocument();
    expect(within(timeline).getAllByText(/^Deprovision job/)).toHaveLength(1);
    expect(screen.getByRole('button', { name: 'Delete' })).toBeDisabled();

    signals.publish({
      type: 'instance',
      namespace: 'default',
      name: 'web-1',
      resourceVersion: '9',
      deleted: true,
    });

    expect(
      await screen.findByText('web-1 has been deleted'),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('link', { name: 'Back to Virtual Machines' }),
    ).toHaveAttribute('href', '/virtual-machines');
    // What happened stays readable, completed with what the removal proves.
    const finalTimeline = screen.getByRole('table', { name: 'Job timeline' });
    const deprovisionRow = within(finalTimeline)
      .getByText('Deprovision job 13')
      .closest('tr')!;
    expect(within(deprovisionRow).getByText('Succeeded')).toBeInTheDocument();
    expect(screen.getByRole('status', { name: 'Phase' })).toHaveTextContent(
      'Deleted',
    );
    expect(
      screen.queryByRole('button', { name: 'Delete' }),
    ).not.toBeInTheDocument();
  });

  it('says so when the VM does not exist', async () => {
    const notFound = await responseError(404, 'NotFoundError', 'not found');
    await renderInstancePage(
      mockVmApi({ getInstance: jest.fn().mockRejectedValue(notFound) }),
    );
    expect(
      await screen.findByText(
        'There is no VM named web-1 in namespace default',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('link', { name: 'Back to Virtual Machines' }),
    ).toBeInTheDocument();
  });

  it('shows other load failures with a retry', async () => {
    const api = mockVmApi({
      getInstance: jest
        .fn()
        .mockRejectedValueOnce(new Error('Failed to fetch'))
        .mockResolvedValue(PROVISIONING),
    });
    await renderInstancePage(api);
    expect(await screen.findByText('Failed to fetch')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(
      await screen.findByRole('table', { name: 'Job timeline' }),
    ).toBeInTheDocument();
  });
});
