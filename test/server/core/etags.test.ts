// Strong ETags of PMTiles and GeoPackage tiles (neither stores content ids) as two server processes send them:
// equal for the same file, changed with the tile, and hashed once per stored content rather than per request.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createArchive } from '../../../src/archive/open.js';
import { spawnServe, type ServeProcess } from '../../support/mekanProcess.js';
import { makeTempDir } from '../../support/tempDir.js';
import { get } from './fixtures.js';

const dir = makeTempDir('mekan-etags-');
const processes: ServeProcess[] = [];
after(async () => {
  for (const serve of processes) serve.child.kill('SIGTERM');
  await Promise.all(processes.map((serve) => serve.exited));
});

const md5 = (data: Uint8Array) => createHash('md5').update(data).digest('hex');
const sha1 = (data: Uint8Array) => createHash('sha1').update(data).digest('hex');

/** Zoom 1: two tiles of one shared "ocean" content (one PMTiles entry offset), two of their own. */
function zoomOne(): Map<string, Buffer> {
  const ocean = gzipSync(randomBytes(300));
  return new Map([
    ['1/0/0', ocean],
    ['1/1/0', ocean],
    ['1/0/1', gzipSync(randomBytes(300))],
    ['1/1/1', gzipSync(randomBytes(300))],
  ]);
}

/** Written beside the folder, then renamed in: a served file is only ever replaced whole. */
function writeArchive(folder: string, name: string, tiles: Map<string, Buffer>): void {
  const temp = join(dir, name);
  const writer = createArchive(temp);
  for (const [key, data] of tiles) writer.putTile(...(key.split('/').map(Number) as [number, number, number]), data);
  writer.setMetadata({ name, format: 'pbf', minzoom: 1, maxzoom: 1, bounds: [-180, -85, 180, 85] });
  writer.finish();
  renameSync(temp, join(folder, name));
}

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `${name} missing from /metrics`);
  return Number(line.split(' ')[1]);
}

async function etag(serve: ServeProcess, path: string, data: Buffer): Promise<string> {
  const answer = await get(serve.url, path, { 'Accept-Encoding': 'gzip' });
  assert.equal(answer.status, 200, path);
  assert.deepEqual(answer.body, data, path);
  return String(answer.headers.etag);
}

test('PMTiles and GeoPackage tiles: the same strong ETag from two processes, hashed once per content, changed with the tile', async () => {
  const folder = join(dir, 'served');
  mkdirSync(folder);
  const pmtiles = zoomOne();
  const geopackage = zoomOne();
  writeArchive(folder, 'pm.pmtiles', pmtiles);
  writeArchive(folder, 'gp.gpkg', geopackage);
  // One process with the hot-tile cache off, so that every request reaches the archive; one as users run it.
  const config = join(dir, 'uncached.json');
  writeFileSync(config, JSON.stringify({ cache: { tilesMb: 0 } }));
  const [uncached, usual] = await Promise.all([spawnServe([folder, '--config', config, '--port', '0', '--quiet']), spawnServe([folder, '--port', '0', '--quiet'])]);
  processes.push(uncached, usual);

  for (let round = 0; round < 3; round++) {
    for (const [key, data] of pmtiles) {
      const sent = await etag(uncached, `/tiles/pm/${key}.pbf`, data);
      // MD5 of the bytes, as Mekan's MBTiles tile ids: a converted archive keeps its ETags.
      assert.equal(sent, `"${md5(data)}"`);
      assert.equal(await etag(usual, `/tiles/pm/${key}.pbf`, data), sent, `pm ${key}: another process, the same ETag`);
    }
    for (const [key, data] of geopackage) {
      const sent = await etag(uncached, `/tiles/gp/${key}.pbf`, data);
      assert.equal(sent, `"${sha1(data)}"`);
      assert.equal(await etag(usual, `/tiles/gp/${key}.pbf`, data), sent, `gp ${key}: another process, the same ETag`);
    }
  }
  const metrics = (await get(uncached.url, '/metrics')).body.toString();
  // 3 rounds × 8 tiles reached the archives; hashed: PMTiles 3 stored contents (the two ocean tiles share one entry),
  // GeoPackage 4 tiles. Every other read found its hash.
  assert.equal(metric(metrics, 'mekan_etag_cache_misses_total'), 3 + 4);
  assert.equal(metric(metrics, 'mekan_etag_cache_hits_total'), 3 * 8 - 7);
  assert.equal(metric(metrics, 'mekan_etag_cache_entries'), 7);

  // One tile changed to other bytes of the same length (every PMTiles entry keeps its offset), the file renamed over.
  const before = pmtiles.get('1/1/1')!;
  const changed = new Map(pmtiles);
  let replacement = gzipSync(randomBytes(300));
  while (replacement.length !== before.length) replacement = gzipSync(randomBytes(300));
  changed.set('1/1/1', replacement);
  const reloaded = Promise.all([uncached.printed(/reloaded pm /), usual.printed(/reloaded pm /)]);
  writeArchive(folder, 'pm.pmtiles', changed);
  await reloaded;
  for (const serve of [uncached, usual]) {
    assert.equal(await etag(serve, '/tiles/pm/1/1/1.pbf', replacement), `"${md5(replacement)}"`, 'the changed tile has a new ETag');
    assert.equal(await etag(serve, '/tiles/pm/1/0/1.pbf', changed.get('1/0/1')!), `"${md5(changed.get('1/0/1')!)}"`, 'an unchanged tile keeps its ETag');
  }
});
