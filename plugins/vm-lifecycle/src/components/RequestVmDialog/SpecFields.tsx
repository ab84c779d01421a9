import { ChangeEvent, useState } from 'react';
import {
  Accordion,
  AccordionDetails,
  AccordionSummary,
  Checkbox,
  FormControlLabel,
  FormHelperText,
  Grid,
  TextField,
  Typography,
} from '@material-ui/core';
import ExpandMoreIcon from '@material-ui/icons/ExpandMore';
import {
  SPEC_LIMITS,
  TemplateFieldPath,
  VmTemplate,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import {
  editableFields,
  FIELD_LABELS,
  FormErrors,
  FormField,
  RequestFormValues,
} from '../../lib/requestForm';

type TextKey = Exclude<keyof RequestFormValues, 'parameters'>;

export interface SpecFieldsProps {
  template: VmTemplate;
  values: RequestFormValues;
  errors: FormErrors;
  onChange: (patch: Partial<RequestFormValues>) => void;
  disabled?: boolean;
}

const ADVANCED_FIELDS: FormField[] = [
  'namespace',
  'guestOSFamily',
  'sshKey',
  'userDataSecret',
  'additionalDisks',
  'networkAttachments',
  'templateParameters',
];

/** The template's fields, pre-filled with its defaults; what it does not let you change is read-only. */
export const SpecFields = ({
  template,
  values,
  errors,
  onChange,
  disabled,
}: SpecFieldsProps) => {
  const editable = editableFields(template);
  const hasAdvancedError = ADVANCED_FIELDS.some(f => errors.fields[f]);
  const [advancedOpen, setAdvancedOpen] = useState(false);

  /** A locked field with nothing in it tells the requester nothing; it is left out. */
  const hidden = (key: TextKey, path: TemplateFieldPath) =>
    !editable.has(path) &&
    !String(values[key]).trim() &&
    !errors.fields[key as FormField];

  const field = (
    key: TextKey & FormField,
    path: TemplateFieldPath | undefined,
    extra: {
      type?: string;
      helper?: string;
      multiline?: boolean;
      placeholder?: string;
      min?: number;
      max?: number;
    } = {},
  ) => {
    const locked = path !== undefined && !editable.has(path);
    const error = errors.fields[key];
    return (
      <TextField
        id={`vm-request-${key}`}
        label={FIELD_LABELS[key as keyof typeof FIELD_LABELS]}
        value={values[key]}
        onChange={(e: ChangeEvent<HTMLInputElement>) =>
          onChange({ [key]: e.target.value } as Partial<RequestFormValues>)
        }
        type={extra.type}
        multiline={extra.multiline}
        minRows={extra.multiline ? 2 : undefined}
        placeholder={extra.placeholder}
        inputProps={
          extra.min !== undefined
            ? { min: extra.min, max: extra.max }
            : undefined
        }
        disabled={disabled || locked}
        error={Boolean(error)}
        helperText={error ?? (locked ? 'Set by the template' : extra.helper)}
        variant="outlined"
        margin="dense"
        fullWidth
      />
    );
  };

  const runStrategyLocked = !editable.has('runStrategy');
  const parametersEditable = editable.has('templateParameters');

  return (
    <>
      <Typography variant="subtitle2" component="h3">
        Size
      </Typography>
      <Grid container spacing={2}>
        <Grid item xs={12} sm={4}>
          {field('cores', 'cores', {
            type: 'number',
            min: 1,
            max: SPEC_LIMITS.cores,
            helper: `1 to ${SPEC_LIMITS.cores}`,
          })}
        </Grid>
        <Grid item xs={12} sm={4}>
          {field('memoryGiB', 'memoryGiB', {
            type: 'number',
            min: 1,
            max: SPEC_LIMITS.memoryGiB,
            helper: `1 to ${SPEC_LIMITS.memoryGiB}`,
          })}
        </Grid>
        <Grid item xs={12} sm={4}>
          {field('bootDiskGiB', 'bootDisk.sizeGiB', {
            type: 'number',
            min: 1,
            max: SPEC_LIMITS.diskSizeGiB,
            helper: `1 to ${SPEC_LIMITS.diskSizeGiB}`,
          })}
        </Grid>
      </Grid>
      {field('imageSourceRef', 'image.sourceRef', {
        helper:
          'Container disk image, e.g. quay.io/containerdisks/fedora:latest',
      })}
      <TextField
        id="vm-request-runStrategy"
        select
        SelectProps={{ native: true }}
        label={FIELD_LABELS.runStrategy}
        value={values.runStrategy}
        onChange={e =>
          onChange({
            runStrategy: e.target.value as RequestFormValues['runStrategy'],
          })
        }
        disabled={disabled || runStrategyLocked}
        error={Boolean(errors.fields.runStrategy)}
        helperText={
          errors.fields.runStrategy ??
          (runStrategyLocked
            ? 'Set by the template'
            : 'You can stop and start the VM later from its page')
        }
        variant="outlined"
        margin="dense"
        fullWidth
      >
        <option value="Always">Running: start the VM once it is built</option>
        <option value="Halted">Stopped: build it powered off</option>
      </TextField>

      {template.parameters && template.parameters.length > 0 && (
        <>
          <Typography
            variant="subtitle2"
            component="h3"
            style={{ marginTop: 16 }}
          >
            Template parameters
          </Typography>
          {template.parameters.map(p => {
            const key = `parameter:${p.name}` as const;
            const error = errors.fields[key];
            const value = values.parameters[p.name];
            const setValue = (v: string | boolean) =>
              onChange({ parameters: { ...values.parameters, [p.name]: v } });
            if (p.type === 'boolean') {
              return (
                <div key={p.name}>
                  <FormControlLabel
                    control={
                      <Checkbox
                        checked={value === true}
                        onChange={e => setValue(e.target.checked)}
                        disabled={disabled || !parametersEditable}
                        color="primary"
                      />
                    }
                    label={p.title}
                  />
                  {(error || p.description) && (
                    <FormHelperText error={Boolean(error)}>
                      {error ?? p.description}
                    </FormHelperText>
                  )}
                </div>
              );
            }
            return (
              <TextField
                key={p.name}
                id={`vm-request-parameter-${p.name}`}
                label={p.title}
                value={value ?? ''}
                onChange={e => setValue(e.target.value)}
                type={p.type === 'number' ? 'number' : undefined}
                required={p.required}
                disabled={disabled || !parametersEditable}
                error={Boolean(error)}
                helperText={
                  error ??
                  (parametersEditable ? p.description : 'Set by the template')
                }
                variant="outlined"
                margin="dense"
                fullWidth
              />
            );
          })}
        </>
      )}

      <Accordion
        // Opened whenever something inside needs fixing, so no error is hidden.
        expanded={advancedOpen || hasAdvancedError}
        onChange={(_event, expanded) => setAdvancedOpen(expanded)}
        style={{ marginTop: 16 }}
        variant="outlined"
      >
        <AccordionSummary
          expandIcon={<ExpandMoreIcon />}
          aria-controls="vm-request-advanced"
          id="vm-request-advanced-header"
        >
          <Typography>Advanced options</Typography>
        </AccordionSummary>
        <AccordionDetails id="vm-request-advanced" style={{ display: 'block' }}>
          {field('namespace', undefined, {
            placeholder: 'default',
            helper: 'Leave empty for the portal’s default namespace',
          })}
          {!hidden('guestOSFamily', 'guestOSFamily') &&
            field('guestOSFamily', 'guestOSFamily', {
              helper: 'linux or windows',
            })}
          {!hidden('sshKey', 'sshKey') &&
            field('sshKey', 'sshKey', {
              multiline: true,
              helper: 'Public key allowed to log in, e.g. ssh-ed25519 AAAA…',
            })}
          {!hidden('userDataSecret', 'userDataSecretRef') &&
            field('userDataSecret', 'userDataSecretRef', {
              helper: 'Name of a secret with cloud-init user data',
            })}
          {!hidden('additionalDisks', 'additionalDisks') &&
            field('additionalDisks', 'additionalDisks', {
              helper: 'Sizes in GiB, separated by commas, e.g. 20, 50',
            })}
          {!hidden('networkAttachments', 'networkAttachments') &&
            field('networkAttachments', 'networkAttachments', {
              multiline: true,
              placeholder: 'subnet-a: sg-web, sg-ssh',
              helper:
                'One NIC per line: a subnet, then optionally ":" and security groups separated by commas. The first line is the primary subnet. Subnets cannot change once the VM exists.',
            })}
          {!template.parameters?.length &&
            !hidden('templateParameters', 'templateParameters') &&
            field('templateParameters', 'templateParameters', {
              multiline: true,
              helper: 'A JSON object passed to the playbook',
            })}
        </AccordionDetails>
      </Accordion>
    </>
  );
};
