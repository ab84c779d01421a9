import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import {
  apiGroupNames,
  DEFAULT_API_GROUP,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { readInstanceLinks } from '@vm-selfservice/plugin-vm-lifecycle-node';
import { createVmInstanceCreateAction } from './actions/createInstance';
import { createVmInstanceDeleteAction } from './actions/deleteInstance';
import { VmLifecycleRestClient } from './VmLifecycleRestClient';

/**
 * Scaffolder module: the actions `vm-lifecycle:instance:create` and `vm-lifecycle:instance:delete`.
 * They call the vm-lifecycle plugin's REST API (found through discovery, so it may run in another
 * backend) on behalf of the task's user.
 *
 * @public
 */
export const scaffolderModuleVmLifecycle = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'vm-lifecycle',
  register(env) {
    env.registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        config: coreServices.rootConfig,
        discovery: coreServices.discovery,
        auth: coreServices.auth,
      },
      async init({ scaffolder, config, discovery, auth }) {
        const client = new VmLifecycleRestClient({ discovery, auth });
        const names = apiGroupNames(
          config.getOptionalString('vmLifecycle.apiGroup') ?? DEFAULT_API_GROUP,
        );
        const defaultNamespace =
          config.getOptionalString('vmLifecycle.defaultNamespace') ?? 'default';
        scaffolder.addActions(
          createVmInstanceCreateAction({
            client,
            names,
            links: readInstanceLinks(config),
            defaultNamespace,
          }),
          createVmInstanceDeleteAction({ client, defaultNamespace }),
        );
      },
    });
  },
});
