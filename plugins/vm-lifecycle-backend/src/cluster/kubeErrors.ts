/*
 * What the Kubernetes API said when a call failed. @kubernetes/client-node 1.x throws an ApiException
 * whose `body` is the raw response text (a metav1.Status as JSON); controllers switch on its `code`
 * and `reason`, never on the exception's message.
 */

export interface KubeStatus {
  code?: number;
  reason?: string;
  message?: string;
}

export function kubeStatusOf(error: unknown): KubeStatus | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, body } = error as { code?: unknown; body?: unknown };
  if (typeof code !== 'number') return undefined;
  let status: Record<string, unknown> | undefined;
  if (typeof body === 'string') {
    try {
      const parsed: unknown = JSON.parse(body);
      if (typeof parsed === 'object' && parsed !== null)
        status = parsed as Record<string, unknown>;
    } catch {
      // Not a Status (a proxy's HTML error page, say): keep the code, use the text as message.
      return { code, message: body.slice(0, 500) };
    }
  } else if (typeof body === 'object' && body !== null) {
    status = body as Record<string, unknown>;
  }
  return {
    code,
    reason: typeof status?.reason === 'string' ? status.reason : undefined,
    message: typeof status?.message === 'string' ? status.message : undefined,
  };
}

export function hasStatusCode(error: unknown, code: number): boolean {
  return kubeStatusOf(error)?.code === code;
}

/** A one-line description for logs and wrapped errors: "404 NotFound: ... not found". */
export function describeKubeError(error: unknown): string {
  const status = kubeStatusOf(error);
  if (!status) return error instanceof Error ? error.message : String(error);
  return [status.code, status.reason, status.message && `: ${status.message}`]
    .filter(Boolean)
    .join(' ')
    .replace(' :', ':');
}
