import {
  createInstanceRequestSchema,
  CreateInstanceRequest,
  describeZodIssues,
  editableFieldsOf,
  FieldIssue,
  NetworkAttachment,
  RunStrategy,
  safeApplyTemplateDefaults,
  TemplateFieldPath,
  TemplateParameter,
  VmTemplate,
} from '@vm-selfservice/plugin-vm-lifecycle-common';

/** What the request dialog edits. Inputs are kept as typed text; the schemas judge them. */
export interface RequestFormValues {
  name: string;
  namespace: string;
  templateID: string;
  imageSourceRef: string;
  cores: string;
  memoryGiB: string;
  bootDiskGiB: string;
  runStrategy: RunStrategy | '';
  guestOSFamily: string;
  sshKey: string;
  userDataSecret: string;
  /** Sizes in GiB, comma separated: "20, 50". */
  additionalDisks: string;
  /** One NIC per line: "subnet" or "subnet: sg-1, sg-2" (the first line is the primary subnet). */
  networkAttachments: string;
  /** JSON object text of the template's fixed parameters (shown, never editable). */
  templateParameters: string;
  /** Values of the parameters the template declares, by parameter name. */
  parameters: Record<string, string | boolean>;
}

/** Form controls that can carry an error; declared parameters are `parameter:<name>`. */
export type FormField =
  | 'name'
  | 'namespace'
  | 'templateID'
  | 'imageSourceRef'
  | 'cores'
  | 'memoryGiB'
  | 'bootDiskGiB'
  | 'runStrategy'
  | 'guestOSFamily'
  | 'sshKey'
  | 'userDataSecret'
  | 'additionalDisks'
  | 'networkAttachments'
  | 'templateParameters'
  | 'owner'
  | `parameter:${string}`;

export interface FormErrors {
  /** One message per control, already phrased as a sentence ("CPU cores must be ..."). */
  fields: Partial<Record<FormField, string>>;
  /** Issues that belong to no control on the form. */
  general: string[];
}

export const FIELD_LABELS: Record<
  Exclude<FormField, `parameter:${string}`>,
  string
> = {
  name: 'Name',
  namespace: 'Namespace',
  templateID: 'Template',
  imageSourceRef: 'Image',
  cores: 'CPU cores',
  memoryGiB: 'Memory (GiB)',
  bootDiskGiB: 'Boot disk (GiB)',
  runStrategy: 'Power state',
  guestOSFamily: 'Guest OS family',
  sshKey: 'SSH public key',
  userDataSecret: 'User data secret',
  additionalDisks: 'Additional disks (GiB)',
  networkAttachments: 'Network attachments',
  templateParameters: 'Template parameters (JSON)',
  owner: 'Owner',
};

/**
 * What the form lets the requester change. templateParameters only through the parameters a
 * template declares: the backend refuses every other key, so a free JSON field would only ever
 * produce errors.
 */
export function editableFields(
  template: VmTemplate,
): ReadonlySet<TemplateFieldPath> {
  const editable = new Set(editableFieldsOf(template));
  if (!template.parameters?.length) editable.delete('templateParameters');
  return editable;
}

/** The form as the template fills it: every field shows the template's default. */
export function initialFormValues(
  template: VmTemplate | undefined,
  name = '',
): RequestFormValues {
  const d = template?.defaults;
  const parameters: Record<string, string | boolean> = {};
  for (const p of template?.parameters ?? []) {
    parameters[p.name] = parameterText(p, p.default);
  }
  return {
    name,
    namespace: '',
    templateID: template?.id ?? '',
    imageSourceRef: d?.image.sourceRef ?? '',
    cores: d ? String(d.cores) : '',
    memoryGiB: d ? String(d.memoryGiB) : '',
    bootDiskGiB: d ? String(d.bootDisk.sizeGiB) : '',
    runStrategy: d?.runStrategy ?? 'Always',
    guestOSFamily: d?.guestOSFamily ?? '',
    sshKey: d?.sshKey ?? '',
    userDataSecret: d?.userDataSecretRef?.name ?? '',
    additionalDisks: (d?.additionalDisks ?? [])
      .map(disk => disk.sizeGiB)
      .join(', '),
    networkAttachments: networkAttachmentsText(d?.networkAttachments),
    templateParameters: d?.templateParameters ?? '',
    parameters,
  };
}

/** The text form of a list of NICs: one per line, "subnet: sg-1, sg-2". */
export function networkAttachmentsText(
  attachments: NetworkAttachment[] | undefined,
): string {
  return (attachments ?? [])
    .map(a =>
      a.securityGroupRefs?.length
        ? `${a.subnetRef}: ${a.securityGroupRefs.join(', ')}`
        : a.subnetRef,
    )
    .join('\n');
}

/** The NICs a text holds; empty parts stay empty strings, for the schema to name. */
export function parseNetworkAttachments(text: string): NetworkAttachment[] {
  return text
    .split(/\n|;/)
    .map(line => line.trim())
    .filter(Boolean)
    .map(line => {
      const colon = line.indexOf(':');
      if (colon === -1) return { subnetRef: line };
      const groups = line
        .slice(colon + 1)
        .split(',')
        .map(g => g.trim());
      return {
        subnetRef: line.slice(0, colon).trim(),
        ...(groups.some(Boolean) ? { securityGroupRefs: groups } : {}),
      };
    });
}

function parameterText(p: TemplateParameter, value: unknown): string | boolean {
  if (p.type === 'boolean') return value === true;
  return value === undefined || value === null ? '' : String(value);
}

/** "4" -> 4; anything else stays text so the schema reports it with its own message. */
function numberOrText(text: string): number | string {
  const trimmed = text.trim();
  return /^-?\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : trimmed;
}

export interface BuildOptions {
  /** Annotations fixed by where the dialog was opened, e.g. the owner from an entity page. */
  annotations?: Record<string, string>;
}

/**
 * The POST /instances body: the template id plus only the fields that differ from the
 * template's defaults, so the backend fills the rest exactly as it would for any client.
 */
export function buildCreateRequest(
  values: RequestFormValues,
  template: VmTemplate | undefined,
  options: BuildOptions = {},
): unknown {
  const d = initialFormValues(template);
  const spec: Record<string, unknown> = { templateID: values.templateID };
  const changed = (key: keyof RequestFormValues) => values[key] !== d[key];

  if (changed('imageSourceRef')) {
    spec.image = { sourceRef: values.imageSourceRef.trim() };
  }
  if (changed('cores')) spec.cores = numberOrText(values.cores);
  if (changed('memoryGiB')) spec.memoryGiB = numberOrText(values.memoryGiB);
  if (changed('bootDiskGiB')) {
    spec.bootDisk = { sizeGiB: numberOrText(values.bootDiskGiB) };
  }
  if (changed('runStrategy'))
    spec.runStrategy = values.runStrategy || undefined;
  if (changed('guestOSFamily'))
    spec.guestOSFamily = values.guestOSFamily.trim();
  if (changed('sshKey')) spec.sshKey = values.sshKey.trim();
  if (changed('userDataSecret')) {
    spec.userDataSecretRef = { name: values.userDataSecret.trim() };
  }
  if (changed('additionalDisks')) {
    spec.additionalDisks = values.additionalDisks
      .split(',')
      .map(s => s.trim())
      .filter(Boolean)
      .map(size => ({ sizeGiB: numberOrText(size) }));
  }
  if (changed('networkAttachments')) {
    spec.networkAttachments = parseNetworkAttachments(
      values.networkAttachments,
    );
  }
  if (template?.parameters?.length) {
    const given: Record<string, unknown> = {};
    for (const p of template.parameters) {
      const value = values.parameters[p.name];
      if (value === d.parameters[p.name]) continue;
      if (p.type === 'boolean') given[p.name] = value === true;
      else if (value === '') continue;
      else
        given[p.name] =
          p.type === 'number' ? numberOrText(String(value)) : value;
    }
    if (Object.keys(given).length > 0)
      spec.templateParameters = JSON.stringify(given);
  } else if (changed('templateParameters')) {
    spec.templateParameters = values.templateParameters.trim();
  }

  const metadata: Record<string, unknown> = {
    name: values.name.trim() || undefined,
  };
  if (values.namespace.trim()) metadata.namespace = values.namespace.trim();
  if (options.annotations && Object.keys(options.annotations).length > 0) {
    metadata.annotations = options.annotations;
  }
  return { metadata, spec };
}

export type ValidationResult =
  | { valid: true; request: CreateInstanceRequest; errors: FormErrors }
  | { valid: false; errors: FormErrors };

/**
 * Validates exactly as the backend does: the request schema first, then the template's
 * defaults applied (locked fields, declared parameters, the merged spec as a whole).
 */
export function validateRequest(
  values: RequestFormValues,
  template: VmTemplate | undefined,
  options: BuildOptions = {},
): ValidationResult {
  const body = buildCreateRequest(values, template, options);
  const parsed = createInstanceRequestSchema.safeParse(body);
  if (!parsed.success) {
    return {
      valid: false,
      errors: toFormErrors(describeZodIssues(parsed.error), template),
    };
  }
  if (!template) {
    return {
      valid: false,
      errors: { fields: { templateID: 'Template is required' }, general: [] },
    };
  }
  const applied = safeApplyTemplateDefaults(template, parsed.data.spec);
  if (!applied.success) {
    return {
      valid: false,
      errors: toFormErrors(describeZodIssues(applied.error), template),
    };
  }
  return {
    valid: true,
    request: parsed.data,
    errors: { fields: {}, general: [] },
  };
}

const PATH_TO_FIELD: ReadonlyArray<[prefix: string, field: FormField]> = [
  ['metadata.name', 'name'],
  ['metadata.namespace', 'namespace'],
  ['metadata.annotations', 'owner'],
  ['spec.templateID', 'templateID'],
  ['spec.image', 'imageSourceRef'],
  ['spec.cores', 'cores'],
  ['spec.memoryGiB', 'memoryGiB'],
  ['spec.bootDisk', 'bootDiskGiB'],
  ['spec.runStrategy', 'runStrategy'],
  ['spec.guestOSFamily', 'guestOSFamily'],
  ['spec.sshKey', 'sshKey'],
  ['spec.userDataSecretRef', 'userDataSecret'],
  ['spec.additionalDisks', 'additionalDisks'],
  ['spec.networkAttachments', 'networkAttachments'],
  ['spec.templateParameters', 'templateParameters'],
];

const PARAMETER_MESSAGE = /^parameter "([A-Za-z_][A-Za-z0-9_]*)" (.*)$/;

/** Puts each issue under the control that caused it, phrased with the control's label. */
export function toFormErrors(
  issues: readonly FieldIssue[],
  template?: VmTemplate,
): FormErrors {
  const errors: FormErrors = { fields: {}, general: [] };
  const put = (field: FormField, message: string) => {
    if (!errors.fields[field]) errors.fields[field] = message;
  };
  for (const issue of issues) {
    const entry = PATH_TO_FIELD.find(
      ([prefix]) =>
        issue.field === prefix ||
        issue.field.startsWith(`${prefix}.`) ||
        issue.field.startsWith(`${prefix}[`),
    );
    if (!entry) {
      errors.general.push(`${issue.field || 'Request'}: ${issue.message}`);
      continue;
    }
    const [, field] = entry;
    const declared = template?.parameters?.length
      ? PARAMETER_MESSAGE.exec(issue.message)
      : null;
    const parameter =
      declared && template?.parameters?.find(p => p.name === declared[1]);
    if (field === 'templateParameters' && parameter) {
      put(`parameter:${parameter.name}`, `${parameter.title} ${declared![2]}`);
    } else if (field === 'templateParameters' && template?.parameters?.length) {
      errors.general.push(`Template parameters ${issue.message}`);
    } else {
      put(
        field,
        `${FIELD_LABELS[field as keyof typeof FIELD_LABELS]} ${issue.message}`,
      );
    }
  }
  return errors;
}
