import {
  InstanceSortField,
  MAX_SEARCH_LENGTH,
  SortOrder,
} from '@vm-selfservice/plugin-vm-lifecycle-common';

export interface ListSort {
  sort: InstanceSortField;
  order: SortOrder;
}

/** The sorts the server offers, as people name them. */
export const SORT_CHOICES: ReadonlyArray<{ label: string; value: ListSort }> = [
  {
    label: 'Newest first',
    value: { sort: 'creationTimestamp', order: 'desc' },
  },
  { label: 'Oldest first', value: { sort: 'creationTimestamp', order: 'asc' } },
  { label: 'Name (A–Z)', value: { sort: 'name', order: 'asc' } },
  { label: 'Name (Z–A)', value: { sort: 'name', order: 'desc' } },
  { label: 'Namespace, then name', value: { sort: 'namespace', order: 'asc' } },
  { label: 'Phase', value: { sort: 'phase', order: 'asc' } },
];

export const DEFAULT_SORT: ListSort = SORT_CHOICES[0].value;

/** What the server's `search` accepts: part of a name. Anything else is dropped as typed. */
export function toNameSearch(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '')
    .slice(0, MAX_SEARCH_LENGTH);
}
