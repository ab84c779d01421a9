import {
  ComputeInstance,
  InstanceSortField,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { Knex } from 'knex';
import { INSTANCES_TABLE } from '../migrations';
import { sortKeyOf } from '../pageOrder';
import {
  InstanceQuery,
  ListPage,
  ListPageRequest,
  PageFilter,
  PermissionFilter,
} from '../types';

/** The columns of each order, matching `sortKeyOf` value for value (phase is '' when unset). */
const SORT_COLUMNS: Record<InstanceSortField, string[]> = {
  namespace: ['namespace', 'name'],
  name: ['name', 'namespace'],
  creationTimestamp: ['created_at', 'uid'],
  phase: ['phase', 'namespace', 'name'],
};

const PERMISSION_COLUMNS: Record<InstanceQuery['property'], string> = {
  requestedBy: 'requested_by',
  owner: 'owner',
};

function isPostgres(knex: Knex): boolean {
  const client = String(knex.client.config.client ?? '');
  return client === 'pg' || client.startsWith('postgres');
}

/**
 * One page in SQL: filters, the permission filter and the keyset condition in the WHERE clause,
 * ORDER BY the index of the sort, LIMIT. `remainingItemCount` is a COUNT over the same condition
 * after the page's last row, run only when the page is full. Both stay index range scans (see the
 * list_page_columns migration), so the cost follows the page size, not the table size or the share
 * of rows the caller may see.
 */
export async function listPageFromDatabase(
  knex: Knex,
  request: ListPageRequest,
  parse: (json: string) => ComputeInstance,
): Promise<ListPage> {
  const pg = isPostgres(knex);
  // Code-unit order on PostgreSQL too, as SQLite's BINARY collation and the other stores have it.
  const column = (name: string) => (pg ? `"${name}" COLLATE "C"` : `"${name}"`);
  const columns = SORT_COLUMNS[request.sort.field].map(column);
  const direction = request.sort.order === 'desc' ? 'desc' : 'asc';

  const matching = (after: string[] | undefined) => {
    const query = knex(INSTANCES_TABLE);
    applyFilter(query, request.filter, pg);
    if (request.permission) {
      const permission = request.permission;
      query.where(group => applyPermission(group, permission));
    }
    if (after) {
      query.whereRaw(
        `(${columns.join(', ')}) ${direction === 'asc' ? '>' : '<'} (${columns.map(() => '?').join(', ')})`,
        after,
      );
    }
    return query;
  };

  const rows: Array<{ object: string }> = await matching(request.after)
    .select('object')
    .orderByRaw(columns.map(c => `${c} ${direction}`).join(', '))
    .limit(request.limit);
  const items = rows.map(row => parse(row.object));
  if (items.length < request.limit) return { items, remainingItemCount: 0 };

  const last = sortKeyOf(items[items.length - 1], request.sort.field);
  const counted = await matching(last).count({ n: '*' }).first();
  // PostgreSQL answers a count as a string (bigint), SQLite as a number.
  return { items, remainingItemCount: Number(counted?.n ?? 0) };
}

function applyFilter(
  query: Knex.QueryBuilder,
  filter: PageFilter,
  pg: boolean,
): void {
  // On PostgreSQL the indexes of these columns are COLLATE "C": an equality in the default
  // collation could not use them (a sequential scan of every row for `phase=Failed`).
  const equals = (name: string, value: string) =>
    pg
      ? query.whereRaw(`"${name}" COLLATE "C" = ?`, [value])
      : query.where(name, value);
  if (filter.namespace !== undefined) equals('namespace', filter.namespace);
  if (filter.requestedBy !== undefined)
    query.where('requested_by', filter.requestedBy);
  if (filter.owner !== undefined) query.where('owner', filter.owner);
  if (filter.component !== undefined) {
    // Not a column: a component's VMs are few among its owner's, which the owner index narrows.
    const { annotation, entityRef } = filter.component;
    if (pg) {
      query.whereRaw(
        `((object::jsonb) -> 'metadata' -> 'annotations' ->> ?) = ?`,
        [annotation, entityRef],
      );
    } else {
      query.whereRaw('json_extract(object, ?) = ?', [
        `$.metadata.annotations."${annotation}"`,
        entityRef,
      ]);
    }
  }
  if (filter.phase !== undefined) equals('phase', filter.phase);
  if (filter.failedJobs !== undefined)
    query.where('failed_jobs', filter.failedJobs ? 1 : 0);
  if (filter.deletionBefore !== undefined) {
    // Stored as toISOString() text, which orders like the instants it names.
    query
      .whereNotNull('deletion_timestamp')
      .where(
        'deletion_timestamp',
        '<',
        new Date(filter.deletionBefore).toISOString(),
      );
  }
  if (filter.nameContains !== undefined) {
    // A plain substring test: no LIKE wildcards to escape, and case-sensitive on both databases.
    query.whereRaw(pg ? 'strpos(name, ?) > 0' : 'instr(name, ?) > 0', [
      filter.nameContains,
    ]);
  }
}

/**
 * The permission criteria as a WHERE group. A rule matches only a present annotation, so `not`
 * of a rule includes the rows without it, as the in-memory evaluation does (SQL's NOT of a NULL
 * comparison would drop them).
 */
function applyPermission(
  query: Knex.QueryBuilder,
  criteria: PermissionFilter,
): void {
  if ('allOf' in criteria) {
    for (const c of criteria.allOf) query.where(g => applyPermission(g, c));
    return;
  }
  if ('anyOf' in criteria) {
    if (criteria.anyOf.length === 0) {
      query.whereRaw('1 = 0');
      return;
    }
    for (const c of criteria.anyOf) query.orWhere(g => applyPermission(g, c));
    return;
  }
  if ('not' in criteria) {
    const inner = criteria.not;
    query.whereNot(g => applyPermission(g, inner));
    return;
  }
  const columnName = PERMISSION_COLUMNS[criteria.property];
  if (criteria.values.length === 0) {
    query.whereRaw('1 = 0');
    return;
  }
  query.whereNotNull(columnName).whereIn(columnName, criteria.values);
}
