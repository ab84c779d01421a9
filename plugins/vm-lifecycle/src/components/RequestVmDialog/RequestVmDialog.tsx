import { FormEvent, useEffect, useState } from 'react';
import {
  Button,
  CircularProgress,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  TextField,
  Typography,
} from '@material-ui/core';
import { Alert, AlertTitle } from '@material-ui/lab';
import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import {
  ComputeInstance,
  VmTemplate,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { vmLifecycleApiRef } from '../../api';
import { useApiGroupNames } from '../../hooks/useApiGroup';
import { errorMessage } from '../../lib/errors';
import {
  FormErrors,
  initialFormValues,
  RequestFormValues,
  toFormErrors,
  validateRequest,
} from '../../lib/requestForm';
import { SpecFields } from './SpecFields';
import { ExpiryField, expiresAtFor, lifetimeProblem } from './ExpiryField';
import { QuotaPreview } from '../quota/QuotaPreview';
import { amountsOfForm, applicableQuota } from '../../lib/quota';

export interface RequestVmDialogProps {
  open: boolean;
  onClose: () => void;
  /** Called with the created instance; the dialog has closed by then. */
  onRequested?: (instance: ComputeInstance) => void;
  /** Entity ref recorded as the VM's owner, e.g. from an entity page. */
  owner?: string;
  /** Component entity ref recorded in the component annotation (a Component's page). */
  component?: string;
}

const NO_ERRORS: FormErrors = { fields: {}, general: [] };

/**
 * The server's 400 lists every issue as "path: message; path: message" (formatValidationError in
 * the common package); split back, they land under the controls they belong to.
 */
function serverFieldErrors(
  error: unknown,
  template: VmTemplate | undefined,
): FormErrors {
  if (!ResponseError.is(error)) return NO_ERRORS;
  const message = errorMessage(error);
  if (error.statusCode === 409 && /already exists|taken/i.test(message)) {
    return { fields: { name: message }, general: [] };
  }
  if (error.statusCode !== 400 && error.statusCode !== 422) return NO_ERRORS;
  const issues = message
    .split('; ')
    .map(part => /^((?:metadata|spec)[^:\s]*): (.+)$/.exec(part))
    .filter((m): m is RegExpExecArray => m !== null)
    .map(m => ({ field: m[1], message: m[2], path: [] }));
  return toFormErrors(issues, template);
}

export const RequestVmDialog = ({
  open,
  onClose,
  onRequested,
  owner,
  component,
}: RequestVmDialogProps) => {
  const api = useApi(vmLifecycleApiRef);
  const names = useApiGroupNames();
  const templates = useAsyncRetry(
    async () => (open ? api.listTemplates() : undefined),
    [api, open],
  );
  const [values, setValues] = useState<RequestFormValues>(() =>
    initialFormValues(undefined),
  );
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [attempted, setAttempted] = useState(false);
  const [submitting, setSubmitting] = useState(false);
  const [serverError, setServerError] = useState<string>();
  const [lifetimeDays, setLifetimeDays] = useState('');
  // The quota is a preview: without it (an older backend, an error) the dialog works as before.
  const quotas = useAsyncRetry(
    async () => (open ? api.listQuotas().catch(() => []) : undefined),
    [api, open],
  );

  const template = templates.value?.find(t => t.id === values.templateID);
  const lifetime = template?.lifetime;
  const expiresAt = lifetime ? expiresAtFor(lifetimeDays, lifetime) : undefined;
  const annotations =
    owner || component || expiresAt
      ? {
          ...(owner ? { [names.ownerAnnotation]: owner } : {}),
          ...(component ? { [names.componentAnnotation]: component } : {}),
          ...(expiresAt ? { [names.expiresAtAnnotation]: expiresAt } : {}),
        }
      : undefined;
  const quota = quotas.value ? applicableQuota(quotas.value, owner) : undefined;

  // Each template brings its default lifetime.
  useEffect(() => {
    setLifetimeDays(lifetime ? String(lifetime.defaultDays) : '');
  }, [lifetime]);

  // A fresh form each time the dialog opens, with the first template pre-selected.
  useEffect(() => {
    if (!open) return;
    setValues(initialFormValues(templates.value?.[0]));
    setErrors(NO_ERRORS);
    setAttempted(false);
    setServerError(undefined);
  }, [open, templates.value]);

  const update = (patch: Partial<RequestFormValues>) => {
    let next = { ...values, ...patch };
    if (
      patch.templateID !== undefined &&
      patch.templateID !== values.templateID
    ) {
      // Another template brings its own defaults; only what identifies the VM is kept.
      const chosen = templates.value?.find(t => t.id === patch.templateID);
      next = {
        ...initialFormValues(chosen, values.name),
        namespace: values.namespace,
      };
    }
    setValues(next);
    if (attempted) {
      setErrors(
        validateRequest(
          next,
          templates.value?.find(t => t.id === next.templateID),
          { annotations },
        ).errors,
      );
    }
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setAttempted(true);
    setServerError(undefined);
    const result = validateRequest(values, template, { annotations });
    setErrors(result.errors);
    if (!result.valid) return;
    if (lifetime && lifetimeProblem(lifetimeDays, lifetime)) return;
    setSubmitting(true);
    try {
      const created = await api.createInstance(result.request);
      onClose();
      onRequested?.(created);
    } catch (e) {
      setServerError(errorMessage(e));
      setErrors(serverFieldErrors(e, template));
    } finally {
      setSubmitting(false);
    }
  };

  const renderBody = () => {
    if (templates.loading) return <Progress />;
    if (templates.error) {
      return (
        <Alert
          severity="error"
          action={
            <Button color="inherit" size="small" onClick={templates.retry}>
              Retry
            </Button>
          }
        >
          <AlertTitle>Could not load the VM templates</AlertTitle>
          {errorMessage(templates.error)}
        </Alert>
      );
    }
    if (!templates.value?.length) {
      return (
        <Alert severity="info">
          <AlertTitle>No VM templates are available</AlertTitle>
          Your platform team has not configured any templates yet
          (vmLifecycle.templates in the portal configuration).
        </Alert>
      );
    }
    return (
      <>
        <Typography variant="body2" color="textSecondary" paragraph>
          The portal records your request, then Ansible Automation Platform
          builds the VM. That takes a minute or two; the VM’s page shows every
          step as it happens.
        </Typography>
        {serverError && (
          <Alert severity="error" role="alert" style={{ marginBottom: 8 }}>
            <AlertTitle>The request was not accepted</AlertTitle>
            {serverError}
          </Alert>
        )}
        {errors.general.length > 0 && (
          <Alert severity="error" style={{ marginBottom: 8 }}>
            {errors.general.map(message => (
              <div key={message}>{message}</div>
            ))}
          </Alert>
        )}
        <TextField
          id="vm-request-name"
          label="Name"
          value={values.name}
          onChange={e => update({ name: e.target.value })}
          required
          disabled={submitting}
          error={Boolean(errors.fields.name)}
          helperText={
            errors.fields.name ??
            "Lowercase letters, digits and '-', unique in its namespace (e.g. web-1)"
          }
          variant="outlined"
          margin="dense"
          fullWidth
        />
        <TextField
          id="vm-request-template"
          select
          SelectProps={{ native: true }}
          label="Template"
          value={values.templateID}
          onChange={e => update({ templateID: e.target.value })}
          disabled={submitting}
          error={Boolean(errors.fields.templateID)}
          helperText={errors.fields.templateID ?? template?.description}
          variant="outlined"
          margin="dense"
          fullWidth
        >
          {templates.value.map(t => (
            <option key={t.id} value={t.id}>
              {t.title}
            </option>
          ))}
        </TextField>
        {owner && (
          <TextField
            id="vm-request-owner"
            label="Owner"
            value={owner}
            disabled
            error={Boolean(errors.fields.owner)}
            helperText={
              errors.fields.owner ?? 'The catalog entity this VM belongs to'
            }
            variant="outlined"
            margin="dense"
            fullWidth
          />
        )}
        {template && (
          <SpecFields
            template={template}
            values={values}
            errors={errors}
            onChange={update}
            disabled={submitting}
          />
        )}
        {lifetime && (
          <ExpiryField
            lifetime={lifetime}
            days={lifetimeDays}
            onChange={setLifetimeDays}
            disabled={submitting}
          />
        )}
        {template && quota && (
          <QuotaPreview quota={quota} request={amountsOfForm(values)} />
        )}
      </>
    );
  };

  const canSubmit = Boolean(template) && !submitting;
  return (
    <Dialog
      open={open}
      onClose={submitting ? undefined : onClose}
      aria-labelledby="vm-request-dialog-title"
      maxWidth="sm"
      fullWidth
    >
      <form onSubmit={submit} noValidate>
        <DialogTitle id="vm-request-dialog-title">
          Request a virtual machine
        </DialogTitle>
        <DialogContent dividers>{renderBody()}</DialogContent>
        <DialogActions>
          <Button onClick={onClose} disabled={submitting}>
            Cancel
          </Button>
          <Button
            type="submit"
            color="primary"
            variant="contained"
            disabled={!canSubmit}
            startIcon={
              submitting ? (
                <CircularProgress size={16} color="inherit" />
              ) : undefined
            }
          >
            Request
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
};
