import { useState } from 'react';
import { CodeSnippet } from '@backstage/core-components';
import {
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
} from '@material-ui/core';
import CodeIcon from '@material-ui/icons/Code';
import { stringify } from 'yaml';
import { ComputeInstance } from '@vm-selfservice/plugin-vm-lifecycle-common';

/** The resource as `kubectl get -o yaml` shows it, to read, compare with the cluster, or copy. */
export const YamlButton = ({ instance }: { instance: ComputeInstance }) => {
  const [open, setOpen] = useState(false);
  const { name } = instance.metadata;
  return (
    <>
      <Button
        variant="outlined"
        startIcon={<CodeIcon />}
        onClick={() => setOpen(true)}
      >
        YAML
      </Button>
      <Dialog
        open={open}
        onClose={() => setOpen(false)}
        maxWidth="md"
        fullWidth
        aria-labelledby="vm-yaml-title"
      >
        <DialogTitle id="vm-yaml-title">ComputeInstance {name}</DialogTitle>
        <DialogContent>
          {open && (
            <CodeSnippet
              language="yaml"
              text={stringify(instance)}
              showCopyCodeButton
              showLineNumbers
            />
          )}
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setOpen(false)} color="primary">
            Close
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
};
