import { InfoCard, StructuredMetadataTable } from '@backstage/core-components';
import {
  EntityRefLinks,
  getEntityRelations,
  useEntity,
} from '@backstage/plugin-catalog-react';
import {
  RELATION_HAS_MEMBER,
  RELATION_OWNED_BY,
} from '@backstage/catalog-model';
import { Typography } from '@material-ui/core';

/**
 * What the entity is and who owns it. The catalog's own EntityAboutCard needs the SCM
 * integrations API (for its "view source" link), which this sandbox app does not install.
 */
export const EntitySummaryCard = () => {
  const { entity } = useEntity();
  const owners = getEntityRelations(entity, RELATION_OWNED_BY);
  const members = getEntityRelations(entity, RELATION_HAS_MEMBER);
  const spec = (entity.spec ?? {}) as Record<string, unknown>;
  const metadata: Record<string, unknown> = { Kind: entity.kind };
  if (typeof spec.type === 'string') metadata.Type = spec.type;
  if (typeof spec.lifecycle === 'string') metadata.Lifecycle = spec.lifecycle;
  if (owners.length > 0) {
    metadata.Owner = <EntityRefLinks entityRefs={owners} defaultKind="group" />;
  }
  if (members.length > 0) {
    metadata.Members = (
      <EntityRefLinks entityRefs={members} defaultKind="user" />
    );
  }
  return (
    <InfoCard title="About">
      <Typography paragraph>
        {entity.metadata.description ?? 'No description.'}
      </Typography>
      <StructuredMetadataTable
        metadata={metadata}
        options={{ titleFormat: k => k }}
      />
    </InfoCard>
  );
};
