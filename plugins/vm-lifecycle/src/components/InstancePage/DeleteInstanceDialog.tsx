import { useState } from 'react';
import {
  Button,
  CircularProgress,
  Dialog,
  DialogActions,
  DialogContent,
  DialogContentText,
  DialogTitle,
} from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { useApi } from '@backstage/core-plugin-api';
import {
  ComputeInstance,
  isLaunchIntent,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { vmLifecycleApiRef } from '../../api';
import { errorMessage } from '../../lib/errors';
import { runningProvisionJob } from '../../lib/instances';

export interface DeleteInstanceDialogProps {
  instance: ComputeInstance;
  open: boolean;
  onClose: () => void;
  /** Called once the backend has accepted the deletion (it then runs in the background). */
  onDeleted?: () => void;
}

/** Confirms a delete and says what will happen, including the cancel of a running provision job. */
export const DeleteInstanceDialog = ({
  instance,
  open,
  onClose,
  onDeleted,
}: DeleteInstanceDialogProps) => {
  const api = useApi(vmLifecycleApiRef);
  const [deleting, setDeleting] = useState(false);
  const [error, setError] = useState<string>();
  const { name, namespace } = instance.metadata;
  const running = runningProvisionJob(instance);
  const titleId = `vm-delete-title-${namespace}-${name}`;

  const confirm = async () => {
    setDeleting(true);
    setError(undefined);
    try {
      await api.deleteInstance(namespace, name);
      onClose();
      onDeleted?.();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setDeleting(false);
    }
  };

  return (
    <Dialog
      open={open}
      onClose={deleting ? undefined : onClose}
      aria-labelledby={titleId}
      maxWidth="sm"
      fullWidth
    >
      <DialogTitle id={titleId}>Delete {name}?</DialogTitle>
      <DialogContent>
        {error && (
          <Alert severity="error" role="alert" style={{ marginBottom: 16 }}>
            Could not delete {name}: {error}
          </Alert>
        )}
        {running && (
          <Alert severity="warning" role="note" style={{ marginBottom: 16 }}>
            {name} is still being provisioned. Its{' '}
            {isLaunchIntent(running)
              ? 'provision job, which is being launched,'
              : `running provision job ${running.jobID}`}{' '}
            will be cancelled first; anything it already created is then removed
            by the deprovision job.
          </Alert>
        )}
        <DialogContentText>
          The portal asks Ansible Automation Platform to run a deprovision job
          that removes the VM and its disks. The VM stays listed as Deleting
          until that job has succeeded, then it disappears. This cannot be
          undone.
        </DialogContentText>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose} disabled={deleting}>
          Cancel
        </Button>
        <Button
          onClick={confirm}
          variant="contained"
          color="secondary"
          disabled={deleting}
          startIcon={
            deleting ? (
              <CircularProgress size={16} color="inherit" />
            ) : undefined
          }
        >
          Delete
        </Button>
      </DialogActions>
    </Dialog>
  );
};
