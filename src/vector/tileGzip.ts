// Tiles are stored gzipped. A tile whose encoded bytes could not exceed the size budget even gzipped is handed
// over encoded, and gzipped by the thread that writes it: the tiling worker goes on cutting meanwhile (gzip was
// 2.3 s of the worker's 21 s on the world Natural Earth build, while the main thread sat idle).
import { gzipSync } from 'node:zlib';

/** A tile's bytes as the worker hands them over: gzipped already, or encoded and known to fit once gzipped. */
export interface PackedTile {
  bytes: Uint8Array;
  gzipped: boolean;
}

/**
 * The most bytes gzip can make of `size` bytes: zlib's deflateBound for the default window and memory level
 * (stored blocks cost 5 bytes in 16 KB at worst), its gzip header and trailer (18 bytes), and some slack.
 */
export function gzipBound(size: number): number {
  return size + (size >> 12) + (size >> 14) + (size >> 25) + 7 + 18 + 64;
}

/** Encoded bytes packed for the budget: gzipped now only when their gzipped size decides whether they fit. */
export function packTile(encoded: Uint8Array, maxBytes: number, level: number): PackedTile {
  if (gzipBound(encoded.length) <= maxBytes) return { bytes: encoded, gzipped: false };
  return { bytes: gzipTile(encoded, level), gzipped: true };
}

/**
 * Gzipped bytes in a buffer of their own size: zlib's result is a view of its 16 KB output chunk, and the archive
 * holds a batch of 2,000 tiles before writing them (32 MB of chunks for a few MB of tiles).
 */
export function gzipTile(encoded: Uint8Array, level: number): Buffer {
  return Buffer.from(gzipSync(encoded, { level }));
}

/**
 * Back-pressure between the tiling workers and the thread that gzips and writes their tiles: bytes handed over
 * and not yet written, counted in memory both sides share. A worker that would pass the limit waits (it cuts
 * tiles in one synchronous walk, so it blocks rather than awaits): without it, tiles queued in the main thread
 * took the world build from 153 to 178–185 MB peak RSS.
 */
export const TILE_BYTES_IN_FLIGHT = 2 * 1024 * 1024;

export function tilesInFlightCounter(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

/** Worker side: waits until the writer is under the limit, then counts `bytes` as handed over. */
export function handOver(counter: Int32Array, bytes: number): void {
  for (let held = Atomics.load(counter, 0); held > TILE_BYTES_IN_FLIGHT; held = Atomics.load(counter, 0)) Atomics.wait(counter, 0, held);
  Atomics.add(counter, 0, bytes);
}

/** Writer side: `bytes` handed over are written (or dropped); a waiting worker may go on. */
export function handedOverDone(counter: Int32Array, bytes: number): void {
  Atomics.sub(counter, 0, bytes);
  Atomics.notify(counter, 0);
}
