import { createHmac } from 'node:crypto';

/**
 * How the event stream authenticates us, matching the AAP 2.5 EDA credential types:
 * - "Token Event Stream": EDA reads the configured header and compares it with the token after
 *   stripping a leading "Bearer ". We send `Bearer <token>` in `Authorization` (the default header)
 *   and the bare token in any custom header, which EDA accepts either way.
 * - "HMAC Event Stream": an HMAC of the exact body bytes in a header; hash, encoding and prefix
 *   must match the credential (GitHub style `X-Hub-Signature-256: sha256=<hex>` by default).
 */
export type EdaAuthConfig =
  | {
      type: 'token';
      token: string;
      /** Default `Authorization`. */
      header?: string;
    }
  | {
      type: 'hmac';
      secret: string;
      /** Default `X-Hub-Signature-256`. */
      header?: string;
      /** Default `hex`. */
      encoding?: 'hex' | 'base64';
      /** Put in front of the signature; default `sha256=`. Use '' for a credential without prefix. */
      prefix?: string;
    };

export const DEFAULT_TOKEN_HEADER = 'Authorization';
export const DEFAULT_HMAC_HEADER = 'X-Hub-Signature-256';

/** The header that carries the credential, for messages that must not show its value. */
export function credentialHeader(auth: EdaAuthConfig): string {
  return (
    auth.header?.trim() ||
    (auth.type === 'token' ? DEFAULT_TOKEN_HEADER : DEFAULT_HMAC_HEADER)
  );
}

export function edaAuthHeaders(
  auth: EdaAuthConfig,
  body: string,
): Record<string, string> {
  const header = credentialHeader(auth);
  if (auth.type === 'token') {
    const value =
      header.toLowerCase() === 'authorization'
        ? `Bearer ${auth.token}`
        : auth.token;
    return { [header]: value };
  }
  const digest = createHmac('sha256', auth.secret)
    .update(body, 'utf8')
    .digest(auth.encoding ?? 'hex');
  return { [header]: `${auth.prefix ?? 'sha256='}${digest}` };
}

/** Fails at startup rather than at the first event. */
export function validateEdaAuth(auth: EdaAuthConfig, configKey: string): void {
  if (auth.type === 'token') {
    if (!auth.token)
      throw new Error(`${configKey}.token is required for auth type "token"`);
  } else if (auth.type === 'hmac') {
    if (!auth.secret)
      throw new Error(`${configKey}.secret is required for auth type "hmac"`);
    if (
      auth.encoding &&
      auth.encoding !== 'hex' &&
      auth.encoding !== 'base64'
    ) {
      throw new Error(`${configKey}.encoding must be "hex" or "base64"`);
    }
  } else {
    throw new Error(`${configKey}.type must be "token" or "hmac"`);
  }
  const header = credentialHeader(auth);
  if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(header)) {
    throw new Error(
      `${configKey}.header "${header}" is not a valid HTTP header name`,
    );
  }
}
