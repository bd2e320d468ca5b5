// Shapefile specifics: polygon rings regrouped (nested islands, large rings), .dbf types, records found without .shx.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Position } from 'geojson';
import { makeTempDir } from '../support/tempDir.js';
import { ogr2ogr, readAll } from './fixtures.js';

const dir = makeTempDir('mekan-sources-shp-');

function circle(cx: number, cy: number, radius: number, vertices: number, clockwise: boolean): Position[] {
  const ring: Position[] = [];
  for (let i = 0; i < vertices; i++) {
    const angle = ((clockwise ? -1 : 1) * 2 * Math.PI * i) / vertices;
    ring.push([cx + radius * Math.cos(angle), cy + radius * Math.sin(angle)]);
  }
  ring.push(ring[0]);
  return ring;
}

test('rings are regrouped: a lake in a large island, an islet in the lake, and a second island', async () => {
  // GeoJSON order and winding (outer counter-clockwise); the Shapefile stores them its own way and we regroup.
  const island = [circle(49, 40, 1, 2000, false), circle(49.3, 40, 0.3, 40, true)];
  const islet = [circle(49.3, 40, 0.1, 20, false)];
  const other = [circle(52, 40, 0.5, 30, false), circle(52, 40, 0.1, 12, true)];
  const path = join(dir, 'islands.geojson');
  writeFileSync(path, JSON.stringify({ type: 'FeatureCollection', features: [
    { type: 'Feature', properties: { name: 'Abşeron adaları' }, geometry: { type: 'MultiPolygon', coordinates: [island, islet, other] } },
  ] }));
  ogr2ogr('-f', 'ESRI Shapefile', '-lco', 'ENCODING=UTF-8', join(dir, 'islands.shp'), path);
  const { features, problems } = await readAll(join(dir, 'islands.shp'));
  assert.deepEqual(problems, []);
  const geometry = features[0].geometry;
  assert.equal(geometry.type, 'MultiPolygon');
  if (geometry.type !== 'MultiPolygon') return;
  // Each polygon identified by its outer ring's vertex count: the hole of 41 positions belongs to the 2001 ring.
  const structure = geometry.coordinates.map((polygon) => polygon.map((ring) => ring.length)).sort((a, b) => b[0] - a[0]);
  assert.deepEqual(structure, [[2001, 41], [31, 13], [21]]);
});

test('.dbf values keep their types: text, integers, reals, dates, nulls', async () => {
  const path = join(dir, 'types.geojson');
  writeFileSync(path, JSON.stringify({ type: 'FeatureCollection', features: [
    { type: 'Feature', properties: { name: 'Gəncə', count: 42, ratio: 0.125, day: '2024-05-28', note: null }, geometry: { type: 'Point', coordinates: [46.36, 40.68] } },
  ] }));
  ogr2ogr('-f', 'ESRI Shapefile', '-lco', 'ENCODING=UTF-8', join(dir, 'types.shp'), path);
  const { features } = await readAll(join(dir, 'types.shp'));
  assert.deepEqual(features[0].properties, { name: 'Gəncə', count: 42, ratio: 0.125, day: '2024-05-28', note: null });
});

test('records are found through the .shx even when a record length is wrong, and without the .shx by searching', async () => {
  const lines = Array.from({ length: 5 }, (_, i) => ({
    type: 'Feature', properties: { id: i + 1 }, geometry: { type: 'LineString', coordinates: [[45 + i, 40], [45.5 + i, 40.5], [46 + i, 41]] },
  }));
  const source = join(dir, 'lines.geojson');
  writeFileSync(source, JSON.stringify({ type: 'FeatureCollection', features: lines }));
  ogr2ogr('-f', 'ESRI Shapefile', join(dir, 'gap.shp'), source);
  // Put 20 junk bytes after record 2, as some real files have, and move the later .shx offsets accordingly.
  const shp = readFileSync(join(dir, 'gap.shp'));
  const shx = readFileSync(join(dir, 'gap.shx'));
  const record3 = shx.readInt32BE(100 + 2 * 8) * 2;
  const patched = Buffer.concat([shp.subarray(0, record3), Buffer.alloc(20, 0x55), shp.subarray(record3)]);
  patched.writeInt32BE(patched.length / 2, 24);
  for (let i = 2; i < lines.length; i++) shx.writeInt32BE(shx.readInt32BE(100 + i * 8) + 10, 100 + i * 8);
  writeFileSync(join(dir, 'gap.shp'), patched);
  writeFileSync(join(dir, 'gap.shx'), shx);
  const indexed = await readAll(join(dir, 'gap.shp'));
  assert.deepEqual(indexed.problems, []);
  assert.deepEqual(indexed.features.map((feature) => feature.properties.id), [1, 2, 3, 4, 5]);
  assert.deepEqual(indexed.features[4].geometry, lines[4].geometry);

  rmSync(join(dir, 'gap.shx'));
  const searched = await readAll(join(dir, 'gap.shp'));
  assert.deepEqual(searched.problems, []);
  assert.deepEqual(searched.features.map((feature) => feature.properties.id), [1, 2, 3, 4, 5]);
  assert.deepEqual(searched.features[2].geometry, lines[2].geometry);
});

test('a truncated .shp keeps the records before the cut and reports the cut one', async () => {
  const source = join(dir, 'cut.geojson');
  writeFileSync(source, JSON.stringify({ type: 'FeatureCollection', features: Array.from({ length: 4 }, (_, i) => (
    { type: 'Feature', properties: { id: i + 1 }, geometry: { type: 'Point', coordinates: [45 + i, 40] } }
  )) }));
  ogr2ogr('-f', 'ESRI Shapefile', join(dir, 'cut.shp'), source);
  const shp = readFileSync(join(dir, 'cut.shp'));
  writeFileSync(join(dir, 'cut.shp'), shp.subarray(0, shp.length - 10));
  rmSync(join(dir, 'cut.shx'));
  const { features, problems } = await readAll(join(dir, 'cut.shp'));
  assert.deepEqual(features.map((feature) => feature.properties.id), [1, 2, 3]);
  assert.deepEqual(problems.map((problem) => [problem.where, problem.reason]), [['record 4', 'the file ends inside this record (truncated .shp)']]);
});
