import { ReactNode } from 'react';
import {
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
  StatusWarning,
} from '@backstage/core-components';
import { JobState, Phase } from '@vm-selfservice/plugin-vm-lifecycle-common';

export type StatusKind =
  'ok' | 'error' | 'warning' | 'pending' | 'running' | 'aborted';

const COMPONENTS = {
  ok: StatusOK,
  error: StatusError,
  warning: StatusWarning,
  pending: StatusPending,
  running: StatusRunning,
  aborted: StatusAborted,
};

/*
 * Backstage's Status components hide themselves from assistive technology (aria-hidden) and
 * expect a label next to them. Here the text IS the label, so it is made readable again.
 */
const readable = { 'aria-hidden': undefined, 'aria-label': undefined };

/** Body text by default, so a status sits in a table row like the text next to it. */
export type StatusVariant = 'body2' | 'body1' | 'h6';

export const StatusLabel = (props: {
  kind: StatusKind;
  children: ReactNode;
  variant?: StatusVariant;
}) => {
  const Component = COMPONENTS[props.kind];
  // The Status components pass extra props on to their Typography.
  const extra = { ...readable, variant: props.variant ?? 'body2' } as {};
  return <Component {...extra}>{props.children}</Component>;
};

const PHASE_KINDS: Record<Phase, StatusKind> = {
  Running: 'ok',
  Starting: 'running',
  Stopping: 'running',
  Deleting: 'running',
  Stopped: 'aborted',
  Paused: 'warning',
  Failed: 'error',
};

/** The phase as a status indicator; before the controller sets one the VM is "Requested". */
export const PhaseStatus = (props: {
  phase?: Phase;
  variant?: StatusVariant;
}) =>
  props.phase ? (
    <StatusLabel
      kind={PHASE_KINDS[props.phase] ?? 'warning'}
      variant={props.variant}
    >
      {props.phase}
    </StatusLabel>
  ) : (
    <StatusLabel kind="pending" variant={props.variant}>
      Requested
    </StatusLabel>
  );

const JOB_KINDS: Record<JobState, StatusKind> = {
  Pending: 'pending',
  Waiting: 'pending',
  Running: 'running',
  Succeeded: 'ok',
  Failed: 'error',
  Canceled: 'aborted',
  Unknown: 'warning',
};

export const JobStateStatus = (props: { state: JobState }) => (
  <StatusLabel kind={JOB_KINDS[props.state] ?? 'warning'}>
    {props.state}
  </StatusLabel>
);
