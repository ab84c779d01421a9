import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ListQueryError } from '@vm-selfservice/plugin-vm-lifecycle-common';

export interface ContinueTokenSettings {
  /**
   * HMAC key (vmLifecycle.pagination.continueTokenSecret). Replicas behind one load balancer must
   * share it. Without one, a fixed key makes the MAC a checksum: it still catches a damaged or
   * hand-edited token, and a forged one gains nothing, because a token carries no authority (the
   * permission filter is evaluated again for every page).
   */
  secret?: string;
  /** How long a token is accepted after its page was served. */
  ttlMs: number;
}

export const DEFAULT_CONTINUE_TOKEN_SETTINGS: ContinueTokenSettings = {
  ttlMs: 10 * 60_000,
};

const BUILT_IN_KEY = 'vm-lifecycle continue token v1';
const VERSION = 1;

interface Payload {
  v: number;
  /** Fingerprint of the filters and sort the token was issued for. */
  q: string;
  /** Sort key of the last item served. */
  a: string[];
  /** Expiry, epoch milliseconds. */
  x: number;
}

/** The fingerprint of a query's filters and sort: a token only continues the list it came from. */
export function queryFingerprint(parts: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(parts))
    .digest('base64url')
    .slice(0, 22);
}

/**
 * Opaque continue tokens: `base64url(payload).base64url(HMAC-SHA256(payload))`, with an expiry,
 * bound to the query they continue. Every refusal is a ListQueryError naming `continue`.
 */
export class ContinueTokens {
  private readonly key: Buffer;

  constructor(
    private readonly settings: ContinueTokenSettings = DEFAULT_CONTINUE_TOKEN_SETTINGS,
    private readonly now: () => number = Date.now,
  ) {
    this.key = Buffer.from(settings.secret || BUILT_IN_KEY, 'utf8');
  }

  issue(fingerprint: string, after: string[]): string {
    const payload: Payload = {
      v: VERSION,
      q: fingerprint,
      a: after,
      x: this.now() + this.settings.ttlMs,
    };
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${this.mac(body).toString('base64url')}`;
  }

  /** The sort key the token continues after; `keyLength` is what the query's sort needs. */
  read(token: string, fingerprint: string, keyLength: number): string[] {
    const dot = token.indexOf('.');
    const body = dot > 0 ? token.slice(0, dot) : '';
    const mac = Buffer.from(dot > 0 ? token.slice(dot + 1) : '', 'base64url');
    const expected = this.mac(body);
    if (
      !body ||
      mac.length !== expected.length ||
      !timingSafeEqual(mac, expected)
    ) {
      throw new ListQueryError(
        'continue',
        'not a token this service issued (damaged or altered); list again from the first page',
      );
    }
    let payload: Payload;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      throw new ListQueryError('continue', 'unreadable token');
    }
    if (
      payload?.v !== VERSION ||
      !Array.isArray(payload.a) ||
      payload.a.length !== keyLength ||
      payload.a.some(v => typeof v !== 'string') ||
      typeof payload.x !== 'number'
    ) {
      throw new ListQueryError(
        'continue',
        'the token does not continue a list with this sort; list again from the first page',
      );
    }
    if (payload.q !== fingerprint) {
      throw new ListQueryError(
        'continue',
        'the token was issued for other filters or another sort; list again from the first page',
      );
    }
    if (this.now() > payload.x) {
      throw new ListQueryError(
        'continue',
        'the token has expired; list again from the first page',
      );
    }
    return payload.a;
  }

  private mac(body: string): Buffer {
    return createHmac('sha256', this.key).update(body).digest();
  }
}
