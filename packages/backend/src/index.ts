import { createBackend } from '@backstage/backend-defaults';
import { aapSimulatorPlugin } from './modules/aapSimulator';
import { sandboxPermissionPolicyModule } from './modules/permissionPolicy';
import {
  sandboxCatalogLocationsModule,
  sandboxScaffolderModule,
} from './modules/sandboxTemplates';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));
backend.add(import('@backstage/plugin-catalog-backend'));
// Every VM as a Resource entity in the catalog.
backend.add(
  import('@vm-selfservice/plugin-catalog-backend-module-vm-lifecycle'),
);
backend.add(sandboxCatalogLocationsModule);
// Template entities (kind Template) for the scaffolder.
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);
// Software Templates, with the vm-lifecycle actions (and the sandbox's local register action).
backend.add(import('@backstage/plugin-scaffolder-backend'));
backend.add(
  import('@vm-selfservice/plugin-scaffolder-backend-module-vm-lifecycle'),
);
backend.add(sandboxScaffolderModule);
backend.add(import('@backstage/plugin-notifications-backend'));
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(sandboxPermissionPolicyModule);
backend.add(import('@backstage/plugin-events-backend'));
backend.add(import('@backstage/plugin-signals-backend'));
backend.add(import('@vm-selfservice/plugin-vm-lifecycle-backend'));
backend.add(aapSimulatorPlugin);

backend.start();
