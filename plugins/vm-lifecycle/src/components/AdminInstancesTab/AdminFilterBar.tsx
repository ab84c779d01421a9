import { Box, Checkbox, FormControlLabel, TextField } from '@material-ui/core';
import { PHASES } from '../../diagrams/phaseDiagram';
import { AdminFilters, NO_OWNER, NO_PHASE } from '../../lib/adminFilters';
import { shortEntityRef } from '../../lib/instances';

export interface AdminFilterBarProps {
  filters: AdminFilters;
  owners: string[];
  onChange: (filters: AdminFilters) => void;
}

export const AdminFilterBar = ({
  filters,
  owners,
  onChange,
}: AdminFilterBarProps) => {
  const set = (patch: Partial<AdminFilters>) =>
    onChange({ ...filters, ...patch });
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
      <TextField
        id="vm-admin-filter-owner"
        select
        SelectProps={{ native: true }}
        InputLabelProps={{ shrink: true }}
        label="Owner"
        value={filters.owner}
        onChange={e => set({ owner: e.target.value })}
        variant="outlined"
        size="small"
        style={{ minWidth: 200 }}
      >
        <option value="">All owners</option>
        <option value={NO_OWNER}>No owner</option>
        {owners.map(o => (
          <option key={o} value={o}>
            {shortEntityRef(o)}
          </option>
        ))}
      </TextField>
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
    </Box>
  );
};
