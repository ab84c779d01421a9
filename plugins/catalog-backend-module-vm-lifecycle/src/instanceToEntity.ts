import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  ApiGroupNames,
  ComputeInstance,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import {
  latestProvisionJob,
  VmInstanceLinks,
} from '@vm-selfservice/plugin-vm-lifecycle-node';

/** `spec.type` of the Resource entity of a VM. */
export const VIRTUAL_MACHINE_RESOURCE_TYPE = 'virtual-machine';

/** Annotations on the entity that lead back to its ComputeInstance. */
export function entityAnnotationKeys(names: ApiGroupNames) {
  return {
    namespace: `${names.group}/computeinstance-namespace`,
    name: `${names.group}/computeinstance-name`,
    uid: `${names.group}/computeinstance-uid`,
  };
}

/** Label carrying the VM's phase (catalog filters and search can use it). */
export function phaseLabelKey(names: ApiGroupNames): string {
  return `${names.group}/phase`;
}

export interface EntityMapping {
  names: ApiGroupNames;
  links: VmInstanceLinks;
  /** Written to backstage.io/managed-by-location, so the catalog knows which provider owns the entity. */
  locationRef: string;
}

/** The catalog ref of a VM's entity: a Resource named like the VM, in the catalog namespace of the VM's namespace. */
export function entityRefOf(instance: Pick<ComputeInstance, 'metadata'>) {
  return stringifyEntityRef({
    kind: 'Resource',
    namespace: instance.metadata.namespace,
    name: instance.metadata.name,
  });
}

function normalizedRef(
  ref: string | undefined,
  defaultKind: string,
): string | undefined {
  if (!ref) return undefined;
  try {
    return stringifyEntityRef(parseEntityRef(ref, { defaultKind }));
  } catch {
    // The API refuses malformed refs; an object written to the store by other means must not
    // break the whole mutation, it only loses the relation.
    return undefined;
  }
}

/**
 * A ComputeInstance as a Resource entity: owned by the owner annotation (else the requester), a
 * dependency of the component named in the component annotation, with links to the VM's portal
 * page and its latest provision job in AAP, and its phase as a label.
 */
export function instanceToEntity(
  instance: ComputeInstance,
  mapping: EntityMapping,
): Entity {
  const { names, links } = mapping;
  const { metadata, spec, status } = instance;
  const keys = entityAnnotationKeys(names);
  const owner =
    normalizedRef(metadata.annotations[names.ownerAnnotation], 'group') ??
    normalizedRef(metadata.annotations[names.requestedByAnnotation], 'user') ??
    'group:default/unknown';
  const component = normalizedRef(
    metadata.annotations[names.componentAnnotation],
    'component',
  );
  const job = latestProvisionJob(instance);
  const entityLinks = [
    {
      url: links.portalUrl(instance),
      title: 'Virtual machine in the portal',
      icon: 'dashboard',
    },
  ];
  if (job && !job.jobID.startsWith('intent:')) {
    entityLinks.push({
      url: links.jobUrl(instance, job.jobID),
      title: `Provision job ${job.jobID} (${job.state})`,
      icon: 'code',
    });
  }
  const labels: Record<string, string> = {};
  if (status.phase) labels[phaseLabelKey(names)] = status.phase;
  const disks = (spec.additionalDisks ?? []).length;
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: {
      name: metadata.name,
      namespace: metadata.namespace,
      title: metadata.name,
      description: `Virtual machine from template ${spec.templateID}: ${spec.cores} vCPU, ${spec.memoryGiB} GiB memory, ${spec.bootDisk.sizeGiB} GiB boot disk${disks ? ` + ${disks} data disk${disks > 1 ? 's' : ''}` : ''}${status.ipAddress ? `, IP ${status.ipAddress}` : ''}`,
      annotations: {
        [ANNOTATION_LOCATION]: mapping.locationRef,
        [ANNOTATION_ORIGIN_LOCATION]: mapping.locationRef,
        [keys.namespace]: metadata.namespace,
        [keys.name]: metadata.name,
        [keys.uid]: metadata.uid,
      },
      labels,
      links: entityLinks,
    },
    spec: {
      type: VIRTUAL_MACHINE_RESOURCE_TYPE,
      owner,
      ...(component ? { dependencyOf: [component] } : {}),
    },
  };
}
