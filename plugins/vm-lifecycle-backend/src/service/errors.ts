import { CustomErrorBase } from '@backstage/errors';

/** A well-formed request that asks for something this API never does: answered 422. */
export abstract class UnprocessableRequestError extends CustomErrorBase {}

/** A PATCH tried to change fields that are immutable after creation. */
export class ImmutableFieldError extends UnprocessableRequestError {
  readonly fields: string[];
  constructor(fields: string[]) {
    super(
      `${fields.join(', ')} ${fields.length === 1 ? 'is' : 'are'} immutable after creation; only spec.runStrategy can be changed (use restart to restart the VM)`,
    );
    this.name = 'ImmutableFieldError';
    this.fields = fields;
  }
}

/**
 * A request set annotations of the plugin's API group, which only the portal, the controller and
 * the playbooks write: `<group>/reconciled-config-version` set by a requester would, in EDA mode,
 * mark the VM provisioned without any playbook having run.
 */
/** "a", "a and b", "a, b and c". */
function inWords(items: string[]): string {
  return items.length < 2
    ? items.join('')
    : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

export class ReservedFieldError extends UnprocessableRequestError {
  readonly fields: string[];
  constructor(fields: string[], group: string, settable: string[]) {
    super(
      `${fields.join(', ')}: annotations of ${group} are reserved for the portal, the controller and the playbooks; a request may set only ${inWords(settable)}`,
    );
    this.name = 'ReservedFieldError';
    this.fields = fields;
  }
}

/**
 * The owner a request names is not one the caller may give a VM to: no such Group or User in the
 * catalog, another kind of entity, or a group the caller is not a member of.
 */
export class OwnerNotAllowedError extends UnprocessableRequestError {
  readonly field: string;
  constructor(field: string, why: string) {
    super(`${field}: ${why}`);
    this.name = 'OwnerNotAllowedError';
    this.field = field;
  }
}
