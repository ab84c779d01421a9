/*
 * The API server's error answers: a metav1.Status body with the HTTP code, reason and message the
 * real server uses, so clients that switch on `code` or `reason` behave as they would in a cluster.
 */

export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: StatusCause[];
  };
  code: number;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusBody['details'],
  ) {
    super(message);
  }

  toStatus(): StatusBody {
    const body: StatusBody = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) body.details = this.details;
    return body;
  }
}

/** `computeinstances.osac.openshift.io` or `leases.coordination.k8s.io`; core resources have no group. */
export function qualifiedResource(group: string, plural: string): string {
  return group ? `${plural}.${group}` : plural;
}

export function notFound(
  group: string,
  plural: string,
  name: string,
): ApiError {
  return new ApiError(
    404,
    'NotFound',
    `${qualifiedResource(group, plural)} "${name}" not found`,
    { name, group, kind: plural },
  );
}

export function alreadyExists(
  group: string,
  plural: string,
  name: string,
): ApiError {
  return new ApiError(
    409,
    'AlreadyExists',
    `${qualifiedResource(group, plural)} "${name}" already exists`,
    { name, group, kind: plural },
  );
}

export function conflict(
  group: string,
  plural: string,
  name: string,
  why = 'the object has been modified; please apply your changes to the latest version and try again',
): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(group, plural)} "${name}": ${why}`,
    { name, group, kind: plural },
  );
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function methodNotAllowed(message: string): ApiError {
  return new ApiError(405, 'MethodNotAllowed', message);
}

export function unsupportedMediaType(contentType: string): ApiError {
  return new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json (got ${contentType || 'none'})`,
  );
}

/** What `watch` answers when asked to resume from a revision it no longer keeps. */
export function expired(resourceVersion: string, oldest: number): ApiError {
  return new ApiError(
    410,
    'Expired',
    `too old resource version: ${resourceVersion} (${oldest})`,
  );
}

/** One violated rule, formatted as the apiserver's field.Error. */
export interface FieldError {
  type:
    | 'Required'
    | 'Invalid'
    | 'NotSupported'
    | 'Forbidden'
    | 'TooLong'
    | 'Duplicate';
  field: string;
  value?: unknown;
  detail?: string;
  supported?: readonly unknown[];
}

const CAUSE_REASON: Record<FieldError['type'], string> = {
  Required: 'FieldValueRequired',
  Invalid: 'FieldValueInvalid',
  NotSupported: 'FieldValueNotSupported',
  Forbidden: 'FieldValueForbidden',
  TooLong: 'FieldValueTooLong',
  Duplicate: 'FieldValueDuplicate',
};

export function formatFieldError(error: FieldError): string {
  const show = (v: unknown) =>
    typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v ?? null);
  switch (error.type) {
    case 'Required':
      return `${error.field}: Required value${error.detail ? `: ${error.detail}` : ''}`;
    case 'NotSupported':
      return `${error.field}: Unsupported value: ${show(error.value)}: supported values: ${(
        error.supported ?? []
      )
        .map(show)
        .join(', ')}`;
    case 'Forbidden':
      return `${error.field}: Forbidden: ${error.detail ?? ''}`;
    case 'TooLong':
      return `${error.field}: Too long: ${error.detail ?? ''}`;
    case 'Duplicate':
      return `${error.field}: Duplicate value: ${show(error.value)}`;
    default:
      return `${error.field}: Invalid value: ${show(error.value)}: ${error.detail ?? ''}`;
  }
}

/** 422 Invalid, worded as `Kind.group "name" is invalid: [errors]`. */
export function invalid(
  kind: string,
  group: string,
  name: string,
  errors: FieldError[],
): ApiError {
  const messages = errors.map(formatFieldError);
  const list = messages.length === 1 ? messages[0] : `[${messages.join(', ')}]`;
  const qualifiedKind = group ? `${kind}.${group}` : kind;
  return new ApiError(
    422,
    'Invalid',
    `${qualifiedKind} "${name}" is invalid: ${list}`,
    {
      name,
      group,
      kind,
      causes: errors.map((e, i) => ({
        reason: CAUSE_REASON[e.type],
        message: messages[i].slice(e.field.length + 2),
        field: e.field,
      })),
    },
  );
}
