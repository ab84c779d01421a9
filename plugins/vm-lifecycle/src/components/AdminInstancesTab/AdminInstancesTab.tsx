import { useState } from 'react';
import {
  ContentHeader,
  EmptyState,
  Progress,
  TableColumn,
  WarningPanel,
} from '@backstage/core-components';
import { Box, Button, Typography } from '@material-ui/core';
import { useInstancePages } from '../../hooks/useInstancePages';
import { useNow } from '../../hooks/useLiveData';
import {
  DEFAULT_ADMIN_FILTERS,
  adminQuery,
  deletingForMs,
} from '../../lib/adminFilters';
import { errorMessage } from '../../lib/errors';
import { formatDuration } from '../../lib/instances';
import { InstanceActions } from '../InstancePage';
import { InstanceRow, PagedInstanceTable } from '../InstanceTable';
import { LiveIndicator } from '../status/LiveIndicator';
import { AdminFilterBar } from './AdminFilterBar';
import { QuotaUsageCard } from '../quota/QuotaUsageCard';

export const ADMIN_PAGE_SIZE = 20;

/** Every instance in every namespace, for the platform team. */
export const AdminInstancesTab = () => {
  const [filters, setFilters] = useState(DEFAULT_ADMIN_FILTERS);
  const data = useInstancePages(adminQuery(filters), ADMIN_PAGE_SIZE);
  const now = useNow(10_000);

  if (data.loading) return <Progress />;
  if (data.error && !data.items) {
    return (
      <WarningPanel
        defaultExpanded
        severity="error"
        title="Could not load the instances"
      >
        <Typography paragraph>{errorMessage(data.error)}</Typography>
        <Button variant="outlined" onClick={data.refresh}>
          Retry
        </Button>
      </WarningPanel>
    );
  }
  const shown = data.items ?? [];
  const filtered =
    JSON.stringify(adminQuery(filters)) !==
    JSON.stringify(adminQuery(DEFAULT_ADMIN_FILTERS));
  const deletingColumn: TableColumn<InstanceRow> = {
    title: 'Deleting for',
    cellStyle: { whiteSpace: 'nowrap' },
    render: row => {
      const ms = deletingForMs(row, now);
      return (
        <Typography variant="body2" component="span">
          {ms === undefined ? '—' : formatDuration(ms)}
        </Typography>
      );
    },
    sorting: false,
  };
  const extraColumns: TableColumn<InstanceRow>[] = [
    // Only when something is being deleted: the column is empty otherwise.
    ...(shown.some(i => i.metadata.deletionTimestamp) ? [deletingColumn] : []),
    {
      title: 'Actions',
      cellStyle: { whiteSpace: 'nowrap' },
      render: row => (
        <InstanceActions instance={row} onChanged={data.refresh} compact />
      ),
      sorting: false,
    },
  ];

  return (
    <>
      <ContentHeader
        title="All instances"
        description="Every VM in every namespace. You see this tab because you have the vm-lifecycle admin permission."
      >
        <LiveIndicator live={data.live} />
      </ContentHeader>
      <AdminFilterBar filters={filters} onChange={setFilters} />
      {shown.length === 0 && !filtered && !data.hasPrevious ? (
        <EmptyState
          missing="data"
          title="No virtual machines exist yet"
          description="Instances requested by anyone appear here."
        />
      ) : (
        <Box>
          <PagedInstanceTable
            title={
              filtered
                ? `${data.total ?? shown.length} matching instances`
                : `${data.total ?? shown.length} instances`
            }
            pages={data}
            columns={[
              'name',
              'size',
              'phase',
              'latestJob',
              'owner',
              'requestedBy',
              'age',
            ]}
            extraColumns={extraColumns}
            emptyContent={
              <Box p={3}>
                <Typography>No instance matches these filters.</Typography>
              </Box>
            }
          />
        </Box>
      )}
      <Box mt={3}>
        <QuotaUsageCard />
      </Box>
    </>
  );
};
