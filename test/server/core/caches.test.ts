// The hot-tile cache and the ETag cache as a client and an operator see them: same answers, counted in /metrics,
// never serving a replaced archive's tiles.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { makeTempDir } from '../../support/tempDir.js';
import { writeTippecanoeArchive, type LayoutTile } from '../../support/tippecanoeArchive.js';
import { garbageCollector } from '../../../src/buildThreads.js';
import { TileCache } from '../../../src/server/tileCache.js';
import { tileDigest } from '../../../src/archive/tileHashes.js';
import { get, startServer, type TestServer } from './fixtures.js';

const dir = makeTempDir('mekan-caches-');
const servers: TestServer[] = [];
after(() => Promise.all(servers.map((server) => server.close())));
const sha1 = (data: Uint8Array) => createHash('sha1').update(data).digest('hex');

function tiles(): LayoutTile[] {
  return [0, 1].flatMap((x) => [0, 1].map((y) => ({ z: 1, x, y, data: gzipSync(randomBytes(200)) })));
}

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `${name} missing from /metrics`);
  return Number(line.split(' ')[1]);
}

test('hot tiles and ETags are cached, counted in /metrics, equal to an uncached server, and dropped with a replaced archive', async () => {
  const folder = join(dir, 'served');
  const first = tiles();
  mkdirSync(folder);
  writeTippecanoeArchive(join(folder, 'world.mbtiles'), first, { format: 'pbf', minzoom: '1', maxzoom: '1' });
  const cached = await startServer([folder], { config: { cache: { tilesMb: 1, etagsMb: 1 } } });
  const uncached = await startServer([folder], { config: { cache: { tilesMb: 0, etagsMb: 0 } } });
  servers.push(cached, uncached);

  for (let round = 0; round < 2; round++) {
    for (const { x, y, data } of first) {
      const answer = await get(cached.url, `/tiles/world/1/${x}/${y}.pbf`, { 'Accept-Encoding': 'gzip' });
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.body, data);
      assert.equal(answer.headers.etag, `"${sha1(data)}"`);
      // Another process over the same file, without any cache, sends the same strong ETag.
      assert.equal((await get(uncached.url, `/tiles/world/1/${x}/${y}.pbf`, { 'Accept-Encoding': 'gzip' })).headers.etag, answer.headers.etag);
      const revalidated = await get(cached.url, `/tiles/world/1/${x}/${y}.pbf`, { 'Accept-Encoding': 'gzip', 'If-None-Match': String(answer.headers.etag) });
      assert.equal(revalidated.status, 304);
    }
  }
  const text = (await get(cached.url, '/metrics')).body.toString();
  // 4 tiles × 2 rounds × 2 requests: the first read of each tile misses, every later one is a hit.
  assert.equal(metric(text, 'mekan_tile_cache_misses_total'), 4);
  assert.equal(metric(text, 'mekan_tile_cache_hits_total'), 12);
  assert.equal(metric(text, 'mekan_tile_cache_entries'), 4);
  assert.equal(metric(text, 'mekan_tile_cache_max_bytes'), 1 << 20);
  assert.ok(metric(text, 'mekan_tile_cache_bytes') > 800 && metric(text, 'mekan_tile_cache_bytes') <= 1 << 20);
  // Only cache misses read the archive, and each tile was hashed once.
  assert.equal(metric(text, 'mekan_etag_cache_misses_total'), 4);
  assert.equal(metric(text, 'mekan_etag_cache_entries'), 4);
  const off = (await get(uncached.url, '/metrics')).body.toString();
  assert.equal(metric(off, 'mekan_tile_cache_hits_total'), 0);
  assert.equal(metric(off, 'mekan_etag_cache_max_bytes'), 0);

  // The archive replaced by one with other bytes: the server answers with the new tiles and their ETags at once.
  const second = tiles();
  writeTippecanoeArchive(join(dir, 'next.mbtiles'), second, { format: 'pbf', minzoom: '1', maxzoom: '1' });
  renameSync(join(dir, 'next.mbtiles'), join(folder, 'world.mbtiles'));
  // A changed file is opened once its signature held for one poll (a copy may be in progress).
  cached.app.context.registry.refresh();
  cached.app.context.registry.refresh();
  for (const { x, y, data } of second) {
    const answer = await get(cached.url, `/tiles/world/1/${x}/${y}.pbf`, { 'Accept-Encoding': 'gzip' });
    assert.deepEqual(answer.body, data);
    assert.equal(answer.headers.etag, `"${sha1(data)}"`);
  }
});

test('the hot-tile cache counts at least the memory its tiles take, so its bound holds', () => {
  // Tiles as an archive read returns them (each Buffer its own allocation) with their hashes; 20,000 of 200 bytes.
  const collect = garbageCollector();
  const cache = new TileCache(1 << 30);
  const tileset = {} as Parameters<TileCache['keyOf']>[0];
  const count = 20_000;
  collect();
  const before = process.memoryUsage();
  for (let i = 0; i < count; i++) {
    const data = Buffer.from(randomBytes(200));
    cache.set(cache.keyOf(tileset, 12, i % 4096, Math.floor(i / 4096)), { data, hash: tileDigest(data), gzipped: true });
  }
  collect();
  const after = process.memoryUsage();
  const held = after.heapUsed - before.heapUsed + (after.external - before.external);
  const counted = cache.stats().bytes;
  assert.equal(cache.stats().entries, count);
  // V8's own counters (heap and external) see less than the process pays (native records, page slack), so this
  // is a floor: with the old 300-byte estimate the cache counted ~310 B an entry beyond the tile for ~340 held.
  assert.ok(counted >= held, `cache counts ${counted} bytes for ${held} held by V8 (${(held / count).toFixed(0)} B a tile)`);
});
