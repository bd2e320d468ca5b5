// Recipes (YAML and JSON): schema errors that name the key and the file, and a recipe build's filter,
// attribute rules and per-feature zooms checked in the decoded tiles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../../src/errors.js';
import { buildVectorTiles } from '../../src/vector/build.js';
import { compileFilter } from '../../src/vector/filter.js';
import { layerNameOf, quickPlan } from '../../src/vector/quickPlan.js';
import { loadRecipe } from '../../src/vector/recipe.js';
import { makeTempDir } from '../support/tempDir.js';
import { readVectorTiles } from '../support/vectorTiles.js';

const DATA = resolve('data/basemap');
const dir = makeTempDir();

function recipeFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function rejectsWith(path: string, pattern: RegExp): void {
  assert.throws(
    () => loadRecipe(path, { output: join(dir, 'x.mbtiles') }),
    (error: unknown) => {
      assert.ok(error instanceof InputError, String(error));
      assert.ok(error.message.startsWith(path), error.message);
      assert.match(error.message, pattern);
      return true;
    },
  );
}

test('recipe errors name the file and the key path', () => {
  rejectsWith(recipeFile('order.yaml', 'layers:\n  - id: place\n    sources: a.geojson\n    rank: { field: population, order: up }\n'), /layers\[0\]\.rank\.order/);
  rejectsWith(recipeFile('unknown.yaml', 'layers:\n  - id: place\n    sources: a.geojson\n    colour: red\n'), /layers\[0\].*colour/);
  rejectsWith(recipeFile('zoom.json', JSON.stringify({ maxzoom: 40, layers: [{ id: 'a', sources: ['a.geojson'] }] })), /maxzoom/);
  rejectsWith(recipeFile('filter.yaml', 'layers:\n  - id: place\n    sources: a.geojson\n    filter: ["all", ["==", "class"], ["has", "name"]]\n'), /layers\[0\]\.filter\[1\]/);
  rejectsWith(recipeFile('twice.yaml', 'layers:\n  - { id: a, sources: a.geojson }\n  - { id: a, sources: b.geojson }\n'), /layers\[1\]\.id/);
  rejectsWith(recipeFile('empty.yaml', 'name: nothing\n'), /layers/);
  rejectsWith(recipeFile('broken.json', '{"layers": ['), /not valid JSON/);
});

test('recipe sources are relative to the recipe; the quick form names layers after files', () => {
  const plan = loadRecipe(recipeFile('paths.yaml', 'name: Paths\nmaxzoom: 9\nlayers:\n  - { id: roads, sources: [sub/roads.shp], maxzoom: 12 }\n'), { output: 'o.mbtiles' });
  assert.deepEqual(plan.layers[0].sources, [join(dir, 'sub/roads.shp')]);
  assert.equal(plan.layers[0].maxzoom, 9); // never beyond the archive's range
  assert.equal(plan.name, 'Paths');
  const quick = quickPlan(['a/roads.shp', 'b/places.geojsonl'], [], { output: 'o.mbtiles', maxzoom: 10 });
  assert.deepEqual(quick.layers.map((layer) => layer.id), ['roads', 'places']);
  assert.deepEqual(quickPlan(['a.shp', 'b.shp'], ['x'], { output: 'o.mbtiles' }).layers.map((l) => l.sources.length), [2]);
  assert.equal(layerNameOf('/data/Main Roads.gpkg'), 'Main_Roads');
  assert.throws(() => quickPlan(['a.shp', 'b.shp', 'c.shp'], ['x', 'y'], { output: 'o.mbtiles' }), InputError);
});

test('filters follow the MapLibre filter language', () => {
  const properties = { class: 'city', population: 1_200_000, capital: true, name: 'Bakı' };
  const yes = (filter: unknown[]) => compileFilter(filter)(properties, 'Point');
  assert.equal(yes(['==', 'class', 'city']), true);
  assert.equal(yes(['!=', 'class', 'city']), false);
  assert.equal(yes(['>=', 'population', 1_000_000]), true);
  assert.equal(yes(['>', ['get', 'population'], 2_000_000]), false);
  assert.equal(yes(['>', 'name', 5]), false); // no ordering across types
  assert.equal(yes(['in', 'class', 'town', 'city']), true);
  assert.equal(yes(['!in', 'class', 'town', 'city']), false);
  assert.equal(yes(['all', ['has', 'name'], ['!has', 'rank'], ['==', '$type', 'Point']]), true);
  assert.equal(yes(['any', ['==', 'capital', false], ['!', ['==', 'class', 'city']]]), false);
  assert.equal(yes(['none', ['==', 'class', 'town']]), true);
});

test('a recipe build applies the filter, the attribute rules and per-feature zooms', async () => {
  const output = join(dir, 'recipe.mbtiles');
  const recipe = recipeFile(
    'basemap.yaml',
    [
      'name: Recipe basemap',
      'attribution: Natural Earth',
      'minzoom: 0',
      'maxzoom: 7',
      'layers:',
      '  - id: city',
      `    sources: ${join(DATA, 'place.geojson')}`,
      '    filter: ["in", "class", "city", "country"]',
      '    zoomField: minzoom',
      '    attributes: { keep: [name_en, population, class, minzoom], rename: { name_en: name } }',
      '  - id: river',
      `    sources: [${join(DATA, 'waterway.geojson')}]`,
      '    minzoom: 4',
      '    simplification: 8',
      '    attributes: { drop: ["name:az", "name:ru", "name:en"] }',
      '',
    ].join('\n'),
  );
  const plan = loadRecipe(recipe, { output });
  const summary = await buildVectorTiles(plan);
  const city = summary.layers.find((layer) => layer.id === 'city');
  assert.equal(city?.featuresFiltered, 75); // 74 towns and 1 village
  assert.equal(city?.featuresWritten, 78); // 66 cities and 12 country labels

  for (const tile of readVectorTiles(output)) {
    for (const feature of tile.layers.city ?? []) {
      assert.ok(['city', 'country'].includes(feature.properties.class as string));
      assert.deepEqual(Object.keys(feature.properties).filter((key) => !['name', 'population', 'class', 'minzoom'].includes(key)), []);
      assert.ok(typeof feature.properties.name === 'string');
      // A feature shows from its own zoom on (Natural Earth's fractional min zoom shows from its floor).
      assert.ok(Math.floor(feature.properties.minzoom as number) <= tile.z, `${feature.properties.name} at z${tile.z}`);
    }
    if (tile.z < 4) assert.equal(tile.layers.river, undefined);
    for (const feature of tile.layers.river ?? []) assert.equal(feature.properties['name:az'], undefined);
  }
  const zoomSeven = readVectorTiles(output, 7).flatMap((tile) => tile.layers.city ?? []);
  assert.ok(zoomSeven.length >= 73);
});

test('a GeoPackage of several tables gives a layer a table in the quick form, and must name its table in a recipe', async () => {
  const gpkg = join(dir, 'national.gpkg');
  execFileSync('ogr2ogr', ['-f', 'GPKG', gpkg, join(DATA, 'place.geojson'), '-nln', 'places']);
  execFileSync('ogr2ogr', ['-f', 'GPKG', '-update', gpkg, join(DATA, 'waterway.geojson'), '-nln', 'rivers']);
  const output = join(dir, 'national.mbtiles');
  const plan = quickPlan([gpkg], [], { output, maxzoom: 5 });
  assert.deepEqual(plan.layers.map((layer) => [layer.id, layer.sources]), [['places', [`${gpkg}:places`]], ['rivers', [`${gpkg}:rivers`]]]);
  assert.deepEqual(quickPlan([gpkg], ['all'], { output }).layers.map((layer) => [layer.id, layer.sources.length]), [['all', 2]]);
  assert.throws(() => quickPlan([gpkg, join(DATA, 'place.geojson')], ['a', 'b'], { output }), /national\.gpkg: has 2 feature tables \(places, rivers\): name one as/);
  assert.equal(layerNameOf('/data/x.gpkg:main roads'), 'main_roads');

  // Both tables end up in the archive, each with its own features.
  await buildVectorTiles(plan);
  const counts: Record<string, number> = {};
  for (const tile of readVectorTiles(output, 5)) for (const [layer, features] of Object.entries(tile.layers)) counts[layer] = (counts[layer] ?? 0) + features.length;
  assert.deepEqual(Object.keys(counts).sort(), ['places', 'rivers']);
  assert.ok(counts.places >= 142, JSON.stringify(counts));

  rejectsWith(recipeFile('gpkg.yaml', `layers:\n  - { id: all, sources: [national.gpkg] }\n`), /layers\[0\]\.sources: .*national\.gpkg has 2 feature tables \(places, rivers\); name one as .*national\.gpkg:TABLE/);
  const named = loadRecipe(recipeFile('gpkg-named.yaml', `layers:\n  - { id: places, sources: ['national.gpkg:places'] }\n`), { output });
  assert.deepEqual(named.layers[0].sources, [`${gpkg}:places`]);
});
