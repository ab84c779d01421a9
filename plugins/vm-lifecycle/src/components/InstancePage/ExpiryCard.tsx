import { useState } from 'react';
import {
  Box,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  TextField,
  Typography,
} from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { InfoCard } from '@backstage/core-components';
import { alertApiRef, useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import useAsync from 'react-use/esm/useAsync';
import {
  ComputeInstance,
  expiryBounds,
  vmInstanceExpiryExtendPermission,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { vmLifecycleApiRef } from '../../api';
import { useApiGroupNames } from '../../hooks/useApiGroup';
import { errorMessage } from '../../lib/errors';
import { CARD_TITLE_PROPS } from '../status/cardTitle';

const DAY_MS = 24 * 60 * 60_000;

/** "in 3 days", "in 5 hours", "now" */
function fromNow(at: number, now: number): string {
  const ms = at - now;
  if (ms <= 0) return 'now';
  if (ms >= 2 * DAY_MS) return `in ${Math.floor(ms / DAY_MS)} days`;
  const hours = Math.max(1, Math.round(ms / 3_600_000));
  return `in ${hours} hour${hours === 1 ? '' : 's'}`;
}

/** A `datetime-local` input's value (local time, minutes) for an instant. */
function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/**
 * When the VM expires (it is then deleted like any deleted VM), with "Extend" for those allowed to,
 * up to the template's maximum lifetime. Nothing for a VM that does not expire.
 */
export const ExpiryCard = ({
  instance,
  onChanged,
  now = Date.now(),
}: {
  instance: ComputeInstance;
  onChanged?: () => void;
  now?: number;
}) => {
  const api = useApi(vmLifecycleApiRef);
  const alertApi = useApi(alertApiRef);
  const names = useApiGroupNames();
  const { namespace, name } = instance.metadata;
  const extendAllowed = usePermission({
    permission: vmInstanceExpiryExtendPermission,
    resourceRef: `${namespace}/${name}`,
  });
  const templates = useAsync(() => api.listTemplates(), [api]);
  const [open, setOpen] = useState(false);
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const expiresAt = instance.metadata.annotations?.[names.expiresAtAnnotation];
  if (!expiresAt) return null;
  const at = Date.parse(expiresAt);
  const lifetime = templates.value?.find(
    t => t.id === instance.spec.templateID,
  )?.lifetime;
  const max = lifetime
    ? Date.parse(
        expiryBounds(lifetime, instance.metadata.creationTimestamp)
          .maxExpiresAt,
      )
    : undefined;
  const deleting = Boolean(instance.metadata.deletionTimestamp);
  const canExtend =
    extendAllowed.allowed && !deleting && max !== undefined && max > at;

  const openDialog = () => {
    // One week more by default, never past the maximum.
    setValue(toLocalInput(Math.min(at + 7 * DAY_MS, max ?? at)));
    setError(undefined);
    setOpen(true);
  };

  const extend = async () => {
    const chosen = new Date(value).getTime();
    if (Number.isNaN(chosen)) {
      setError('Choose a date and time');
      return;
    }
    setBusy(true);
    try {
      await api.extendExpiry(
        namespace,
        name,
        new Date(
          max !== undefined ? Math.min(chosen, max) : chosen,
        ).toISOString(),
      );
      setOpen(false);
      alertApi.post({
        message: `${name} now expires on ${new Date(chosen).toLocaleString()}`,
        severity: 'success',
        display: 'transient',
      });
      onChanged?.();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Box mb={2}>
      <InfoCard title="Expiry" titleTypographyProps={CARD_TITLE_PROPS}>
        <Box display="flex" alignItems="center" justifyContent="space-between">
          <Typography data-testid="vm-expiry">
            {deleting ? 'Expired or deleted; was to expire' : 'Expires'} on{' '}
            <strong>{new Date(at).toLocaleString()}</strong>
            {deleting ? '' : ` (${fromNow(at, now)})`}
            {max !== undefined
              ? `. It can be extended up to ${new Date(max).toLocaleString()}.`
              : '.'}
          </Typography>
          {canExtend && (
            <Button variant="outlined" color="primary" onClick={openDialog}>
              Extend
            </Button>
          )}
        </Box>
        <Dialog
          open={open}
          onClose={busy ? undefined : () => setOpen(false)}
          aria-labelledby="vm-extend-title"
        >
          <DialogTitle id="vm-extend-title">
            Extend the expiry of {name}
          </DialogTitle>
          <DialogContent>
            {error && (
              <Alert severity="error" role="alert" style={{ marginBottom: 8 }}>
                {error}
              </Alert>
            )}
            <TextField
              id="vm-extend-expires-at"
              label="New expiry"
              type="datetime-local"
              value={value}
              onChange={e => setValue(e.target.value)}
              inputProps={{
                min: toLocalInput(at),
                ...(max !== undefined ? { max: toLocalInput(max) } : {}),
              }}
              helperText={
                max !== undefined
                  ? `At most ${new Date(max).toLocaleString()} (the template's maximum lifetime)`
                  : undefined
              }
              InputLabelProps={{ shrink: true }}
              fullWidth
              disabled={busy}
            />
          </DialogContent>
          <DialogActions>
            <Button onClick={() => setOpen(false)} disabled={busy}>
              Cancel
            </Button>
            <Button
              color="primary"
              variant="contained"
              onClick={extend}
              disabled={busy}
            >
              Extend
            </Button>
          </DialogActions>
        </Dialog>
      </InfoCard>
    </Box>
  );
};
