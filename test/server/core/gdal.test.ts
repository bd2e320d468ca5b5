// Archives written by GDAL (plain `tiles` table, its own metadata) served like ours.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { VectorTile } from '@mapbox/vector-tile';
import Database from 'better-sqlite3';
import { PbfReader } from 'pbf';
import sharp from 'sharp';
import { bboxToTileRange, flipRow, lonLatToTile } from '../../../src/grid/webMercator.js';
import { makeTempDir } from '../../support/tempDir.js';
import { get, startServer, type TestServer } from './fixtures.js';

const run = promisify(execFile);
const dir = makeTempDir('mekan-gdal-');
let server: TestServer;

before(async () => {
  writeFileSync(
    join(dir, 'places.geojson'),
    JSON.stringify({
      type: 'FeatureCollection',
      features: [
        { type: 'Feature', properties: { name: 'Bakı', pop: 2300000 }, geometry: { type: 'Point', coordinates: [49.867, 40.409] } },
        { type: 'Feature', properties: { name: 'Gəncə', pop: 335000 }, geometry: { type: 'Point', coordinates: [46.36, 40.68] } },
        { type: 'Feature', properties: { name: 'Kür' }, geometry: { type: 'LineString', coordinates: [[44.6, 41.2], [46.5, 40.6], [48, 40], [49.2, 39.3]] } },
      ],
    }),
  );
  await run('ogr2ogr', ['-f', 'MBTiles', join(dir, 'gdalvector.mbtiles'), join(dir, 'places.geojson'), '-nln', 'places', '-dsco', 'MINZOOM=0', '-dsco', 'MAXZOOM=7']);
  // A solid orange image over 47–50°E, 39–42°N, tiled to PNG and JPEG MBTiles by GDAL.
  await run('gdal_create', ['-of', 'GTiff', '-outsize', '256', '256', '-bands', '3', '-burn', '200', '-burn', '100', '-burn', '50', '-a_srs', 'EPSG:4326', '-a_ullr', '47', '42', '50', '39', join(dir, 'orange.tif')]);
  await run('gdal_translate', ['-q', '-of', 'MBTiles', '-co', 'TILE_FORMAT=PNG', join(dir, 'orange.tif'), join(dir, 'gdalpng.mbtiles')]);
  await run('gdal_translate', ['-q', '-of', 'MBTiles', '-co', 'TILE_FORMAT=JPEG', join(dir, 'orange.tif'), join(dir, 'gdaljpeg.mbtiles')]);
  server = await startServer([dir]);
});
after(() => server?.close());

test('a vector archive from ogr2ogr -f MBTiles: TileJSON from its metadata, tiles decoded with @mapbox/vector-tile', async () => {
  const tilejson = (await get(server.url, '/tiles/gdalvector.json')).json();
  assert.equal(tilejson.format, 'pbf');
  assert.equal(tilejson.minzoom, 0);
  assert.equal(tilejson.maxzoom, 7);
  assert.deepEqual((tilejson.vector_layers as { id: string; fields: Record<string, string> }[]).map((l) => [l.id, l.fields]), [['places', { name: 'String', pop: 'Number' }]]);
  const bounds = tilejson.bounds as number[];
  assert.ok(Math.abs(bounds[0] - 44.6) < 1e-6 && Math.abs(bounds[3] - 41.2) < 1e-6, JSON.stringify(bounds));

  const baku = lonLatToTile(49.867, 40.409, 5);
  const response = await get(server.url, `/tiles/gdalvector/5/${baku.x}/${baku.y}.pbf`, { 'Accept-Encoding': 'gzip' });
  assert.equal(response.status, 200);
  assert.equal(response.headers['content-encoding'], 'gzip');
  // GDAL's plain tiles table has no content ids: the ETag is the SHA-1 of the stored bytes, and revalidates.
  assert.equal(response.headers.etag, `"${createHash('sha1').update(response.body).digest('hex')}"`);
  const again = await get(server.url, `/tiles/gdalvector/5/${baku.x}/${baku.y}.pbf`, { 'Accept-Encoding': 'gzip', 'If-None-Match': String(response.headers.etag) });
  assert.equal(again.status, 304);
  const layer = new VectorTile(new PbfReader(gunzipSync(response.body))).layers.places;
  const names = Array.from({ length: layer.length }, (_, i) => layer.feature(i).properties.name);
  assert.ok(names.includes('Bakı'), names.join(', '));
  // Without gzip: decompressed by the server.
  const plain = await get(server.url, `/tiles/gdalvector/5/${baku.x}/${baku.y}.pbf`);
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.deepEqual(plain.body, gunzipSync(response.body));
  // Every tile inside the bounds at z7: 200 exactly where GDAL's tiles table has a row, 204 elsewhere (the
  // diagonal line and two points leave part of the box empty, so both answers must occur).
  const database = new Database(join(dir, 'gdalvector.mbtiles'), { readonly: true });
  const stored = new Set(
    (database.prepare('SELECT tile_column AS x, tile_row AS row FROM tiles WHERE zoom_level = 7').all() as { x: number; row: number }[]).map(
      ({ x, row }) => `${x}/${flipRow(7, row)}`,
    ),
  );
  database.close();
  const range = bboxToTileRange(bounds as [number, number, number, number], 7);
  const answers: string[] = [];
  for (let x = range.minX; x <= range.maxX; x++) {
    for (let y = range.minY; y <= range.maxY; y++) {
      const status = (await get(server.url, `/tiles/gdalvector/7/${x}/${y}.pbf`)).status;
      answers.push(`${x}/${y}:${status}`);
      assert.equal(status, stored.has(`${x}/${y}`) ? 200 : 204, `tile 7/${x}/${y}`);
    }
  }
  assert.ok(answers.some((a) => a.endsWith(':204')) && answers.some((a) => a.endsWith(':200')), answers.join(' '));
});

test('raster archives from gdal_translate -of MBTiles (PNG and JPEG) serve tiles that decode to the burnt colour', async () => {
  for (const [id, ext, format] of [['gdalpng', 'png', 'png'], ['gdaljpeg', 'jpg', 'jpeg']] as const) {
    const tilejson = (await get(server.url, `/tiles/${id}.json`)).json();
    assert.equal(tilejson.format, ext === 'jpg' ? 'jpg' : 'png');
    const z = tilejson.maxzoom as number;
    const centre = lonLatToTile(48.5, 40.5, z);
    const response = await get(server.url, `/tiles/${id}/${z}/${centre.x}/${centre.y}.${ext}`, { 'Accept-Encoding': 'gzip' });
    assert.equal(response.status, 200, id);
    assert.equal(response.headers['content-encoding'], undefined);
    assert.equal(response.headers['content-type'], `image/${format}`);
    const { data, info } = await sharp(response.body).raw().toBuffer({ resolveWithObject: true });
    assert.equal(info.width, 256);
    const middle = (128 * 256 + 128) * info.channels;
    const [r, g, b] = [data[middle], data[middle + 1], data[middle + 2]];
    assert.ok(Math.abs(r - 200) <= 3 && Math.abs(g - 100) <= 3 && Math.abs(b - 50) <= 3, `${id}: ${r},${g},${b}`);
    // GDAL's archives have no content-hash ids: the ETag is computed from the bytes, and stable.
    const again = await get(server.url, `/tiles/${id}/${z}/${centre.x}/${centre.y}.${ext}`, { 'If-None-Match': String(response.headers.etag) });
    assert.equal(again.status, 304);
  }
});
