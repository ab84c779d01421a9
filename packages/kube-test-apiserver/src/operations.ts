import { randomBytes, randomUUID } from 'node:crypto';
import {
  ApiError,
  FieldError,
  alreadyExists,
  badRequest,
  conflict,
  invalid,
  notFound,
  unsupportedMediaType,
} from './errors';
import {
  OBJECT_META_FIELDS,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './meta';
import { ObjectStore } from './objectStore';
import { applyJsonPatch, applyMergePatch } from './patch';
import { ResourceType, apiVersionOf, storageKey } from './resources';
import { KubeObject, canonicalJson, clone, isPlainObject } from './types';

/** What a write answers besides the object: the apiserver's Warning headers (pruned unknown fields). */
export interface WriteResult {
  object: KubeObject;
  warnings: string[];
  created?: boolean;
}

export interface WriteOptions {
  /** fieldValidation=Strict: unknown fields are refused (400) instead of dropped with a warning. */
  strict: boolean;
  subresource?: 'status';
}

/** metav1.Time has second precision on the wire. */
export function wireTime(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}

function withoutMetaAndStatus(object: KubeObject): Record<string, unknown> {
  const {
    metadata: _m,
    status: _s,
    apiVersion: _a,
    kind: _k,
    ...rest
  } = object;
  return rest;
}

/**
 * The registry semantics of every write: create, update (main resource and status subresource),
 * patch, delete with finalizers, optimistic concurrency, generation, pruning and validation.
 */
export class Operations {
  constructor(
    private readonly store: ObjectStore,
    private readonly now: () => Date,
  ) {}

  get(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
  ): KubeObject {
    const object = this.store.get(storageKey(type), namespace, name);
    if (!object) throw notFound(type.group, type.plural, name);
    object.apiVersion = apiVersionOf(type);
    return object;
  }

  create(
    type: ResourceType,
    namespace: string | undefined,
    body: unknown,
    options: WriteOptions,
  ): WriteResult {
    if (
      !isPlainObject(body) ||
      (body.metadata !== undefined && !isPlainObject(body.metadata))
    ) {
      throw badRequest('the body of the request is not a Kubernetes object');
    }
    const object = clone(body) as KubeObject;
    object.metadata = object.metadata ?? {};
    const meta = object.metadata;
    this.checkKind(type, object);
    if (type.namespaced) {
      if (meta.namespace !== undefined && meta.namespace !== namespace) {
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      meta.namespace = namespace;
    } else {
      delete meta.namespace;
    }
    if (meta.resourceVersion) {
      throw new ApiError(
        500,
        'InternalError',
        'resourceVersion should not be set on objects to be created',
      );
    }
    if (!meta.name && meta.generateName) {
      meta.name = `${meta.generateName}${randomBytes(4).toString('hex').slice(0, 5)}`;
    }
    meta.uid = randomUUID();
    meta.creationTimestamp = wireTime(this.now());
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.generation;
    if (type.tracksGeneration) meta.generation = 1;
    object.apiVersion = apiVersionOf(type);
    object.kind = type.kind;
    // With a status subresource, status can only be written through it.
    if (type.statusSubresource) delete object.status;
    const warnings = this.prune(type, object, options);
    this.validate(type, object);
    const key = storageKey(type);
    if (this.store.get(key, meta.namespace, meta.name!)) {
      throw alreadyExists(type.group, type.plural, meta.name!);
    }
    return { object: this.store.commit(key, object), warnings, created: true };
  }

  /** PUT: the request replaces the object (or only its status, on the status subresource). */
  update(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    options: WriteOptions,
  ): WriteResult {
    const current = this.get(type, namespace, name);
    if (!isPlainObject(body) || !isPlainObject(body.metadata)) {
      throw badRequest('the body of the request is not a Kubernetes object');
    }
    return this.replace(type, current, clone(body) as KubeObject, options);
  }

  patch(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    contentType: string,
    patch: unknown,
    options: WriteOptions,
  ): WriteResult {
    const current = this.get(type, namespace, name);
    let patched: unknown;
    if (contentType === 'application/merge-patch+json') {
      patched = applyMergePatch(current, patch);
    } else if (contentType === 'application/json-patch+json') {
      patched = applyJsonPatch(current, patch);
    } else if (
      contentType === 'application/strategic-merge-patch+json' &&
      !type.custom
    ) {
      // Approximation: the built-in types served here have no list fields with merge keys.
      patched = applyMergePatch(current, patch);
    } else {
      throw unsupportedMediaType(contentType);
    }
    if (!isPlainObject(patched) || !isPlainObject(patched.metadata)) {
      throw new ApiError(
        422,
        'Invalid',
        'the patch removed the object metadata',
      );
    }
    // A resourceVersion the patch sets is a precondition, exactly as in an update.
    return this.replace(type, current, patched as KubeObject, options);
  }

  delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    options: unknown,
  ): KubeObject {
    const current = this.get(type, namespace, name);
    this.checkDeletePreconditions(type, current, options);
    return this.deleteObject(type, current);
  }

  deleteObject(type: ResourceType, current: KubeObject): KubeObject {
    const key = storageKey(type);
    const meta = current.metadata;
    if ((meta.finalizers ?? []).length === 0) {
      return this.tagged(type, this.store.remove(key, current));
    }
    if (meta.deletionTimestamp) return current;
    const marked = clone(current);
    marked.metadata.deletionTimestamp = wireTime(this.now());
    marked.metadata.deletionGracePeriodSeconds = 0;
    // The apiserver bumps generation when deletion starts: controllers must notice the change.
    if (type.tracksGeneration && (marked.metadata.generation ?? 0) > 0) {
      marked.metadata.generation! += 1;
    }
    return this.tagged(type, this.store.commit(key, marked, current));
  }

  private tagged(type: ResourceType, object: KubeObject): KubeObject {
    object.apiVersion = apiVersionOf(type);
    return object;
  }

  private checkDeletePreconditions(
    type: ResourceType,
    current: KubeObject,
    options: unknown,
  ): void {
    const pre =
      isPlainObject(options) && isPlainObject(options.preconditions)
        ? options.preconditions
        : undefined;
    if (!pre) return;
    const name = current.metadata.name!;
    if (pre.uid !== undefined && pre.uid !== current.metadata.uid) {
      throw conflict(
        type.group,
        type.plural,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`,
      );
    }
    if (
      pre.resourceVersion !== undefined &&
      pre.resourceVersion !== current.metadata.resourceVersion
    ) {
      throw conflict(
        type.group,
        type.plural,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
      );
    }
  }

  private replace(
    type: ResourceType,
    current: KubeObject,
    incoming: KubeObject,
    options: WriteOptions,
  ): WriteResult {
    const name = current.metadata.name!;
    const inMeta = incoming.metadata;
    if (inMeta.name !== undefined && inMeta.name !== name) {
      throw badRequest(
        `the name of the object (${inMeta.name}) does not match the name on the URL (${name})`,
      );
    }
    if (
      type.namespaced &&
      inMeta.namespace !== undefined &&
      inMeta.namespace !== current.metadata.namespace
    ) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    if (
      inMeta.resourceVersion &&
      inMeta.resourceVersion !== current.metadata.resourceVersion
    ) {
      throw conflict(type.group, type.plural, name);
    }
    let next: KubeObject;
    if (options.subresource === 'status') {
      next = clone(current);
      if (incoming.status !== undefined) next.status = incoming.status;
      else delete next.status;
    } else {
      next = incoming;
      this.checkKind(type, next);
      next.apiVersion = apiVersionOf(type);
      next.kind = type.kind;
      const cur = current.metadata;
      const meta = next.metadata;
      meta.name = name;
      meta.namespace = cur.namespace;
      meta.uid = meta.uid || cur.uid;
      meta.creationTimestamp = cur.creationTimestamp;
      // An update can never remove or change a deletion timestamp; setting one is refused below.
      if (cur.deletionTimestamp) meta.deletionTimestamp = cur.deletionTimestamp;
      if (cur.deletionGracePeriodSeconds !== undefined)
        meta.deletionGracePeriodSeconds = cur.deletionGracePeriodSeconds;
      else delete meta.deletionGracePeriodSeconds;
      meta.resourceVersion = cur.resourceVersion;
      if (cur.generation !== undefined) meta.generation = cur.generation;
      else delete meta.generation;
      if (type.statusSubresource) {
        if (current.status !== undefined) next.status = current.status;
        else delete next.status;
      }
    }
    const warnings = this.prune(type, next, options);
    const errors = [
      ...validateObjectMetaUpdate(next.metadata, current.metadata),
      ...this.validationErrors(type, next, current),
    ];
    if (errors.length) throw invalid(type.kind, type.group, name, errors);
    if (
      type.tracksGeneration &&
      canonicalJson(withoutMetaAndStatus(next)) !==
        canonicalJson(withoutMetaAndStatus(current))
    ) {
      next.metadata.generation = (current.metadata.generation ?? 0) + 1;
    }
    // A write that changes nothing is not a write: same resourceVersion, no watch event.
    if (canonicalJson(next) === canonicalJson(current))
      return { object: current, warnings };
    const key = storageKey(type);
    if (
      next.metadata.deletionTimestamp &&
      (next.metadata.finalizers ?? []).length === 0
    ) {
      return {
        object: this.tagged(type, this.store.remove(key, next)),
        warnings,
      };
    }
    return {
      object: this.tagged(type, this.store.commit(key, next, current)),
      warnings,
    };
  }

  private checkKind(type: ResourceType, object: KubeObject): void {
    if (object.kind !== undefined && object.kind !== type.kind) {
      throw badRequest(
        `Object kind ${JSON.stringify(object.kind)} does not match the resource ${type.kind}`,
      );
    }
    if (
      object.apiVersion !== undefined &&
      object.apiVersion !== apiVersionOf(type)
    ) {
      throw badRequest(
        `the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${apiVersionOf(type)})`,
      );
    }
  }

  /** Drops unknown fields (warning) or refuses them (strict); metadata keeps only ObjectMeta fields. */
  private prune(
    type: ResourceType,
    object: KubeObject,
    options: WriteOptions,
  ): string[] {
    const unknown: string[] = [];
    for (const key of Object.keys(object.metadata)) {
      if (!OBJECT_META_FIELDS.includes(key)) {
        delete (object.metadata as Record<string, unknown>)[key];
        unknown.push(`metadata.${key}`);
      }
    }
    delete (object.metadata as Record<string, unknown>).managedFields;
    delete (object.metadata as Record<string, unknown>).selfLink;
    if (type.schema) unknown.push(...type.schema.prune(object));
    if (unknown.length && options.strict) {
      throw badRequest(
        `strict decoding error: ${unknown.map(f => `unknown field "${f}"`).join(', ')}`,
      );
    }
    return unknown.map(f => `unknown field "${f}"`);
  }

  private validationErrors(
    type: ResourceType,
    object: KubeObject,
    old?: KubeObject,
  ): FieldError[] {
    return [
      ...validateObjectMeta(object.metadata, type.namespaced),
      ...(type.schema ? type.schema.validate(object, old) : []),
      ...(type.validate ? type.validate(object) : []),
    ];
  }

  private validate(type: ResourceType, object: KubeObject): void {
    const errors = this.validationErrors(type, object);
    if (errors.length) {
      throw invalid(type.kind, type.group, object.metadata.name ?? '', errors);
    }
  }
}
