// `mekan extract`: exactly the tiles that intersect the box, byte for byte, from Mekan, GDAL and tippecanoe-shaped archives.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { openArchive } from '../../src/archive/open.js';
import { InputError } from '../../src/errors.js';
import { parseBBox } from '../../src/grid/bbox.js';
import { bboxToTileRange, flipRow, type BBox } from '../../src/grid/webMercator.js';
import { estimateExtract } from '../../src/packages/estimate.js';
import { writeAbsheronArchive } from '../support/gisFixtures.js';
import { writeVectorArchive, type FeatureCollection } from '../support/archives.js';
import { makeTempDir } from '../support/tempDir.js';
import { bboxArg, mekan, rawMetadata, rawTiles, type RawTile } from './support.js';

const run = promisify(execFile);
const dir = makeTempDir('mekan-extract-');
/** Absheron and Baku: a few tiles wide from zoom 7, cutting through the source's tiles at every zoom. */
const BOX: BBox = [49.2, 40.1, 50.4, 40.7];

const FEATURES: FeatureCollection = {
  type: 'FeatureCollection',
  features: [
    { type: 'Feature', properties: { name: 'Caspian', kind: 'sea' }, geometry: { type: 'Polygon', coordinates: [[[49.5, 37], [54, 37], [54, 46.5], [49.5, 46.5], [49.5, 37]]] } },
    { type: 'Feature', properties: { name: 'Kura', kind: 'river' }, geometry: { type: 'LineString', coordinates: [[44.6, 41.2], [46.5, 40.6], [48, 40], [49.2, 39.3]] } },
    { type: 'Feature', properties: { name: 'Bakı', population: 2300000 }, geometry: { type: 'Point', coordinates: [49.867, 40.409] } },
    { type: 'Feature', properties: { name: 'Sumqayıt' }, geometry: { type: 'Point', coordinates: [49.67, 40.59] } },
  ],
};

const paths = {
  vector: join(dir, 'vector.mbtiles'),
  raster: join(dir, 'raster.mbtiles'),
  gdal: join(dir, 'gdal.mbtiles'),
  tippecanoe: join(dir, 'tippecanoe.mbtiles'),
};

/** What an extract of `box` at `minzoom..maxzoom` must hold: every source tile whose z/x/y lies in the box's tile range. */
function expectedTiles(source: Map<string, RawTile>, box: BBox, minzoom: number, maxzoom: number): Map<string, RawTile> {
  const inside = new Map<string, RawTile>();
  for (const [key, tile] of source) {
    if (tile.z < minzoom || tile.z > maxzoom) continue;
    const range = bboxToTileRange(box, tile.z);
    if (tile.x >= range.minX && tile.x <= range.maxX && tile.y >= range.minY && tile.y <= range.maxY) inside.set(key, tile);
  }
  return inside;
}

function assertSameTiles(actual: Map<string, RawTile>, expected: Map<string, RawTile>, label: string): void {
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort(), `${label}: the tiles inside the box, none outside`);
  for (const [key, tile] of expected) assert.ok(actual.get(key)!.data.equals(tile.data), `${label}: ${key} byte-identical`);
}

before(async () => {
  writeVectorArchive(paths.vector, {
    features: FEATURES,
    layer: 'basemap',
    bounds: [44, 37, 54, 46.5],
    maxzoom: 9,
    metadata: { name: 'Test basemap', attribution: 'test & co', vector_layers: [{ id: 'basemap', fields: { name: 'String', kind: 'String', population: 'Number' } }] },
  });
  await writeAbsheronArchive(paths.raster, 5, 9);
  // GDAL's own vector MBTiles: a plain `tiles` table, its metadata, its gzip.
  writeFileSync(join(dir, 'features.geojson'), JSON.stringify(FEATURES));
  await run('ogr2ogr', ['-f', 'MBTiles', paths.gdal, join(dir, 'features.geojson'), '-nln', 'features', '-dsco', 'MINZOOM=0', '-dsco', 'MAXZOOM=9']);
  // tippecanoe's layout (its DDL, tile ids that are not our MD5s), filled with the vector archive's tiles.
  const db = new Database(paths.tippecanoe);
  db.exec(`CREATE TABLE metadata (name text, value text);
    CREATE TABLE map (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_id TEXT);
    CREATE TABLE images (tile_data blob, tile_id text);
    CREATE UNIQUE INDEX name on metadata (name);
    CREATE UNIQUE INDEX map_index ON map (zoom_level, tile_column, tile_row);
    CREATE UNIQUE INDEX images_id ON images (tile_id);
    CREATE VIEW tiles AS SELECT map.zoom_level AS zoom_level, map.tile_column AS tile_column, map.tile_row AS tile_row, images.tile_data AS tile_data FROM map JOIN images ON images.tile_id = map.tile_id;`);
  const insertMap = db.prepare('INSERT INTO map VALUES (?, ?, ?, ?)');
  const insertImage = db.prepare('INSERT INTO images VALUES (?, ?)');
  const insertMetadata = db.prepare('INSERT INTO metadata VALUES (?, ?)');
  db.transaction(() => {
    let id = 0;
    for (const tile of rawTiles(paths.vector).values()) {
      insertImage.run(tile.data, String(++id));
      insertMap.run(tile.z, tile.x, flipRow(tile.z, tile.y), String(id));
    }
    for (const [name, value] of Object.entries({ name: 'tippecanoe-made', format: 'pbf', minzoom: '0', maxzoom: '9', bounds: '44,37,54,46.5', json: JSON.stringify({ vector_layers: [{ id: 'basemap', fields: {} }], tilestats: { layerCount: 1 } }) })) insertMetadata.run(name, value);
  })();
  db.close();
});

for (const kind of ['vector', 'raster', 'gdal', 'tippecanoe'] as const) {
  test(`extract from a ${kind} archive: every tile inside the box at each zoom, byte-identical, none outside; estimate equals it`, async () => {
    const output = join(dir, `${kind}-box.mbtiles`);
    const minzoom = kind === 'raster' ? 6 : 2;
    const result = mekan('extract', paths[kind], '--bbox', bboxArg(BOX), '--minzoom', String(minzoom), '-o', output);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^extracted \d+ tiles/);
    const source = rawTiles(paths[kind]);
    const extracted = rawTiles(output);
    const expected = expectedTiles(source, BOX, minzoom, 9);
    assert.ok(expected.size >= 10 && expected.size < source.size, `${kind}: the box takes part of the archive (${expected.size} of ${source.size})`);
    assertSameTiles(extracted, expected, kind);

    const metadata = rawMetadata(output);
    assert.equal(metadata.bounds, bboxArg(BOX));
    assert.equal(metadata.minzoom, String(minzoom));
    assert.equal(metadata.maxzoom, '9');
    const [lon, lat, zoom] = metadata.center.split(',').map(Number);
    assert.ok(lon >= BOX[0] && lon <= BOX[2] && lat >= BOX[1] && lat <= BOX[3] && zoom >= minzoom && zoom <= 9, `centre ${metadata.center} inside`);
    if (kind !== 'raster') {
      const json = JSON.parse(metadata.json) as { vector_layers: { id: string }[]; tilestats?: unknown };
      assert.ok(json.vector_layers.length >= 1, 'vector_layers kept');
      assert.equal(json.tilestats, undefined, 'whole-archive statistics are not carried into a part of it');
    }

    // Mekan opens it, and its estimate from the source's index equals what was written.
    const reader = openArchive(paths[kind]);
    try {
      const estimate = await estimateExtract(reader, { bbox: BOX, minzoom });
      const bytes = [...extracted.values()].reduce((sum, tile) => sum + tile.data.length, 0);
      assert.deepEqual({ tiles: estimate.tiles, bytes: estimate.bytes }, { tiles: extracted.size, bytes });
    } finally {
      reader.close();
    }
    const extract = openArchive(output);
    try {
      assert.equal(extract.metadata.format, reader.metadata.format);
      const first = [...extracted.values()][0];
      assert.ok((await extract.getTile(first.z, first.x, first.y))?.data.equals(first.data));
    } finally {
      extract.close();
    }
  });
}

test('GDAL opens the extracts: ogrinfo reads the vector features, gdalinfo the raster over the box', async () => {
  const vector = join(dir, 'vector-box.mbtiles');
  const raster = join(dir, 'raster-box.mbtiles');
  const features = (await run('ogrinfo', ['-ro', '-al', '-so', vector])).stdout;
  assert.match(features, /Layer name: basemap/);
  assert.match(features, /Feature Count: [1-9]/);
  const info = JSON.parse((await run('gdalinfo', ['-json', raster])).stdout) as { size: number[]; wgs84Extent?: { coordinates: number[][][] } };
  assert.ok(info.size[0] >= 256 && info.size[1] >= 256, `raster size ${info.size.join('×')}`);
  const ring = info.wgs84Extent!.coordinates[0];
  const lons = ring.map((point) => point[0]);
  const lats = ring.map((point) => point[1]);
  // GDAL shows whole tiles: its extent holds the box and stays within one zoom-6 tile of it.
  assert.ok(Math.min(...lons) <= BOX[0] && Math.max(...lons) >= BOX[2] && Math.min(...lats) <= BOX[1] && Math.max(...lats) >= BOX[3], `extent ${JSON.stringify(ring)}`);
  assert.ok(Math.max(...lons) - Math.min(...lons) < 12, 'GDAL sees the part, not the source');
});

test('several archives extracted at once are combined; bad boxes and zooms are one-line errors', () => {
  const both = join(dir, 'both.mbtiles');
  const result = mekan('extract', paths.vector, paths.tippecanoe, '--bbox', bboxArg(BOX), '--maxzoom', '4', '-o', both);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /combined from several archives/);
  // Each kind of bad box names the flag and says what is wrong (parsed in-process: a CLI start costs a second).
  for (const [text, reason] of [
    ['50,40,49,41', /west \(50\) must be less than east/],
    ['49,41,50,40', /south \(41\) must be less than north/],
    ['49,40,50', /four numbers/],
    ['49,40,50,north', /four numbers/],
    ['170,40,190,41', /longitudes/],
    ['49,40,50,89', /latitudes/],
  ] as const) {
    assert.throws(() => parseBBox(text, '--bbox'), (error: Error) => error instanceof InputError && /^--bbox: /.test(error.message) && reason.test(error.message), text);
  }
  for (const args of [
    ['--bbox', '49,41,50,40'],
    ['--bbox', bboxArg(BOX), '--minzoom', '8', '--maxzoom', '3'],
    ['--bbox', '10,10,11,11'],
  ]) {
    const failed = mekan('extract', paths.vector, ...args, '-o', join(dir, 'never.mbtiles'));
    assert.equal(failed.status, 1, `${args.join(' ')}: ${failed.stdout}`);
    assert.equal(failed.stderr.trim().split('\n').length, 1, failed.stderr);
    assert.match(failed.stderr, /^mekan: (--bbox|--minzoom|\S+\.mbtiles): /);
  }
  assert.equal(mekan('extract', paths.vector, paths.raster, '--bbox', bboxArg(BOX), '-o', join(dir, 'never.mbtiles')).status, 1, 'vector and raster together are refused');
});
