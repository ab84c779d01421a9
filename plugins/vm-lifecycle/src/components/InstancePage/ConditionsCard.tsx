import { InfoCard } from '@backstage/core-components';
import {
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
} from '@material-ui/core';
import { Condition, Phase } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { formatAge } from '../../lib/instances';
import { StatusKind, StatusLabel } from '../status/StatusLabel';
import { CARD_TITLE_PROPS } from '../status/cardTitle';

/**
 * For RestartFailed "True" is the bad news; for every other condition it is the good one. A
 * condition not yet met is only a problem once the VM failed: while it is starting or being
 * deleted it is simply not there yet.
 */
function conditionKind(
  condition: Condition,
  phase: Phase | undefined,
): StatusKind {
  if (condition.status === 'Unknown') return 'pending';
  if (condition.type === 'RestartInProgress') {
    return condition.status === 'True' ? 'running' : 'ok';
  }
  if (condition.type === 'RestartFailed') {
    return condition.status === 'True' ? 'error' : 'ok';
  }
  if (condition.status === 'True') return 'ok';
  return phase === 'Failed' ? 'error' : 'pending';
}

export const ConditionsCard = ({
  conditions,
  phase,
  now,
}: {
  conditions: Condition[] | undefined;
  phase?: Phase;
  now: number;
}) => (
  <InfoCard
    titleTypographyProps={CARD_TITLE_PROPS}
    title="Conditions"
    subheader="What the controller last observed"
  >
    {!conditions?.length ? (
      <Typography variant="body2" color="textSecondary">
        No conditions yet: the controller reports them once it has looked at the
        VM.
      </Typography>
    ) : (
      <Table size="small" aria-label="Conditions">
        <TableHead>
          <TableRow>
            <TableCell>Type</TableCell>
            <TableCell>Status</TableCell>
            <TableCell>Reason</TableCell>
            <TableCell>Message</TableCell>
            <TableCell>Since</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {conditions.map(c => (
            <TableRow key={c.type}>
              <TableCell>{c.type}</TableCell>
              <TableCell>
                <StatusLabel kind={conditionKind(c, phase)}>
                  {c.status}
                </StatusLabel>
              </TableCell>
              <TableCell>{c.reason}</TableCell>
              <TableCell>{c.message}</TableCell>
              <TableCell title={c.lastTransitionTime}>
                {formatAge(c.lastTransitionTime, now)}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    )}
  </InfoCard>
);
