import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, unlinkSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createArchive } from '../../src/archive/open.js';
import { bboxToTileRange, tilesInRange } from '../../src/grid/webMercator.js';
import { makeTempDir } from '../support/tempDir.js';
import { BOUNDS, captureLogger, get, startServer } from '../server/core/fixtures.js';

const dir = makeTempDir('mekan-hotswap-');
const MAXZOOM = 8;
const CONNECTIONS = 24;

/** Every tile of the bounds but every fifth (left out: an empty tile, 204); each tile's bytes name the version and the tile. */
function tilesOf(): { path: string; stored: boolean }[] {
  const tiles: { path: string; stored: boolean }[] = [];
  let i = 0;
  for (let z = 0; z <= MAXZOOM; z++) for (const { x, y } of tilesInRange(bboxToTileRange(BOUNDS, z))) tiles.push({ path: `${z}/${x}/${y}`, stored: i++ % 5 !== 0 });
  return tiles;
}

/** Built with the archive layer: a temp file beside the target, renamed over it when complete. */
function writeVersion(path: string, version: number, tiles: { path: string; stored: boolean }[]): void {
  const writer = createArchive(path);
  for (const tile of tiles) {
    if (!tile.stored) continue;
    const [z, x, y] = tile.path.split('/').map(Number);
    // Padding makes tiles of a few KB, so that a response torn between two versions could not pass as whole.
    writer.putTile(z, x, y, gzipSync(Buffer.from(`mekan v${version} ${tile.path} ${'·'.repeat(1000 + ((x * 7 + y) % 500))}`)));
  }
  writer.setMetadata({ name: `live v${version}`, format: 'pbf', minzoom: 0, maxzoom: MAXZOOM, bounds: BOUNDS, vector_layers: [] });
  writer.finish();
}

interface Tally {
  requests: number;
  byStatus: Map<number, number>;
  failures: string[];
  versions: Set<number>;
}

/** One keep-alive GET; resolves with status, headers and raw body, or rejects on a connection error. */
function fetchRaw(agent: Agent, base: URL, path: string): Promise<{ status: number; etag: string | undefined; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: base.hostname, port: base.port, path, agent, headers: { 'accept-encoding': 'gzip' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, etag: res.headers.etag, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

test('archives renamed over ten times and another added and removed, under steady load: no failed request, every answer whole from one version', async () => {
  const folder = join(dir, 'served');
  mkdirSync(folder);
  const tiles = tilesOf();
  writeVersion(join(folder, 'live.mbtiles'), 0, tiles);
  const { logger, logged } = captureLogger();
  const server = await startServer([folder], { reloadIntervalMs: 100, logger });
  const base = new URL(server.url);
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const tally: Tally = { requests: 0, byStatus: new Map(), failures: [], versions: new Set() };
  let extraPresent = false;
  let running = true;
  // Resolves once the load has answered `count` more requests: the swaps are spaced by work done, not by a clock.
  const progressWaiters: { at: number; resolve: () => void }[] = [];
  const afterRequests = (count: number) => new Promise<void>((resolve) => progressWaiters.push({ at: tally.requests + count, resolve }));

  const check = async (i: number) => {
    const tile = tiles[(i * 7919) % tiles.length];
    const extra = i % 10 === 0;
    const path = `/tiles/${extra ? 'extra' : 'live'}/${tile.path}.pbf`;
    let answer;
    try {
      answer = await fetchRaw(agent, base, path);
    } catch (error) {
      tally.failures.push(`${path}: ${(error as Error).message}`);
      return;
    }
    tally.requests++;
    for (let k = progressWaiters.length - 1; k >= 0; k--) {
      if (tally.requests < progressWaiters[k].at) continue;
      progressWaiters[k].resolve();
      progressWaiters.splice(k, 1);
    }
    tally.byStatus.set(answer.status, (tally.byStatus.get(answer.status) ?? 0) + 1);
    const expected = tile.stored ? 200 : 204;
    // The extra tileset comes and goes: 404 is right while it is away.
    if (answer.status !== expected && !(extra && answer.status === 404)) {
      tally.failures.push(`${path}: ${answer.status} ${answer.body.toString().slice(0, 200)}`);
      return;
    }
    if (answer.status !== 200) return;
    if (answer.etag !== `"${createHash('md5').update(answer.body).digest('hex')}"`) tally.failures.push(`${path}: ETag ${answer.etag} is not the body's`);
    const text = gunzipSync(answer.body).toString();
    const match = /^mekan v(\d+) (\d+\/\d+\/\d+) /.exec(text);
    if (!match || match[2] !== tile.path) tally.failures.push(`${path}: body of another tile: ${text.slice(0, 40)}`);
    else if (!extra) tally.versions.add(Number(match[1]));
  };
  let counter = 0;
  const loops = Array.from({ length: CONNECTIONS }, async () => {
    while (running) await check(counter++);
  });

  /** Checks that the server answers `path` from `version` (or 404 for version -1). */
  const assertServes = async (path: string, version: number) => {
    const answer = await get(server.url, path, { 'accept-encoding': 'gzip' });
    if (version === -1) assert.equal(answer.status, 404, path);
    else assert.ok(answer.status === 200 && gunzipSync(answer.body).toString().startsWith(`mekan v${version} `), `${path} is not at version ${version}`);
  };

  const firstStored = tiles.find((tile) => tile.stored)!.path;
  const pickups: number[] = [];
  try {
    await afterRequests(300);
    for (let version = 1; version <= 10; version++) {
      // Both changes are awaited through the lines the registry logs for them.
      const reloaded = logged((line) => line.msg === `reloaded live from ${join(folder, 'live.mbtiles')}`);
      const extraMessage = extraPresent ? 'tileset extra removed' : `serving extra from ${join(folder, 'extra.mbtiles')}`;
      const extraChanged = logged((line) => line.msg === extraMessage);
      const swapped = Date.now();
      writeVersion(join(folder, 'live.mbtiles'), version, tiles);
      if (extraPresent) unlinkSync(join(folder, 'extra.mbtiles'));
      else writeVersion(join(folder, 'extra.mbtiles'), 100 + version, tiles);
      extraPresent = !extraPresent;
      await Promise.all([reloaded, extraChanged]);
      pickups.push(Date.now() - swapped);
      await assertServes(`/tiles/live/${firstStored}.pbf`, version);
      await assertServes(`/tiles/extra/${firstStored}.pbf`, extraPresent ? 100 + version : -1);
      await afterRequests(200);
    }
  } finally {
    running = false;
    await Promise.all(loops);
    agent.destroy();
    await server.close();
  }
  assert.deepEqual(tally.failures.slice(0, 10), []);
  assert.ok(tally.requests > 2000, `only ${tally.requests} requests`);
  assert.ok(![...tally.byStatus.keys()].some((status) => status >= 500));
  // The load really spanned the swaps: answers came from many versions.
  assert.ok(tally.versions.size >= 8, `versions seen: ${[...tally.versions].join(',')}`);
  console.log(`${tally.requests} requests over ${CONNECTIONS} connections, statuses ${JSON.stringify(Object.fromEntries(tally.byStatus))}, versions seen ${tally.versions.size}, pickup ≤ ${Math.max(...pickups)} ms`);
});
