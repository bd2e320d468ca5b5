// GET /packages/estimate and /packages/{tileset}.mbtiles on a real server: exact estimates, caps, bad input, private tilesets, disconnects.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createArchive, openArchive } from '../../src/archive/open.js';
import { writeAbsheronArchive } from '../support/gisFixtures.js';
import { writeVectorArchive, type FeatureCollection } from '../support/archives.js';
import { get, startServer, type TestServer } from '../support/server.js';
import { makeTempDir } from '../support/tempDir.js';
import { rawTiles } from './support.js';

const dir = makeTempDir('mekan-package-routes-');
const BOX = '49.2,40.1,50.4,40.7';
const TOKEN = 'field-team-token-2026';
const FEATURES: FeatureCollection = {
  type: 'FeatureCollection',
  features: [
    { type: 'Feature', properties: { name: 'Caspian' }, geometry: { type: 'Polygon', coordinates: [[[49.5, 37], [54, 37], [54, 46.5], [49.5, 46.5], [49.5, 37]]] } },
    { type: 'Feature', properties: { name: 'Bakı' }, geometry: { type: 'Point', coordinates: [49.867, 40.409] } },
    { type: 'Feature', properties: { name: 'Absheron' }, geometry: { type: 'Polygon', coordinates: [[[49, 40], [51, 40], [51, 41], [49, 41], [49, 40]]] } },
  ],
};

let server: TestServer;
let capped: TestServer;
const logLines: Record<string, unknown>[] = [];
const logWaiters: { match: (line: Record<string, unknown>) => boolean; resolve: () => void }[] = [];

/** Resolves when the server logs a line that `match` accepts (synchronises on the log, never on time). */
function logged(match: (line: Record<string, unknown>) => boolean): Promise<void> {
  if (logLines.some(match)) return Promise.resolve();
  return new Promise((resolve) => logWaiters.push({ match, resolve }));
}

before(async () => {
  writeVectorArchive(join(dir, 'basemap.mbtiles'), { features: FEATURES, layer: 'water', bounds: [44, 37, 54, 46.5], maxzoom: 9, metadata: { name: 'basemap' } });
  await writeAbsheronArchive(join(dir, 'imagery.mbtiles'), 5, 8);
  await writeAbsheronArchive(join(dir, 'ortho.mbtiles'), 5, 7);
  // A larger archive (21,845 tiles, z0–7 everywhere) whose extract takes long enough to be interrupted.
  const big = createArchive(join(dir, 'world.mbtiles'));
  for (let z = 0; z <= 7; z++) for (let x = 0; x < 2 ** z; x++) for (let y = 0; y < 2 ** z; y++) big.putTile(z, x, y, Buffer.from(`tile ${z}/${x}/${y} `.repeat(20)));
  big.setMetadata({ name: 'world', format: 'png', minzoom: 0, maxzoom: 7 });
  big.finish();
  const config = { tilesets: { ortho: { private: true, tokens: [TOKEN] } } };
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const text of chunk.toString().split('\n').filter(Boolean)) {
        const line = JSON.parse(text) as Record<string, unknown>;
        logLines.push(line);
        for (const waiter of logWaiters.filter((w) => w.match(line))) waiter.resolve();
      }
      callback();
    },
  });
  server = await startServer([dir], { config, logger: pino({ level: 'info' }, stream) });
  capped = await startServer([dir], { config: { packages: { maxTiles: 10 } } });
});
after(async () => {
  await server?.close();
  await capped?.close();
});

test('the estimate equals the extract that is then downloaded, tile for tile and byte for byte', async () => {
  const estimate = await get(server.url, `/packages/estimate?tileset=basemap&bbox=${BOX}&maxzoom=9`);
  assert.equal(estimate.status, 200, estimate.body.toString());
  const { tiles, bytes, minzoom, maxzoom } = estimate.json<{ tiles: number; bytes: number; minzoom: number; maxzoom: number }>();
  assert.deepEqual([minzoom, maxzoom], [0, 9]);
  assert.ok(tiles > 10, `${tiles} tiles`);

  const download = await get(server.url, `/packages/basemap.mbtiles?bbox=${BOX}&maxzoom=9`);
  assert.equal(download.status, 200, download.body.toString());
  assert.equal(download.headers['content-type'], 'application/vnd.sqlite3');
  assert.match(String(download.headers['content-disposition']), /attachment; filename="basemap.mbtiles"/);
  assert.equal(Number(download.headers['content-length']), download.body.length);
  const file = join(dir, 'downloaded.mbtiles.part');
  writeFileSync(file, download.body);
  writeFileSync(file.replace(/\.part$/, ''), download.body);
  const got = rawTiles(file);
  assert.equal(got.size, tiles);
  assert.equal([...got.values()].reduce((sum, tile) => sum + tile.data.length, 0), bytes);
  const source = rawTiles(join(dir, 'basemap.mbtiles'));
  for (const [key, tile] of got) assert.ok(source.get(key)?.data.equals(tile.data), `${key} as in the served archive`);
  const archive = openArchive(file.replace(/\.part$/, ''));
  try {
    assert.deepEqual([archive.metadata.minzoom, archive.metadata.maxzoom, archive.metadata.format], [0, 9, 'pbf']);
  } finally {
    archive.close();
  }
});

test('a style estimate sums the tilesets the style draws', async () => {
  const both = (await get(server.url, `/packages/estimate?style=imagery&bbox=${BOX}&maxzoom=8`)).json<{ tiles: number; bytes: number; tilesets: Record<string, { tiles: number; bytes: number }> }>();
  const basemap = (await get(server.url, `/packages/estimate?tileset=basemap&bbox=${BOX}&maxzoom=8`)).json<{ tiles: number; bytes: number }>();
  const imagery = (await get(server.url, `/packages/estimate?tileset=imagery&bbox=${BOX}&maxzoom=8`)).json<{ tiles: number; bytes: number }>();
  assert.deepEqual(Object.keys(both.tilesets).sort(), ['basemap', 'imagery']);
  assert.equal(both.tiles, basemap.tiles + imagery.tiles);
  assert.equal(both.bytes, basemap.bytes + imagery.bytes);
});

test('bad boxes and zooms are 400 with a message; unknown tilesets 404', async () => {
  for (const [query, reason] of [
    ['tileset=basemap&bbox=50,40,49,41', /west \(50\) must be less than east/],
    ['tileset=basemap&bbox=49,41,50,40', /south \(41\) must be less than north/],
    ['tileset=basemap&bbox=49,40,50', /four numbers/],
    ['tileset=basemap&bbox=a,b,c,d', /four numbers/],
    ['tileset=basemap', /expected W,S,E,N/],
    ['tileset=basemap&bbox=-190,40,50,41', /longitudes/],
    ['tileset=basemap&bbox=49,40,50,86', /latitudes/],
    [`tileset=basemap&bbox=${BOX}&maxzoom=x`, /maxzoom=x: expected an integer zoom/],
    [`tileset=basemap&bbox=${BOX}&maxzoom=31`, /maxzoom=31/],
    [`tileset=basemap&bbox=${BOX}&minzoom=6&maxzoom=3`, /minzoom: 6 is above maxzoom 3/],
    [`bbox=${BOX}`, /give tileset=ID or style=ID/],
  ] as const) {
    for (const path of [`/packages/estimate?${query}`, `/packages/basemap.mbtiles?${query.replace(/^tileset=basemap&?/, '')}`]) {
      if (path.includes('.mbtiles') && query.startsWith('bbox=')) continue;
      const answer = await get(server.url, path);
      assert.equal(answer.status, 400, `${path}: ${answer.body.toString()}`);
      assert.match(answer.json<{ error: string }>().error, reason, path);
    }
  }
  assert.equal((await get(server.url, `/packages/estimate?tileset=nope&bbox=${BOX}`)).status, 404);
  assert.equal((await get(server.url, `/packages/nope.mbtiles?bbox=${BOX}`)).status, 404);
});

test('a private tileset needs its token, exactly as its tiles do', async () => {
  for (const path of [`/packages/estimate?tileset=ortho&bbox=${BOX}`, `/packages/ortho.mbtiles?bbox=${BOX}`]) {
    const hidden = await get(server.url, path);
    const unknown = await get(server.url, path.replace('ortho', 'unknown'));
    assert.equal(hidden.status, 404);
    assert.equal(hidden.json<{ error: string }>().error.replace('ortho', 'unknown'), unknown.json<{ error: string }>().error, 'the same answer as an unknown tileset');
    assert.equal((await get(server.url, `${path}&token=wrong-token-0123456789`)).status, 404);
    const shown = await get(server.url, path, { Authorization: `Bearer ${TOKEN}` });
    assert.equal(shown.status, 200, shown.body.toString());
    assert.match(String(shown.headers['cache-control']), /private/);
  }
});

test('above the cap: 413 naming the cap and the estimate, before any work', async () => {
  for (const path of [`/packages/basemap.mbtiles?bbox=${BOX}&maxzoom=9`]) {
    const answer = await get(capped.url, path);
    assert.equal(answer.status, 413);
    const estimate = (await get(capped.url, `/packages/estimate?tileset=basemap&bbox=${BOX}&maxzoom=9`)).json<{ tiles: number; bytes: number; caps: { maxTiles: number } }>();
    assert.equal(estimate.caps.maxTiles, 10);
    const { error } = answer.json<{ error: string }>();
    assert.ok(error.includes(`${estimate.tiles} tiles and ${estimate.bytes} bytes`), error);
    assert.match(error, /cap of 10 tiles \(packages\.maxTiles\)/);
  }
  assert.equal((await get(capped.url, `/packages/basemap.mbtiles?bbox=${BOX}&maxzoom=2`)).status, 200, 'a small enough extract passes');
});

test('a client that disconnects stops the work: logged, nothing left in the temp folder', async () => {
  const before = new Set(readdirSync(tmpdir()).filter((name) => name.startsWith('mekan-package-')));
  const url = new URL(server.url);
  const client = request({ host: url.hostname, port: url.port, path: '/packages/world.mbtiles?bbox=-180,-85,180,85', agent: false });
  client.on('error', () => {});
  client.end(() => client.destroy());
  await logged((line) => typeof line.msg === 'string' && line.msg.startsWith('download of world stopped'));
  const left = readdirSync(tmpdir()).filter((name) => name.startsWith('mekan-package-') && !before.has(name));
  assert.deepEqual(left, [], 'the partial extract was removed');
});
