import { detail, HttpError } from './http';
import type { JobType, SimJob } from './jobs';

/**
 * AWX's field-lookup filters for the job lists (`jobs/`, `workflow_jobs/`, `unified_jobs/`), the
 * part the controller relies on, with AWX's own refusals: filtering on a field AWX protects with
 * `prevent_search` (extra_vars above all) is a 403, exactly as django-ansible-base's
 * `get_fields_from_path` answers it, so a client that tries to find its job by extra_vars fails here
 * as it would against a real controller. A filter the simulator does not implement is a 400 rather
 * than silently ignored: a client must never depend on behaviour only the simulator has.
 */

/** Query parameters that are not filters (AWX's ANSIBLE_BASE_REST_FILTERS_RESERVED_NAMES). */
const RESERVED = new Set([
  'page',
  'page_size',
  'format',
  'order',
  'order_by',
  'search',
  'type',
  'host_filter',
  'count_disabled',
  'no_truncate',
  'limit',
]);

/** Fields AWX marks prevent_search on unified jobs, jobs and workflow jobs. */
const PREVENT_SEARCH = new Set([
  'extra_vars',
  'job_args',
  'job_env',
  'start_args',
  'survey_passwords',
]);

type Lookup = 'exact' | 'in' | 'gt' | 'gte' | 'lt' | 'lte';
const LOOKUPS = new Set<string>([
  'exact',
  'iexact',
  'contains',
  'icontains',
  'startswith',
  'istartswith',
  'endswith',
  'iendswith',
  'regex',
  'iregex',
  'gt',
  'gte',
  'lt',
  'lte',
  'in',
  'isnull',
  'search',
]);

type FieldKind = 'integer' | 'datetime' | 'string' | 'related';

interface FieldSpec {
  kind: FieldKind;
  /** Which job types have the field; undefined = all. */
  types?: JobType[];
  value(job: SimJob): number | string | null;
}

const FIELDS: Record<string, FieldSpec> = {
  id: { kind: 'integer', value: j => j.id },
  status: { kind: 'string', value: j => j.status },
  name: { kind: 'string', value: j => j.template.name },
  launch_type: { kind: 'string', value: () => 'manual' },
  created: { kind: 'datetime', value: j => j.created },
  modified: { kind: 'datetime', value: j => j.modified },
  finished: { kind: 'datetime', value: j => j.finished },
  unified_job_template: { kind: 'related', value: j => j.template.id },
  job_template: {
    kind: 'related',
    types: ['job'],
    value: j => j.template.id,
  },
  workflow_job_template: {
    kind: 'related',
    types: ['workflow_job'],
    value: j => j.template.id,
  },
};

const ORDER_FIELDS: Record<string, (job: SimJob) => number | string> = {
  id: j => j.id,
  created: j => j.created,
  finished: j => j.finished ?? Number.MAX_SAFE_INTEGER,
  name: j => j.template.name,
};

const MODEL_NAME: Record<string, string> = {
  job: 'Job',
  workflow_job: 'WorkflowJob',
  unified: 'UnifiedJob',
};

/** Filters and orders `jobs` as AWX would answer `query` on the list of `type` (undefined: unified_jobs). */
export function queryJobs(
  jobs: SimJob[],
  query: URLSearchParams,
  type: JobType | undefined,
): SimJob[] {
  let result = type ? jobs.filter(j => j.type === type) : jobs;
  for (const [key, raw] of query.entries()) {
    if (RESERVED.has(key)) continue;
    result = applyFilter(result, key, raw, type);
  }
  return order(result, query.get('order_by'));
}

function applyFilter(
  jobs: SimJob[],
  key: string,
  raw: string,
  type: JobType | undefined,
): SimJob[] {
  const parts = key.split('__');
  const last = parts[parts.length - 1];
  const lookup = parts.length > 1 && LOOKUPS.has(last) ? last : 'exact';
  const path = lookup === last && parts.length > 1 ? parts.slice(0, -1) : parts;
  const fieldName = path[0];
  if (fieldName === 'not' || fieldName === 'or' || fieldName === 'chain') {
    throw notSimulated(key);
  }
  if (PREVENT_SEARCH.has(fieldName)) {
    throw new HttpError(
      403,
      detail(`Filtering on ${fieldName} is not allowed.`),
    );
  }
  const field = FIELDS[fieldName];
  if (!field || (field.types && type && !field.types.includes(type))) {
    if (!field) throw notSimulated(key);
    throw new HttpError(
      400,
      detail(
        `${MODEL_NAME[type ?? 'unified']} has no field named '${fieldName}'`,
      ),
    );
  }
  if (path.length > 1 || !isSupportedLookup(lookup)) throw notSimulated(key);
  if (field.types && !type) {
    // unified_jobs has no job_template column; AWX answers that as an unknown field.
    throw new HttpError(
      400,
      detail(`UnifiedJob has no field named '${fieldName}'`),
    );
  }
  const wanted =
    lookup === 'in'
      ? raw
          .split(',')
          .filter(v => v.trim() !== '')
          .map(v => parseValue(field, fieldName, v))
      : [parseValue(field, fieldName, raw)];
  return jobs.filter(job => {
    const value = field.value(job);
    if (value === null) return false;
    switch (lookup) {
      case 'exact':
      case 'in':
        return wanted.includes(value);
      case 'gt':
        return value > wanted[0];
      case 'gte':
        return value >= wanted[0];
      case 'lt':
        return value < wanted[0];
      case 'lte':
        return value <= wanted[0];
      default:
        return false;
    }
  });
}

function isSupportedLookup(lookup: string): lookup is Lookup {
  return ['exact', 'in', 'gt', 'gte', 'lt', 'lte'].includes(lookup);
}

function parseValue(
  field: FieldSpec,
  name: string,
  raw: string,
): number | string {
  const text = raw.trim();
  switch (field.kind) {
    case 'integer':
    case 'related': {
      const value = Number(text);
      if (!Number.isInteger(value)) {
        throw new HttpError(
          400,
          detail(
            field.kind === 'related'
              ? `Invalid ${name} id: ${raw}`
              : `Field '${name}' expected a number but got '${raw}'.`,
          ),
        );
      }
      return value;
    }
    case 'datetime': {
      // Django's parse_datetime: date, 'T' or space, time, optional fraction and zone.
      const iso =
        /^\d{4}-\d{2}-\d{2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$/;
      const ms = iso.test(text) ? Date.parse(text.replace(' ', 'T')) : NaN;
      if (Number.isNaN(ms)) {
        throw new HttpError(
          400,
          detail(
            `“${raw}” value has an invalid format. It must be in YYYY-MM-DD HH:MM[:ss[.uuuuuu]][TZ] format.`,
          ),
        );
      }
      return ms;
    }
    default:
      return text;
  }
}

function order(jobs: SimJob[], orderBy: string | null): SimJob[] {
  if (!orderBy) return jobs;
  const keys = orderBy.split(',').map(k => k.trim());
  const comparators = keys.map(key => {
    const descending = key.startsWith('-');
    const name = descending ? key.slice(1) : key;
    const get = ORDER_FIELDS[name];
    if (!get) throw notSimulated(`order_by=${key}`);
    return (a: SimJob, b: SimJob) => {
      const x = get(a);
      const y = get(b);
      let c = 0;
      if (x < y) c = -1;
      else if (x > y) c = 1;
      return descending ? -c : c;
    };
  });
  return [...jobs].sort((a, b) => {
    for (const compare of comparators) {
      const c = compare(a, b);
      if (c !== 0) return c;
    }
    return a.id - b.id;
  });
}

function notSimulated(what: string): HttpError {
  return new HttpError(
    400,
    detail(
      `The AAP simulator does not implement the filter ${what}; a client must only rely on filters it implements (see packages/aap-simulator/src/jobListQuery.ts)`,
    ),
  );
}
