// GET /tiles/{id}/{z}/{x}/{y}.{ext}: the hot path, answered on raw node:http ahead of Koa.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { MaybePromise, StoredTile } from '../../archive/types.js';
import { ArchiveUnavailableError } from '../../archive/types.js';
import { InputError, messageOf } from '../../errors.js';
import { MAX_ZOOM } from '../../grid/webMercator.js';
import { isInMatrix } from '../../grid/tileMatrixSets.js';
import { redactUrl } from '../access.js';
import { acceptsGzip, CorruptTileError, encodeTile, matchesEtag } from '../encoding.js';
import { requestLogger } from '../logger.js';
import type { FastPath, RouteModule, ServerContext } from '../module.js';
import type { Tileset } from '../registry.js';

const PREFIX = '/tiles/';

export type TileRequest = { id: string; z: number; x: number; y: number; ext: string } | { error: string; status: 400 };

/** Digits only, at most 10 of them; -1 otherwise. */
function parseIndex(text: string): number {
  if (text.length === 0 || text.length > 10) return -1;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * Parses `/tiles/{id}/{z}/{x}/{y}.{ext}` (query string already removed). Undefined when the path has
 * another shape (left to the router: /tiles/{id}.json, or a 404); an error for malformed coordinates.
 */
export function parseTilePath(path: string): TileRequest | undefined {
  if (!path.startsWith(PREFIX)) return undefined;
  const s1 = path.indexOf('/', PREFIX.length);
  if (s1 === -1) return undefined;
  const s2 = path.indexOf('/', s1 + 1);
  if (s2 === -1) return undefined;
  const s3 = path.indexOf('/', s2 + 1);
  if (s3 === -1 || path.indexOf('/', s3 + 1) !== -1) return undefined;
  const last = path.slice(s3 + 1);
  const dot = last.lastIndexOf('.');
  if (dot <= 0 || dot === last.length - 1) return { error: 'expected /tiles/{id}/{z}/{x}/{y}.{ext}', status: 400 };
  let id = path.slice(PREFIX.length, s1);
  if (id.indexOf('%') !== -1) {
    try {
      id = decodeURIComponent(id);
    } catch {
      return { error: 'malformed tileset id', status: 400 };
    }
  }
  const z = parseIndex(path.slice(s1 + 1, s2));
  const x = parseIndex(path.slice(s2 + 1, s3));
  const y = parseIndex(last.slice(0, dot));
  if (z < 0 || x < 0 || y < 0) return { error: 'z, x and y must be non-negative integers', status: 400 };
  if (z > MAX_ZOOM) return { error: `zoom ${z} is above ${MAX_ZOOM}`, status: 400 };
  // Every grid has at most 2^z rows and 2^(z+1) columns (WorldCRS84Quad); the tileset's own matrix is checked once it is known.
  const size = 2 ** z;
  if (x >= 2 * size || y >= size) return { error: `x and y must be in 0..${size - 1} at zoom ${z}`, status: 400 };
  return { id, z, x, y, ext: last.slice(dot + 1).toLowerCase() };
}

const UNAVAILABLE_STATUS = { failed: 502, timeout: 504, unavailable: 503 } as const;

/** The body of an error answer: JSON `{error}` on this route; WMTS and OGC API write their own (see ../tileAlias.ts). */
export type TileErrorBody = (status: number, message: string) => { contentType: string; body: string };

const jsonErrorBody: TileErrorBody = (_status, message) => ({ contentType: 'application/json; charset=utf-8', body: JSON.stringify({ error: message }) });

// Set by a protocol that answers through this route for one request; read only when that request fails.
const errorBodies = new WeakMap<IncomingMessage, TileErrorBody>();

/** Makes the tile route write `request`'s error answers with `errorBody` (an OWS exception report, an OGC API exception). */
export function answerErrorsWith(request: IncomingMessage, errorBody: TileErrorBody): void {
  errorBodies.set(request, errorBody);
}

/** The query string without `?` ('' when none): function sources read it. */
function queryOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? '' : url.slice(query + 1);
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** The Vary header of a tileset's tiles: for a public vector tileset the constant `Accept-Encoding`, no arrays per request. */
function varyOf(tileset: Tileset, varyOrigin: boolean): string {
  let vary = tileset.format === 'pbf' ? 'Accept-Encoding' : '';
  if (varyOrigin) vary = vary ? `${vary}, Origin` : 'Origin';
  if (tileset.private) vary = vary ? `${vary}, Authorization` : 'Authorization';
  return vary;
}

export function tilesFastPath(context: ServerContext): FastPath {
  const { registry, metrics, cors, logger, options, caches } = context;
  const logRequest = requestLogger(logger, options.log);
  const observe = metrics.recorder('tile');
  const tileCache = caches.tiles;

  // Headers go out in one writeHead with a flat [name, value, …] list: no per-header bookkeeping on the hot path.
  const finish = (request: IncomingMessage, response: ServerResponse, status: number, headers: string[], started: number, body?: Buffer | string) => {
    response.writeHead(status, headers);
    if (request.method === 'HEAD' || body === undefined) response.end();
    else response.end(body);
    const seconds = (performance.now() - started) / 1000;
    observe(status, seconds);
    logRequest(request.method, redactUrl(request.url), status, Math.round(seconds * 1e6) / 1e3);
  };

  const fail = (request: IncomingMessage, response: ServerResponse, status: number, headers: string[], message: string, started: number) => {
    const { contentType, body } = (errorBodies.get(request) ?? jsonErrorBody)(status, message);
    headers.push('Content-Type', contentType, 'Content-Length', String(Buffer.byteLength(body)), 'Cache-Control', 'no-store');
    finish(request, response, status, headers, started, body);
  };

  return (request, response) => {
    const url = request.url ?? '/';
    if (!url.startsWith(PREFIX)) return false;
    const parsed = parseTilePath(pathOf(url));
    if (parsed === undefined) return false;
    const started = performance.now();
    const method = request.method;
    const headers: string[] = ['X-Content-Type-Options', 'nosniff'];

    const corsHeaders = method === 'OPTIONS' ? cors.preflight(request) : cors.simple(request);
    if (corsHeaders) for (const name in corsHeaders.headers) headers.push(name, corsHeaders.headers[name]);
    const varyOrigin = corsHeaders?.varyOrigin === true;
    if (method === 'OPTIONS') {
      if (varyOrigin) headers.push('Vary', 'Origin');
      headers.push('Allow', 'GET, HEAD, OPTIONS');
      finish(request, response, 204, headers, started);
      return true;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      headers.push('Allow', 'GET, HEAD, OPTIONS');
      fail(request, response, 405, headers, `method ${method} not allowed`, started);
      return true;
    }
    if ('error' in parsed) {
      fail(request, response, parsed.status, headers, parsed.error, started);
      return true;
    }
    const tileset = registry.get(parsed.id);
    if (!tileset) {
      fail(request, response, 404, headers, `no tileset "${parsed.id}"`, started);
      return true;
    }
    if (!tileset.extensions.includes(parsed.ext)) {
      fail(request, response, 400, headers, `tileset "${tileset.id}" serves .${tileset.extensions.join(' or .')} tiles, not .${parsed.ext}`, started);
      return true;
    }
    const { z, x, y } = parsed;
    if (!isInMatrix(tileset.grid, z, x, y)) {
      const matrix = tileset.grid.matrix(z);
      fail(request, response, 400, headers, matrix ? `x must be in 0..${matrix.matrixWidth - 1} and y in 0..${matrix.matrixHeight - 1} at zoom ${z} of ${tileset.grid.id}` : `${tileset.grid.id} has no zoom ${z}`, started);
      return true;
    }
    const vary = varyOf(tileset, varyOrigin);
    if (vary) headers.push('Vary', vary);

    // A hot tile skips the archive: no SQLite read, no hashing (the stored tile keeps its hash).
    // Live tiles are not kept here: their source caches them for its TTL, so that edits show.
    const cacheKey = tileCache.enabled && !tileset.live ? tileCache.keyOf(tileset, z, x, y) : undefined;
    const cached = cacheKey === undefined ? undefined : tileCache.get(cacheKey);
    if (cached) {
      answer(request, response, tileset, z, x, y, headers, started, cached);
      return true;
    }
    let stored: MaybePromise<StoredTile | undefined>;
    try {
      stored = tileset.archive.getTile(z, x, y, tileset.live ? queryOf(url) : undefined);
    } catch (error) {
      unreadable(request, response, tileset, z, x, y, headers, started, error);
      return true;
    }
    // Local archives answer at once; only a remote one hands back a promise, and only then is there an await.
    if (stored instanceof Promise) {
      stored
        .then(
          (tile) => {
            if (tile && cacheKey !== undefined) tileCache.set(cacheKey, tile);
            answer(request, response, tileset, z, x, y, headers, started, tile);
          },
          (error: unknown) => unreadable(request, response, tileset, z, x, y, headers, started, error),
        )
        .catch((error: unknown) => {
          // A bug past this point must not become an unhandled rejection (which would end the process).
          logger.error({ err: error, url }, `request failed: ${messageOf(error)}`);
          if (!response.headersSent) fail(request, response, 500, ['X-Content-Type-Options', 'nosniff'], 'internal error', started);
          else response.destroy();
        });
    } else {
      if (stored && cacheKey !== undefined) tileCache.set(cacheKey, stored);
      answer(request, response, tileset, z, x, y, headers, started, stored);
    }
    return true;
  };

  function unreadable(request: IncomingMessage, response: ServerResponse, tileset: Tileset, z: number, x: number, y: number, headers: string[], started: number, error: unknown): void {
    if (error instanceof InputError) {
      // A live source refused what the request carried (a function source's overlong query string).
      fail(request, response, error.status, headers, error.message, started);
      return;
    }
    if (error instanceof ArchiveUnavailableError) {
      // The upstream of a remote archive failed or was slow, or a database is down: a gateway's answer, so that a
      // cache in front retries elsewhere; the archives and other sources keep serving.
      const what = error.kind === 'timeout' ? 'timed out' : error.kind === 'unavailable' ? 'is unavailable' : 'failed';
      logger.error({ tileset: tileset.id, path: tileset.path, z, x, y, status: UNAVAILABLE_STATUS[error.kind], reason: error.message }, `upstream of ${tileset.id} ${what} for tile ${z}/${x}/${y}: ${error.message}`);
      if (error.kind === 'unavailable') headers.push('Retry-After', '5');
      fail(request, response, UNAVAILABLE_STATUS[error.kind], headers, `tile ${z}/${x}/${y} of "${tileset.id}": upstream ${what}`, started);
      return;
    }
    logger.error({ tileset: tileset.id, path: tileset.path, z, x, y, reason: messageOf(error) }, `reading tile ${z}/${x}/${y} of ${tileset.id} failed`);
    fail(request, response, 500, headers, `tile ${z}/${x}/${y} of "${tileset.id}" could not be read`, started);
  }

  function answer(request: IncomingMessage, response: ServerResponse, tileset: Tileset, z: number, x: number, y: number, headers: string[], started: number, stored: StoredTile | undefined): void {
    if (!stored) {
      if (z >= tileset.metadata.minzoom && z <= tileset.metadata.maxzoom && tileset.covers(z, x, y)) {
        // An empty tile inside the tileset: clients draw nothing and keep the tile cached like any other.
        headers.push('Cache-Control', tileset.cacheControl);
        finish(request, response, 204, headers, started);
      } else {
        fail(request, response, 404, headers, `tile ${z}/${x}/${y} is outside tileset "${tileset.id}"`, started);
      }
      return;
    }
    let encoded;
    try {
      encoded = encodeTile(stored, tileset.format, acceptsGzip(request.headers['accept-encoding']));
    } catch (error) {
      if (!(error instanceof CorruptTileError)) throw error;
      logger.error({ tileset: tileset.id, path: tileset.path, z, x, y, reason: error.message }, `tile ${z}/${x}/${y} of ${tileset.id} is corrupt`);
      fail(request, response, 500, headers, `tile ${z}/${x}/${y} of "${tileset.id}" is corrupt in the archive`, started);
      return;
    }
    headers.push('ETag', encoded.etag, 'Cache-Control', tileset.cacheControl);
    if (matchesEtag(request.headers['if-none-match'], encoded.etag)) {
      finish(request, response, 304, headers, started);
      return;
    }
    headers.push('Content-Type', tileset.contentType, 'Content-Length', String(encoded.body.length));
    if (encoded.contentEncoding) headers.push('Content-Encoding', encoded.contentEncoding);
    metrics.tileServed(tileset.id, encoded.body.length);
    finish(request, response, 200, headers, started, encoded.body);
  }
}

export const tilesModule: RouteModule = {
  name: 'tiles',
  fastPath: tilesFastPath,
};
