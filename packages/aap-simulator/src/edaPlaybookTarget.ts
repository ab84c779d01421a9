import type { EdaPlaybookTarget } from './types';

/** A ComputeInstance as the EDA event payload names it. */
export interface PayloadRef {
  namespace: string;
  name: string;
  uid?: string;
}

/**
 * What the real EDA playbooks change on the ComputeInstance (DOMAIN.md section 2), against either
 * the plugin's callback route (database mode) or the Kubernetes API (cluster mode).
 */
export interface PlaybookTargetClient {
  addAapFinalizer(ref: PayloadRef): Promise<void>;
  setReconciledVersion(ref: PayloadRef, configVersion: string): Promise<void>;
  removeAapFinalizer(ref: PayloadRef): Promise<void>;
}

export interface TargetDeps {
  /** Waits between retries; the simulator's scheduler, so close() stops them. */
  delay: (ms: number) => Promise<void>;
  fetchImpl?: typeof fetch;
}

const ATTEMPTS = 5;
const RETRY_BASE_MS = 50;
const DEFAULT_GROUP = 'osac.openshift.io';

/** Failures worth another try (what a playbook's `retries`/`until` would cover). */
class RetryableError extends Error {}

export function createPlaybookTargetClient(
  target: EdaPlaybookTarget,
  deps: TargetDeps,
): PlaybookTargetClient {
  const fetchImpl = deps.fetchImpl ?? fetch;
  const retrying = async (what: string, fn: () => Promise<void>) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await fn();
        return;
      } catch (error) {
        const retryable =
          error instanceof RetryableError || error instanceof TypeError;
        if (!retryable || attempt >= ATTEMPTS) {
          throw new Error(`${what}: ${(error as Error).message}`);
        }
        await deps.delay(RETRY_BASE_MS * 2 ** (attempt - 1));
      }
    }
  };
  return target.type === 'callback'
    ? callbackClient(target, fetchImpl, retrying)
    : kubernetesClient(target, fetchImpl, retrying);
}

type Retrying = (what: string, fn: () => Promise<void>) => Promise<void>;

function callbackClient(
  target: Extract<EdaPlaybookTarget, { type: 'callback' }>,
  fetchImpl: typeof fetch,
  retrying: Retrying,
): PlaybookTargetClient {
  const base = target.baseUrl.replace(/\/+$/, '');
  const post = (ref: PayloadRef, route: string, body: object) => async () => {
    const url = `${base}/eda/callback/${encodeURIComponent(ref.namespace)}/${encodeURIComponent(ref.name)}/${route}`;
    const res = await fetchImpl(url, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${target.token}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({ ...body, uid: ref.uid }),
    });
    if (res.ok) {
      await res.arrayBuffer();
      return;
    }
    const text = await res.text();
    const message = `callback ${route} answered HTTP ${res.status}: ${text.slice(0, 300)}`;
    throw res.status >= 500 ? new RetryableError(message) : new Error(message);
  };
  return {
    addAapFinalizer: ref =>
      retrying(
        `Add the AAP finalizer to ${describe(ref)}`,
        post(ref, 'aap-finalizer', { action: 'add' }),
      ),
    setReconciledVersion: (ref, configVersion) =>
      retrying(
        `Set the reconciled config version of ${describe(ref)}`,
        post(ref, 'reconciled', { configVersion }),
      ),
    removeAapFinalizer: ref =>
      retrying(
        `Remove the AAP finalizer from ${describe(ref)}`,
        post(ref, 'aap-finalizer', { action: 'remove' }),
      ),
  };
}

interface KubeObject {
  metadata: {
    uid?: string;
    resourceVersion?: string;
    deletionTimestamp?: string;
    finalizers?: string[];
    annotations?: Record<string, string>;
  };
}

/**
 * What `kubernetes.core.k8s` does for the real playbooks: read the CR, then a JSON merge patch.
 * A merge patch replaces the whole finalizer list, so it carries the resourceVersion it was based
 * on; the API server answers 409 when the controller wrote in between, and we read again.
 */
function kubernetesClient(
  target: Extract<EdaPlaybookTarget, { type: 'kubernetes' }>,
  fetchImpl: typeof fetch,
  retrying: Retrying,
): PlaybookTargetClient {
  const group = target.group ?? DEFAULT_GROUP;
  const finalizer = `${group}/computeinstance-aap`;
  const annotation = `${group}/reconciled-config-version`;
  const base = target.apiServerUrl.replace(/\/+$/, '');
  const url = (ref: PayloadRef) =>
    `${base}/apis/${group}/v1alpha1/namespaces/${encodeURIComponent(ref.namespace)}/computeinstances/${encodeURIComponent(ref.name)}`;
  const headers = (extra: Record<string, string> = {}) => ({
    Accept: 'application/json',
    ...(target.token ? { Authorization: `Bearer ${target.token}` } : {}),
    ...extra,
  });

  /** The CR, or undefined when it is gone or the name now belongs to another object. */
  const read = async (ref: PayloadRef): Promise<KubeObject | undefined> => {
    const res = await fetchImpl(url(ref), { headers: headers() });
    if (res.status === 404) {
      await res.arrayBuffer();
      return undefined;
    }
    if (!res.ok) throw await failure(res, 'GET');
    const obj = (await res.json()) as KubeObject;
    return ref.uid && obj.metadata.uid !== ref.uid ? undefined : obj;
  };
  const patch = async (ref: PayloadRef, metadata: object) => {
    const res = await fetchImpl(url(ref), {
      method: 'PATCH',
      headers: headers({ 'Content-Type': 'application/merge-patch+json' }),
      body: JSON.stringify({ metadata }),
    });
    if (!res.ok) throw await failure(res, 'PATCH');
    await res.arrayBuffer();
  };

  return {
    addAapFinalizer: ref =>
      retrying(`Add finalizer ${finalizer} to ${describe(ref)}`, async () => {
        const obj = await read(ref);
        if (!obj) throw new Error('the ComputeInstance does not exist');
        const finalizers = obj.metadata.finalizers ?? [];
        if (finalizers.includes(finalizer)) return;
        if (obj.metadata.deletionTimestamp)
          throw new Error('the ComputeInstance is being deleted');
        await patch(ref, {
          resourceVersion: obj.metadata.resourceVersion,
          finalizers: [...finalizers, finalizer],
        });
      }),
    setReconciledVersion: (ref, configVersion) =>
      retrying(`Set annotation ${annotation} on ${describe(ref)}`, async () => {
        const obj = await read(ref);
        if (!obj) throw new Error('the ComputeInstance does not exist');
        await patch(ref, {
          resourceVersion: obj.metadata.resourceVersion,
          annotations: { [annotation]: configVersion },
        });
      }),
    removeAapFinalizer: ref =>
      retrying(
        `Remove finalizer ${finalizer} from ${describe(ref)}`,
        async () => {
          const obj = await read(ref);
          const finalizers = obj?.metadata.finalizers ?? [];
          if (!obj || !finalizers.includes(finalizer)) return;
          await patch(ref, {
            resourceVersion: obj.metadata.resourceVersion,
            finalizers: finalizers.filter(f => f !== finalizer),
          });
        },
      ),
  };
}

async function failure(res: Response, method: string): Promise<Error> {
  const text = await res.text();
  const message = `${method} answered HTTP ${res.status}: ${text.slice(0, 300)}`;
  return res.status === 409 || res.status === 429 || res.status >= 500
    ? new RetryableError(message)
    : new Error(message);
}

function describe(ref: PayloadRef): string {
  return `ComputeInstance ${ref.namespace}/${ref.name}`;
}
