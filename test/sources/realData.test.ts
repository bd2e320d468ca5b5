// The project's Natural Earth cut (data/basemap) through every binary format GDAL writes reads back like the GeoJSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir } from '../support/tempDir.js';
import { ogr2ogr, readAll, sortedPositions } from './fixtures.js';
import type { SourceFeature } from '../../src/sources/types.js';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const dataDir = join(root, 'data/basemap');
const dir = makeTempDir('mekan-sources-real-');
const inputs = readdirSync(dataDir).filter((name) => name.endsWith('.geojson'));

const formats: { extension: string; args: string[]; sameKeys: boolean }[] = [
  { extension: 'shp', args: ['-f', 'ESRI Shapefile', '-lco', 'ENCODING=UTF-8'], sameKeys: false },
  { extension: 'gpkg', args: ['-f', 'GPKG', '-nlt', 'GEOMETRY'], sameKeys: true },
  { extension: 'fgb', args: ['-f', 'FlatGeobuf', '-lco', 'SPATIAL_INDEX=NO'], sameKeys: true }, // the index would reorder features
  { extension: 'geojsonl', args: ['-f', 'GeoJSONSeq'], sameKeys: true },
  { extension: 'csv', args: ['-f', 'CSV', '-lco', 'GEOMETRY=AS_WKT', '-lco', 'CREATE_CSVT=YES'], sameKeys: true },
];

/** Compares everything a format can keep: order, positions, and attribute values (by position where names get cut). */
function assertEquivalent(actual: SourceFeature[], expected: SourceFeature[], label: string, sameKeys: boolean): void {
  assert.equal(actual.length, expected.length, `${label}: feature count`);
  for (let i = 0; i < expected.length; i++) {
    const got = sortedPositions(actual[i].geometry);
    const want = sortedPositions(expected[i].geometry);
    assert.equal(got.length, want.length, `${label} #${i}: positions`);
    for (let k = 0; k < want.length; k++) {
      assert.ok(Math.abs(got[k][0] - want[k][0]) < 1e-9 && Math.abs(got[k][1] - want[k][1]) < 1e-9, `${label} #${i}: ${got[k]} vs ${want[k]}`);
    }
    // Table formats give every feature every column: a key absent from the GeoJSON feature comes back null.
    const present = (properties: SourceFeature['properties']) => Object.entries(properties).filter(([, value]) => value !== null && value !== '');
    const wantAttributes = present(expected[i].properties);
    const gotAttributes = present(actual[i].properties);
    if (sameKeys) assert.deepEqual(gotAttributes, wantAttributes, `${label} #${i}: attributes`);
    else assert.deepEqual(gotAttributes.map(([, value]) => value), wantAttributes.map(([, value]) => value), `${label} #${i}: attribute values (names are cut to 10 characters)`);
  }
}

test('data/basemap layers come back the same from Shapefile, GeoPackage, FlatGeobuf, GeoJSONSeq and CSV', async () => {
  assert.ok(inputs.length > 0, 'data/basemap holds GeoJSON layers');
  for (const input of inputs) {
    const source = join(dataDir, input);
    const reference = await readAll(source);
    assert.deepEqual(reference.problems, [], `${input} reads without problems`);
    for (const format of formats) {
      const path = join(dir, `${input.replace('.geojson', '')}.${format.extension}`);
      ogr2ogr(...format.args, path, source);
      const converted = await readAll(path);
      assert.deepEqual(converted.problems, [], `${path}: problems`);
      assertEquivalent(converted.features, reference.features, `${input} as ${format.extension}`, format.sameKeys);
    }
  }
});
