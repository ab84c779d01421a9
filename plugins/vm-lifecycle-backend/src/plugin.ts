import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { vmInstancesServiceRef } from '@vm-selfservice/plugin-vm-lifecycle-node';
import {
  apiGroupNames,
  vmLifecyclePermissions,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { readVmLifecycleConfig } from './config';
import { Controller } from './controller/controller';
import { DatabaseLeaderElector } from './controller/databaseLease';
import { CopyingEventStore } from './events/CopyingEventStore';
import { DatabaseEventStore } from './events/DatabaseEventStore';
import { DatabaseInstanceHistory } from './history/DatabaseInstanceHistory';
import { recordDeletedInstances } from './history/recordHistory';
import {
  createInstanceRules,
  vmInstanceResourceRef,
} from './permissions/rules';
import { ProvisioningProvider } from './providers/types';
import { createRouter } from './router/createRouter';
import {
  assertCallbackTokenStrength,
  createEdaCallbackRouter,
  EDA_CALLBACK_PATH,
} from './router/edaCallbackRouter';
import { createTransitionNotifier, ExpiryNotifications } from './notifications';
import { readInstanceLinks } from '@vm-selfservice/plugin-vm-lifecycle-node';
import { createProvider } from './service/createProvider';
import { ContinueTokens } from './service/continueToken';
import { InstanceService } from './service/InstanceService';
import { createCatalogOwnerCheck } from './service/OwnerCheck';
import { publishInstanceSignals } from './service/publishSignals';
import { readTemplates } from './service/readTemplates';
import { DatabaseStore } from './store/DatabaseStore';
import { createClusterComponents } from './cluster';
import { ExpiryKeeper, startExpirySweeps } from './controller/expiry';
import { QuotaLedger } from './quota/QuotaLedger';
import { QuotaService } from './quota/QuotaService';

/**
 * The vm-lifecycle backend plugin: the ComputeInstance controller and its REST API.
 *
 * @public
 */
export const vmLifecyclePlugin = createBackendPlugin({
  pluginId: 'vm-lifecycle',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        database: coreServices.database,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        lifecycle: coreServices.lifecycle,
        logger: coreServices.logger,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        auditor: coreServices.auditor,
        userInfo: coreServices.userInfo,
        signals: signalsServiceRef,
        instances: vmInstancesServiceRef,
        catalog: catalogServiceRef,
        notifications: notificationService,
        scheduler: coreServices.scheduler,
      },
      async init(deps) {
        const { config, database, httpRouter, lifecycle, logger } = deps;
        const settings = readVmLifecycleConfig(config);
        const templates = readTemplates(config);
        const adminGroups =
          config.getOptionalStringArray('vmLifecycle.adminGroups') ?? [];
        const names = apiGroupNames(settings.apiGroup);
        // The plugin's database, in both modes: cluster mode keeps the history of deleted instances
        // and its own copy of their lifecycle events there (the Kubernetes event TTL erases them).
        const knex = await database.getClient();
        const skipMigrations = database.migrations?.skip ?? false;
        const databaseEvents = await DatabaseEventStore.create({
          knex,
          skipMigrations,
        });
        const backing = await openStores();
        const { store, events } = backing;
        // Other plugins of this backend (the catalog entity provider) read and watch through this.
        const disconnectFeed = deps.instances.connect({
          list: () => store.list(),
          get: (namespace, name) => store.get(namespace, name),
          watch: listener => store.watch(listener),
        });
        const history = await DatabaseInstanceHistory.create({
          knex,
          skipMigrations: true,
          retentionMs: settings.history.retentionMs,
        });

        async function openStores() {
          if (settings.storeType === 'kubernetes') {
            // Cluster mode: ComputeInstance custom resources, Kubernetes Events, a Lease.
            const cluster = await createClusterComponents({
              config,
              logger,
              apiGroup: settings.apiGroup,
            });
            logger.info(
              `Cluster mode: ComputeInstances on ${cluster.settings.server}${cluster.settings.kubevirtActive ? ' (KubeVirt status on)' : ''}`,
            );
            return {
              ...cluster,
              events: new CopyingEventStore(
                cluster.events,
                databaseEvents,
                logger,
              ),
            };
          }
          const databaseStore = await DatabaseStore.create({
            knex,
            apiGroup: settings.apiGroup,
            skipMigrations,
            logger,
          });
          return {
            store: databaseStore,
            events: databaseEvents,
            leaderElector: new DatabaseLeaderElector({ knex, logger }),
            close: () => databaseStore.close(),
          };
        }

        const configured = createProvider({
          settings,
          rootConfig: config,
          store,
          names,
          logger,
        });
        const provider: ProvisioningProvider | undefined = configured?.provider;
        let controller: Controller | undefined;
        if (provider && settings.controller.enabled) {
          const ctl = new Controller({
            store,
            provider,
            events,
            names,
            logger: logger.child({ component: 'controller' }),
            pollIntervalMs: settings.controller.pollIntervalMs,
            workers: settings.controller.workers,
            resyncIntervalMs: settings.controller.resyncIntervalMs,
            maxJobHistory: settings.controller.maxJobHistory,
            unknownOutcomeSettleMs: settings.controller.unknownOutcomeSettleMs,
            deletionStuckAfterMs: settings.controller.deletionStuckAfterMs,
            jobPolling: settings.controller.jobPolling,
            leaderElector: backing.leaderElector,
          });
          controller = ctl;
          lifecycle.addStartupHook(() => ctl.start());
        } else {
          logger.warn(
            provider
              ? 'The ComputeInstance controller is disabled in this replica (vmLifecycle.controller.enabled: false)'
              : 'No provider configured (vmLifecycle.provider.aap or .eda): instances can be requested but nothing will provision them',
          );
        }

        // The ledger lives in the plugin's database in both modes, so replicas sharing it share
        // one count (cluster mode: see the README's "Quotas and expiry").
        const quota = new QuotaService({
          ledger: await QuotaLedger.create({
            knex: await database.getClient(),
            skipMigrations: database.migrations?.skip ?? false,
          }),
          settings: settings.quotas,
          names,
          logger: logger.child({ component: 'quota' }),
        });
        const unwatchQuota = quota.watchReleases(store);
        const recount = () =>
          quota
            .heal(store)
            .catch(error =>
              logger.warn(
                `Quota recount failed: ${error instanceof Error ? error.message : String(error)}`,
              ),
            );
        let recountTimer: NodeJS.Timeout | undefined;
        lifecycle.addStartupHook(async () => {
          await recount();
          recountTimer = setInterval(
            () => void recount(),
            settings.controller.resyncIntervalMs,
          );
          recountTimer.unref?.();
        });

        let stopExpiry: (() => void) | undefined;
        if (controller) {
          const ctl = controller;
          const keeper = new ExpiryKeeper({
            store,
            events,
            names,
            remindersBeforeMs: settings.expiry.remindersBeforeMs,
            notifier:
              config.getOptionalBoolean('vmLifecycle.notifications.enabled') ===
              false
                ? undefined
                : new ExpiryNotifications({
                    notifications: deps.notifications,
                    names,
                    links: readInstanceLinks(config),
                  }),
            logger: logger.child({ component: 'expiry' }),
            onDelete: instance => ctl.enqueue(instance),
          });
          stopExpiry = startExpirySweeps({
            keeper,
            intervalMs: settings.expiry.checkIntervalMs,
            isLeading: () => ctl.isLeading(),
            logger,
          });
        }

        const unwatch = publishInstanceSignals(
          store,
          deps.signals,
          names,
          adminGroups,
          logger,
        );
        // Every replica follows the transitions; the controller's leader, which writes them, sends.
        const notifier = createTransitionNotifier({
          config,
          store,
          notifications: deps.notifications,
          names,
          adminGroups,
          isLeader: () =>
            Boolean(controller) && (backing.leaderElector?.isLeader() ?? true),
          logger: logger.child({ component: 'notifications' }),
        });
        if (notifier) lifecycle.addStartupHook(() => notifier.start());
        const unwatchDeletions = recordDeletedInstances(store, history, logger);
        await deps.scheduler.scheduleTask({
          id: 'vm-lifecycle-history-prune',
          frequency: { hours: 1 },
          timeout: { minutes: 5 },
          initialDelay: { minutes: 1 },
          fn: async () => {
            const pruned = await history.prune();
            if (pruned > 0) {
              logger.info(
                `Pruned the history of ${pruned} deleted ComputeInstance(s) past vmLifecycle.history.retention`,
              );
            }
          },
        });
        // One hook, in order: the controller stops before the stores it uses close.
        lifecycle.addShutdownHook(async () => {
          stopExpiry?.();
          if (recountTimer) clearInterval(recountTimer);
          unwatchQuota();
          await controller?.stop();
          notifier?.stop();
          unwatch();
          disconnectFeed();
          unwatchDeletions();
          await backing.close();
        });

        const rules = createInstanceRules(names);
        deps.permissionsRegistry.addResourceType({
          resourceRef: vmInstanceResourceRef,
          permissions: vmLifecyclePermissions,
          rules: [rules.isRequester, rules.isOwner],
          getResources: async refs =>
            Promise.all(
              refs.map(ref => {
                const [namespace, name] = ref.split('/');
                return store.get(namespace, name);
              }),
            ),
        });

        const service = new InstanceService({
          store,
          events,
          provider,
          templates,
          names,
          defaultNamespace: settings.defaultNamespace,
          onWrite: instance => controller?.enqueue(instance),
          jobOutput: settings.jobOutput,
          quota,
          continueTokens: new ContinueTokens({
            secret: settings.pagination.continueTokenSecret,
            ttlMs: settings.pagination.continueTokenTtlMs,
          }),
          ownerCheck: createCatalogOwnerCheck({
            catalog: deps.catalog,
            userInfo: deps.userInfo,
            permissions: deps.permissions,
          }),
        });
        // The EDA playbooks' callback (database mode) authenticates with its own shared token.
        assertCallbackTokenStrength(configured?.edaCallbackToken);
        httpRouter.use(
          createEdaCallbackRouter({
            store,
            names,
            logger,
            token: configured?.edaCallbackToken,
            onWrite: instance => controller?.enqueue(instance),
          }),
        );
        httpRouter.addAuthPolicy({
          path: EDA_CALLBACK_PATH,
          allow: 'unauthenticated',
        });
        httpRouter.use(
          await createRouter({
            logger,
            service,
            settings: {
              apiGroup: settings.apiGroup,
              provider: settings.providerType,
              store: settings.storeType,
              pollIntervalMs: settings.controller.pollIntervalMs,
              controllerEnabled: Boolean(controller),
              aapJobUrlTemplate: settings.aap?.jobUrlTemplate,
            },
            httpAuth: deps.httpAuth,
            permissions: deps.permissions,
            auditor: deps.auditor,
            rules,
            writeRateLimit: settings.writeRateLimit,
            quota,
            userInfo: deps.userInfo,
            history: { instances: history, events: databaseEvents },
          }),
        );
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
      },
    });
  },
});
