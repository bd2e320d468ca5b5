// The one place that decides how a stored tile goes out: which bytes, which Content-Encoding, which ETag.
import { gunzipSync } from 'node:zlib';
import { identityHash } from '../archive/tileHashes.js';
import type { StoredTile, TileFormat } from '../archive/types.js';

export interface TileAnswer {
  body: Buffer;
  /** `gzip` when the body is sent gzip-encoded. */
  contentEncoding?: 'gzip';
  /** Strong ETag, quoted; the decompressed variant has its own. */
  etag: string;
  /** Vector tiles vary by Accept-Encoding; raster tiles do not. */
  varyEncoding: boolean;
}

/** A stored tile that cannot be sent (its gzip is broken): the archive's fault, not the request's. */
export class CorruptTileError extends Error {}

/** Does an Accept-Encoding header allow gzip? (`gzip` or `*` with a non-zero q.) */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  // Fast path for what browsers and tile clients send (`gzip, deflate, br`).
  if (header.indexOf(';') === -1 && header.indexOf('gzip') !== -1) return true;
  let star = false;
  for (const part of header.split(',')) {
    const [name, ...params] = part.split(';');
    const coding = name.trim().toLowerCase();
    if (coding !== 'gzip' && coding !== 'x-gzip' && coding !== '*') continue;
    let q = 1;
    for (const param of params) {
      const [key, value] = param.split('=');
      if (key.trim().toLowerCase() === 'q') q = Number(value);
    }
    const allowed = Number.isFinite(q) && q > 0;
    if (coding === '*') star = allowed;
    else return allowed;
  }
  return star;
}

/**
 * Vector tiles stored gzipped go out as stored to clients that accept gzip and decompressed to the others;
 * tiles stored plain go out as stored (tiles are small; compressing per request costs more than it saves);
 * raster tiles are never gzip-encoded.
 */
export function encodeTile(tile: StoredTile, format: TileFormat, clientAcceptsGzip: boolean): TileAnswer {
  const vector = format === 'pbf';
  if (!vector || !tile.gzipped) return { body: tile.data, etag: `"${tile.hash}"`, varyEncoding: vector };
  if (clientAcceptsGzip) return { body: tile.data, contentEncoding: 'gzip', etag: `"${tile.hash}"`, varyEncoding: true };
  let body: Buffer;
  try {
    body = gunzipSync(tile.data);
  } catch (error) {
    throw new CorruptTileError(`stored tile is not valid gzip: ${(error as Error).message}`);
  }
  return { body, etag: `"${identityHash(tile.hash)}"`, varyEncoding: true };
}

/** If-None-Match against an ETag (weak comparison, as RFC 9110 asks for this header). */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch === etag) return true;
  for (const raw of ifNoneMatch.split(',')) {
    const candidate = raw.trim();
    if (candidate === '*') return true;
    if ((candidate.startsWith('W/') ? candidate.slice(2) : candidate) === etag) return true;
  }
  return false;
}
