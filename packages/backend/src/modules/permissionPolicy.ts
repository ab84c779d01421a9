import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  AuthorizeResult,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { VmLifecyclePermissionPolicy } from '@vm-selfservice/plugin-vm-lifecycle-backend';

/**
 * The sandbox's policy for every other plugin's permissions: a signed-in guest may read the
 * catalog and everything else that only reads, run Software Templates, and change nothing else.
 * A real portal passes the policy it already has.
 */
export class SandboxReadOnlyPolicy implements PermissionPolicy {
  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const reads = request.permission.attributes.action === 'read';
    // Running Software Templates (the VM actions check their own permissions as the user).
    const scaffolder = request.permission.name.startsWith('scaffolder.');
    return {
      result:
        user && (reads || scaffolder)
          ? AuthorizeResult.ALLOW
          : AuthorizeResult.DENY,
    };
  }
}

/** The sandbox's permission policy: the vm-lifecycle rules, admin groups from vmLifecycle.adminGroups. */
export const sandboxPermissionPolicyModule = createBackendModule({
  pluginId: 'permission',
  moduleId: 'vm-lifecycle-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint, config: coreServices.rootConfig },
      async init({ policy, config }) {
        policy.setPolicy(
          VmLifecyclePermissionPolicy.fromConfig(config, {
            delegate: new SandboxReadOnlyPolicy(),
          }),
        );
      },
    });
  },
});
