import { LifecycleEvent } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { historySequenceDiagram } from './historyDiagram';

let clock = Date.parse('2026-01-01T10:00:00Z');
function event(
  reason: string,
  message = '',
  extra: Partial<LifecycleEvent> = {},
): LifecycleEvent {
  clock += 1000;
  return {
    timestamp: new Date(clock).toISOString(),
    type: 'Normal',
    reason,
    message,
    ...extra,
  };
}

/** The body of the diagram without the header and participants. */
function steps(text: string): string[] {
  return text
    .trim()
    .split('\n')
    .slice(4)
    .map(l => l.trim());
}

describe('historySequenceDiagram', () => {
  it('declares the portal, the controller and AAP', () => {
    const text = historySequenceDiagram({ name: 'web-1', events: [] });
    expect(text.split('\n').slice(0, 4)).toEqual([
      'sequenceDiagram',
      '  participant Portal as Portal (you)',
      '  participant Controller as Backend controller',
      '  participant AAP as AAP',
    ]);
    expect(steps(text)).toEqual([
      'Note over Portal,AAP: nothing has happened yet',
    ]);
  });

  it('shows a successful provisioning', () => {
    const text = historySequenceDiagram({
      name: 'web-1',
      requestedAt: '2026-01-01T10:00:00Z',
      events: [
        event('ProvisionJobLaunched', 'Launched provision job 7', {
          jobID: '7',
        }),
        event('JobStateChanged', 'Job 7 is Running', { jobID: '7' }),
        event('ProvisionJobSucceeded', 'Job 7 succeeded', { jobID: '7' }),
      ],
    });
    expect(steps(text)).toEqual([
      'Portal->>Controller: request VM web-1',
      'Controller->>AAP: launch provision job 7',
      'AAP-->>Controller: Job 7 is Running',
      'AAP-->>Controller: provision job 7 successful',
      'Controller-->>Portal: VM provisioned',
    ]);
  });

  it('shows a delete during provisioning: launch, cancel, canceled, one deprovision, finalizer removed', () => {
    const text = historySequenceDiagram({
      name: 'doomed',
      requestedAt: '2026-01-01T10:00:00Z',
      events: [
        event('ProvisionJobLaunched', '', { jobID: '12' }),
        event('DeletionStarted', 'Deletion requested'),
        event('CancelRequested', 'Cancelling provision job 12', {
          jobID: '12',
        }),
        event('ProvisionJobCanceled', '', { jobID: '12' }),
        event('DeprovisionJobLaunched', '', { jobID: '13' }),
        event('DeprovisionJobSucceeded', '', { jobID: '13' }),
        event('FinalizerRemoved', 'Finalizer removed'),
      ],
    });
    expect(steps(text)).toEqual([
      'Portal->>Controller: request VM doomed',
      'Controller->>AAP: launch provision job 12',
      'Portal->>Controller: delete doomed',
      'Note over Controller: phase Deleting, the finalizer keeps the record',
      'Controller->>AAP: cancel provision job 12',
      'AAP-->>Controller: provision job 12 canceled',
      'Controller->>AAP: launch deprovision job 13',
      'AAP-->>Controller: deprovision job 13 successful',
      'Note over Controller: finalizer removed',
      'Controller-->>Portal: instance deleted',
    ]);
    expect(text.match(/launch deprovision job/g)).toHaveLength(1);
  });

  it('shows failures as lost messages with the controller message as a note', () => {
    const text = historySequenceDiagram({
      name: 'web-1',
      events: [
        event('ProvisionJobFailed', 'Traceback: disk full; no space left', {
          jobID: '3',
          type: 'Warning',
        }),
        event('DeprovisionJobFailed', '', { jobID: '4', type: 'Warning' }),
        event('LaunchRateLimited', 'HTTP 429', { type: 'Warning' }),
        event('AapAuthenticationFailed', '401', { type: 'Warning' }),
      ],
    });
    expect(steps(text)).toEqual([
      'AAP--xController: provision job 3 failed',
      'Note over Controller,AAP: Traceback: disk full, no space left',
      'AAP--xController: deprovision job 4 failed',
      'AAP--xController: rate limited, retry later',
      'AAP--xController: authentication failed, check the AAP token',
    ]);
  });

  it.each([
    [
      'DeprovisionSkipped',
      'no aap finalizer',
      'Note over Controller: deprovision skipped',
    ],
    ['RestartApplied', '', 'Note over Controller: restart applied'],
    ['StatusPollFailed', '', 'Controller-xAAP: poll job 5 status failed'],
    ['TemplateNotFound', '', 'AAP--xController: job template not found'],
    [
      'ConfigurationError',
      'no token',
      'Note over Controller: configuration error: no token',
    ],
    ['LaunchFailed', '', 'Controller-xAAP: launch failed'],
    [
      'DeprovisionJobCanceled',
      '',
      'AAP--xController: deprovision job 5 canceled',
    ],
  ])('maps %s', (reason, message, expected) => {
    const text = historySequenceDiagram({
      name: 'x',
      events: [event(reason, message, { jobID: '5' })],
    });
    expect(steps(text)[0]).toBe(expected);
  });

  it('ends with the removal the portal saw when the last events could not be read', () => {
    const text = historySequenceDiagram({
      name: 'doomed',
      deleted: true,
      events: [
        event('DeletionStarted'),
        event('DeprovisionJobLaunched', '', { jobID: '13' }),
      ],
    });
    expect(steps(text).slice(-2)).toEqual([
      'Note over Controller: deprovisioning finished, record removed',
      'Controller-->>Portal: instance deleted',
    ]);
    const complete = historySequenceDiagram({
      name: 'doomed',
      deleted: true,
      events: [event('FinalizerRemoved')],
    });
    expect(complete.match(/instance deleted/g)).toHaveLength(1);
  });

  it('turns a reason it does not know into a generic note', () => {
    const text = historySequenceDiagram({
      name: 'x',
      events: [event('QuotaExceeded', 'Project over quota')],
    });
    expect(steps(text)).toEqual([
      'Note over Controller: QuotaExceeded: Project over quota',
    ]);
  });

  it('keeps messages from breaking the diagram', () => {
    const text = historySequenceDiagram({
      name: 'x',
      events: [
        event('Mystery', 'line one\nline two; # 100% <b>bold</b>'),
        event('Mystery', 'x'.repeat(500)),
      ],
    });
    const [first, second] = steps(text);
    expect(first).toBe(
      'Note over Controller: Mystery: line one line two, no. 100 percent bbold/b',
    );
    expect(second.length).toBeLessThan(130);
    expect(second.endsWith('…')).toBe(true);
  });
});
