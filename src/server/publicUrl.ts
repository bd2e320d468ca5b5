// The base URL the client reached us under: --public-url, else the request, with X-Forwarded-* only from trusted proxies.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

/** Host names and ports only; anything else in a Host header is not echoed into URLs. */
const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;
const PREFIX_SEGMENT = /^[A-Za-z0-9._~!$&'()*+,;=:@%-]+$/;

function firstValue(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const first = value.split(',')[0].trim();
  return first || undefined;
}

/** `/a/b/` → `/a/b`; rejects anything that is not a plain path. */
function normalizePrefix(prefix: string | undefined): string {
  if (!prefix) return '';
  const segments = prefix.split('/').filter((segment) => segment.length > 0);
  if (!segments.every((segment) => PREFIX_SEGMENT.test(segment) && segment !== '..' && segment !== '.')) return '';
  return segments.length ? '/' + segments.join('/') : '';
}

export interface PublicUrlOptions {
  publicUrl?: string;
  trustProxy: boolean;
  /** Used when the request carries no usable Host header. */
  fallbackHost: () => string;
}

/** Returns e.g. `https://tiles.example.az/basemap` (never a trailing slash). */
export function publicBaseUrl(request: IncomingMessage, options: PublicUrlOptions): string {
  if (options.publicUrl) return options.publicUrl;
  const headers = request.headers;
  let proto = (request.socket as TLSSocket).encrypted ? 'https' : 'http';
  let host = firstValue(headers.host);
  let prefix = '';
  if (options.trustProxy) {
    const forwardedProto = firstValue(headers['x-forwarded-proto'])?.toLowerCase();
    if (forwardedProto === 'http' || forwardedProto === 'https') proto = forwardedProto;
    host = firstValue(headers['x-forwarded-host']) ?? host;
    prefix = normalizePrefix(firstValue(headers['x-forwarded-prefix']));
  }
  if (!host || !HOST.test(host)) host = options.fallbackHost();
  return `${proto}://${host}${prefix}`;
}
