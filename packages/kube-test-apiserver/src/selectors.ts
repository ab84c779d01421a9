import { badRequest } from './errors';

/** A parsed selector: a predicate over a flat string map (labels, or the resource's selectable fields). */
export type Selector = (fields: Record<string, string | undefined>) => boolean;

export const matchEverything: Selector = () => true;

/** Splits on commas that are not inside `in (...)` value lists. */
function splitRequirements(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of text) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts.map(p => p.trim()).filter(p => p.length > 0);
}

/** Label selector syntax: `k`, `!k`, `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`. */
export function parseLabelSelector(text: string | null | undefined): Selector {
  if (!text) return matchEverything;
  const requirements = splitRequirements(text).map((req): Selector => {
    const set = /^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(req);
    if (set) {
      const [, key, op, list] = set;
      const values = list.split(',').map(v => v.trim());
      return labels =>
        op === 'in'
          ? labels[key] !== undefined && values.includes(labels[key]!)
          : labels[key] === undefined || !values.includes(labels[key]!);
    }
    const cmp = /^([^\s!=]+)\s*(==|=|!=)\s*([^\s]*)$/.exec(req);
    if (cmp) {
      const [, key, op, value] = cmp;
      return labels =>
        op === '!=' ? labels[key] !== value : labels[key] === value;
    }
    const exists = /^(!?)([^\s!=(),]+)$/.exec(req);
    if (exists) {
      const [, not, key] = exists;
      return labels => (labels[key] !== undefined) !== (not === '!');
    }
    throw badRequest(`unable to parse requirement: ${JSON.stringify(req)}`);
  });
  return labels => requirements.every(r => r(labels));
}

/** Field selector syntax: `f=v`, `f==v`, `f!=v`, only on the fields the resource declares selectable. */
export function parseFieldSelector(
  text: string | null | undefined,
  selectable: readonly string[],
  resource: string,
): Selector {
  if (!text) return matchEverything;
  const requirements = splitRequirements(text).map((req): Selector => {
    const m = /^([^\s!=]+)\s*(==|=|!=)\s*(.*)$/.exec(req);
    if (!m) throw badRequest(`invalid field selector: ${JSON.stringify(req)}`);
    const [, field, op, value] = m;
    if (!selectable.includes(field)) {
      throw badRequest(
        `field label not supported: ${field} (on ${resource}; supported: ${selectable.join(', ')})`,
      );
    }
    return fields =>
      op === '!=' ? fields[field] !== value : (fields[field] ?? '') === value;
  });
  return fields => requirements.every(r => r(fields));
}
