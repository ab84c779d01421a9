import { useState } from 'react';
import { Button } from '@material-ui/core';
import AddIcon from '@material-ui/icons/Add';
import { ComputeInstance } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { RequestVmDialog } from './RequestVmDialog';

export interface RequestVmButtonProps {
  owner?: string;
  component?: string;
  onRequested?: (instance: ComputeInstance) => void;
  variant?: 'contained' | 'outlined' | 'text';
}

/** "Request VM" and the dialog it opens. */
export const RequestVmButton = ({
  owner,
  component,
  onRequested,
  variant = 'contained',
}: RequestVmButtonProps) => {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button
        variant={variant}
        color="primary"
        startIcon={<AddIcon />}
        onClick={() => setOpen(true)}
      >
        Request VM
      </Button>
      <RequestVmDialog
        open={open}
        onClose={() => setOpen(false)}
        onRequested={onRequested}
        owner={owner}
        component={component}
      />
    </>
  );
};
