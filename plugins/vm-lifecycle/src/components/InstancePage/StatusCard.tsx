import { InfoCard, StructuredMetadataTable } from '@backstage/core-components';
import { Box, Typography } from '@material-ui/core';
import { ComputeInstance } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { formatAge, ownerOf, requestedByOf } from '../../lib/instances';
import { PhaseStatus, StatusLabel } from '../status/StatusLabel';
import { CARD_TITLE_PROPS } from '../status/cardTitle';

/** What a phase means for the person who requested the VM. */
const PHASE_HELP: Record<string, string> = {
  Requested:
    'Your request is recorded; the controller picks it up within seconds.',
  Starting: 'A provision job in AAP is building or reconfiguring the VM.',
  Running: 'The VM is up with the configuration you asked for.',
  Stopping: 'A provision job is applying run strategy Halted.',
  Stopped: 'The VM exists but is powered off. Start brings it back.',
  Paused: 'The hypervisor paused the VM.',
  Failed:
    'The last provision job failed; the controller retries after a backoff. See the job output below.',
  Deleting:
    'The deprovision job is removing the VM. The record disappears when it succeeded.',
};

export interface StatusCardProps {
  instance: ComputeInstance;
  now: number;
  /** The record is gone; the card shows how it ended. */
  deleted?: boolean;
}

export const StatusCard = ({ instance, now, deleted }: StatusCardProps) => {
  const phase = instance.status?.phase;
  const metadata: Record<string, unknown> = {
    'IP address': instance.status?.ipAddress ?? 'not assigned yet',
  };
  const { externalIPAddress, virtualMachineReference, tenantReference } =
    instance.status ?? {};
  if (externalIPAddress) metadata['External IP address'] = externalIPAddress;
  Object.assign(metadata, {
    'Requested by': requestedByOf(instance) ?? '—',
    Owner: ownerOf(instance) ?? '—',
    Namespace: instance.metadata.namespace,
    Created: `${formatAge(instance.metadata.creationTimestamp, now)} ago (${new Date(
      instance.metadata.creationTimestamp,
    ).toLocaleString()})`,
  });
  if (tenantReference) {
    metadata.Tenant = `${tenantReference.name} (namespace ${tenantReference.namespace})`;
  }
  if (virtualMachineReference) {
    metadata['KubeVirt VM'] =
      `${virtualMachineReference.namespace}/${virtualMachineReference.kubeVirtVirtualMachineName}`;
  }
  if (instance.metadata.deletionTimestamp && !deleted) {
    metadata['Deletion requested'] =
      `${formatAge(instance.metadata.deletionTimestamp, now)} ago`;
  }
  if (instance.status?.lastRestartedAt) {
    metadata['Last restarted'] = new Date(
      instance.status.lastRestartedAt,
    ).toLocaleString();
  }
  if (instance.status?.desiredConfigVersion) {
    metadata['Config version'] = instance.status.desiredConfigVersion;
  }
  return (
    <InfoCard titleTypographyProps={CARD_TITLE_PROPS} title="Status">
      <Box mb={2}>
        {/* A live region: screen readers hear the phase change as the controller works. */}
        <Typography variant="h5" component="p" role="status" aria-label="Phase">
          {deleted ? (
            <StatusLabel kind="ok" variant="h6">
              Deleted
            </StatusLabel>
          ) : (
            <PhaseStatus phase={phase} variant="h6" />
          )}
        </Typography>
        <Typography variant="body2" color="textSecondary">
          {deleted
            ? 'The deprovision job removed the VM and the record is gone.'
            : PHASE_HELP[phase ?? 'Requested']}
        </Typography>
      </Box>
      <StructuredMetadataTable
        metadata={metadata}
        dense
        options={{ titleFormat: k => k }}
      />
    </InfoCard>
  );
};
