// GET /packages/estimate and /packages/{tileset}.mbtiles on a real server: exact estimates, caps, bad input, private
// tilesets, a download that streams as it is read, disconnects, and the limit on downloads at once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { createArchive, openArchive } from '../../src/archive/open.js';
import { parseBBox } from '../../src/grid/bbox.js';
import { flipRow, tileToBBox } from '../../src/grid/webMercator.js';
import { extractTiles } from '../../src/packages/extract.js';
import { writeAbsheronArchive } from '../support/gisFixtures.js';
import { writeVectorArchive, type FeatureCollection } from '../support/archives.js';
import { get, startServer, type TestServer } from '../support/server.js';
import { makeTempDir } from '../support/tempDir.js';
import { rawTiles } from './support.js';

const run = promisify(execFile);
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

/** 2,000 z10 tiles of 12 KB of noise (GDAL's plain layout): a 24 MB download, far more than socket buffers hold. */
const LARGE = { z: 10, columns: [600, 649], rows: [380, 419], tileBytes: 12_000 };
const LARGE_BOX = (() => {
  const northWest = tileToBBox(LARGE.z, LARGE.columns[0], LARGE.rows[0]);
  const southEast = tileToBBox(LARGE.z, LARGE.columns[1], LARGE.rows[1]);
  return [northWest[0], southEast[1], southEast[2], northWest[3]].map((v) => +v.toFixed(6)).join(',');
})();

function writeLargeArchive(path: string): void {
  const db = new Database(path);
  db.exec('CREATE TABLE metadata (name TEXT, value TEXT); CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB); CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);');
  const insert = db.prepare('INSERT INTO tiles VALUES (?, ?, ?, ?)');
  db.transaction(() => {
    for (let x = LARGE.columns[0]; x <= LARGE.columns[1]; x++) for (let y = LARGE.rows[0]; y <= LARGE.rows[1]; y++) insert.run(LARGE.z, x, flipRow(LARGE.z, y), randomBytes(LARGE.tileBytes));
    const meta = db.prepare('INSERT INTO metadata VALUES (?, ?)');
    for (const [name, value] of [['name', 'large'], ['format', 'png'], ['minzoom', '10'], ['maxzoom', '10'], ['bounds', LARGE_BOX]]) meta.run(name, value);
  })();
  db.close();
}

/** A download opened by a client that reads nothing yet: resolves with the response once its headers are in. */
function openDownload(base: string, path: string): Promise<{ response: IncomingMessage; close(): void }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const client = request({ host: url.hostname, port: url.port, path, agent: false }, (response) => {
      response.pause();
      resolve({ response, close: () => client.destroy() });
    });
    client.on('error', reject);
    client.end();
  });
}

/** SQLite's own check of a whole file. */
function integrity(path: string): string {
  const db = new Database(path, { readonly: true });
  try {
    return (db.pragma('integrity_check') as { integrity_check: string }[]).map((row) => row.integrity_check).join('; ');
  } finally {
    db.close();
  }
}

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
  writeLargeArchive(join(dir, 'large.mbtiles'));
  const config = { tilesets: { ortho: { private: true, tokens: [TOKEN] } }, packages: { maxConcurrent: 2 } };
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
  assert.equal(integrity(file), 'ok');
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
  // GDAL reads a streamed raster download exactly as the extract Mekan writes with SQLite: same pixels, tile for tile.
  const imagery = await get(server.url, `/packages/imagery.mbtiles?bbox=${BOX}`);
  assert.equal(imagery.status, 200, imagery.body.toString());
  const streamed = join(dir, 'imagery-download.mbtiles');
  writeFileSync(streamed, imagery.body);
  assert.equal(integrity(streamed), 'ok');
  const reference = join(dir, 'imagery-extract.mbtiles');
  const imagerySource = openArchive(join(dir, 'imagery.mbtiles'));
  try {
    await extractTiles({ sources: [imagerySource], region: { bbox: parseBBox(BOX, 'bbox') }, output: createArchive(reference) });
  } finally {
    imagerySource.close();
  }
  const checksums = async (path: string) => {
    const { stdout } = await run('gdalinfo', ['-checksum', path]);
    return [...stdout.matchAll(/Checksum=(\d+)/g)].map((match) => match[1]);
  };
  const expected = await checksums(reference);
  assert.ok(expected.length >= 3, 'GDAL read the bands of the reference');
  assert.deepEqual(await checksums(streamed), expected);
});

test('the download streams: its first bytes arrive while the server is still reading, and the whole is a sound file', async () => {
  const path = `/packages/large.mbtiles?bbox=${LARGE_BOX}&n=stream`;
  const done = (line: Record<string, unknown>) => line.url === path && typeof line.msg === 'string' && line.msg.startsWith('download of large finished');
  const { response } = await openDownload(server.url, path);
  assert.equal(response.statusCode, 200);
  const length = Number(response.headers['content-length']);
  assert.ok(length > 24_000_000, `${length} bytes`);
  const first = await new Promise<Buffer>((resolve) => {
    response.once('data', (chunk: Buffer) => (response.pause(), resolve(chunk)));
    response.resume();
  });
  assert.equal(first.subarray(0, 16).toString('latin1'), 'SQLite format 3\0');
  // The client holds the rest: a server that built the file first would have finished (and logged it) by now.
  assert.ok(!logLines.some(done), 'the first bytes came before the server finished reading the tiles');
  const chunks = [first];
  response.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise((resolve) => response.once('end', resolve));
  response.resume();
  await ended;
  await logged(done);
  const body = Buffer.concat(chunks);
  assert.equal(body.length, length);
  const file = join(dir, 'large-download.mbtiles');
  writeFileSync(file, body);
  assert.equal(integrity(file), 'ok');
  const got = rawTiles(file);
  const source = rawTiles(join(dir, 'large.mbtiles'));
  assert.equal(got.size, 2000);
  assert.deepEqual([...got.keys()].sort(), [...source.keys()].sort());
  for (const [key, tile] of source) assert.ok(got.get(key)!.data.equals(tile.data), `${key} byte-identical`);
});

test('downloads beyond packages.maxConcurrent are 503 with Retry-After; a slot frees when its client leaves', async () => {
  const path = (client: string) => `/packages/large.mbtiles?bbox=${LARGE_BOX}&n=${client}`;
  const stopped = (client: string) => (line: Record<string, unknown>) => line.url === path(client) && typeof line.msg === 'string' && line.msg.startsWith('download of large stopped');
  // Two clients hold a download each (headers in, body unread: the server waits on them).
  const a = await openDownload(server.url, path('a'));
  const b = await openDownload(server.url, path('b'));
  assert.deepEqual([a.response.statusCode, b.response.statusCode], [200, 200]);
  const refused = await get(server.url, path('c'));
  assert.equal(refused.status, 503);
  assert.equal(refused.headers['retry-after'], '5');
  assert.match(refused.json<{ error: string }>().error, /2 downloads are under way, this server's limit \(packages\.maxConcurrent 2\)/);
  // The estimate is not a download: it still answers.
  assert.equal((await get(server.url, `/packages/estimate?tileset=large&bbox=${LARGE_BOX}`)).status, 200);
  a.close();
  await logged(stopped('a'));
  const next = await get(server.url, `/packages/basemap.mbtiles?bbox=${BOX}&maxzoom=3`);
  assert.equal(next.status, 200, 'a slot is free again');
  b.close();
  await logged(stopped('b'));
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
  // A temp folder of this process's own (os.tmpdir() reads TMPDIR on every call): test files run two at a time and
  // others make mekan-* folders in the shared one, so only this folder can say what the download left behind.
  const sharedTemp = process.env.TMPDIR;
  const ownTemp = join(dir, 'tmp-disconnect');
  mkdirSync(ownTemp);
  process.env.TMPDIR = ownTemp;
  try {
    await disconnectMidDownload();
  } finally {
    if (sharedTemp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = sharedTemp;
  }
  assert.deepEqual(readdirSync(ownTemp), [], 'nothing of the partial extract is left');
});

async function disconnectMidDownload(): Promise<void> {
  const url = new URL(server.url);
  const client = request({ host: url.hostname, port: url.port, path: '/packages/world.mbtiles?bbox=-180,-85,180,85', agent: false });
  client.on('error', () => {});
  client.end(() => client.destroy());
  await logged((line) => typeof line.msg === 'string' && line.msg.startsWith('download of world stopped'));
}
