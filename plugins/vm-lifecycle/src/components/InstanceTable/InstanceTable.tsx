import { ReactNode } from 'react';
import { Link, Table, TableColumn } from '@backstage/core-components';
import { useRouteRef } from '@backstage/core-plugin-api';
import { Box, Typography } from '@material-ui/core';
import { ComputeInstance } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { instanceRouteRef } from '../../routes';
import {
  formatAge,
  latestJobOf,
  ownerOf,
  requestedByOf,
  shortEntityRef,
  sizeText,
} from '../../lib/instances';
import { jobLabel } from '../../lib/jobs';
import { useNow } from '../../hooks/useLiveData';
import { JobStateStatus, PhaseStatus } from '../status/StatusLabel';

/** Plain cell text in the theme's body font (material-table leaves bare strings unstyled). */
const Text = ({ children }: { children: ReactNode }) => (
  <Typography variant="body2" component="span">
    {children}
  </Typography>
);

/** A table row: the instance plus the key material-table needs to keep rows stable. */
export type InstanceRow = ComputeInstance & { id: string };

export type InstanceColumn =
  | 'name'
  | 'template'
  | 'size'
  | 'phase'
  | 'latestJob'
  | 'ip'
  | 'owner'
  | 'requestedBy'
  | 'age';

export const DEFAULT_COLUMNS: InstanceColumn[] = [
  'name',
  'template',
  'size',
  'phase',
  'latestJob',
  'ip',
  'requestedBy',
  'age',
];

export interface InstanceTableProps {
  title: string;
  subtitle?: string;
  instances: ComputeInstance[];
  loading?: boolean;
  columns?: InstanceColumn[];
  /** Columns appended after the standard ones, e.g. admin actions. */
  extraColumns?: TableColumn<InstanceRow>[];
  emptyContent?: ReactNode;
  pageSize?: number;
  /**
   * The rows are one page that the server filtered and sorted (see PagedInstanceTable): the
   * table must not page, search or sort them again, which would only reorder one page.
   */
  serverPaged?: boolean;
}

const NameCell = ({ instance }: { instance: ComputeInstance }) => {
  const instanceLink = useRouteRef(instanceRouteRef);
  const { name, namespace } = instance.metadata;
  return (
    <Box>
      <Link to={instanceLink({ namespace, name })}>
        <Typography
          variant="body2"
          component="span"
          style={{ fontWeight: 600 }}
        >
          {name}
        </Typography>
      </Link>
      <Typography variant="caption" color="textSecondary" display="block">
        {namespace}
      </Typography>
      {instance.status?.tenantReference && (
        <Typography variant="caption" color="textSecondary" display="block">
          tenant {instance.status.tenantReference.name}
        </Typography>
      )}
    </Box>
  );
};

/** The VM's own IP, and under it the external one OSAC attached (if any). */
const IpCell = ({ instance }: { instance: ComputeInstance }) => (
  <Box>
    <Text>{instance.status?.ipAddress ?? '—'}</Text>
    {instance.status?.externalIPAddress && (
      <Typography variant="caption" color="textSecondary" display="block">
        external {instance.status.externalIPAddress}
      </Typography>
    )}
  </Box>
);

const LatestJobCell = ({ instance }: { instance: ComputeInstance }) => {
  const job = latestJobOf(instance);
  if (!job) {
    return (
      <Typography variant="body2" color="textSecondary">
        none yet
      </Typography>
    );
  }
  return (
    <Box>
      <JobStateStatus state={job.state} />
      <Typography variant="caption" color="textSecondary" display="block">
        {jobLabel(job).toLowerCase()}
      </Typography>
    </Box>
  );
};

/** Short values that read badly when wrapped ("Runnin g"). */
const NO_WRAP = { whiteSpace: 'nowrap' } as const;

/** The instances as a table; the name opens the instance page. */
export const InstanceTable = ({
  title,
  subtitle,
  instances,
  loading,
  columns = DEFAULT_COLUMNS,
  extraColumns = [],
  emptyContent,
  pageSize = 10,
  serverPaged = false,
}: InstanceTableProps) => {
  const now = useNow(10_000);
  const all: Record<InstanceColumn, TableColumn<InstanceRow>> = {
    name: {
      title: 'Name',
      field: 'metadata.name',
      highlight: true,
      render: row => <NameCell instance={row} />,
    },
    template: {
      title: 'Template',
      field: 'spec.templateID',
      render: row => <Text>{row.spec.templateID}</Text>,
    },
    size: {
      title: 'Cores / memory',
      cellStyle: NO_WRAP,
      render: row => <Text>{sizeText(row)}</Text>,
      customSort: (a, b) =>
        a.spec.cores - b.spec.cores || a.spec.memoryGiB - b.spec.memoryGiB,
    },
    phase: {
      title: 'Phase',
      cellStyle: NO_WRAP,
      field: 'status.phase',
      render: row => <PhaseStatus phase={row.status?.phase} />,
    },
    latestJob: {
      title: 'Latest job',
      cellStyle: NO_WRAP,
      render: row => <LatestJobCell instance={row} />,
      sorting: false,
    },
    ip: {
      title: 'IP address',
      cellStyle: NO_WRAP,
      field: 'status.ipAddress',
      render: row => <IpCell instance={row} />,
    },
    owner: {
      title: 'Owner',
      render: row => <Text>{shortEntityRef(ownerOf(row)) || '—'}</Text>,
      customFilterAndSearch: (term, row) => (ownerOf(row) ?? '').includes(term),
    },
    requestedBy: {
      title: 'Requested by',
      render: row => <Text>{shortEntityRef(requestedByOf(row)) || '—'}</Text>,
      customFilterAndSearch: (term, row) =>
        (requestedByOf(row) ?? '').includes(term),
    },
    age: {
      title: 'Age',
      cellStyle: NO_WRAP,
      field: 'metadata.creationTimestamp',
      render: row => (
        <Typography
          variant="body2"
          component="span"
          title={row.metadata.creationTimestamp}
        >
          {formatAge(row.metadata.creationTimestamp, now)}
        </Typography>
      ),
      ...(serverPaged ? {} : { defaultSort: 'desc' as const }),
    },
  };
  const rows: InstanceRow[] = instances.map(i => ({
    ...i,
    id: `${i.metadata.namespace}/${i.metadata.name}`,
  }));
  return (
    <Table<InstanceRow>
      title={title}
      subtitle={subtitle}
      isLoading={loading}
      options={{
        paging: !serverPaged && rows.length > pageSize,
        pageSize,
        padding: 'dense',
        search: !serverPaged && rows.length > 5,
        sorting: !serverPaged,
        emptyRowsWhenPaging: false,
      }}
      columns={[...columns.map(c => all[c]), ...extraColumns]}
      data={rows}
      emptyContent={emptyContent}
    />
  );
};
