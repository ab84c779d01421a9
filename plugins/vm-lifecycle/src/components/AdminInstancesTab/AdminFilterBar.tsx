import { useCallback, useEffect, useState } from 'react';
import { Box, Checkbox, FormControlLabel, TextField } from '@material-ui/core';
import { PHASES } from '../../diagrams/phaseDiagram';
import { AdminFilters, NO_PHASE, toOwnerRef } from '../../lib/adminFilters';
import { ListControls } from '../InstanceTable';

export interface AdminFilterBarProps {
  filters: AdminFilters;
  onChange: (filters: AdminFilters) => void;
}

const OWNER_DEBOUNCE_MS = 400;

/** The owner as typed; the list follows once typing pauses on something that reads as an entity ref. */
const OwnerField = ({
  owner,
  onOwner,
}: {
  owner: string;
  onOwner: (owner: string) => void;
}) => {
  const [text, setText] = useState(owner);
  useEffect(() => {
    if (text === owner) return undefined;
    const timer = setTimeout(() => onOwner(text), OWNER_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text, owner, onOwner]);
  const invalid = text.trim() !== '' && toOwnerRef(text) === '';
  return (
    <TextField
      id="vm-admin-filter-owner"
      label="Owner"
      placeholder="team-a or user:alice"
      InputLabelProps={{ shrink: true }}
      value={text}
      onChange={e => setText(e.target.value)}
      error={invalid}
      helperText={
        invalid ? 'An entity ref such as group:default/team-a' : undefined
      }
      variant="outlined"
      size="small"
      style={{ minWidth: 220 }}
    />
  );
};

export const AdminFilterBar = ({ filters, onChange }: AdminFilterBarProps) => {
  const set = (patch: Partial<AdminFilters>) =>
    onChange({ ...filters, ...patch });
  const onOwner = useCallback(
    (owner: string) => onChange({ ...filters, owner }),
    [filters, onChange],
  );
  const onSearch = useCallback(
    (search: string) => onChange({ ...filters, search }),
    [filters, onChange],
  );
  return (
    <Box
      component="section"
      aria-label="Filters"
      display="flex"
      flexWrap="wrap"
      alignItems="center"
      style={{ gap: 16 }}
      mb={2}
    >
      <TextField
        id="vm-admin-filter-phase"
        select
        SelectProps={{ native: true }}
        InputLabelProps={{ shrink: true }}
        label="Phase"
        value={filters.phase}
        onChange={e => set({ phase: e.target.value as AdminFilters['phase'] })}
        variant="outlined"
        size="small"
        style={{ minWidth: 160 }}
      >
        <option value="">All phases</option>
        <option value={NO_PHASE}>Requested (no phase yet)</option>
        {PHASES.map(p => (
          <option key={p} value={p}>
            {p}
          </option>
        ))}
      </TextField>
      <OwnerField owner={filters.owner} onOwner={onOwner} />
      <FormControlLabel
        control={
          <Checkbox
            checked={filters.failedJobs}
            onChange={e => set({ failedJobs: e.target.checked })}
            color="primary"
          />
        }
        label="With failed jobs"
      />
      <FormControlLabel
        control={
          <Checkbox
            checked={filters.stuckDeleting}
            onChange={e => set({ stuckDeleting: e.target.checked })}
            color="primary"
          />
        }
        label="Stuck in Deleting"
      />
      <TextField
        id="vm-admin-filter-stuck-minutes"
        label="for longer than (minutes)"
        type="number"
        value={filters.stuckMinutes}
        onChange={e =>
          set({ stuckMinutes: Math.max(0, Number(e.target.value) || 0) })
        }
        inputProps={{ min: 0 }}
        disabled={!filters.stuckDeleting}
        variant="outlined"
        size="small"
        style={{ width: 200 }}
      />
      <ListControls
        search={filters.search}
        onSearch={onSearch}
        sort={filters.sort}
        onSort={sort => set({ sort })}
      />
    </Box>
  );
};
