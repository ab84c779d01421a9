import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  AuthorizeResult,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';

/** The sandbox's permission policy. The vm-lifecycle rules arrive with the REST API. */
class SandboxPermissionPolicy implements PermissionPolicy {
  async handle(_request: PolicyQuery): Promise<PolicyDecision> {
    return { result: AuthorizeResult.ALLOW };
  }
}

export const sandboxPermissionPolicyModule = createBackendModule({
  pluginId: 'permission',
  moduleId: 'sandbox-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint },
      async init({ policy }) {
        policy.setPolicy(new SandboxPermissionPolicy());
      },
    });
  },
});
