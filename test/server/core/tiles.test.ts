import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import sharp from 'sharp';
import { bboxToTileRange, lonLatToTile } from '../../../src/grid/webMercator.js';
import { makeTempDir } from '../../support/tempDir.js';
import { tileColour } from '../../support/archives.js';
import { BOUNDS, get, startServer, writeBrokenTileArchive, writeRasterArchive, writeVectorArchive, type TestServer } from './fixtures.js';

const dir = makeTempDir('mekan-tiles-');
let server: TestServer;
let vectorTiles: string[];
let pngTiles: string[];
let jpgTiles: string[];

before(async () => {
  vectorTiles = writeVectorArchive(join(dir, 'vector.mbtiles'));
  writeVectorArchive(join(dir, 'plain.mbtiles'), { gzip: false, maxzoom: 2 });
  pngTiles = await writeRasterArchive(join(dir, 'ortho.mbtiles'), 'png');
  jpgTiles = await writeRasterArchive(join(dir, 'photo.mbtiles'), 'jpg', 5, 5);
  writeBrokenTileArchive(join(dir, 'broken.mbtiles'));
  server = await startServer([dir]);
});
after(() => server.close());

function decodeMvt(bytes: Buffer): VectorTile {
  return new VectorTile(new PbfReader(bytes));
}

test('a vector tile goes out as stored, gzip-encoded, to a client that accepts gzip', async () => {
  const baku = lonLatToTile(49.867, 40.409, 5);
  const tile = `5/${baku.x}/${baku.y}`;
  assert.ok(vectorTiles.includes(tile));
  const response = await get(server.url, `/tiles/vector/${tile}.pbf`, { 'Accept-Encoding': 'gzip, deflate, br' });
  assert.equal(response.status, 200);
  assert.equal(response.headers['content-type'], 'application/vnd.mapbox-vector-tile');
  assert.equal(response.headers['content-encoding'], 'gzip');
  assert.equal(response.headers.vary, 'Accept-Encoding');
  assert.match(String(response.headers.etag), /^"[0-9a-f]{32}"$/);
  assert.equal(response.headers['cache-control'], 'public, max-age=3600');
  assert.equal(Number(response.headers['content-length']), response.body.length);
  const decoded = decodeMvt(gunzipSync(response.body));
  assert.deepEqual(Object.keys(decoded.layers), ['places']);
  const names = Array.from({ length: decoded.layers.places.length }, (_, i) => decoded.layers.places.feature(i).properties.name);
  assert.ok(names.includes('Bakı'), `features: ${names.join(', ')}`);
  // .mvt names the same tile.
  const mvt = await get(server.url, `/tiles/vector/${tile}.mvt`, { 'Accept-Encoding': 'gzip' });
  assert.equal(mvt.status, 200);
  assert.deepEqual(mvt.body, response.body);
});

test('a client that does not accept gzip gets the tile decompressed, with its own ETag; never compressed twice', async () => {
  const tile = vectorTiles.find((t) => t.startsWith('4/'))!;
  const gzipped = await get(server.url, `/tiles/vector/${tile}.pbf`, { 'Accept-Encoding': 'gzip' });
  for (const headers of [{} as Record<string, string>, { 'Accept-Encoding': 'identity' }, { 'Accept-Encoding': 'gzip;q=0, deflate' }, { 'Accept-Encoding': 'br' }]) {
    const response = await get(server.url, `/tiles/vector/${tile}.pbf`, headers);
    assert.equal(response.status, 200, JSON.stringify(headers));
    assert.equal(response.headers['content-encoding'], undefined, JSON.stringify(headers));
    assert.equal(response.headers.vary, 'Accept-Encoding');
    assert.deepEqual(response.body, gunzipSync(gzipped.body));
    assert.notEqual(response.headers.etag, gzipped.headers.etag);
    assert.equal(decodeMvt(response.body).layers.places.name, 'places');
  }
  for (const accept of ['gzip;q=0.5', 'deflate, *', 'x-gzip']) {
    const response = await get(server.url, `/tiles/vector/${tile}.pbf`, { 'Accept-Encoding': accept });
    assert.equal(response.headers['content-encoding'], 'gzip', accept);
    assert.deepEqual(response.body, gzipped.body);
  }
});

test('vector tiles stored uncompressed go out as stored, without Content-Encoding', async () => {
  const response = await get(server.url, '/tiles/plain/0/0/0.pbf', { 'Accept-Encoding': 'gzip' });
  assert.equal(response.status, 200);
  assert.equal(response.headers['content-encoding'], undefined);
  assert.equal(response.headers.vary, 'Accept-Encoding');
  assert.equal(decodeMvt(response.body).layers.places.length > 0, true);
});

test('raster tiles: right image, never gzip-encoded, no Vary on Accept-Encoding; .jpg and .jpeg both work', async () => {
  const tile = pngTiles.find((t) => t.startsWith('6/'))!;
  const [z, x, y] = tile.split('/').map(Number);
  const response = await get(server.url, `/tiles/ortho/${tile}.png`, { 'Accept-Encoding': 'gzip' });
  assert.equal(response.status, 200);
  assert.equal(response.headers['content-type'], 'image/png');
  assert.equal(response.headers['content-encoding'], undefined);
  assert.equal(response.headers.vary, undefined);
  assert.ok(response.headers.etag);
  const { data, info } = await sharp(response.body).raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.width, 256);
  assert.equal(info.height, 256);
  assert.deepEqual([data[0], data[1], data[2]], tileColour(z, x, y));

  const jpg = jpgTiles[0];
  for (const ext of ['jpg', 'jpeg']) {
    const photo = await get(server.url, `/tiles/photo/${jpg}.${ext}`, { 'Accept-Encoding': 'gzip' });
    assert.equal(photo.status, 200, ext);
    assert.equal(photo.headers['content-type'], 'image/jpeg');
    assert.equal(photo.headers['content-encoding'], undefined);
    const meta = await sharp(photo.body).metadata();
    assert.equal(meta.format, 'jpeg');
  }
});

test('ETag and If-None-Match: 304 without a body, for the same representation only', async () => {
  const tile = vectorTiles[0];
  const first = await get(server.url, `/tiles/vector/${tile}.pbf`, { 'Accept-Encoding': 'gzip' });
  const etag = String(first.headers.etag);
  for (const ifNoneMatch of [etag, `W/${etag}`, `"nope", ${etag}`, '*']) {
    const again = await get(server.url, `/tiles/vector/${tile}.pbf`, { 'Accept-Encoding': 'gzip', 'If-None-Match': ifNoneMatch });
    assert.equal(again.status, 304, ifNoneMatch);
    assert.equal(again.body.length, 0);
    assert.equal(again.headers.etag, etag);
    assert.equal(again.headers['cache-control'], 'public, max-age=3600');
  }
  const other = await get(server.url, `/tiles/vector/${tile}.pbf`, { 'Accept-Encoding': 'gzip', 'If-None-Match': '"something-else"' });
  assert.equal(other.status, 200);
  // The decompressed variant has another ETag, so the gzip one does not validate it.
  const identity = await get(server.url, `/tiles/vector/${tile}.pbf`, { 'If-None-Match': etag });
  assert.equal(identity.status, 200);
  const png = await get(server.url, `/tiles/ortho/${pngTiles[0]}.png`);
  assert.equal((await get(server.url, `/tiles/ortho/${pngTiles[0]}.png`, { 'If-None-Match': String(png.headers.etag) })).status, 304);
});

test('204 for an empty tile inside the tileset; 404 outside its bounds or zooms, or for an unknown tileset', async () => {
  const range = bboxToTileRange(BOUNDS, 6);
  const empty = [...Array(range.maxX - range.minX + 1).keys()]
    .flatMap((dx) => [...Array(range.maxY - range.minY + 1).keys()].map((dy) => `6/${range.minX + dx}/${range.minY + dy}`))
    .find((tile) => !vectorTiles.includes(tile));
  assert.ok(empty, 'the fixture has an empty tile inside the bounds');
  const inside = await get(server.url, `/tiles/vector/${empty}.pbf`);
  assert.equal(inside.status, 204);
  assert.equal(inside.body.length, 0);
  assert.equal(inside.headers['cache-control'], 'public, max-age=3600');

  const cases: [string, number][] = [
    [`/tiles/vector/6/${range.maxX + 3}/${range.minY}.pbf`, 404], // outside the bounds
    ['/tiles/vector/7/80/48.pbf', 404], // above maxzoom
    ['/tiles/ortho/3/5/3.png', 404], // below minzoom
    ['/tiles/nowhere/0/0/0.pbf', 404],
    ['/tiles/nowhere.json', 404],
  ];
  for (const [path, status] of cases) {
    const response = await get(server.url, path);
    assert.equal(response.status, status, path);
    assert.equal(typeof response.json().error, 'string', path);
  }
});

test('400 for malformed coordinates or a wrong extension, with a short JSON error', async () => {
  const bad = [
    '/tiles/vector/1/2/0.pbf', // x outside 0..1
    '/tiles/vector/1/0/2.pbf', // y outside
    '/tiles/vector/31/0/0.pbf', // z above 30
    '/tiles/vector/a/0/0.pbf',
    '/tiles/vector/1/-1/0.pbf',
    '/tiles/vector/1/0/0.5.pbf',
    '/tiles/vector/1/0x1/0.pbf',
    '/tiles/vector/1/1e1/0.pbf',
    '/tiles/vector/1/0/.pbf',
    '/tiles/vector/1/0/0',
    '/tiles/vector/0/0/0.png', // vector tileset, raster extension
    '/tiles/ortho/5/20/12.pbf', // raster tileset, vector extension
    '/tiles/ortho/5/20/12.jpg',
    '/tiles/%zz/0/0/0.pbf',
    '/tiles/vector/99999999999/0/0.pbf',
  ];
  for (const path of bad) {
    const response = await get(server.url, path);
    assert.equal(response.status, 400, path);
    assert.equal(response.headers['content-type'], 'application/json; charset=utf-8', path);
    const body = response.json<{ error: string }>();
    assert.ok(body.error.length > 0 && body.error.length < 200 && !body.error.includes('    at '), path);
  }
});

test('no malformed request gets a 5xx, and none gets a stack trace', async () => {
  const paths = ['/%', '/%zz', '/tiles/%', '/tiles/%E0%A4%A.json', '/tiles/vector/%zz/1/1.pbf', '/tiles//0/0/0.pbf', '/tiles/vector//0/0.pbf', '/tiles/vector/0/0/0.pbf/extra', '/styles/%ff', '/..%2f..%2fetc/passwd', '/tiles/vector.json/x'];
  for (const path of paths) {
    const response = await get(server.url, path);
    assert.ok(response.status >= 400 && response.status < 500, `${path}: ${response.status}`);
    assert.doesNotMatch(response.body.toString(), /\n\s+at /, path);
  }
  // A malformed query string on a good path is ignored, not an error.
  for (const path of ['/catalog.json?%zz', '/health?x=%', '/tiles/vector/0/0/0.pbf?%%']) assert.equal((await get(server.url, path)).status, 200, path);
  for (const method of ['POST', 'PUT', 'DELETE', 'PROPFIND', 'PATCH']) {
    for (const path of ['/tiles/vector/0/0/0.pbf', '/catalog.json', '/whatever']) {
      const response = await get(server.url, path, {}, method);
      assert.ok(response.status >= 400 && response.status < 500, `${method} ${path}: ${response.status}`);
    }
  }
  // A request node:http cannot parse at all.
  const { connect } = await import('node:net');
  const raw = await new Promise<string>((resolve) => {
    const socket = connect(server.port, '127.0.0.1', () => socket.write('GET /tiles/vector/0/0/0.pbf HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n'));
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('end', () => resolve(text));
    socket.on('close', () => resolve(text));
  });
  assert.match(raw, /^HTTP\/1\.1 400/);
});

test('HEAD answers the headers of GET without a body', async () => {
  const tile = vectorTiles[1];
  const get_ = await get(server.url, `/tiles/vector/${tile}.pbf`, { 'Accept-Encoding': 'gzip' });
  const head = await get(server.url, `/tiles/vector/${tile}.pbf`, { 'Accept-Encoding': 'gzip' }, 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  assert.equal(head.headers['content-length'], get_.headers['content-length']);
  assert.equal(head.headers.etag, get_.headers.etag);
});

test('a tile with broken gzip fails alone, with a short JSON error; the other tiles of its archive still serve', async () => {
  const broken = await get(server.url, '/tiles/broken/0/0/0.pbf');
  assert.equal(broken.status, 500);
  assert.match(broken.json<{ error: string }>().error, /corrupt/);
  const fine = await get(server.url, '/tiles/broken/1/1/0.pbf');
  assert.equal(fine.status, 200);
  assert.equal(decodeMvt(fine.body).layers.places.name, 'places');
  assert.equal((await get(server.url, '/health')).status, 200);
});
