import { CustomErrorBase } from '@backstage/errors';

/** A PATCH tried to change fields that are immutable after creation: answered 422. */
export class ImmutableFieldError extends CustomErrorBase {
  readonly fields: string[];
  constructor(fields: string[]) {
    super(
      `${fields.join(', ')} ${fields.length === 1 ? 'is' : 'are'} immutable after creation; only spec.runStrategy can be changed (use restart to restart the VM)`,
    );
    this.name = 'ImmutableFieldError';
    this.fields = fields;
  }
}
