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
  /** The token as the client sent it, and its digest (for comparison). */
  readonly token: string | undefined;
  readonly digest: Buffer | undefined;
  /** Whether the token came in the URL: only then do links in answers carry it (a header-authenticated client sends it itself). */
  readonly inUrl: boolean;
  /** Set when a private tileset was shown to this request. */
  revealed: boolean;
}

const scope = new AsyncLocalStorage<RequestAccess>();

/** Fixed-length digests make the comparison independent of the tokens' lengths. */
export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** The token of a request and where it came from: `Authorization: Bearer T`, else `?token=T` or `?access_token=T`. */
export function requestToken(request: IncomingMessage): { token: string; inUrl: boolean } | undefined {
  const authorization = request.headers.authorization;
  if (authorization) {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (match) return { token: match[1], inUrl: false };
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
  const token = params.get('token') || params.get('access_token') || undefined;
  return token === undefined ? undefined : { token, inUrl: true };
}

/** Runs `handle` with the request's access in scope. */
export function withRequestAccess<T>(request: IncomingMessage, handle: () => T): T {
  const presented = requestToken(request);
  return scope.run(
    { token: presented?.token, digest: presented ? tokenDigest(presented.token) : undefined, inUrl: presented?.inUrl === true, revealed: false },
    handle,
  );
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

/**
 * Appends the current request's token to a URL it may follow to a private resource, so that clients that
 * authenticate by URL keep working. A client that sent the token in a header gets clean links: it sends the
 * header again, and a token in a link would travel on into logs, Referer headers and shared documents.
 */
export function withToken(url: string): string {
  const token = linkToken();
  return token === undefined ? url : `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
}

/** The token links in the current answer carry (see withToken), if any. */
export function linkToken(): string | undefined {
  const access = scope.getStore();
  return access?.inUrl ? access.token : undefined;
}

const TOKEN_NAMES = new Set(['token', 'access_token']);

function parameterName(part: string): string {
  const name = part.slice(0, part.indexOf('=') === -1 ? part.length : part.indexOf('=')).replace(/\+/g, ' ');
  try {
    return decodeURIComponent(name).toLowerCase();
  } catch {
    return name.toLowerCase();
  }
}

/**
 * A URL as it may be logged: the values of `token` and `access_token` replaced, however the name is
 * escaped or cased (`%74oken` is read as `token`; `TOKEN` is not, but is as secret), so tokens never reach the logs.
 */
export function redactUrl(url: string | undefined): string | undefined {
  const query = url?.indexOf('?') ?? -1;
  if (url === undefined || query === -1) return url;
  const parts = url.slice(query + 1).split('&');
  let changed = false;
  for (let i = 0; i < parts.length; i++) {
    if (TOKEN_NAMES.has(parameterName(parts[i]))) {
      parts[i] = `${parts[i].split('=')[0]}=[redacted]`;
      changed = true;
    }
  }
  return changed ? `${url.slice(0, query + 1)}${parts.join('&')}` : url;
}
