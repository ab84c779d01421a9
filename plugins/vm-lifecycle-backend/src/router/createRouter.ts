import {
  AuditorService,
  BackstageCredentials,
  HttpAuthService,
  LoggerService,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  InputError,
  NotAllowedError,
  NotFoundError,
  serializeError,
} from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  ComputeInstance,
  InstanceListQuery,
  ListQueryError,
  PortalSettings,
  parseInstanceListQuery,
  QuotasResponse,
  vmAdminPermission,
  vmInstanceCreatePermission,
  vmInstanceDeletePermission,
  vmInstanceDeletionReleasePermission,
  vmInstanceDeletionRetryPermission,
  vmInstanceExpiryExtendPermission,
  vmInstanceReadPermission,
  vmInstanceUpdatePermission,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import express, { ErrorRequestHandler, Request } from 'express';
import Router from 'express-promise-router';
import { LifecycleEventStore } from '../events/types';
import {
  DatabaseInstanceHistory,
  DeletedInstance,
} from '../history/DatabaseInstanceHistory';
import { decisionPredicate } from '../permissions/evaluate';
import { listAccess } from '../permissions/listAccess';
import { createInstanceRules } from '../permissions/rules';
import { UnprocessableRequestError } from '../service/errors';
import { instanceNotFound, InstanceService } from '../service/InstanceService';
import { QuotaService } from '../quota/QuotaService';
import { createErrorFilter } from './errorFilter';
import { validatePathParameters } from './pathParameters';
import {
  createWriteRateLimit,
  DEFAULT_WRITE_RATE_LIMIT,
  WriteRateLimitSettings,
} from './writeRateLimit';

/** What the portal may know about the deployment (no secrets). */
export type PublicSettings = PortalSettings;

export interface InstanceHistoryRoutesOptions {
  instances: DatabaseInstanceHistory;
  /** The events that outlive the instance: the plugin's database in both modes. */
  events: LifecycleEventStore;
}

export interface RouterOptions {
  logger: LoggerService;
  settings?: PublicSettings;
  service: InstanceService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  auditor: AuditorService;
  rules: ReturnType<typeof createInstanceRules>;
  /** Per-user limit on writes (vmLifecycle.rateLimit.writes); default 60 per minute. */
  writeRateLimit?: WriteRateLimitSettings;
  /** GET /quotas; absent: no quotas are kept and the route answers none. */
  quota?: QuotaService;
  /** The caller's groups, for the quotas GET /quotas shows. */
  userInfo?: UserInfoService;
  /** Deleted instances and their events, kept for the retention (absent: those routes answer 404). */
  history?: InstanceHistoryRoutesOptions;
}

export const MAX_BODY_BYTES = 64 * 1024;

type InstancePermission = ResourcePermission<'vm-lifecycle-instance'>;

/**
 * Answers what the default Backstage error handler cannot express: 422 for immutable or reserved
 * fields, and
 * body-parser failures as InputErrors that say what was wrong with the body.
 */
const errorTranslator: ErrorRequestHandler = (error, req, res, next) => {
  if (error instanceof UnprocessableRequestError) {
    res.status(422).json({
      error: serializeError(error),
      request: { method: req.method, url: req.originalUrl },
      response: { statusCode: 422 },
    });
    return;
  }
  const parserError = error as { type?: string; message?: string };
  if (parserError?.type === 'entity.too.large') {
    next(
      new InputError(
        `request body: larger than the ${MAX_BODY_BYTES / 1024} KiB limit`,
      ),
    );
    return;
  }
  if (parserError?.type === 'entity.parse.failed') {
    next(
      new InputError(`request body: malformed JSON (${parserError.message})`),
    );
    return;
  }
  next(error);
};

export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const router = Router();
  validatePathParameters(router);

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  const { service, httpAuth, permissions, auditor, rules } = options;
  const ruleList = [rules.isRequester, rules.isOwner];

  // Before the body parser: a caller over the limit costs no parsing at all.
  router.use(
    '/instances',
    createWriteRateLimit({
      settings: options.writeRateLimit ?? DEFAULT_WRITE_RATE_LIMIT,
      httpAuth,
    }),
  );
  router.use(express.json({ limit: MAX_BODY_BYTES, strict: false }));

  async function audit<T>(
    req: Request,
    eventId: string,
    meta: Record<string, string>,
    fn: () => Promise<T>,
    severityLevel: 'medium' | 'high' = 'medium',
  ): Promise<T> {
    const event = await auditor.createEvent({
      eventId,
      request: req,
      severityLevel,
      meta,
    });
    try {
      const result = await fn();
      await event.success({ meta });
      return result;
    } catch (error) {
      await event.fail({ meta, error: error as Error });
      throw error;
    }
  }

  async function authorizeBasic(
    credentials: BackstageCredentials,
    permission: BasicPermission,
  ) {
    const [decision] = await permissions.authorize([{ permission }], {
      credentials,
    });
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        `You are not allowed to ${permission.attributes.action ?? 'use'} virtual machines (${permission.name})`,
      );
    }
  }

  /**
   * Throws unless the caller holds `permission` on the instance. A caller who may not even read it
   * gets the very answer a missing instance gets, so names cannot be probed; one who may read it
   * but not do this learns why (403). Either denial is audited.
   */
  async function authorizeInstance(
    req: Request,
    credentials: BackstageCredentials,
    permission: InstancePermission,
    instance: ComputeInstance,
  ) {
    const asked =
      permission.name === vmInstanceReadPermission.name
        ? [permission]
        : [vmInstanceReadPermission, permission];
    const decisions = await permissions.authorizeConditional(
      asked.map(p => ({ permission: p })),
      { credentials },
    );
    const allows = (i: number) =>
      decisionPredicate(decisions[i], ruleList)(instance);
    const { namespace, name } = instance.metadata;
    let denial: Error | undefined;
    if (!allows(0)) {
      denial = instanceNotFound(namespace, name);
    } else if (!allows(decisions.length - 1)) {
      denial = new NotAllowedError(
        `You are not allowed to ${permission.attributes.action} ComputeInstance ${namespace}/${name}: it was requested by someone else and is not owned by a group you belong to`,
      );
    }
    if (!denial) return;
    const event = await auditor.createEvent({
      eventId: 'instance-access-denied',
      request: req,
      severityLevel: 'high',
      meta: { namespace, name, permission: permission.name },
    });
    await event.fail({ error: denial });
    throw denial;
  }

  /** Loads an instance and checks the permission. */
  async function loadAuthorized(req: Request, permission: InstancePermission) {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const instance = await service.get(req.params.namespace, req.params.name);
    await authorizeInstance(req, credentials, permission, instance);
    return { credentials, instance };
  }

  router.get('/settings', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    res.json(options.settings ?? {});
  });

  router.get('/templates', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    res.json({ items: service.listTemplates() });
  });

  /**
   * The caller's quotas: their own (VMs without an owner) and those of their groups that have a
   * quota or use something. `?all=true` (admins): every subject, for the admin view.
   */
  router.get('/quotas', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const all = queryFlag(req, 'all');
    const quota = options.quota;
    let body: QuotasResponse = { items: [] };
    if (all) {
      await authorizeBasic(credentials, vmAdminPermission);
      if (quota) body = { items: await quota.statusOfAll() };
    } else if (quota) {
      const user = credentials.principal.userEntityRef;
      const claims = options.userInfo
        ? (await options.userInfo.getUserInfo(credentials)).ownershipEntityRefs
        : [];
      const groups = [...new Set(claims.filter(r => r.startsWith('group:')))];
      const items = await quota.statusOf([user, ...groups]);
      body = {
        items: items.filter(
          q =>
            q.subject === user || q.source !== 'none' || q.used.instances > 0,
        ),
      };
    }
    res.json(body);
  });

  router.get('/instances', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const query = listQuery(req);
    const [decision] = await permissions.authorizeConditional(
      [{ permission: vmInstanceReadPermission }],
      { credentials },
    );
    res.json(await service.listPage(query, listAccess(decision, ruleList)));
  });

  router.post('/instances', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const name =
      typeof req.body?.metadata?.name === 'string'
        ? req.body.metadata.name
        : '';
    const created = await audit(req, 'instance-create', { name }, async () => {
      await authorizeBasic(credentials, vmInstanceCreatePermission);
      return service.create(
        req.body,
        credentials.principal.userEntityRef,
        credentials,
      );
    });
    res.status(201).json(created);
  });

  /**
   * A deleted instance by uid, with the permission it had while it existed: its last state is
   * what the rules (requester, owner) and the admin policy are decided on. Not found and not
   * allowed answer alike (404), as for live instances.
   */
  async function loadDeleted(req: Request): Promise<DeletedInstance> {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const { uid } = req.params;
    const deleted = await options.history?.instances.get(uid);
    if (!deleted) {
      throw new NotFoundError(`No deleted ComputeInstance with uid ${uid}`);
    }
    try {
      await authorizeInstance(
        req,
        credentials,
        vmInstanceReadPermission,
        deleted.instance,
      );
    } catch (e) {
      if (e instanceof NotFoundError) {
        throw new NotFoundError(`No deleted ComputeInstance with uid ${uid}`);
      }
      throw e;
    }
    return deleted;
  }

  // Before /instances/:namespace/:name, which would take "by-uid" for a namespace.
  router.get('/instances/by-uid/:uid', async (req, res) => {
    res.json(await loadDeleted(req));
  });

  router.get('/instances/by-uid/:uid/events', async (req, res) => {
    const { instance } = await loadDeleted(req);
    res.json({ items: await options.history!.events.list(instance.metadata) });
  });

  router.get('/instances/:namespace/:name/history', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const { namespace, name } = req.params;
    const all =
      (await options.history?.instances.listByName(namespace, name)) ?? [];
    const decisions = await permissions.authorizeConditional(
      [{ permission: vmInstanceReadPermission }],
      { credentials },
    );
    const allowed = decisionPredicate(decisions[0], ruleList);
    // Only what the caller could read; the others are not even counted.
    res.json({
      items: all
        .filter(d => allowed(d.instance))
        .map(({ uid, deletedAt }) => ({ uid, deletedAt })),
    });
  });

  router.get('/instances/:namespace/:name', async (req, res) => {
    const { instance } = await loadAuthorized(req, vmInstanceReadPermission);
    res.json(instance);
  });

  router.patch('/instances/:namespace/:name', async (req, res) => {
    const { namespace, name } = req.params;
    const updated = await audit(
      req,
      'instance-patch',
      { namespace, name },
      async () => {
        await loadAuthorized(req, vmInstanceUpdatePermission);
        return service.patch(namespace, name, req.body);
      },
    );
    res.json(updated);
  });

  router.post('/instances/:namespace/:name/restart', async (req, res) => {
    const { namespace, name } = req.params;
    const updated = await audit(
      req,
      'instance-restart',
      { namespace, name },
      async () => {
        await loadAuthorized(req, vmInstanceUpdatePermission);
        return service.restart(namespace, name);
      },
    );
    res.status(202).json(updated);
  });

  router.delete('/instances/:namespace/:name', async (req, res) => {
    const { namespace, name } = req.params;
    const result = await audit(
      req,
      'instance-delete',
      { namespace, name },
      async () => {
        const { instance } = await loadAuthorized(
          req,
          vmInstanceDeletePermission,
        );
        const deleting = await service.delete(namespace, name);
        // Without finalizers the record goes at once; answer with its last state.
        return (
          deleting ?? {
            ...instance,
            metadata: {
              ...instance.metadata,
              deletionTimestamp: new Date().toISOString(),
            },
          }
        );
      },
    );
    res.status(202).json(result);
  });

  router.post('/instances/:namespace/:name/expiry', async (req, res) => {
    const { namespace, name } = req.params;
    const meta: Record<string, string> = { namespace, name };
    if (typeof req.body?.expiresAt === 'string')
      meta.expiresAt = req.body.expiresAt.slice(0, 40);
    const updated = await audit(
      req,
      'instance-expiry-extend',
      meta,
      async () => {
        const { credentials } = await loadAuthorized(
          req,
          vmInstanceExpiryExtendPermission,
        );
        return service.extendExpiry(
          namespace,
          name,
          req.body,
          callerRef(credentials),
        );
      },
    );
    res.json(updated);
  });

  router.post(
    '/instances/:namespace/:name/deletion/retry',
    async (req, res) => {
      const { namespace, name } = req.params;
      const updated = await audit(
        req,
        'instance-deletion-retry',
        { namespace, name },
        async () => {
          const { credentials } = await loadAuthorized(
            req,
            vmInstanceDeletionRetryPermission,
          );
          return service.requestDeletionRetry(
            namespace,
            name,
            callerRef(credentials),
          );
        },
      );
      res.status(202).json(updated);
    },
  );

  router.post(
    '/instances/:namespace/:name/deletion/release',
    async (req, res) => {
      const { namespace, name } = req.params;
      const meta: Record<string, string> = { namespace, name };
      if (typeof req.body?.confirm === 'string')
        meta.confirm = req.body.confirm.slice(0, 40);
      if (typeof req.body?.reason === 'string')
        meta.reason = req.body.reason.slice(0, 1000);
      await audit(
        req,
        'instance-deletion-release',
        meta,
        async () => {
          const { credentials } = await loadAuthorized(
            req,
            vmInstanceDeletionReleasePermission,
          );
          await service.releaseDeletion(
            namespace,
            name,
            req.body,
            callerRef(credentials),
          );
        },
        'high',
      );
      res.status(204).end();
    },
  );

  router.get('/instances/:namespace/:name/events', async (req, res) => {
    await loadAuthorized(req, vmInstanceReadPermission);
    res.json({
      items: await service.events(req.params.namespace, req.params.name),
    });
  });

  router.get(
    '/instances/:namespace/:name/jobs/:jobID/stdout',
    async (req, res) => {
      const full = queryFlag(req, 'full');
      await loadAuthorized(req, vmInstanceReadPermission);
      const { namespace, name, jobID } = req.params;
      // The portal asks for JSON to learn whether the text was cut (cross-origin, a custom
      // response header would need CORS exposure), and renders Ansible's colours; a download or
      // a plain-text client gets the text without colour codes, as AWX's format=txt.
      const json =
        !full &&
        req.accepts(['text/plain', 'application/json']) === 'application/json';
      const output = await service.jobOutput(namespace, name, jobID, {
        full,
        plain: !json,
      });
      if (json) {
        res.json(output);
        return;
      }
      if (full) res.attachment(`${namespace}-${name}-job-${jobID}.txt`);
      res.set('X-Output-Length', String(output.totalChars));
      res.set('X-Output-Truncated', String(output.truncated));
      res.type('text/plain').send(output.text);
    },
  );

  router.use(errorTranslator);
  router.use(createErrorFilter(options.logger));
  return router;
}

/** Who did it, for events: the user, or the service that called. */
function callerRef(credentials: BackstageCredentials): string {
  const p = credentials.principal as {
    userEntityRef?: string;
    subject?: string;
  };
  return p.userEntityRef ?? p.subject ?? 'unknown caller';
}

/** `?full=true` and the like; absent is false. */
function queryFlag(req: Request, key: string): boolean {
  const value = req.query[key];
  if (value === undefined) return false;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new InputError(`${key}: must be true or false`);
}

/** The query of GET /instances, every parameter checked (400 naming the first bad one). */
function listQuery(req: Request): InstanceListQuery {
  try {
    return parseInstanceListQuery(req.query as Record<string, unknown>);
  } catch (e) {
    if (e instanceof ListQueryError) throw new InputError(e.message);
    throw e;
  }
}
