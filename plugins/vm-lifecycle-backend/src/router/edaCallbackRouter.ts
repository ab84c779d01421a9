import { createHash, timingSafeEqual } from 'node:crypto';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  AuthenticationError,
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import {
  ApiGroupNames,
  ComputeInstance,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import express, { ErrorRequestHandler, Request } from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import {
  addAapFinalizer,
  InstanceRef,
  MetadataWriteOutcome,
  removeAapFinalizer,
  setReconciledVersion,
} from '../providers/edaMetadata';
import { ComputeInstanceStore } from '../store/types';
import { createErrorFilter } from './errorFilter';
import { answerTooManyRequests, SlidingWindowLimit } from './slidingWindow';
import { validatePathParameters } from './pathParameters';

export interface EdaCallbackRouterOptions {
  store: ComputeInstanceStore;
  names: ApiGroupNames;
  logger: LoggerService;
  /**
   * Shared with the EDA playbooks (`vmLifecycle.provider.eda.callbackToken`). Playbooks have no
   * Backstage identity, so the route is registered as unauthenticated and checks this itself;
   * without a token every call is refused.
   */
  token?: string;
  /** After a write, so the controller looks at the instance at once (the store watch does too). */
  onWrite?: (instance: ComputeInstance) => void;
  /** Failed token checks one client may make per window before it is refused outright. */
  failedAttempts?: { limit: number; windowMs: number };
}

/** Shorter shared secrets are refused at start-up: the route is reachable without a Backstage login. */
export const MIN_CALLBACK_TOKEN_LENGTH = 32;

/** Throws, naming the config key, for a configured callback token too short to resist guessing. */
export function assertCallbackTokenStrength(token: string | undefined): void {
  if (token !== undefined && token.length < MIN_CALLBACK_TOKEN_LENGTH) {
    throw new Error(
      `Invalid config vmLifecycle.provider.eda.callbackToken: must be at least ${MIN_CALLBACK_TOKEN_LENGTH} characters (it has ${token.length}); use a random secret, e.g. from \`openssl rand -hex 32\``,
    );
  }
}

const DEFAULT_FAILED_ATTEMPTS = { limit: 10, windowMs: 60_000 };

/** Path prefix to register with `httpRouter.addAuthPolicy({ path, allow: 'unauthenticated' })`. */
export const EDA_CALLBACK_PATH = '/eda/callback';

const MAX_BODY = '16kb';

// Required: a late callback for an instance that was deleted must never touch a newer instance
// that reused its name, and only the uid tells them apart.
const uid = z.string().min(1).max(128);
const reconciledBody = z.object({
  // The create playbook copies payload.status.desiredConfigVersion, a hex FNV-1a hash.
  configVersion: z
    .string()
    .regex(
      /^[A-Za-z0-9._-]{1,128}$/,
      'must be the config version from the event payload',
    ),
  uid,
});
const finalizerBody = z.object({ action: z.enum(['add', 'remove']), uid });

/** Body-parser failures say what was wrong with the body instead of a bare 400/500. */
const bodyErrors: ErrorRequestHandler = (error, _req, _res, next) => {
  const parserError = error as { type?: string; message?: string };
  if (parserError?.type === 'entity.too.large') {
    next(new InputError(`request body: larger than ${MAX_BODY}`));
  } else if (parserError?.type === 'entity.parse.failed') {
    next(
      new InputError(`request body: malformed JSON (${parserError.message})`),
    );
  } else {
    next(error);
  }
};

/**
 * In database mode no playbook can patch a custom resource, so the EDA playbooks report through
 * here what they would patch on the CR in cluster mode (DOMAIN.md section 2):
 * - `POST /eda/callback/:namespace/:name/reconciled` `{ configVersion, uid }`: the create playbook
 *   succeeded; sets the `<group>/reconciled-config-version` annotation;
 * - `POST /eda/callback/:namespace/:name/aap-finalizer` `{ action: add|remove, uid }`: the
 *   `<group>/computeinstance-aap` finalizer, added during create and removed at the end of delete.
 * `Authorization: Bearer <callbackToken>`. `uid` (from the event payload) is required: a call for an
 * instance that is gone never touches a newer one that reused the name. Removing is idempotent.
 * A client that fails the token check too often is refused for a while (429).
 */
export function createEdaCallbackRouter(
  options: EdaCallbackRouterOptions,
): express.Router {
  const router = Router();
  validatePathParameters(router);
  const expected = options.token ? digest(options.token) : undefined;
  const { limit, windowMs } = options.failedAttempts ?? DEFAULT_FAILED_ATTEMPTS;
  const failures = new SlidingWindowLimit(limit, windowMs);

  router.use(EDA_CALLBACK_PATH, (req, res, next) => {
    // Checked before the token, so guessing stops for the client once it is over the limit.
    const client = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const waitMs = failures.waitMs(client);
    if (waitMs > 0) {
      options.logger.warn(
        `EDA callback: client ${client} refused after ${limit} failed token checks`,
      );
      answerTooManyRequests(
        req,
        res,
        waitMs,
        s =>
          `Too many failed EDA callback attempts from this client; try again in ${s} s`,
      );
      return;
    }
    const refusal = checkToken(req, expected);
    if (
      refusal instanceof AuthenticationError ||
      refusal instanceof NotAllowedError
    )
      failures.record(client);
    next(refusal);
  });
  router.use(EDA_CALLBACK_PATH, express.json({ limit: MAX_BODY }));

  router.post(
    `${EDA_CALLBACK_PATH}/:namespace/:name/reconciled`,
    async (req, res) => {
      const body = parse(reconciledBody, req.body);
      const target = refFrom(req, body.uid);
      const result = await setReconciledVersion(
        options.store,
        options.names,
        target,
        body.configVersion,
      );
      const instance = expectInstance(
        result,
        target,
        `set annotation ${options.names.reconciledConfigVersionAnnotation}`,
      );
      if (result.outcome === 'updated') {
        options.logger.info(
          `EDA playbook reported config version ${body.configVersion} applied on ${label(target)}`,
        );
        options.onWrite?.(instance);
      }
      res.json(answer(options.names, result, instance));
    },
  );

  router.post(
    `${EDA_CALLBACK_PATH}/:namespace/:name/aap-finalizer`,
    async (req, res) => {
      const body = parse(finalizerBody, req.body);
      const target = refFrom(req, body.uid);
      const finalizer = options.names.aapFinalizer;
      if (body.action === 'add') {
        const result = await addAapFinalizer(
          options.store,
          options.names,
          target,
        );
        if (result.outcome === 'deleting') {
          throw new ConflictError(
            `${label(target)} is being deleted: finalizer ${finalizer} can no longer be added; the create playbook must stop`,
          );
        }
        const instance = expectInstance(
          result,
          target,
          `add finalizer ${finalizer}`,
        );
        if (result.outcome === 'updated') options.onWrite?.(instance);
        res.json(answer(options.names, result, instance));
        return;
      }
      const result = await removeAapFinalizer(
        options.store,
        options.names,
        target,
      );
      // Gone, or the name belongs to a newer object: the finalizer meant is gone either way.
      if (result.outcome === 'updated') options.onWrite?.(result.instance);
      if (result.outcome === 'updated' || result.outcome === 'removed') {
        options.logger.info(
          `EDA playbook removed finalizer ${finalizer} from ${label(target)}`,
        );
      }
      res.json(
        answer(
          options.names,
          result,
          'instance' in result && result.outcome !== 'uidMismatch'
            ? result.instance
            : undefined,
        ),
      );
    },
  );

  router.use(EDA_CALLBACK_PATH, bodyErrors);
  router.use(EDA_CALLBACK_PATH, createErrorFilter(options.logger));
  return router;
}

function checkToken(
  req: Request,
  expected: Buffer | undefined,
): Error | undefined {
  if (!expected) {
    return new ServiceUnavailableError(
      'EDA callbacks are disabled: set vmLifecycle.provider.eda.callbackToken and give the playbooks the same token',
    );
  }
  const header = req.headers.authorization;
  const match =
    typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
  if (!match)
    return new AuthenticationError(
      'EDA callback needs "Authorization: Bearer <vmLifecycle.provider.eda.callbackToken>"',
    );
  // Digests have equal length, so the comparison time does not depend on where a guess goes wrong.
  if (!timingSafeEqual(digest(match[1]), expected))
    return new NotAllowedError('EDA callback token is not valid');
  return undefined;
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new InputError(
      `request body: ${issue.path.join('.') || '(root)'} ${issue.message}`,
    );
  }
  return result.data;
}

function refFrom(req: Request, uidValue: string | undefined): InstanceRef {
  return {
    namespace: req.params.namespace,
    name: req.params.name,
    uid: uidValue,
  };
}

function label(ref: InstanceRef): string {
  return `ComputeInstance ${ref.namespace}/${ref.name}`;
}

function expectInstance(
  result: MetadataWriteOutcome,
  ref: InstanceRef,
  what: string,
): ComputeInstance {
  switch (result.outcome) {
    case 'updated':
    case 'unchanged':
      return result.instance;
    case 'notFound':
    case 'removed':
      throw new NotFoundError(`${label(ref)} not found; cannot ${what}`);
    case 'uidMismatch':
      throw new ConflictError(
        `${label(ref)} now has uid ${result.instance.metadata.uid}, not ${ref.uid}: the instance of this event is gone; cannot ${what}`,
      );
    default:
      throw new ConflictError(`${label(ref)} is being deleted; cannot ${what}`);
  }
}

/** Only what the playbook deals with: other annotations (who requested the VM) are none of its business. */
function answer(
  names: ApiGroupNames,
  result: MetadataWriteOutcome,
  instance: ComputeInstance | undefined,
) {
  return {
    outcome: result.outcome,
    ...(instance
      ? {
          uid: instance.metadata.uid,
          resourceVersion: instance.metadata.resourceVersion,
          finalizers: instance.metadata.finalizers,
          reconciledConfigVersion:
            instance.metadata.annotations?.[
              names.reconciledConfigVersionAnnotation
            ] ?? null,
        }
      : {}),
  };
}
