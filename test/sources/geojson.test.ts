// GeoJSON and GeoJSONSeq sources: round trips, projected CRS members, GDAL's output, and bad input reported per feature.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '../support/tempDir.js';
import { InputError } from '../../src/errors.js';
import { openSource } from '../../src/sources/open.js';
import { assertSameFeatures, ogr2ogr, readAll, samples, writeSampleGeoJson, type SampleLayer } from './fixtures.js';

const dir = makeTempDir('mekan-sources-geojson-');
const layers = Object.keys(samples) as SampleLayer[];

test('a WGS 84 FeatureCollection comes back exactly, with attribute values and types', async () => {
  for (const layer of layers) {
    const path = writeSampleGeoJson(dir, layer);
    const { features, problems, crsLabel, layerName } = await readAll(path);
    assert.deepEqual(problems, []);
    assert.equal(crsLabel, 'EPSG:4326');
    assert.equal(layerName, `${layer}-source`);
    assertSameFeatures(features, layer, 0);
    assert.deepEqual(features.map((feature) => feature.where), features.map((_, i) => `feature ${i + 1}`));
  }
});

test('GDAL GeoJSON in UTM 39N and Web Mercator (a crs member) is reprojected to within 1e-6 degrees', async () => {
  for (const epsg of ['32639', '3857']) {
    for (const layer of layers) {
      const path = join(dir, `${layer}-${epsg}.geojson`);
      ogr2ogr('-f', 'GeoJSON', '-s_srs', 'EPSG:4326', '-t_srs', `EPSG:${epsg}`, '-lco', 'RFC7946=NO', path, writeSampleGeoJson(dir, layer));
      const { features, problems, crsLabel } = await readAll(path);
      assert.deepEqual(problems, []);
      assert.equal(crsLabel, `EPSG:${epsg}`);
      assertSameFeatures(features, layer, 1e-6);
    }
  }
});

test('a crs member after the features is found in the tail; a crs attribute of the last feature is not', async () => {
  const mercator = join(dir, 'points-3857.geojson');
  ogr2ogr('-f', 'GeoJSON', '-t_srs', 'EPSG:3857', '-lco', 'RFC7946=NO', mercator, writeSampleGeoJson(dir, 'points'));
  const collection = JSON.parse(readFileSync(mercator, 'utf8')) as { crs: unknown; features: unknown[] };
  const after = join(dir, 'crs-after.geojson');
  writeFileSync(after, `{"type":"FeatureCollection","features":${JSON.stringify(collection.features)},\n"crs":${JSON.stringify(collection.crs)},"name":"x"}\n`);
  const read = await readAll(after);
  assert.equal(read.crsLabel, 'EPSG:3857');
  assertSameFeatures(read.features, 'points', 1e-6);

  const decoy = join(dir, 'crs-attribute.geojson');
  const features = [{ type: 'Feature', properties: { crs: { type: 'name', properties: { name: 'EPSG:3857' } } }, geometry: { type: 'Point', coordinates: [49.8, 40.4] } }];
  writeFileSync(decoy, JSON.stringify({ type: 'FeatureCollection', features }));
  const plain = await readAll(decoy);
  assert.equal(plain.crsLabel, 'EPSG:4326');
  assert.deepEqual(plain.features[0].geometry.type === 'Point' && plain.features[0].geometry.coordinates, [49.8, 40.4]);
});

test('GeoJSONSeq from GDAL (record separators) and plain newline-delimited GeoJSON', async () => {
  for (const layer of layers) {
    const path = join(dir, `${layer}.geojsonseq`);
    ogr2ogr('-f', 'GeoJSONSeq', '-lco', 'RS=YES', path, writeSampleGeoJson(dir, layer));
    const { features, problems } = await readAll(path);
    assert.deepEqual(problems, []);
    assertSameFeatures(features, layer, 1e-9);
    assert.equal(features[0].where, 'line 1');
  }
  // GDAL's GeoJSONSeq saved under a .json name is recognised by its leading record separator.
  const disguised = join(dir, 'lines-seq.json');
  ogr2ogr('-f', 'GeoJSONSeq', '-lco', 'RS=YES', disguised, writeSampleGeoJson(dir, 'lines'));
  const recognised = await readAll(disguised);
  assert.deepEqual(recognised.problems, []);
  assert.equal(recognised.features[0].where, 'line 1');
  const ndjson = join(dir, 'points.ndjson');
  writeFileSync(ndjson, samples.points.map((feature) => JSON.stringify(feature)).join('\r\n') + '\n\n');
  const { features, problems } = await readAll(ndjson);
  assert.deepEqual(problems, []);
  assertSameFeatures(features, 'points', 0);
});

test('a single Feature or a bare Geometry is one feature', async () => {
  const featurePath = join(dir, 'one.geojson');
  writeFileSync(featurePath, JSON.stringify(samples.polygons[0]));
  const one = await readAll(featurePath);
  assert.equal(one.features.length, 1);
  assert.equal(one.features[0].properties.name, 'Abşeron');
  const geometryPath = join(dir, 'bare.json');
  writeFileSync(geometryPath, JSON.stringify({ type: 'LineString', coordinates: [[49, 40], [50, 41]] }));
  const bare = await readAll(geometryPath);
  assert.deepEqual(bare.features.map((feature) => [feature.geometry, feature.properties]), [[{ type: 'LineString', coordinates: [[49, 40], [50, 41]] }, {}]]);
});

test('nested attributes become JSON text; null stays null', async () => {
  const path = join(dir, 'nested.geojson');
  writeFileSync(path, JSON.stringify({ type: 'FeatureCollection', features: [
    { type: 'Feature', properties: { tags: { highway: 'primary' }, lanes: [2, 3], ref: null }, geometry: { type: 'Point', coordinates: [49.8, 40.4, 12.5] } },
  ] }));
  const { features } = await readAll(path);
  assert.deepEqual(features[0].properties, { tags: '{"highway":"primary"}', lanes: '[2,3]', ref: null });
  assert.deepEqual(features[0].geometry, { type: 'Point', coordinates: [49.8, 40.4] }, 'Z is dropped');
});

const bad = (where: string, geometry: unknown) => ({ type: 'Feature', properties: { where }, geometry });

test('bad features are skipped and reported with their position and reason', async () => {
  const good = { type: 'Feature', properties: { name: 'Şəki' }, geometry: { type: 'Point', coordinates: [47.17, 41.2] } };
  const pieces = [
    JSON.stringify(good),
    JSON.stringify(bad('null', null)),
    JSON.stringify(bad('missing', undefined)),
    JSON.stringify(bad('range', { type: 'Point', coordinates: [190, 40] })),
    '{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1e999,40]}}',
    JSON.stringify(bad('unclosed', { type: 'Polygon', coordinates: [[[49, 40], [50, 40], [50, 41], [49, 41]]] })),
    JSON.stringify(bad('short line', { type: 'LineString', coordinates: [[49, 40]] })),
    JSON.stringify(bad('unknown type', { type: 'Circle', coordinates: [49, 40] })),
    '{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[NaN,40]}}',
    JSON.stringify(good),
  ];
  const path = join(dir, 'bad.geojson');
  writeFileSync(path, `{"type":"FeatureCollection","features":[\n${pieces.join(',\n')}\n]}`);
  const { features, problems } = await readAll(path);
  assert.deepEqual(features.map((feature) => feature.where), ['feature 1', 'feature 10']);
  assert.deepEqual(problems.map((problem) => problem.where), ['feature 2', 'feature 3', 'feature 4', 'feature 5', 'feature 6', 'feature 7', 'feature 8', 'feature 9']);
  assert.ok(problems.every((problem) => problem.file === path));
  const reasons = problems.map((problem) => problem.reason);
  assert.match(reasons[0], /no geometry/);
  assert.match(reasons[1], /no geometry/);
  assert.match(reasons[2], /out of range/);
  assert.match(reasons[3], /not a finite number/);
  assert.match(reasons[4], /not closed/);
  assert.match(reasons[5], /at least 2/);
  assert.match(reasons[6], /unknown geometry type "Circle"/);
  assert.match(reasons[7], /invalid JSON/);
});

test('a truncated FeatureCollection yields the complete features and reports the cut one', async () => {
  const whole = JSON.stringify({ type: 'FeatureCollection', features: samples.points });
  const path = join(dir, 'truncated.geojson');
  const cutAt = whole.indexOf('Sumqayıt') + 20;
  writeFileSync(path, whole.slice(0, cutAt));
  const { features, problems } = await readAll(path);
  assert.deepEqual(features.map((feature) => feature.properties.name), ['Bakı', 'Gəncə', 'Şəki']);
  assert.deepEqual(problems.map((problem) => [problem.where, problem.reason]), [['feature 4', 'the file ends inside this feature (truncated file)']]);

  const seqPath = join(dir, 'truncated.geojsonl');
  const lines = samples.points.map((feature) => JSON.stringify(feature)).join('\n');
  writeFileSync(seqPath, lines.slice(0, lines.length - 10));
  const seq = await readAll(seqPath);
  assert.equal(seq.features.length, 4);
  assert.deepEqual(seq.problems.map((problem) => problem.where), ['line 5']);
});

test('attributes that are not UTF-8 are reported as a wrong encoding', async () => {
  const path = join(dir, 'latin1.geojson');
  const head = Buffer.from('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"');
  const tail = Buffer.from('"},"geometry":{"type":"Point","coordinates":[49,40]}},{"type":"Feature","properties":{"name":"ok"},"geometry":{"type":"Point","coordinates":[49,40]}}]}');
  writeFileSync(path, Buffer.concat([head, Buffer.from('Bak\xfd', 'latin1'), tail]));
  const { features, problems } = await readAll(path);
  assert.deepEqual(features.map((feature) => feature.properties.name), ['ok']);
  assert.equal(problems[0].where, 'feature 1');
  assert.match(problems[0].reason, /UTF-8/);
});

test('a CRS that cannot be resolved stops with an InputError naming the file', async () => {
  const path = join(dir, 'unknown-crs.geojson');
  writeFileSync(path, JSON.stringify({ type: 'FeatureCollection', crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::999999' } }, features: samples.points }));
  await assert.rejects(openSource(path), (error: unknown) => error instanceof InputError && error.message.includes(path) && /999999/.test(error.message));
});

test('unknown extensions, missing files and non-GeoJSON JSON are InputErrors naming the file', async () => {
  const text = join(dir, 'notes.txt');
  writeFileSync(text, 'hello');
  await assert.rejects(openSource(text), (error: unknown) => error instanceof InputError && error.message.includes(text) && /unknown vector format/.test(error.message));
  await assert.rejects(openSource(join(dir, 'absent.geojson')), /absent\.geojson: no such file/);
  const notGeoJson = join(dir, 'config.json');
  writeFileSync(notGeoJson, '{"port": 8080}');
  await assert.rejects(readAll(notGeoJson), (error: unknown) => error instanceof InputError && error.message.includes(notGeoJson));
});
