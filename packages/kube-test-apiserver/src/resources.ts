import { FieldError } from './errors';
import { CompiledSchema } from './schema';
import { KubeObject, isPlainObject } from './types';

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  format?: string;
  priority?: number;
}

/** Everything the server needs to know to serve one resource (one group/version/plural). */
export interface ResourceType {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  shortNames: string[];
  namespaced: boolean;
  statusSubresource: boolean;
  /** metadata.generation is 1 on create and bumped by changes outside metadata and status. */
  tracksGeneration: boolean;
  /** Custom resources: schema-driven, no strategic merge patch. */
  custom: boolean;
  schema?: CompiledSchema;
  printerColumns: PrinterColumn[];
  /** Fields usable in a fieldSelector besides metadata.name and metadata.namespace. */
  extraSelectableFields: (
    object: KubeObject,
  ) => Record<string, string | undefined>;
  /** Type-specific validation of built-in resources (custom resources use the schema). */
  validate?: (object: KubeObject) => FieldError[];
}

export function apiVersionOf(type: Pick<ResourceType, 'group' | 'version'>) {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

/** Storage key: every version of a resource shares one set of objects. */
export function storageKey(type: Pick<ResourceType, 'group' | 'plural'>) {
  return `${type.plural}.${type.group}`;
}

export function selectableFields(
  type: ResourceType,
  object: KubeObject,
): Record<string, string | undefined> {
  return {
    'metadata.name': object.metadata.name,
    'metadata.namespace': object.metadata.namespace,
    ...type.extraSelectableFields(object),
  };
}

const noExtraFields = () => ({});

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

// MicroTime, as the coordination API writes acquireTime and renewTime.
const MICRO_TIME =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

export const leaseType: ResourceType = {
  group: 'coordination.k8s.io',
  version: 'v1',
  plural: 'leases',
  singular: 'lease',
  kind: 'Lease',
  listKind: 'LeaseList',
  shortNames: [],
  namespaced: true,
  statusSubresource: false,
  tracksGeneration: false,
  custom: false,
  printerColumns: [
    { name: 'Holder', type: 'string', jsonPath: '.spec.holderIdentity' },
  ],
  extraSelectableFields: noExtraFields,
  validate(object) {
    const errors: FieldError[] = [];
    const spec = isPlainObject(object.spec) ? object.spec : {};
    const duration = spec.leaseDurationSeconds;
    if (
      duration !== undefined &&
      (!Number.isInteger(duration) || (duration as number) <= 0)
    ) {
      errors.push({
        type: 'Invalid',
        field: 'spec.leaseDurationSeconds',
        value: duration,
        detail: 'must be greater than 0',
      });
    }
    for (const key of ['acquireTime', 'renewTime']) {
      const v = spec[key];
      if (v !== undefined && (typeof v !== 'string' || !MICRO_TIME.test(v))) {
        errors.push({
          type: 'Invalid',
          field: `spec.${key}`,
          value: v,
          detail: 'must be a MicroTime (RFC 3339 with up to nanoseconds)',
        });
      }
    }
    const transitions = spec.leaseTransitions;
    if (
      transitions !== undefined &&
      (!Number.isInteger(transitions) || (transitions as number) < 0)
    ) {
      errors.push({
        type: 'Invalid',
        field: 'spec.leaseTransitions',
        value: transitions,
        detail: 'must be greater than or equal to 0',
      });
    }
    return errors;
  },
};

export const eventType: ResourceType = {
  group: '',
  version: 'v1',
  plural: 'events',
  singular: 'event',
  kind: 'Event',
  listKind: 'EventList',
  shortNames: ['ev'],
  namespaced: true,
  statusSubresource: false,
  tracksGeneration: false,
  custom: false,
  printerColumns: [
    { name: 'Type', type: 'string', jsonPath: '.type' },
    { name: 'Reason', type: 'string', jsonPath: '.reason' },
    { name: 'Message', type: 'string', jsonPath: '.message' },
  ],
  extraSelectableFields(object) {
    const involved = isPlainObject(object.involvedObject)
      ? object.involvedObject
      : {};
    const source = isPlainObject(object.source) ? object.source : {};
    return {
      'involvedObject.kind': str(involved.kind),
      'involvedObject.namespace': str(involved.namespace),
      'involvedObject.name': str(involved.name),
      'involvedObject.uid': str(involved.uid),
      'involvedObject.apiVersion': str(involved.apiVersion),
      'involvedObject.resourceVersion': str(involved.resourceVersion),
      'involvedObject.fieldPath': str(involved.fieldPath),
      reason: str(object.reason),
      reportingComponent: str(object.reportingComponent),
      source: str(source.component),
      type: str(object.type),
    };
  },
  validate(object) {
    const errors: FieldError[] = [];
    const involved = object.involvedObject;
    if (!isPlainObject(involved)) {
      errors.push({ type: 'Required', field: 'involvedObject' });
    } else if (
      involved.namespace !== undefined &&
      involved.namespace !== object.metadata.namespace
    ) {
      errors.push({
        type: 'Invalid',
        field: 'involvedObject.namespace',
        value: involved.namespace,
        detail: 'does not match event.namespace',
      });
    }
    // "New" events (with eventTime) get the events.k8s.io rules, among them a 1 KiB message limit.
    if (object.eventTime !== undefined && object.eventTime !== null) {
      for (const key of [
        'reportingComponent',
        'reportingInstance',
        'action',
        'reason',
      ]) {
        if (!str(object[key])) errors.push({ type: 'Required', field: key });
      }
      const message = str(object.message) ?? '';
      if (Buffer.byteLength(message) > 1024) {
        errors.push({
          type: 'Invalid',
          field: 'message',
          value: '',
          detail: 'can have at most 1024 characters',
        });
      }
    }
    return errors;
  },
};

const preserveUnknown = new CompiledSchema({
  type: 'object',
  'x-kubernetes-preserve-unknown-fields': true,
});

function kubeVirtType(
  plural: string,
  kind: string,
  shortNames: string[],
  columns: PrinterColumn[],
): ResourceType {
  return {
    group: 'kubevirt.io',
    version: 'v1',
    plural,
    singular: kind.toLowerCase(),
    kind,
    listKind: `${kind}List`,
    shortNames,
    namespaced: true,
    statusSubresource: true,
    tracksGeneration: true,
    custom: true,
    schema: preserveUnknown,
    printerColumns: [
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
      ...columns,
    ],
    extraSelectableFields: noExtraFields,
  };
}

/** KubeVirt's two resources, schemaless: enough for objects a playbook creates and a controller reads. */
export const kubeVirtTypes: ResourceType[] = [
  kubeVirtType(
    'virtualmachines',
    'VirtualMachine',
    ['vm', 'vms'],
    [
      { name: 'Status', type: 'string', jsonPath: '.status.printableStatus' },
      { name: 'Ready', type: 'string', jsonPath: '.status.ready' },
    ],
  ),
  kubeVirtType(
    'virtualmachineinstances',
    'VirtualMachineInstance',
    ['vmi', 'vmis'],
    [
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      {
        name: 'IP',
        type: 'string',
        jsonPath: '.status.interfaces[0].ipAddress',
      },
    ],
  ),
];
