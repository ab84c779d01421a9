import { useState } from 'react';
import {
  ContentHeader,
  EmptyState,
  Progress,
  TableColumn,
  WarningPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { Box, Button, Typography } from '@material-ui/core';
import { vmLifecycleApiRef } from '../../api';
import { useLiveData, useNow } from '../../hooks/useLiveData';
import {
  DEFAULT_ADMIN_FILTERS,
  deletingForMs,
  filterInstances,
  ownersOf,
} from '../../lib/adminFilters';
import { errorMessage } from '../../lib/errors';
import { formatDuration } from '../../lib/instances';
import { InstanceActions } from '../InstancePage';
import { InstanceRow, InstanceTable } from '../InstanceTable';
import { LiveIndicator } from '../status/LiveIndicator';
import { AdminFilterBar } from './AdminFilterBar';

/** Every instance in every namespace, for the platform team. */
export const AdminInstancesTab = () => {
  const api = useApi(vmLifecycleApiRef);
  const data = useLiveData('all', () => api.listInstances());
  const [filters, setFilters] = useState(DEFAULT_ADMIN_FILTERS);
  const now = useNow(10_000);

  if (data.loading) return <Progress />;
  if (data.error && !data.value) {
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
  const all = data.value ?? [];
  const shown = filterInstances(all, filters, now);
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
      <AdminFilterBar
        filters={filters}
        owners={ownersOf(all)}
        onChange={setFilters}
      />
      {all.length === 0 ? (
        <EmptyState
          missing="data"
          title="No virtual machines exist yet"
          description="Instances requested by anyone appear here."
        />
      ) : (
        <Box>
          <InstanceTable
            title={`${shown.length} of ${all.length} instances`}
            instances={shown}
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
            pageSize={20}
            emptyContent={
              <Box p={3}>
                <Typography>No instance matches these filters.</Typography>
              </Box>
            }
          />
        </Box>
      )}
    </>
  );
};
