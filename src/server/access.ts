// Private tilesets: which request may see which tileset, decided once per request from its token.
//
// The request's token is read once when it arrives and kept in an AsyncLocalStorage scope; the registry
// consults it in `get`/`list`, so every route module (tiles, TileJSON, catalog, WMTS, OGC, styles) hides a
// private tileset from a request without its token without knowing about tokens. Outside a request scope
// a private tileset is hidden too: a lost scope fails closed.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** What one request presented, and whether it was shown anything private (its answer must then not be shared). */
export interface RequestAccess {
  /** The token as the client sent it (for links in answers), and its digest (for comparison). */
  readonly token: string | undefined;
  readonly digest: Buffer | undefined;
  /** Set when a private tileset was shown to this request. */
  revealed: boolean;
}

const scope = new AsyncLocalStorage<RequestAccess>();

/** Fixed-length digests make the comparison independent of the tokens' lengths. */
export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** The token of a request: `Authorization: Bearer T`, else `?token=T` or `?access_token=T`. */
export function requestToken(request: IncomingMessage): string | undefined {
  const authorization = request.headers.authorization;
  if (authorization) {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (match) return match[1];
  }
  const url = request.url ?? '';
  const query = url.indexOf('?');
  if (query === -1) return undefined;
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(url.slice(query + 1));
  } catch {
    return undefined;
  }
  return params.get('token') || params.get('access_token') || undefined;
}

/** Runs `handle` with the request's access in scope. */
export function withRequestAccess<T>(request: IncomingMessage, handle: () => T): T {
  const token = requestToken(request);
  return scope.run({ token, digest: token === undefined ? undefined : tokenDigest(token), revealed: false }, handle);
}

/** The access of the request being handled, if any. */
export function currentAccess(): RequestAccess | undefined {
  return scope.getStore();
}

/**
 * Whether the current request holds one of `digests`. Every digest is compared (no early exit), each in
 * constant time, so timing tells nothing about which token or how much of one matched.
 */
export function currentRequestHolds(digests: readonly Buffer[]): boolean {
  const access = scope.getStore();
  if (!access?.digest) return false;
  let held = false;
  for (const digest of digests) if (timingSafeEqual(digest, access.digest)) held = true;
  if (held) access.revealed = true;
  return held;
}

/** Appends the current request's token to a URL it may follow to a private resource (clients keep working). */
export function withToken(url: string): string {
  const token = scope.getStore()?.token;
  if (token === undefined) return url;
  return `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
}
