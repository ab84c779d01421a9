import { NotFoundError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { VmLifecycleRestClient } from '../VmLifecycleRestClient';
import { pollUntil } from '../waitFor';
import { DEFAULT_TIMEOUT_SECONDS } from './createInstance';

export interface DeleteActionOptions {
  client: VmLifecycleRestClient;
  defaultNamespace: string;
  pollIntervalMs?: number;
}

/**
 * `vm-lifecycle:instance:delete`: deletes a VM as the task's user and waits until it is gone (its
 * deprovision job done). A VM that does not exist fails the step unless `ignoreMissing` is set: the
 * REST API answers 404 alike for a VM that is gone and one the user may not see.
 */
export function createVmInstanceDeleteAction(options: DeleteActionOptions) {
  const { client } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 2000;
  return createTemplateAction({
    id: 'vm-lifecycle:instance:delete',
    description:
      'Deletes a virtual machine of the vm-lifecycle plugin, with the permissions of the user who runs the template, and waits until it is gone',
    supportsDryRun: true,
    schema: {
      input: {
        name: z => z.string().describe('Name of the VM'),
        namespace: z =>
          z
            .string()
            .optional()
            .describe('Namespace; the backend default when omitted'),
        timeoutSeconds: z =>
          z
            .number()
            .int()
            .positive()
            .optional()
            .describe(
              `How long to wait until the VM is gone (default ${DEFAULT_TIMEOUT_SECONDS})`,
            ),
        ignoreMissing: z =>
          z
            .boolean()
            .optional()
            .describe(
              'Succeed when the VM does not exist (default false: fail, since a VM the user may not see looks the same)',
            ),
      },
    },
    async handler(ctx) {
      const name = ctx.input.name;
      const namespace = ctx.input.namespace ?? options.defaultNamespace;
      const credentials = await ctx.getInitiatorCredentials();
      if (ctx.isDryRun) {
        // Reading it checks that the user may see it; nothing is deleted.
        const found = await client.get(namespace, name, credentials);
        if (!found && !ctx.input.ignoreMissing) {
          throw new NotFoundError(
            `VM ${namespace}/${name} does not exist (or is not visible to the user who runs the task)`,
          );
        }
        ctx.logger.info(
          found
            ? `Dry run: would delete VM ${namespace}/${name} and wait until it is gone`
            : `Dry run: VM ${namespace}/${name} does not exist, nothing to delete`,
        );
        return;
      }
      if (!(await client.delete(namespace, name, credentials))) {
        const message = `VM ${namespace}/${name} does not exist (or is not visible to the user who runs the task)`;
        if (!ctx.input.ignoreMissing) throw new NotFoundError(message);
        ctx.logger.info(message);
        return;
      }
      ctx.logger.info(
        `Deleting VM ${namespace}/${name}; waiting for its deprovision job`,
      );
      await pollUntil(
        async () =>
          (await client.get(namespace, name, credentials)) ? undefined : true,
        {
          signal: ctx.signal,
          timeoutMs:
            (ctx.input.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000,
          intervalMs: pollIntervalMs,
          what: `VM ${namespace}/${name} to be gone`,
        },
      );
      ctx.logger.info(`VM ${namespace}/${name} is gone`);
    },
  });
}
