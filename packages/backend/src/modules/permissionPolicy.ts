import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { VmLifecyclePermissionPolicy } from '@vm-selfservice/plugin-vm-lifecycle-backend';

/** The sandbox's permission policy: the vm-lifecycle rules, admin groups from vmLifecycle.adminGroups. */
export const sandboxPermissionPolicyModule = createBackendModule({
  pluginId: 'permission',
  moduleId: 'vm-lifecycle-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint, config: coreServices.rootConfig },
      async init({ policy, config }) {
        policy.setPolicy(VmLifecyclePermissionPolicy.fromConfig(config));
      },
    });
  },
});
