// The size budget (tiny budgets, rank order), bad input (skipped or --strict), and failed builds that leave
// the previous archive untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { join, resolve } from 'node:path';
import type { Feature, FeatureCollection, Point } from 'geojson';
import { InputError } from '../../src/errors.js';
import { silentProgress, type Progress } from '../../src/progress.js';
import { buildVectorTiles } from '../../src/vector/build.js';
import { quickPlan } from '../../src/vector/quickPlan.js';
import { gzipBound, packTile } from '../../src/vector/tileGzip.js';
import { recipeToPlan } from '../../src/vector/recipe.js';
import { makeTempDir } from '../support/tempDir.js';
import { assertPreviousArchiveKept, makeBuildFolders } from '../support/unfinishedBuild.js';
import { readPolygon, signedArea } from '../support/tileMap.js';
import { readVectorTiles } from '../support/vectorTiles.js';

const DATA = resolve('data/basemap');
const dir = makeTempDir();

test('a tiny budget reduces tiles until they fit, keeping the highest-ranked features', async () => {
  const output = join(dir, 'tiny.mbtiles');
  const maxTileBytes = 1500;
  const plan = recipeToPlan(
    { maxTileBytes, maxzoom: 3, layers: [{ id: 'place', sources: 'place.geojson', rank: { field: 'population', order: 'desc' } }] },
    join(DATA, 'recipe.yaml'),
    { output },
  );
  const summary = await buildVectorTiles(plan);
  assert.ok(summary.tilesReduced > 0);
  assert.ok(summary.featuresDropped > 0);
  const tiles = readVectorTiles(output);
  assert.ok(tiles.length > 0);
  for (const tile of tiles) assert.ok(tile.bytes <= maxTileBytes, `${tile.z}/${tile.x}/${tile.y} is ${tile.bytes} bytes`);

  // At zoom 0 every place is in the one tile: the kept ones must be the most populous. Points are first thinned
  // by rank in cells of half a tile (pointSelection.ts), so compare within one cell: the Caucasus, the north-east
  // quarter of the world (the places around the imagery sample in Brazil compete in their own).
  const all = JSON.parse(readFileSync(join(DATA, 'place.geojson'), 'utf8')) as FeatureCollection<Point>;
  const input = { ...all, features: all.features.filter((f) => f.geometry.coordinates[0] > 0 && f.geometry.coordinates[1] > 0) };
  const [world] = tiles.filter((tile) => tile.z === 0);
  const names = new Set(input.features.map((f) => `${f.properties?.name}|${f.properties?.class}`));
  const kept = new Set(world.layers.place.map((f) => `${f.properties.name}|${f.properties.class}`).filter((key) => names.has(key)));
  assert.ok(kept.size > 0 && kept.size < input.features.length);
  const population = (f: Feature) => (typeof f.properties?.population === 'number' ? f.properties.population : -1);
  const keptFeatures = input.features.filter((f) => kept.has(`${f.properties?.name}|${f.properties?.class}`));
  const dropped = input.features.filter((f) => !kept.has(`${f.properties?.name}|${f.properties?.class}`));
  const smallestKept = Math.min(...keptFeatures.map(population));
  const largestDropped = Math.max(...dropped.map(population));
  assert.ok(smallestKept >= largestDropped, `kept down to ${smallestKept} but dropped ${largestDropped}`);
});

test('a tile handed over encoded fits the budget once gzipped, even when gzip cannot shrink it', () => {
  // Random bytes are gzip's worst case: it stores them, adding its block headers and wrapper.
  for (const size of [0, 1, 100, 1000, 16_384, 65_535, 65_536, 300_000]) {
    const bytes = randomBytes(size);
    for (const level of [1, 6, 9]) {
      const gzipped = gzipSync(bytes, { level }).length;
      assert.ok(gzipped <= gzipBound(size), `${size} bytes at level ${level}: gzip made ${gzipped}, bound ${gzipBound(size)}`);
    }
    const handedOver = packTile(bytes, gzipBound(size), 6);
    assert.equal(handedOver.gzipped, false);
    assert.equal(handedOver.bytes, bytes);
    // One byte of budget less and the size must be known: gzipped where the budget is checked.
    const checked = packTile(bytes, gzipBound(size) - 1, 6);
    assert.equal(checked.gzipped, true);
    assert.deepEqual(gunzipSync(checked.bytes), bytes);
  }
});

test('a tiny budget on polygons simplifies and drops the smallest shapes first', async () => {
  const output = join(dir, 'tiny-polygons.mbtiles');
  const plan = quickPlan([join(DATA, 'country.geojson')], [], { output, maxzoom: 2, maxTileBytes: 1000 });
  const summary = await buildVectorTiles(plan);
  assert.ok(summary.tilesReduced > 0 && summary.featuresDropped > 0);
  for (const tile of readVectorTiles(output)) assert.ok(tile.bytes <= 1000);
  // Against the same build without the tiny budget, tile by tile: every country dropped is smaller than every
  // country kept, by the area it has in the full tile.
  const full = join(dir, 'full-polygons.mbtiles');
  await buildVectorTiles(quickPlan([join(DATA, 'country.geojson')], [], { output: full, maxzoom: 2 }));
  const tiny = new Map(readVectorTiles(output).map((tile) => [`${tile.z}/${tile.x}/${tile.y}`, tile]));
  let tilesWithDrops = 0;
  for (const tile of readVectorTiles(full)) {
    const areas = new Map<string, number>();
    for (const feature of tile.layers.country ?? []) {
      const area = readPolygon(feature).polygons.reduce((sum, rings) => sum + rings.reduce((a, ring) => a + signedArea(ring), 0), 0);
      areas.set(String(feature.properties.iso_n3), (areas.get(String(feature.properties.iso_n3)) ?? 0) + area);
    }
    const kept = new Set((tiny.get(`${tile.z}/${tile.x}/${tile.y}`)?.layers.country ?? []).map((feature) => String(feature.properties.iso_n3)));
    const dropped = [...areas.keys()].filter((iso) => !kept.has(iso));
    if (dropped.length === 0 || kept.size === 0) continue;
    tilesWithDrops++;
    const smallestKept = Math.min(...[...kept].map((iso) => areas.get(iso) ?? 0));
    const largestDropped = Math.max(...dropped.map((iso) => areas.get(iso) ?? 0));
    assert.ok(smallestKept > largestDropped, `${tile.z}/${tile.x}/${tile.y}: kept down to ${smallestKept} units² but dropped one of ${largestDropped}`);
  }
  assert.ok(tilesWithDrops > 0);
});

function badInput(): string {
  const path = join(dir, 'bad.geojson');
  const square = [[[45, 40], [46, 40], [46, 41], [45, 41], [45, 40]]];
  writeFileSync(
    path,
    JSON.stringify({
      type: 'FeatureCollection',
      features: [
        { type: 'Feature', properties: { name: 'good' }, geometry: { type: 'Polygon', coordinates: square } },
        { type: 'Feature', properties: { name: 'open ring' }, geometry: { type: 'Polygon', coordinates: [[[45, 40], [46, 40], [46, 41], [45, 41]]] } },
        { type: 'Feature', properties: { name: 'off the map' }, geometry: { type: 'Point', coordinates: [200, 40] } },
        { type: 'Feature', properties: { name: 'nothing' }, geometry: null },
      ],
    }),
  );
  return path;
}

test('bad features are skipped, counted and reported with file, place and reason', async () => {
  const input = badInput();
  const output = join(dir, 'bad.mbtiles');
  const summary = await buildVectorTiles(quickPlan([input], [], { output, maxzoom: 4 }));
  const [layer] = summary.layers;
  assert.equal(layer.id, 'bad');
  assert.equal(layer.featuresRead, 4);
  assert.equal(layer.featuresSkipped, 3);
  assert.equal(layer.featuresWritten, 1);
  assert.equal(layer.problems.length, 3);
  for (const problem of layer.problems) {
    assert.equal(problem.file, input);
    assert.ok(problem.where.length > 0 && problem.reason.length > 0);
  }
  assert.match(layer.problems.map((p) => p.reason).join('\n'), /closed/);
  assert.ok(readVectorTiles(output).length > 0);
});

test('--strict stops at the first bad feature with an input error naming the file', async () => {
  const input = badInput();
  const output = join(dir, 'strict.mbtiles');
  await assert.rejects(buildVectorTiles(quickPlan([input], [], { output, maxzoom: 4, strict: true })), (error: unknown) => {
    assert.ok(error instanceof InputError);
    assert.match(error.message, /bad\.geojson/);
    return true;
  });
  assert.equal(existsSync(output), false);
});

test('a build that fails midway leaves the previous archive unchanged and no temp files', async () => {
  const folders = makeBuildFolders(dir, 'failing', 'spill');
  const { temp: spillFolder, output } = folders;
  const plan = quickPlan([join(DATA, 'place.geojson'), join(DATA, 'waterway.geojson')], [], { output, maxzoom: 7 });
  await buildVectorTiles(plan, { tempFolder: spillFolder });
  const before = readFileSync(output);

  let tiles = 0;
  const failing: Progress = {
    ...silentProgress,
    stage(name) {
      if (name.startsWith('tiling')) tiles = 0;
    },
    advance() {
      if (++tiles === 40) throw new Error('disk pulled out');
    },
  };
  await assert.rejects(buildVectorTiles({ ...plan, maxzoom: 8 }, { progress: failing, tempFolder: spillFolder }), /disk pulled out/);
  assertPreviousArchiveKept(folders, before);
});

test('a source that cannot be read fails the build with its name, and nothing is written', async () => {
  const output = join(dir, 'missing.mbtiles');
  await assert.rejects(buildVectorTiles(quickPlan([join(dir, 'nowhere.geojson')], [], { output })), (error: unknown) => {
    assert.ok(error instanceof InputError);
    assert.match(error.message, /nowhere\.geojson/);
    return true;
  });
  assert.equal(existsSync(output), false);
  assert.deepEqual(readdirSync(dir).filter((name) => name.startsWith('missing.mbtiles')), []);
});

test('spill folders of killed builds are removed by the next build', async () => {
  const root = join(dir, 'stale-spill');
  mkdirSync(root);
  // A pid that is not running: the highest pid the kernel would never have handed out yet is not guaranteed,
  // so take one that process.kill says is gone.
  let dead = 4_000_000;
  while (dead > 1 && (() => { try { process.kill(dead, 0); return true; } catch { return false; } })()) dead--;
  mkdirSync(join(root, `mekan-vector-${dead}-abc123`));
  mkdirSync(join(root, 'unrelated'));
  await buildVectorTiles(quickPlan([join(DATA, 'water_name.geojson')], [], { output: join(dir, 'stale.mbtiles'), maxzoom: 2 }), { tempFolder: root });
  assert.deepEqual(readdirSync(root), ['unrelated']);
});
