import { useState } from 'react';
import { Box, Button, IconButton, Tooltip } from '@material-ui/core';
import RefreshIcon from '@material-ui/icons/Refresh';
import StopIcon from '@material-ui/icons/Stop';
import PlayArrowIcon from '@material-ui/icons/PlayArrow';
import DeleteIcon from '@material-ui/icons/Delete';
import { alertApiRef, useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  ComputeInstance,
  vmInstanceDeletePermission,
  vmInstanceUpdatePermission,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { vmLifecycleApiRef } from '../../api';
import { errorMessage } from '../../lib/errors';
import { isDeleting } from '../../lib/instances';
import { DeleteInstanceDialog } from './DeleteInstanceDialog';

export interface InstanceActionsProps {
  instance: ComputeInstance;
  /** Called after an action was accepted, to refetch without waiting for the signal. */
  onChanged?: () => void;
  /** Small buttons named after the instance, for table rows. */
  compact?: boolean;
}

/** Restart, Stop/Start (the run strategy) and Delete. */
export const InstanceActions = ({
  instance,
  onChanged,
  compact,
}: InstanceActionsProps) => {
  const api = useApi(vmLifecycleApiRef);
  const alertApi = useApi(alertApiRef);
  const [busy, setBusy] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const { name, namespace } = instance.metadata;
  const deleting = isDeleting(instance);
  const halted = instance.spec.runStrategy === 'Halted';
  // Asked per instance: the policy may allow the requester or the owning group only.
  const resourceRef = `${namespace}/${name}`;
  const update = usePermission({
    permission: vmInstanceUpdatePermission,
    resourceRef,
  });
  const remove = usePermission({
    permission: vmInstanceDeletePermission,
    resourceRef,
  });

  const run = async (action: () => Promise<unknown>, done: string) => {
    setBusy(true);
    try {
      await action();
      alertApi.post({
        message: done,
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

  /** Why an action cannot be taken, for its tooltip; '' when it can. */
  const whyNot = (
    permission: { loading: boolean; allowed: boolean },
    verb: string,
  ) => {
    if (deleting) return `${name} is being deleted`;
    if (!permission.loading && !permission.allowed)
      return `You may not ${verb} ${name}: only its requester, its owners and admins may`;
    return '';
  };
  const updateReason = whyNot(update, 'change');
  const deleteReason = whyNot(remove, 'delete');
  const wrap = (button: JSX.Element, reason: string) =>
    reason ? (
      <Tooltip key={button.key} title={reason}>
        <span>{button}</span>
      </Tooltip>
    ) : (
      button
    );

  const restart = () =>
    run(
      () => api.restartInstance(namespace, name),
      `Restart of ${name} requested: the controller runs the provision job again`,
    );
  const start = () =>
    run(
      () => api.setRunStrategy(namespace, name, 'Always'),
      `Starting ${name}`,
    );
  const stop = () =>
    run(
      () => api.setRunStrategy(namespace, name, 'Halted'),
      `Stopping ${name}`,
    );

  const actions = [
    {
      label: 'Restart',
      icon: <RefreshIcon />,
      onClick: restart,
      disabled: busy || !!updateReason || update.loading || halted,
      reason: updateReason,
    },
    halted
      ? {
          label: 'Start',
          icon: <PlayArrowIcon />,
          onClick: start,
          disabled: busy || !!updateReason || update.loading,
          reason: updateReason,
        }
      : {
          label: 'Stop',
          icon: <StopIcon />,
          onClick: stop,
          disabled: busy || !!updateReason || update.loading,
          reason: updateReason,
        },
    {
      label: 'Delete',
      icon: <DeleteIcon />,
      onClick: () => setConfirmDelete(true),
      disabled: busy || !!deleteReason || remove.loading,
      reason: deleteReason,
      danger: true,
    },
  ];

  return (
    <Box display="flex" style={{ gap: compact ? 0 : 8 }} flexWrap="nowrap">
      {actions.map(a =>
        compact ? (
          // Icon buttons keep table rows short; the tooltip and the name say what they do.
          <Tooltip key={a.label} title={a.reason || `${a.label} ${name}`}>
            <span>
              <IconButton
                size="small"
                aria-label={`${a.label} ${name}`}
                disabled={a.disabled}
                onClick={a.onClick}
                color={a.danger ? 'secondary' : 'default'}
              >
                {a.icon}
              </IconButton>
            </span>
          </Tooltip>
        ) : (
          wrap(
            <Button
              key={a.label}
              variant="outlined"
              color={a.danger ? 'secondary' : 'default'}
              startIcon={a.icon}
              disabled={a.disabled}
              onClick={a.onClick}
            >
              {a.label}
            </Button>,
            a.reason,
          )
        ),
      )}
      <DeleteInstanceDialog
        instance={instance}
        open={confirmDelete}
        onClose={() => setConfirmDelete(false)}
        onDeleted={() => {
          alertApi.post({
            message: `Deletion of ${name} started`,
            severity: 'info',
            display: 'transient',
          });
          onChanged?.();
        }}
      />
    </Box>
  );
};
