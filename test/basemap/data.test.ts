// The bundled data, its schema document and the build recipe agree, and the recipe builds the tiles the styles expect.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { gunzipSync } from 'node:zlib';
import type { FeatureCollection } from 'geojson';
import { MBTilesReader } from '../../src/archive/mbtiles/reader.js';
import { lonLatToTileFraction } from '../../src/grid/webMercator.js';
import { loadRecipe } from '../../src/vector/recipe.js';
import { buildBasemap, ROOT } from '../support/basemapFixture.js';
import { makeTempDir } from '../support/tempDir.js';

const LABELLED = ['place', 'waterway', 'water_name'];
const NAME_FIELDS = ['name', 'name:az', 'name:en', 'name:ru', 'name_en'];

function readLayer(layer: string): FeatureCollection {
  return JSON.parse(readFileSync(join(ROOT, 'data', 'basemap', `${layer}.geojson`), 'utf8')) as FeatureCollection;
}

/** Layer ids as SCHEMA.md documents them: its `### \`id\`` headings. */
function schemaLayers(): string[] {
  const text = readFileSync(join(ROOT, 'data', 'SCHEMA.md'), 'utf8');
  return [...text.matchAll(/^### `([a-z_]+)`/gm)].map((match) => match[1]);
}

const dir = makeTempDir('mekan-basemap-');
let archive: MBTilesReader;

before(async () => {
  archive = new MBTilesReader(await buildBasemap(dir));
});
after(() => archive?.close());

test('the recipe, SCHEMA.md and data/basemap name the same layers, and the data stays small', () => {
  const plan = loadRecipe(join(ROOT, 'scripts', 'basemap.recipe.yaml'), { output: join(dir, 'unused.mbtiles') });
  const recipeLayers = plan.layers.map((layer) => layer.id);
  assert.deepEqual([...recipeLayers].sort(), [...schemaLayers()].sort());
  let bytes = 0;
  for (const layer of plan.layers) {
    for (const source of layer.sources) bytes += statSync(source).size;
    assert.ok(readLayer(layer.id).features.length > 0, `${layer.id} has features`);
  }
  assert.ok(bytes < 3 * 1024 * 1024, `data/basemap is ${bytes} bytes`);
});

test('every label carries a local, Azerbaijani, English and Russian name', () => {
  for (const layer of LABELLED) {
    for (const feature of readLayer(layer).features) {
      for (const field of NAME_FIELDS) {
        const value = feature.properties?.[field];
        assert.ok(typeof value === 'string' && value.trim().length > 0, `${layer} ${JSON.stringify(feature.properties)} lacks ${field}`);
      }
    }
  }
  const places = readLayer('place').features.map((feature) => feature.properties!);
  const azerbaijani = new Set(places.filter((p) => p.iso_a3 === 'AZE').map((p) => p.name));
  for (const city of ['Bakı', 'Gəncə', 'Sumqayıt', 'Mingəçevir', 'Şirvan', 'Naxçıvan', 'Şəki', 'Lənkəran', 'Yevlax', 'Xankəndi']) {
    assert.ok(azerbaijani.has(city), `${city} is in the place layer`);
  }
  const baku = places.find((p) => p.name === 'Bakı')!;
  assert.deepEqual([baku.class, baku.capital, baku['name:en'], baku['name:ru']], ['city', 2, 'Baku', 'Баку']);
});

test('the built basemap holds the schema layers with their fields where the styles look for them', () => {
  assert.equal(archive.metadata.format, 'pbf');
  assert.equal(archive.metadata.minzoom, 0);
  assert.equal(archive.metadata.maxzoom, 10);
  // Two regions, the Caucasus and the one around the imagery sample; clients open on the Caucasus (the recipe's center).
  assert.deepEqual(archive.metadata.center, [47.7, 40.3, 6]);
  assert.ok(archive.metadata.bounds![0] < -54.3 && archive.metadata.bounds![1] < -23.8 && archive.metadata.bounds![2] >= 56, `${archive.metadata.bounds}`);
  // The z7 tile over Baku.
  const [fx, fy] = lonLatToTileFraction(49.86, 40.4, 7);
  const stored = archive.getTile(7, Math.floor(fx), Math.floor(fy));
  assert.ok(stored, 'tile over Baku exists');
  const bytes = stored.data[0] === 0x1f ? gunzipSync(stored.data) : stored.data;
  const tile = new VectorTile(new PbfReader(bytes));
  for (const layer of ['water', 'country', 'boundary', 'place']) assert.ok(tile.layers[layer]?.length > 0, `layer ${layer} in the tile`);

  const places = Array.from({ length: tile.layers.place.length }, (_, i) => tile.layers.place.feature(i).properties);
  const baku = places.find((p) => p.name === 'Bakı');
  assert.ok(baku, 'Bakı labelled at z7');
  assert.equal(baku['name:ru'], 'Баку');
  assert.equal(baku['name:az'], 'Bakı');
  assert.equal(baku.capital, 2);
  const water = Array.from({ length: tile.layers.water.length }, (_, i) => tile.layers.water.feature(i).properties.class);
  assert.ok(water.includes('ocean'), 'the Caspian is water class ocean');
  const levels = new Set(Array.from({ length: tile.layers.boundary.length }, (_, i) => tile.layers.boundary.feature(i).properties.admin_level));
  assert.ok(levels.has(4), 'district boundaries at z7');
});
