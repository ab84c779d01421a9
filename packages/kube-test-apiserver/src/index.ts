/**
 * For tests only, never a product component: a Kubernetes API server that implements the parts of
 * the API the vm-lifecycle cluster mode uses, with the apiserver's semantics.
 *
 * Served: discovery (/version, /api, /apis, group and resource lists); for every resource GET, LIST
 * (label and field selectors, Table output from printer columns), WATCH (resourceVersion resume,
 * BOOKMARK events, 410 Gone after compaction, selector transitions), POST, PUT, PATCH (merge and JSON
 * patch), DELETE (finalizers and deletionTimestamp, preconditions) and deletecollection; the status
 * subresource; resourceVersion conflicts; generation; no-op writes; validation of custom resources
 * against their CRD (types, required, enum, bounds, lengths, pattern, date-time, CEL rules including
 * transition rules) answering 422, and pruning or (fieldValidation=Strict) refusing unknown fields.
 * Built in: core/v1 Events, coordination.k8s.io/v1 Leases, optionally kubevirt.io/v1 VirtualMachines
 * and VirtualMachineInstances (schemaless).
 *
 * Not served: namespaces as objects (any namespace name is accepted), RBAC and admission, owner
 * references and garbage collection, server-side apply, strategic merge patch for custom resources
 * (415, as the apiserver), managedFields, dryRun, defaulting from the schema, CRD conversion between
 * versions, protobuf, and the OpenAPI documents (/openapi/v2, used by kubectl's client-side validation).
 *
 * @packageDocumentation
 */
export {
  createKubeTestApiServer,
  CONCURRENT_WRITE_ANNOTATION,
  type KubeTestApiServer,
  type KubeTestApiServerOptions,
  type ConcurrentWriteMatch,
  type RequestLogEntry,
} from './server';
export type { BeforeWriteHook, PendingWrite } from './api';
export {
  DEPLOY_DIR,
  computeInstanceCrd,
  loadCrdFile,
  parseCrds,
  resourceTypesOf,
  type CustomResourceDefinition,
  type LoadCrdOptions,
} from './crd';
export { CompiledSchema, isDateTime, type Schema } from './schema';
export { formatFieldError, type FieldError } from './errors';
export type { KubeObject, ObjectMeta } from './types';
