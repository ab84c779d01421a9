import { InfoCard, StructuredMetadataTable } from '@backstage/core-components';
import { ComputeInstanceSpec } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { CARD_TITLE_PROPS } from '../status/cardTitle';

/** The requested configuration, in words. */
export const SpecCard = ({ spec }: { spec: ComputeInstanceSpec }) => {
  const metadata: Record<string, unknown> = {
    Template: spec.templateID,
    Image: spec.image?.sourceRef,
    'CPU cores': spec.cores,
    Memory: `${spec.memoryGiB} GiB`,
    'Boot disk': `${spec.bootDisk?.sizeGiB} GiB`,
    'Run strategy':
      spec.runStrategy === 'Halted'
        ? 'Halted (powered off)'
        : 'Always (running)',
  };
  if (spec.additionalDisks?.length) {
    metadata['Additional disks'] = spec.additionalDisks
      .map(d => `${d.sizeGiB} GiB`)
      .join(', ');
  }
  if (spec.guestOSFamily) metadata['Guest OS'] = spec.guestOSFamily;
  if (spec.sshKey) {
    metadata['SSH key'] =
      spec.sshKey.length > 40 ? `${spec.sshKey.slice(0, 40)}…` : spec.sshKey;
  }
  if (spec.userDataSecretRef?.name)
    metadata['User data secret'] = spec.userDataSecretRef.name;
  if (spec.templateParameters)
    metadata['Template parameters'] = spec.templateParameters;
  if (spec.networkAttachments?.length) {
    // The first attachment is the primary subnet, the one that decides where the VM is placed.
    metadata['Network attachments'] = spec.networkAttachments
      .map(
        (a, i) =>
          `${a.subnetRef}${i === 0 ? ' (primary)' : ''}${
            a.securityGroupRefs?.length
              ? `: security groups ${a.securityGroupRefs.join(', ')}`
              : ''
          }`,
      )
      .join('; ');
  }
  if (spec.restartRequestedAt) {
    metadata['Restart requested'] = new Date(
      spec.restartRequestedAt,
    ).toLocaleString();
  }
  return (
    <InfoCard
      titleTypographyProps={CARD_TITLE_PROPS}
      title="Specification"
      subheader="What you asked for"
    >
      <StructuredMetadataTable
        metadata={metadata}
        dense
        options={{ titleFormat: k => k }}
      />
    </InfoCard>
  );
};
