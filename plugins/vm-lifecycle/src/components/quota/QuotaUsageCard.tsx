import { InfoCard, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { List, ListItem, ListItemText } from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import useAsync from 'react-use/esm/useAsync';
import {
  QUOTA_RESOURCES,
  QUOTA_RESOURCE_LABELS,
  QuotaStatus,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { vmLifecycleApiRef } from '../../api';
import { errorMessage } from '../../lib/errors';
import { CARD_TITLE_PROPS } from '../status/cardTitle';

/** "VMs 3 of 10 · cores 14 of 16 · memory GiB 12 · disk GiB 60" (no "of" without a limit). */
export function describeUsage(quota: QuotaStatus): string {
  return QUOTA_RESOURCES.map(resource => {
    const limit = quota.limits[resource];
    const used = quota.used[resource];
    return `${QUOTA_RESOURCE_LABELS[resource]} ${used}${limit === undefined ? '' : ` of ${limit}`}`;
  }).join(' · ');
}

/**
 * Admins: what every group and user uses of their quota (GET /quotas?all=true). A list rather than a
 * table, so the page keeps one table: the instances.
 */
export const QuotaUsageCard = () => {
  const api = useApi(vmLifecycleApiRef);
  const quotas = useAsync(() => api.listQuotas({ all: true }), [api]);
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
      {quotas.value?.length === 0 && (
        <Alert severity="info">No quotas configured and no VMs yet.</Alert>
      )}
      {quotas.value && quotas.value.length > 0 && (
        <List dense aria-label="Quota usage">
          {quotas.value.map(q => (
            <ListItem key={q.subject} data-testid={`quota-${q.subject}`}>
              <ListItemText
                primary={`${q.subject}${q.source === 'none' ? ' (no quota)' : ''}`}
                secondary={describeUsage(q)}
              />
            </ListItem>
          ))}
        </List>
      )}
    </InfoCard>
  );
};
