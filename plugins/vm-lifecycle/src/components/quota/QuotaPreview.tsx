import { Box, LinearProgress, Typography } from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import {
  QuotaAmounts,
  QuotaStatus,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { quotaLines } from '../../lib/quota';

/**
 * What a request would use of a quota: per resource "in use + this VM of limit". A resource without
 * a limit is shown with its use only. The server has the last word (another request may come first).
 */
export const QuotaPreview = ({
  quota,
  request,
}: {
  quota: QuotaStatus;
  request?: QuotaAmounts;
}) => {
  const lines = quotaLines(quota, request);
  const over = lines.filter(l => l.over);
  return (
    <Box
      mt={2}
      mb={1}
      data-testid="vm-request-quota"
      aria-label={`Quota of ${quota.subject}`}
    >
      <Typography variant="subtitle2">
        Quota of {quota.subject}
        {quota.source === 'none' ? ' (no limits)' : ''}
      </Typography>
      {lines.map(line => {
        const after = line.used + line.requested;
        const percent =
          line.limit !== undefined && line.limit > 0
            ? Math.min(100, (after / line.limit) * 100)
            : 0;
        return (
          <Box key={line.resource} mt={0.5}>
            <Typography
              variant="body2"
              color={line.over ? 'error' : 'textSecondary'}
            >
              {line.label}: {line.used} in use
              {line.requested ? ` + ${line.requested} for this VM` : ''}
              {line.limit !== undefined ? ` of ${line.limit}` : ' (no limit)'}
            </Typography>
            {line.limit !== undefined && (
              <LinearProgress
                variant="determinate"
                value={percent}
                color={line.over ? 'secondary' : 'primary'}
                aria-label={`${line.label} after this request`}
              />
            )}
          </Box>
        );
      })}
      {over.length > 0 && (
        <Box mt={1}>
          <Alert severity="warning">
            This VM does not fit the quota ({over.map(l => l.label).join(', ')}
            ): the request will be refused. Choose a smaller size, or free some
            by deleting a VM.
          </Alert>
        </Box>
      )}
    </Box>
  );
};
