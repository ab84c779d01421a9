/*
 * Plain predicates behind the schemas. They use no Node API because the portal runs them in the
 * browser, and they are exported so callers can check a single value without building a schema.
 */

const RFC1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const RFC1123_SUBDOMAIN =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const TEMPLATE_ID = /^[a-zA-Z_][a-zA-Z0-9._]*$/;
// Kubernetes' `format: date-time`: fractional seconds optional, 'T' and 'Z' in either case.
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

/** A DNS label as Kubernetes requires for object names and namespaces. */
export function isRfc1123Label(value: string): boolean {
  return value.length <= 63 && RFC1123_LABEL.test(value);
}

export function isTemplateId(value: string): boolean {
  return TEMPLATE_ID.test(value);
}

/**
 * Annotation keys follow Kubernetes' qualified-name rule, so an instance accepted while stored in
 * the Backstage database can later be written as a custom resource without the API server refusing it.
 */
export function isAnnotationKey(value: string): boolean {
  const slash = value.indexOf('/');
  const name = slash === -1 ? value : value.slice(slash + 1);
  if (slash !== -1) {
    const prefix = value.slice(0, slash);
    if (prefix.length > 253 || !RFC1123_SUBDOMAIN.test(prefix)) return false;
  }
  return name.length <= 63 && QUALIFIED_NAME.test(name);
}

/**
 * Checks the calendar, not just the shape: `Date.parse` silently rolls 2024-02-30 over to March
 * in some engines, and the controller compares these timestamps with status.lastRestartedAt.
 */
export function isRfc3339Timestamp(value: string): boolean {
  const match = RFC3339.exec(value);
  if (!match) return false;
  const [year, month, day, hour, minute, second] = match
    .slice(1, 7)
    .map(Number);
  if (month < 1 || month > 12) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return false;
  if (hour > 23 || minute > 59 || second > 59) return false;
  if (
    match[8] !== undefined &&
    (Number(match[9]) > 23 || Number(match[10]) > 59)
  ) {
    return false;
  }
  return true;
}

/**
 * How deeply objects and arrays nest in a JSON text, found by scanning rather than parsing: it must
 * be known before anything recursive (JSON.stringify, the config-version hash) touches the value,
 * since a few thousand levels overflow the stack. Brackets inside strings do not count.
 */
export function jsonNestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if (c === '{' || c === '[') {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (c === '}' || c === ']') {
      depth--;
    }
  }
  return deepest;
}

/** The playbooks receive templateParameters as extra vars, which must be a mapping. */
export function isJsonObjectString(value: string): boolean {
  return parseJsonObject(value) !== undefined;
}

/** The object a templateParameters string holds, or undefined when it holds anything else. */
export function parseJsonObject(
  value: string,
): Record<string, unknown> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  return isPlainObject(parsed) ? parsed : undefined;
}

export function isPlainObject(
  value: unknown,
): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
