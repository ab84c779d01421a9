import { useEffect, useState } from 'react';
import { Box, TextField } from '@material-ui/core';
import { MAX_SEARCH_LENGTH } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { ListSort, SORT_CHOICES, toNameSearch } from '../../lib/listSort';

const sortKey = (s: ListSort) => `${s.sort}:${s.order}`;

const SEARCH_DEBOUNCE_MS = 300;

export interface ListControlsProps {
  search: string;
  onSearch: (search: string) => void;
  sort: ListSort;
  onSort: (sort: ListSort) => void;
}

/** Name search and sort, both applied by the server. */
export const ListControls = ({
  search,
  onSearch,
  sort,
  onSort,
}: ListControlsProps) => {
  const [text, setText] = useState(search);
  useEffect(() => setText(search), [search]);
  useEffect(() => {
    const term = toNameSearch(text);
    if (term === search) return undefined;
    // One request per pause in typing, not per key.
    const timer = setTimeout(() => onSearch(term), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text, search, onSearch]);
  return (
    <Box display="flex" alignItems="center" style={{ gap: 16 }}>
      <TextField
        id="vm-list-search"
        label="Search by name"
        value={text}
        onChange={e => setText(e.target.value)}
        variant="outlined"
        size="small"
        inputProps={{ maxLength: MAX_SEARCH_LENGTH }}
      />
      <TextField
        id="vm-list-sort"
        select
        SelectProps={{ native: true }}
        InputLabelProps={{ shrink: true }}
        label="Sort"
        value={sortKey(sort)}
        onChange={e => {
          const choice = SORT_CHOICES.find(
            c => sortKey(c.value) === e.target.value,
          );
          if (choice) onSort(choice.value);
        }}
        variant="outlined"
        size="small"
        style={{ minWidth: 190 }}
      >
        {SORT_CHOICES.map(c => (
          <option key={sortKey(c.value)} value={sortKey(c.value)}>
            {c.label}
          </option>
        ))}
      </TextField>
    </Box>
  );
};
