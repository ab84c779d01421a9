import {
  InfoCard,
  Progress,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { Alert } from '@material-ui/lab';
import useAsync from 'react-use/esm/useAsync';
import {
  QUOTA_RESOURCES,
  QUOTA_RESOURCE_LABELS,
  QuotaResource,
  QuotaStatus,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { vmLifecycleApiRef } from '../../api';
import { errorMessage } from '../../lib/errors';
import { CARD_TITLE_PROPS } from '../status/cardTitle';

function cell(quota: QuotaStatus, resource: QuotaResource): string {
  const limit = quota.limits[resource];
  const used = quota.used[resource];
  return limit === undefined ? `${used}` : `${used} of ${limit}`;
}

/** Admins: what every group and user uses of their quota (GET /quotas?all=true). */
export const QuotaUsageCard = () => {
  const api = useApi(vmLifecycleApiRef);
  const quotas = useAsync(() => api.listQuotas({ all: true }), [api]);
  const columns: TableColumn<QuotaStatus>[] = [
    { title: 'Group or user', field: 'subject' },
    ...QUOTA_RESOURCES.map(resource => ({
      title: QUOTA_RESOURCE_LABELS[resource],
      render: (q: QuotaStatus) => cell(q, resource),
    })),
  ];
  return (
    <InfoCard
      title="Quota usage"
      subheader="Per owner group, and per user for VMs without owner"
      titleTypographyProps={CARD_TITLE_PROPS}
    >
      {quotas.loading && <Progress />}
      {quotas.error && (
        <Alert severity="error">
          Could not load the quotas: {errorMessage(quotas.error)}
        </Alert>
      )}
      {quotas.value && (
        <Table<QuotaStatus>
          options={{ paging: false, search: false, toolbar: false, padding: 'dense' }}
          columns={columns}
          data={quotas.value}
          emptyContent={<Alert severity="info">No quotas configured and no VMs yet.</Alert>}
        />
      )}
    </InfoCard>
  );
};
