import {
  ApiConstructor,
  ApiType,
  createConfiguration,
  IsomorphicFetchHttpLibrary,
  KubeConfig,
  RequestContext,
  ResponseContext,
  ServerConfiguration,
  wrapHttpLibrary,
} from '@kubernetes/client-node';

/** A Kubernetes API call that got no complete answer in time; the REST API answers it with 503. */
export class KubernetesTimeoutError extends Error {
  override readonly name = 'KubernetesTimeoutError';
}

/**
 * The same cluster and credentials, but every API client made from it aborts a call that has not
 * been answered within `timeoutMs`. @kubernetes/client-node sets no time-out at all: one stalled
 * apiserver connection would otherwise hold a REST request, a reconcile worker or a lease renewal
 * forever. Watches are made by `Watch` and are not affected: they are meant to stay open, and the
 * informers re-list when one ends.
 */
export class TimeoutKubeConfig extends KubeConfig {
  constructor(
    source: KubeConfig,
    readonly timeoutMs: number,
  ) {
    super();
    this.loadFromOptions({
      clusters: source.clusters,
      users: source.users,
      contexts: source.contexts,
      currentContext: source.currentContext,
    });
  }

  override makeApiClient<T extends ApiType>(ApiClient: ApiConstructor<T>): T {
    const cluster = this.getCurrentCluster();
    if (!cluster) throw new Error('No active cluster!');
    return new ApiClient(
      createConfiguration({
        baseServer: new ServerConfiguration(cluster.server, {}),
        authMethods: { default: this },
        httpApi: timedHttpLibrary(this.timeoutMs),
      }),
    );
  }
}

function timedHttpLibrary(timeoutMs: number) {
  const inner = new IsomorphicFetchHttpLibrary();
  const seconds = `${Number((timeoutMs / 1000).toFixed(3))} s`;
  const timedOut = (e: unknown, request: RequestContext) =>
    isAbort(e)
      ? new KubernetesTimeoutError(
          `The Kubernetes API did not answer within ${seconds} (${request.getHttpMethod()} request aborted)`,
        )
      : e;
  return wrapHttpLibrary({
    async send(request: RequestContext): Promise<ResponseContext> {
      // The signal covers the body too: headers that arrive followed by nothing are a stall as well.
      request.setSignal(AbortSignal.timeout(timeoutMs));
      let response: ResponseContext;
      try {
        response = await inner.send(request).toPromise();
      } catch (e) {
        throw timedOut(e, request);
      }
      const { body } = response;
      return new ResponseContext(response.httpStatusCode, response.headers, {
        text: () =>
          body.text().catch(e => {
            throw timedOut(e, request);
          }),
        binary: () =>
          body.binary().catch(e => {
            throw timedOut(e, request);
          }),
      });
    },
  });
}

function isAbort(error: unknown): boolean {
  const name = (error as { name?: unknown } | undefined)?.name;
  return name === 'AbortError' || name === 'TimeoutError';
}
