// How a live tile is held: sent as PostGIS made it on the request that read it, kept gzipped once the cache has it.
import { gzipSync } from 'node:zlib';
import { identityHash, tileDigest } from '../archive/tileHashes.js';
import { isGzip, type StoredTile } from '../archive/types.js';

/**
 * Level 1, as nginx compresses on the fly by default: on Natural Earth admin-1 tiles (20 kB plain on average) it
 * writes 0.546 of the plain size against level 6's 0.525, for about half the CPU.
 */
const GZIP_LEVEL = 1;

/**
 * A tile as the database returned it. Plain, it is named as the identity variant of the gzipped tile it becomes in
 * the cache (src/server/encoding.ts), so that its ETag does not change when it does.
 */
export function liveTile(mvt: Buffer): StoredTile {
  // A tile function may return its tile gzipped already (Martin accepts that too).
  if (isGzip(mvt)) return { data: mvt, hash: tileDigest(mvt), gzipped: true };
  return { data: mvt, hash: identityHash(tileDigest(mvt)), gzipped: false };
}

/**
 * The form the cache keeps: gzipped once, then sent compressed to clients that accept gzip (about half the bytes)
 * and decompressed for the others, like archive tiles. Named by the plain bytes' hash: plain answers keep their ETag.
 */
export function compressedLiveTile(tile: StoredTile): StoredTile {
  if (tile.gzipped) return tile;
  return { data: gzipSync(tile.data, { level: GZIP_LEVEL }), hash: tileDigest(tile.data), gzipped: true };
}
