import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  coreServices,
  createBackendModule,
  resolveSafeChildPath,
} from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  catalogLocationsExtensionPoint,
  catalogServiceRef,
} from '@backstage/plugin-catalog-node';
import {
  createTemplateAction,
  scaffolderActionsExtensionPoint,
} from '@backstage/plugin-scaffolder-node';
import { parse } from 'yaml';

/**
 * The sandbox has no Git host to publish a new component's repository to, so its Software
 * Templates keep the catalog-info.yaml they wrote in a local folder and register it as a `file`
 * location. A real portal uses publish:github (or similar) and catalog:register instead.
 */
export function createRegisterLocalAction(o: {
  directory: string;
  catalog: typeof catalogServiceRef.T;
  auth: typeof coreServices.auth.T;
}) {
  return createTemplateAction({
    id: 'sandbox:catalog:register-local',
    description:
      'Sandbox only: keeps the catalog-info.yaml the template wrote in a local folder and registers it in the catalog',
    schema: {
      input: {
        filePath: z =>
          z
            .string()
            .optional()
            .describe('The file in the workspace (default catalog-info.yaml)'),
      },
      output: { entityRef: z => z.string() },
    },
    supportsDryRun: true,
    async handler(ctx) {
      const source = resolveSafeChildPath(
        ctx.workspacePath,
        ctx.input.filePath ?? 'catalog-info.yaml',
      );
      const entity = parse(await readFile(source, 'utf8'));
      const ref = stringifyEntityRef({
        kind: String(entity?.kind),
        namespace: entity?.metadata?.namespace ?? 'default',
        name: String(entity?.metadata?.name),
      });
      ctx.output('entityRef', ref);
      if (ctx.isDryRun) return;
      await mkdir(o.directory, { recursive: true });
      const target = resolveSafeChildPath(
        o.directory,
        `${ref.replace(/[^a-z0-9-]+/gi, '_')}.yaml`,
      );
      await writeFile(target, await readFile(source));
      // The sandbox's own service registers it: guests may not create locations (read-only policy).
      await o.catalog.addLocation(
        { type: 'file', target },
        { credentials: await o.auth.getOwnServiceCredentials() },
      );
      ctx.logger.info(`Registered ${ref} from ${target}`);
    },
  });
}

/** Scaffolder side: the sandbox's register action. */
export const sandboxScaffolderModule = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'sandbox-register-local',
  register(reg) {
    reg.registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        catalog: catalogServiceRef,
        auth: coreServices.auth,
        config: coreServices.rootConfig,
      },
      async init({ scaffolder, catalog, auth, config }) {
        const directory = resolve(
          config.getOptionalString('sandbox.templateOutputDir') ??
            '.sandbox-components',
        );
        scaffolder.addActions(
          createRegisterLocalAction({ directory, catalog, auth }),
        );
      },
    });
  },
});

/** Catalog side: the locations that action adds are of type file. */
export const sandboxCatalogLocationsModule = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'sandbox-file-locations',
  register(reg) {
    reg.registerInit({
      deps: { locations: catalogLocationsExtensionPoint },
      async init({ locations }) {
        locations.setAllowedLocationTypes(['url', 'file']);
      },
    });
  },
});
