import { InfoCard } from '@backstage/core-components';
import { Grid } from '@material-ui/core';
import {
  LifecycleEvent,
  Phase,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { historySequenceDiagram } from '../../diagrams/historyDiagram';
import {
  phaseStateDescription,
  phaseStateDiagram,
} from '../../diagrams/phaseDiagram';
import { MermaidDiagram } from '../MermaidDiagram';
import { CARD_TITLE_PROPS } from '../status/cardTitle';

export interface LifecycleDiagramsProps {
  name: string;
  phase?: Phase;
  requestedAt?: string;
  events: LifecycleEvent[];
  /** The VM is gone; the diagrams show its last known state. */
  deleted?: boolean;
}

function phaseSubheader(
  name: string,
  phase: Phase | undefined,
  deleted?: boolean,
): string {
  if (deleted)
    return `${name} has been deleted; its last phase was ${phase ?? 'unknown'}`;
  if (phase) return `The highlighted phase is where ${name} is now`;
  return 'Waiting for the controller to pick the request up';
}

/** Where the VM is in its lifecycle, and what actually happened to it. */
export const LifecycleDiagrams = ({
  name,
  phase,
  requestedAt,
  events,
  deleted,
}: LifecycleDiagramsProps) => (
  <Grid container spacing={3}>
    <Grid item xs={12}>
      <InfoCard
        titleTypographyProps={CARD_TITLE_PROPS}
        title="Lifecycle"
        subheader={phaseSubheader(name, phase, deleted)}
      >
        <MermaidDiagram
          title={`Phase state machine of ${name}`}
          description={phaseStateDescription(phase)}
          text={phaseStateDiagram(phase)}
        />
      </InfoCard>
    </Grid>
    <Grid item xs={12}>
      <InfoCard
        titleTypographyProps={CARD_TITLE_PROPS}
        title="History"
        subheader="What the portal, the controller and AAP did for this VM, from its events"
      >
        <MermaidDiagram
          title={`History of ${name}`}
          description={`${events.length} recorded events: ${events
            .map(e => e.reason)
            .join(', ')}`}
          text={historySequenceDiagram({ name, requestedAt, events, deleted })}
        />
      </InfoCard>
    </Grid>
  </Grid>
);
