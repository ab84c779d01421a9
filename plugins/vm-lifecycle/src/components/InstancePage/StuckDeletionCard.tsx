import { useState } from 'react';
import {
  Box,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogContentText,
  DialogTitle,
  FormControlLabel,
  Radio,
  RadioGroup,
  TextField,
  Tooltip,
  Typography,
} from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { alertApiRef, useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  ComputeInstance,
  DELETION_RELEASE_REASON_LIMITS,
  DeletionReleaseConfirmation,
  deletionReleaseRequestSchema,
  formatValidationError,
  vmInstanceDeletionReleasePermission,
  vmInstanceDeletionRetryPermission,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { vmLifecycleApiRef } from '../../api';
import { errorMessage } from '../../lib/errors';

/** The DeletionBlocked condition when it is set, else undefined. */
export function deletionBlock(instance: ComputeInstance) {
  if (!instance.metadata.deletionTimestamp) return undefined;
  const c = instance.status.conditions?.find(x => x.type === 'DeletionBlocked');
  return c?.status === 'True' ? c : undefined;
}

const ReleaseDialog = ({
  instance,
  open,
  onClose,
  onReleased,
}: {
  instance: ComputeInstance;
  open: boolean;
  onClose: () => void;
  onReleased: () => void;
}) => {
  const api = useApi(vmLifecycleApiRef);
  const { namespace, name } = instance.metadata;
  const [confirm, setConfirm] = useState<DeletionReleaseConfirmation | ''>('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const parsed = deletionReleaseRequestSchema.safeParse({ confirm, reason });

  const submit = async () => {
    if (!parsed.success) {
      setError(formatValidationError(parsed.error));
      return;
    }
    setBusy(true);
    try {
      await api.releaseDeletion(namespace, name, parsed.data);
      onReleased();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open={open} onClose={onClose} aria-labelledby="release-title">
      <DialogTitle id="release-title">Release {name}?</DialogTitle>
      <DialogContent>
        <DialogContentText>
          The record goes without a successful deprovision job. If the VM still
          exists, nothing will delete it any more. This is recorded with your
          name and reason.
        </DialogContentText>
        <RadioGroup
          aria-label="Confirmation"
          value={confirm}
          onChange={e =>
            setConfirm(e.target.value as DeletionReleaseConfirmation)
          }
        >
          <FormControlLabel
            value="vm-gone"
            control={<Radio />}
            label="I checked: the VM no longer exists"
          />
          <FormControlLabel
            value="accept-risk"
            control={<Radio />}
            label="The VM may still exist; I accept the risk of an orphan"
          />
        </RadioGroup>
        <TextField
          id="release-reason"
          label="Reason"
          fullWidth
          multiline
          minRows={2}
          value={reason}
          onChange={e => setReason(e.target.value)}
          helperText={`At least ${DELETION_RELEASE_REASON_LIMITS.min} characters, e.g. a ticket`}
        />
        {error && (
          <Box mt={1}>
            <Alert severity="error">{error}</Alert>
          </Box>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button
          color="secondary"
          variant="contained"
          disabled={busy || !parsed.success}
          onClick={submit}
        >
          Release
        </Button>
      </DialogActions>
    </Dialog>
  );
};

/**
 * Why a deletion waits (the DeletionBlocked condition), with the way out: "Retry now" and, for
 * admins, "Release". Actions the caller may not perform are disabled with the reason.
 */
export const StuckDeletionCard = ({
  instance,
  onChanged,
}: {
  instance: ComputeInstance;
  onChanged?: () => void;
}) => {
  const api = useApi(vmLifecycleApiRef);
  const alertApi = useApi(alertApiRef);
  const { namespace, name } = instance.metadata;
  const resourceRef = `${namespace}/${name}`;
  const retryAllowed = usePermission({
    permission: vmInstanceDeletionRetryPermission,
    resourceRef,
  });
  const releaseAllowed = usePermission({
    permission: vmInstanceDeletionReleasePermission,
    resourceRef,
  });
  const [busy, setBusy] = useState(false);
  const [releasing, setReleasing] = useState(false);
  const block = deletionBlock(instance);
  if (!block) return null;

  const retry = async () => {
    setBusy(true);
    try {
      await api.retryDeletion(namespace, name);
      alertApi.post({
        message: `Retry of the deletion of ${name} requested`,
        severity: 'success',
        display: 'transient',
      });
      onChanged?.();
    } catch (e) {
      alertApi.post({
        message: `${name}: ${errorMessage(e)}`,
        severity: 'error',
      });
    } finally {
      setBusy(false);
    }
  };

  // One structure whether allowed or not, so the button is not replaced when the answer comes.
  const gated = (
    allowed: { loading: boolean; allowed: boolean },
    why: string,
    button: JSX.Element,
  ) => (
    <Tooltip title={!allowed.loading && !allowed.allowed ? why : ''}>
      <span>{button}</span>
    </Tooltip>
  );

  return (
    <Alert severity="warning" role="region" aria-label="Deletion blocked">
      <Typography variant="subtitle2">
        Deletion blocked: {block.reason}
      </Typography>
      <Typography variant="body2">{block.message}</Typography>
      <Box mt={1} display="flex" style={{ gap: 8 }}>
        {gated(
          retryAllowed,
          'You may not retry the deletion of this VM',
          <Button
            variant="outlined"
            size="small"
            disabled={busy || !retryAllowed.allowed}
            onClick={retry}
          >
            Retry now
          </Button>,
        )}
        {gated(
          releaseAllowed,
          'Only VM admins may release a deletion',
          <Button
            variant="outlined"
            size="small"
            color="secondary"
            disabled={busy || !releaseAllowed.allowed}
            onClick={() => setReleasing(true)}
          >
            Release…
          </Button>,
        )}
      </Box>
      <ReleaseDialog
        instance={instance}
        open={releasing}
        onClose={() => setReleasing(false)}
        onReleased={() => {
          setReleasing(false);
          alertApi.post({
            message: `The deletion of ${name} was released`,
            severity: 'info',
            display: 'transient',
          });
          onChanged?.();
        }}
      />
    </Alert>
  );
};
