import {
  Entity,
  parseEntityRef,
  RELATION_HAS_PART,
  RELATION_OWNED_BY,
  stringifyEntityRef,
} from '@backstage/catalog-model';

/** Whose VMs an entity page shows, and what "Request VM" records on a new one. */
export interface EntityVmScope {
  /** The owner annotation: a Group or User (the backend checks it against the catalog). */
  owner?: string;
  /** The component annotation, set when the page is a Component's (its VMs are `dependencyOf` it). */
  component?: string;
  /** On a System's page: its components, whose VMs it shows (a system has no VMs of its own). */
  components?: string[];
}

function isOwnerKind(entity: Entity): boolean {
  const kind = entity.kind.toLocaleLowerCase('en-US');
  return kind === 'group' || kind === 'user';
}

/** The owning Group or User of an entity: the ownedBy relation, else its spec.owner. */
function ownerOf(entity: Entity): string | undefined {
  const related = entity.relations?.find(r => r.type === RELATION_OWNED_BY);
  if (related) return related.targetRef;
  const owner = entity.spec?.owner;
  if (typeof owner !== 'string' || !owner) return undefined;
  try {
    return stringifyEntityRef(
      parseEntityRef(owner, {
        defaultKind: 'group',
        defaultNamespace: entity.metadata.namespace ?? 'default',
      }),
    );
  } catch {
    return undefined;
  }
}

/**
 * Groups and users own VMs themselves. Any other entity (component, system) does not: its VMs are
 * owned by its owner, and a component's carry the component annotation as well.
 */
export function entityVmScope(entity: Entity): EntityVmScope {
  if (isOwnerKind(entity)) return { owner: stringifyEntityRef(entity) };
  const owner = ownerOf(entity);
  const kind = entity.kind.toLocaleLowerCase('en-US');
  if (kind === 'system') {
    const components = (entity.relations ?? [])
      .filter(
        r =>
          r.type === RELATION_HAS_PART && r.targetRef.startsWith('component:'),
      )
      .map(r => r.targetRef);
    return { owner, components };
  }
  const component =
    kind === 'component' ? stringifyEntityRef(entity) : undefined;
  return { owner, ...(component ? { component } : {}) };
}
