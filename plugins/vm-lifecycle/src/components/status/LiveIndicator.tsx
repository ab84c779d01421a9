import { Tooltip, Typography } from '@material-ui/core';
import { FALLBACK_POLL_MS } from '../../hooks/useLiveData';

/** Tells the user whether what they see follows changes live or is refreshed periodically. */
export const LiveIndicator = ({ live }: { live: boolean }) => (
  <Tooltip
    title={
      live
        ? 'Changes arrive over the portal’s signals channel within about a second'
        : 'Live updates are unavailable; the page refreshes periodically'
    }
  >
    <Typography variant="caption" color="textSecondary">
      {live
        ? '● Live updates'
        : `Refreshing every ${FALLBACK_POLL_MS / 1000} s`}
    </Typography>
  </Tooltip>
);
