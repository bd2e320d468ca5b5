// CSV sources: longitude/latitude and WKT columns written by GDAL, typed values, bad rows and truncation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '../support/tempDir.js';
import { InputError } from '../../src/errors.js';
import { openSource } from '../../src/sources/open.js';
import { assertSameFeatures, ogr2ogr, readAll, samples, writeSampleGeoJson, type SampleLayer } from './fixtures.js';

const dir = makeTempDir('mekan-sources-csv-');

test('CSV with X/Y columns from GDAL: points with numbers typed as numbers', async () => {
  const path = join(dir, 'points-xy.csv');
  const points = join(dir, 'only-points.geojson');
  writeFileSync(points, JSON.stringify({ type: 'FeatureCollection', features: samples.points.filter((feature) => feature.geometry.type === 'Point') }));
  ogr2ogr('-f', 'CSV', '-lco', 'GEOMETRY=AS_XY', path, points);
  const { features, problems, crsLabel } = await readAll(path);
  assert.deepEqual(problems, []);
  assert.equal(crsLabel, 'EPSG:4326');
  assert.equal(features.length, 4);
  const baku = features.find((feature) => feature.properties.name === 'Bakı');
  assert.deepEqual(baku?.geometry, { type: 'Point', coordinates: [49.8671, 40.4093] });
  assert.deepEqual(baku?.properties, { name: 'Bakı', population: 2300000, area: 2140.5, capital: 1 });
});

test('CSV with a WKT column from GDAL, in WGS 84 and in UTM 39N with the CRS named', async () => {
  for (const layer of Object.keys(samples) as SampleLayer[]) {
    const path = join(dir, `${layer}-wkt.csv`);
    ogr2ogr('-f', 'CSV', '-lco', 'GEOMETRY=AS_WKT', path, writeSampleGeoJson(dir, layer));
    const plain = await readAll(path);
    assert.deepEqual(plain.problems, []);
    assertSameFeatures(plain.features, layer, 1e-12, ['name', 'population', 'area']);

    const utm = join(dir, `${layer}-wkt-32639.csv`);
    ogr2ogr('-f', 'CSV', '-lco', 'GEOMETRY=AS_WKT', '-t_srs', 'EPSG:32639', utm, writeSampleGeoJson(dir, layer));
    const projected = await readAll(utm, { assumeCrs: 'EPSG:32639' });
    assert.equal(projected.crsLabel, 'EPSG:32639');
    assertSameFeatures(projected.features, layer, 1e-6, ['name', 'population', 'area']);
  }
});

test('CSV columns by the usual names or by option; bad rows reported by row number', async () => {
  const path = join(dir, 'places.csv');
  writeFileSync(path, [
    'name,Longitude,Latitude,code,note',
    'Bakı,49.8671,40.4093,007,"capital, largest"',
    'Nowhere,,,1,',
    'Far,250,40,2,',
    'Text,abc,40,3,',
    'Gəncə,46.3606,40.6828,,"quoted ""name"""',
  ].join('\n') + '\n');
  const { features, problems } = await readAll(path);
  assert.deepEqual(features.map((feature) => [feature.where, feature.properties]), [
    ['row 1', { name: 'Bakı', code: 7, note: 'capital, largest' }],
    ['row 5', { name: 'Gəncə', code: null, note: 'quoted "name"' }],
  ]);
  assert.deepEqual(problems.map((problem) => problem.where), ['row 2', 'row 3', 'row 4']);
  assert.match(problems[0].reason, /no geometry/);
  assert.match(problems[1].reason, /out of range/);
  assert.match(problems[2].reason, /finite number/);

  const custom = join(dir, 'custom.csv');
  writeFileSync(custom, 'id;shape\n1;POINT (49 40)\n'.replace(/;/g, ','));
  const byOption = await readAll(custom, { wktColumn: 'shape' });
  assert.deepEqual(byOption.features[0].geometry, { type: 'Point', coordinates: [49, 40] });
  await assert.rejects(openSource(custom, { lonColumn: 'east', latColumn: 'north' }), (error: unknown) => error instanceof InputError && /no column "east"/.test(error.message));
  const noGeometry = join(dir, 'no-geometry.csv');
  writeFileSync(noGeometry, 'name,population\nBakı,1\n');
  await assert.rejects(openSource(noGeometry), (error: unknown) => error instanceof InputError && error.message.startsWith(noGeometry) && /no geometry columns/.test(error.message));
});

test('a truncated CSV keeps the rows before the cut and reports it; a wrong encoding is reported per row', async () => {
  const path = join(dir, 'truncated.csv');
  writeFileSync(path, 'wkt,name\n"POINT (49 40)",a\n"POINT (50 41)",b\n"LINESTRING (49 40, 50');
  const { features, problems } = await readAll(path);
  assert.deepEqual(features.map((feature) => feature.properties.name), ['a', 'b']);
  assert.equal(problems.length, 1);
  assert.equal(problems[0].where, 'row 3');
  assert.match(problems[0].reason, /truncated or malformed/);

  const latin = join(dir, 'cp1254.csv');
  writeFileSync(latin, Buffer.concat([Buffer.from('lon,lat,name\n49.8,40.4,Bak'), Buffer.from([0xfd]), Buffer.from('\n46.4,40.7,Gence\n')]));
  const wrong = await readAll(latin);
  assert.deepEqual(wrong.features.map((feature) => feature.properties.name), ['Gence']);
  assert.deepEqual(wrong.problems.map((problem) => problem.where), ['row 1']);
  const right = await readAll(latin, { encoding: 'windows-1254' });
  assert.deepEqual(right.features.map((feature) => feature.properties.name), ['Bakı', 'Gence']);
});

test('a semicolon CSV with decimal commas (a spreadsheet export in such a locale) and a tab-separated one', async () => {
  const semicolon = join(dir, 'semicolon.csv');
  writeFileSync(semicolon, 'ad;uzunluq;en;əhali\nBakı;49,8671;40,4093;2300000\n"Gəncə; şəhər";46,3606;40,6828;335600\n');
  const { features, problems } = await readAll(semicolon, { lonColumn: 'uzunluq', latColumn: 'en' });
  assert.deepEqual(problems, []);
  assert.deepEqual(features.map((feature) => feature.geometry), [{ type: 'Point', coordinates: [49.8671, 40.4093] }, { type: 'Point', coordinates: [46.3606, 40.6828] }]);
  assert.deepEqual(features.map((feature) => feature.properties), [{ ad: 'Bakı', əhali: 2300000 }, { ad: 'Gəncə; şəhər', əhali: 335600 }]);
  const tabs = join(dir, 'tabs.tsv.csv');
  writeFileSync(tabs, 'name\tlon\tlat\tcode\nBaku\t49.8671\t40.4093\t1,234\n');
  const tabbed = await readAll(tabs);
  assert.deepEqual(tabbed.problems, []);
  assert.deepEqual(tabbed.features[0].geometry, { type: 'Point', coordinates: [49.8671, 40.4093] });
  assert.equal(tabbed.features[0].properties.code, '1,234', 'a tab file says nothing about decimal commas');
});
