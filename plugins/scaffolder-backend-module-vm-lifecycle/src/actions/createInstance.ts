import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  ApiGroupNames,
  ComputeInstance,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import {
  latestProvisionJob,
  VmInstanceLinks,
} from '@vm-selfservice/plugin-vm-lifecycle-node';
import { VmLifecycleRestClient } from '../VmLifecycleRestClient';
import { CancelledError, pollUntil } from '../waitFor';
import { buildCreateRequest } from './requestBody';

export interface ActionOptions {
  client: VmLifecycleRestClient;
  names: ApiGroupNames;
  links: VmInstanceLinks;
  /** The namespace the backend puts a VM in when the request names none (vmLifecycle.defaultNamespace). */
  defaultNamespace: string;
  /** How often a waiting action reads the VM again. */
  pollIntervalMs?: number;
}

export const DEFAULT_TIMEOUT_SECONDS = 1800;
const DEFAULT_POLL_MS = 2000;

/** Why a VM will not reach Running, or undefined while it still may. */
function failure(instance: ComputeInstance): string | undefined {
  if (instance.metadata.deletionTimestamp) {
    return `VM ${instance.metadata.namespace}/${instance.metadata.name} is being deleted`;
  }
  if (instance.status?.phase !== 'Failed') return undefined;
  const job = latestProvisionJob(instance);
  return `Provisioning VM ${instance.metadata.namespace}/${instance.metadata.name} failed${job?.message ? `: ${job.message}` : ''}`;
}

/**
 * `vm-lifecycle:instance:create`: requests a VM through the vm-lifecycle REST API as the task's
 * user and waits until it is Created (accepted) or Running. Cancelling the task while it waits
 * deletes the VM, which cancels its provision job.
 */
export function createVmInstanceCreateAction(options: ActionOptions) {
  const { client, names, links } = options;
  const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_MS;
  return createTemplateAction({
    id: 'vm-lifecycle:instance:create',
    description:
      'Requests a virtual machine from the vm-lifecycle plugin, with the permissions of the user who runs the template, and waits until it is created or running',
    supportsDryRun: true,
    examples: [
      {
        description: 'A development VM owned by a team, for a component',
        example: [
          '- id: vm',
          '  action: vm-lifecycle:instance:create',
          '  input:',
          '    name: ${{ parameters.name }}-dev',
          '    templateID: fedora_small',
          '    owner: ${{ parameters.owner }}',
          '    component: component:default/${{ parameters.name }}',
          '    waitFor: Running',
        ].join('\n'),
      },
    ],
    schema: {
      input: {
        name: z => z.string().describe('Name of the VM (RFC 1123 label)'),
        templateID: z =>
          z.string().describe('The VM template (GET /templates)'),
        namespace: z =>
          z
            .string()
            .optional()
            .describe('Namespace; the backend default when omitted'),
        owner: z =>
          z
            .string()
            .optional()
            .describe(
              'Owning Group or User entity ref; the user must belong to it (admins excepted)',
            ),
        component: z =>
          z
            .string()
            .optional()
            .describe(
              'Component entity ref the VM belongs to (catalog dependencyOf)',
            ),
        spec: z =>
          z
            .record(z.string(), z.unknown())
            .optional()
            .describe(
              'Spec fields the template lets change (cores, memoryGiB, bootDisk, runStrategy, sshKey, templateParameters, ...)',
            ),
        waitFor: z =>
          z
            .enum(['Created', 'Running'])
            .optional()
            .describe(
              'Created: done once the request is accepted. Running (default): done once the VM runs',
            ),
        timeoutSeconds: z =>
          z
            .number()
            .int()
            .positive()
            .optional()
            .describe(
              `How long to wait for waitFor (default ${DEFAULT_TIMEOUT_SECONDS})`,
            ),
      },
      output: {
        name: z => z.string(),
        namespace: z => z.string(),
        uid: z => z.string(),
        ipAddress: z => z.string(),
        portalUrl: z => z.string(),
        provisionJobId: z => z.string(),
      },
    },
    async handler(ctx) {
      const { waitFor = 'Running' } = ctx.input;
      const timeoutMs =
        (ctx.input.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
      const body = buildCreateRequest(ctx.input, names);
      const credentials = await ctx.getInitiatorCredentials();

      const emit = (instance: ComputeInstance) => {
        ctx.output('name', instance.metadata.name);
        ctx.output('namespace', instance.metadata.namespace);
        ctx.output('uid', instance.metadata.uid);
        ctx.output('ipAddress', instance.status?.ipAddress ?? '');
        ctx.output('portalUrl', links.portalUrl(instance));
        ctx.output('provisionJobId', latestProvisionJob(instance)?.jobID ?? '');
      };

      if (ctx.isDryRun) {
        // Checks what can be checked without writing: the template is one this user may request.
        const templates = await client.listTemplates(credentials);
        if (!templates.some(t => t.id === body.spec.templateID)) {
          throw new Error(
            `input templateID: no VM template "${body.spec.templateID}" (known: ${templates.map(t => t.id).join(', ') || 'none'})`,
          );
        }
        const namespace = body.metadata.namespace ?? options.defaultNamespace;
        ctx.logger.info(
          `Dry run: would request VM ${namespace}/${body.metadata.name} from template ${body.spec.templateID} and wait until ${waitFor}`,
        );
        emit({
          metadata: { name: body.metadata.name, namespace, uid: '' },
          status: {},
        } as unknown as ComputeInstance);
        return;
      }

      const created = await client.create(body, credentials);
      const { namespace, name } = created.metadata;
      ctx.logger.info(
        `Requested VM ${namespace}/${name} (${links.portalUrl(created)})`,
      );
      if (waitFor === 'Created') {
        emit(created);
        return;
      }

      let last = created;
      try {
        const running = await pollUntil(
          async () => {
            const current = await client.get(namespace, name, credentials);
            if (!current) {
              throw new Error(`VM ${namespace}/${name} was deleted`);
            }
            if (current.status?.phase !== last.status?.phase) {
              ctx.logger.info(
                `VM ${namespace}/${name}: ${current.status?.phase ?? 'pending'}`,
              );
            }
            last = current;
            const why = failure(current);
            if (why) throw new Error(why);
            return current.status?.phase === 'Running' ? current : undefined;
          },
          {
            signal: ctx.signal,
            timeoutMs,
            intervalMs: pollIntervalMs,
            what: `VM ${namespace}/${name} to be Running`,
          },
        );
        emit(running);
      } catch (e) {
        if (e instanceof CancelledError) {
          // A cancelled template leaves no half-made VM: deleting it cancels its provision job.
          ctx.logger.info(
            `Task cancelled: deleting VM ${namespace}/${name}, which cancels its provision job`,
          );
          await client.delete(namespace, name, credentials);
        }
        throw e;
      }
    },
  });
}
