// `mekan merge`: two regional builds merged equal one build of both regions, feature for feature in every tile.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { createArchive } from '../../src/archive/open.js';
import { bboxToTileRange, tilesInRange, type BBox } from '../../src/grid/webMercator.js';
import { decodeTile } from '../support/vectorTiles.js';
import { makeTempDir } from '../support/tempDir.js';
import { mekan, rawMetadata, rawTiles } from './support.js';

const dir = makeTempDir('mekan-merge-');
const path = (name: string) => join(dir, name);

/** A tile's features as comparable text, sorted within each layer (merging keeps features, not their order across sources). */
function featuresPerTile(archive: string): Map<string, Record<string, string[]>> {
  const tiles = new Map<string, Record<string, string[]>>();
  for (const [key, tile] of rawTiles(archive)) {
    const decoded = decodeTile(tile.z, tile.x, tile.y, tile.data);
    tiles.set(key, Object.fromEntries(Object.entries(decoded.layers).map(([layer, features]) => [layer, features.map((feature) => JSON.stringify(feature)).sort()])));
  }
  return tiles;
}

/** The first position of a geometry, to give each feature to one region whole. */
function firstLongitude(coordinates: unknown): number {
  let value = coordinates;
  while (Array.isArray(value) && Array.isArray(value[0])) value = value[0];
  return (value as number[])[0];
}

before(() => {
  // Regions split at 47.5°E, each feature whole in the region of its first position: the west's rivers in one
  // build, the east's rivers and the water polygons in another. (Lines and polygons: the builder thins dense points
  // by what else is near, which no merge can know, so places would differ for a reason that is not the merge's.)
  const rivers = JSON.parse(readFileSync(resolve('data/basemap/waterway.geojson'), 'utf8')) as { features: { geometry: { coordinates: unknown } }[] };
  const west = rivers.features.filter((feature) => firstLongitude(feature.geometry.coordinates) < 47.5);
  const east = rivers.features.filter((feature) => firstLongitude(feature.geometry.coordinates) >= 47.5);
  assert.ok(west.length > 3 && east.length > 3);
  writeFileSync(path('west.geojson'), JSON.stringify({ type: 'FeatureCollection', features: west }));
  writeFileSync(path('east.geojson'), JSON.stringify({ type: 'FeatureCollection', features: east }));
  const build = (...args: string[]) => {
    const result = mekan('build', 'vector', ...args, '--maxzoom', '7', '--quiet', '--workers', '1');
    assert.equal(result.status, 0, result.stderr);
  };
  const water = resolve('data/basemap/water.geojson');
  build(path('west.geojson'), '--layer', 'waterway', '-o', path('west.mbtiles'), '--attribution', 'West survey');
  build(path('east.geojson'), water, '--layer', 'waterway', '--layer', 'water', '-o', path('east.mbtiles'), '--attribution', 'East survey');
  build(resolve('data/basemap/waterway.geojson'), water, '--layer', 'waterway', '--layer', 'water', '-o', path('both.mbtiles'));
});

test('a merge of two regional builds equals a build of both regions, decoded feature for feature per tile', () => {
  const result = mekan('merge', path('west.mbtiles'), path('east.mbtiles'), '-o', path('merged.mbtiles'));
  assert.equal(result.status, 0, result.stderr);
  const combined = Number(/(\d+) combined from several archives/.exec(result.stdout)?.[1]);
  assert.ok(combined > 5, `tiles both regions reach were combined (${result.stdout.trim()})`);

  const merged = featuresPerTile(path('merged.mbtiles'));
  const both = featuresPerTile(path('both.mbtiles'));
  assert.deepEqual([...merged.keys()].sort(), [...both.keys()].sort(), 'the same tiles');
  for (const [key, layers] of both) assert.deepEqual(merged.get(key), layers, `tile ${key}`);
  // Same-name layers met (rivers of both regions in one tile), not only different layers side by side.
  const westTiles = featuresPerTile(path('west.mbtiles'));
  const eastTiles = featuresPerTile(path('east.mbtiles'));
  assert.ok([...westTiles.keys()].some((key) => eastTiles.get(key)?.waterway && westTiles.get(key)?.waterway), 'a tile where both regions have rivers');

  const metadata = rawMetadata(path('merged.mbtiles'));
  const json = JSON.parse(metadata.json) as { vector_layers: { id: string; fields: Record<string, string> }[] };
  assert.deepEqual(json.vector_layers.map((layer) => layer.id).sort(), ['water', 'waterway']);
  assert.equal(metadata.attribution, 'West survey | East survey');
  const [west, south, east, north] = metadata.bounds.split(',').map(Number);
  const bounds = (file: string) => rawMetadata(path(file)).bounds.split(',').map(Number);
  assert.deepEqual([west, south, east, north], [Math.min(bounds('west.mbtiles')[0], bounds('east.mbtiles')[0]), Math.min(bounds('west.mbtiles')[1], bounds('east.mbtiles')[1]), Math.max(bounds('west.mbtiles')[2], bounds('east.mbtiles')[2]), Math.max(bounds('west.mbtiles')[3], bounds('east.mbtiles')[3])]);
});

test('raster merge: where archives overlap the first one listed wins; archives of different formats are refused', async () => {
  const write = async (file: string, bounds: BBox, colour: { r: number; g: number; b: number }) => {
    const writer = createArchive(path(file));
    const image = await sharp({ create: { width: 256, height: 256, channels: 3, background: colour } }).png().toBuffer();
    for (let z = 5; z <= 7; z++) for (const { x, y } of tilesInRange(bboxToTileRange(bounds, z))) writer.putTile(z, x, y, image);
    writer.setMetadata({ name: file, format: 'png', minzoom: 5, maxzoom: 7, bounds });
    writer.finish();
    return image;
  };
  const red = await write('red.mbtiles', [46, 39, 49, 41], { r: 200, g: 0, b: 0 });
  const blue = await write('blue.mbtiles', [48, 40, 51, 42], { r: 0, g: 0, b: 200 });
  assert.equal(mekan('merge', path('red.mbtiles'), path('blue.mbtiles'), '-o', path('rb.mbtiles')).status, 0);
  const tiles = rawTiles(path('rb.mbtiles'));
  const red7 = bboxToTileRange([46, 39, 49, 41], 7);
  const blue7 = bboxToTileRange([48, 40, 51, 42], 7);
  let overlap = 0;
  for (const tile of tiles.values()) {
    if (tile.z !== 7) continue;
    const inRed = tile.x >= red7.minX && tile.x <= red7.maxX && tile.y >= red7.minY && tile.y <= red7.maxY;
    const inBlue = tile.x >= blue7.minX && tile.x <= blue7.maxX && tile.y >= blue7.minY && tile.y <= blue7.maxY;
    if (inRed && inBlue) overlap++;
    assert.ok(tile.data.equals(inRed ? red : blue), `${tile.key} from ${inRed ? 'red (listed first)' : 'blue'}`);
  }
  assert.ok(overlap > 0);
  const refused = mekan('merge', path('red.mbtiles'), path('west.mbtiles'), '-o', path('never.mbtiles'));
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /west\.mbtiles: holds pbf tiles, but .*red\.mbtiles holds png/);
});
