import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Loopback addresses as a Node socket reports them (IPv4, IPv6, and IPv4-mapped IPv6). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

/**
 * Whether a request may use the `/_sim/*` controls, which reset the simulator, inject faults and
 * list every VM and job: from the simulator's own machine, or with its token. A request relayed by
 * a proxy (X-Forwarded-For, Forwarded) comes from elsewhere even when the proxy itself is local,
 * as when the sandbox serves the simulator behind the Backstage backend and a reverse proxy.
 */
export function maySteerSimulator(
  req: IncomingMessage,
  token: string,
): boolean {
  const relayed =
    req.headers['x-forwarded-for'] !== undefined ||
    req.headers.forwarded !== undefined;
  if (!relayed && isLoopbackAddress(req.socket.remoteAddress)) return true;
  const match = /^Bearer\s+(.+)$/i.exec(
    req.headers.authorization?.trim() ?? '',
  );
  if (!match) return false;
  const presented = Buffer.from(match[1]);
  const expected = Buffer.from(token);
  return (
    presented.length === expected.length && timingSafeEqual(presented, expected)
  );
}
