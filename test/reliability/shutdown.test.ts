// SIGTERM to a real `mekan serve` (one process, and --workers 2) while large answers are still being read: each
// answer arrives whole, then the process exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { join } from 'node:path';
import { MAPLIBRE_DIST_DIR } from '../../src/server/viewer/routes.js';
import { makeTempDir } from '../support/tempDir.js';
import { spawnServe } from '../support/mekanProcess.js';
import { writeVectorArchive } from '../server/core/fixtures.js';

const dir = makeTempDir('mekan-sigterm-');
writeVectorArchive(join(dir, 'basemap.mbtiles'), { maxzoom: 2 });
// The largest file the server sends: read slowly, it keeps its answer in flight for a couple of seconds.
const BIG = 'maplibre-gl.mjs.map';
const BIG_SIZE = statSync(join(MAPLIBRE_DIST_DIR, BIG)).size;

interface SlowRead {
  received: () => number;
  /** Resolves with the first chunk; reading then stays paused until `release()`. */
  started: Promise<void>;
  release: () => void;
  done: Promise<{ status: number; bytes: number; complete: boolean }>;
}

/** GETs the big file uncompressed: one chunk, a pause until released, then a chunk every 20 ms (about 3 MB/s). */
function slowRead(port: number): SlowRead {
  let received = 0;
  let onStart!: () => void;
  const started = new Promise<void>((resolveStart) => (onStart = resolveStart));
  let onRelease!: () => void;
  const released = new Promise<void>((resolveRelease) => (onRelease = resolveRelease));
  const done = new Promise<{ status: number; bytes: number; complete: boolean }>((resolveDone, reject) => {
    const req = httpGet({ host: '127.0.0.1', port, path: `/_/maplibre-gl/${BIG}`, headers: { 'accept-encoding': 'identity' }, agent: false }, (res) => {
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        res.pause();
        onStart();
        void released.then(() => setTimeout(() => res.resume(), 20));
      });
      res.on('end', () => resolveDone({ status: res.statusCode ?? 0, bytes: received, complete: res.complete }));
      res.on('error', reject);
      res.on('aborted', () => reject(new Error(`answer cut after ${received} bytes`)));
    });
    req.on('error', reject);
  });
  return { received: () => received, started, release: onRelease, done };
}

for (const workers of ['1', '2']) {
  test(`SIGTERM with answers in flight (--workers ${workers}): every answer finishes whole, then exit 0`, async () => {
    assert.ok(BIG_SIZE > 4_000_000, `${BIG} is only ${BIG_SIZE} bytes`);
    const { child, url, exited, stderr, printed } = await spawnServe([dir, '--port', '0', '--quiet', '--workers', workers]);
    const port = Number(new URL(url).port);
    const reads = Array.from({ length: 6 }, () => slowRead(port));
    // Every answer has begun and its reader holds still: all six are in flight when the signal arrives.
    await Promise.all(reads.map((read) => read.started));
    const atSignal = reads.map((read) => read.received());
    assert.ok(atSignal.every((bytes) => bytes > 0 && bytes < BIG_SIZE), `in flight at SIGTERM: ${atSignal.join(', ')} of ${BIG_SIZE}`);
    const shuttingDown = printed(/shutting down/);
    child.kill('SIGTERM');
    // The readers go on only once the server has said it is shutting down.
    await shuttingDown;
    for (const read of reads) read.release();
    const answers = await Promise.all(reads.map((read) => read.done));
    for (const answer of answers) assert.deepEqual(answer, { status: 200, bytes: BIG_SIZE, complete: true });
    assert.equal(await exited, 0, stderr());
    assert.match(stderr(), /shutting down/);
  });
}
