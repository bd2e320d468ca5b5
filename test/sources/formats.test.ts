// Shapefile, GeoPackage and FlatGeobuf written by GDAL in WGS 84, UTM 39N and Web Mercator read back as the samples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { makeTempDir } from '../support/tempDir.js';
import { InputError } from '../../src/errors.js';
import { openSource } from '../../src/sources/open.js';
import { listGeoPackageTables } from '../../src/sources/geoPackageTables.js';
import { assertSameFeatures, ogr2ogr, readAll, samples, writeSampleGeoJson, type SampleLayer } from './fixtures.js';

const dir = makeTempDir('mekan-sources-formats-');
const layers = Object.keys(samples) as SampleLayer[];
const projections = ['4326', '32639', '3857'];

const inputError = (text: string | RegExp) => (error: unknown) =>
  error instanceof InputError && (typeof text === 'string' ? error.message.includes(text) : text.test(error.message));

test('Shapefile (UTF-8 .cpg, .prj) in three CRSs: features, attributes and coordinates come back', async () => {
  for (const epsg of projections) {
    for (const layer of layers) {
      const path = join(dir, `${layer}-${epsg}.shp`);
      ogr2ogr('-f', 'ESRI Shapefile', '-lco', 'ENCODING=UTF-8', '-t_srs', `EPSG:${epsg}`, ...(layer === 'points' ? ['-nlt', 'MULTIPOINT'] : []), path, writeSampleGeoJson(dir, layer));
      const { features, problems, layerName } = await readAll(path);
      assert.deepEqual(problems, []);
      assert.equal(layerName, `${layer}-${epsg}`);
      assertSameFeatures(features, layer, 1e-6, ['name', 'population', 'area']);
      // GDAL writes booleans to dBASE as 1/0 integers.
      for (const feature of features) {
        const want = samples[layer].find((sample) => sample.properties.name === feature.properties.name);
        assert.equal(feature.properties.capital, want?.properties.capital ? 1 : 0);
        assert.equal(typeof feature.properties.population, 'number');
      }
    }
  }
});

test('Shapefile attributes in Windows-1251 and Windows-1254 are decoded from the .cpg', async () => {
  const cyrillic = join(dir, 'cyrillic.geojson');
  writeFileSync(cyrillic, JSON.stringify({ type: 'FeatureCollection', features: [
    { type: 'Feature', properties: { name: 'Баку' }, geometry: { type: 'Point', coordinates: [49.8671, 40.4093] } },
    { type: 'Feature', properties: { name: 'Гянджа' }, geometry: { type: 'Point', coordinates: [46.3606, 40.6828] } },
  ] }));
  ogr2ogr('-f', 'ESRI Shapefile', '-lco', 'ENCODING=CP1251', join(dir, 'cp1251.shp'), cyrillic);
  assert.ok(readFileSync(join(dir, 'cp1251.dbf')).includes(Buffer.from([0xc1, 0xe0, 0xea, 0xf3])), 'the .dbf holds Баку in CP1251 bytes');
  const cp1251 = await readAll(join(dir, 'cp1251.shp'));
  assert.deepEqual(cp1251.features.map((feature) => feature.properties.name), ['Баку', 'Гянджа']);

  const turkic = join(dir, 'turkic.geojson');
  writeFileSync(turkic, JSON.stringify({ type: 'FeatureCollection', features: ['Bakı', 'Sumqayıt', 'Naxçıvan', 'Ağdaş'].map((name, i) => (
    { type: 'Feature', properties: { name }, geometry: { type: 'Point', coordinates: [46 + i, 40] } }
  )) }));
  ogr2ogr('-f', 'ESRI Shapefile', '-lco', 'ENCODING=CP1254', join(dir, 'cp1254.shp'), turkic);
  const cp1254 = await readAll(join(dir, 'cp1254.shp'));
  assert.deepEqual(cp1254.features.map((feature) => feature.properties.name), ['Bakı', 'Sumqayıt', 'Naxçıvan', 'Ağdaş']);

  // A .cpg that claims UTF-8 over CP1251 bytes: every record is reported as a wrong encoding, none is passed on garbled.
  writeFileSync(join(dir, 'cp1251.cpg'), 'UTF-8');
  const wrong = await readAll(join(dir, 'cp1251.shp'));
  assert.equal(wrong.features.length, 0);
  assert.deepEqual(wrong.problems.map((problem) => problem.where), ['record 1', 'record 2']);
  assert.match(wrong.problems[0].reason, /not valid UTF-8/);
});

test('Shapefile without .prj: degrees are WGS 84, metres need a named CRS, a garbage .prj is an error', async () => {
  const degrees = join(dir, 'noprj-4326.shp');
  ogr2ogr('-f', 'ESRI Shapefile', '-lco', 'ENCODING=UTF-8', degrees, writeSampleGeoJson(dir, 'polygons'));
  rmSync(join(dir, 'noprj-4326.prj'));
  const plain = await readAll(degrees);
  assert.equal(plain.crsLabel, 'EPSG:4326');
  assertSameFeatures(plain.features, 'polygons', 0, ['name']);

  const metres = join(dir, 'noprj-32639.shp');
  ogr2ogr('-f', 'ESRI Shapefile', '-lco', 'ENCODING=UTF-8', '-t_srs', 'EPSG:32639', metres, writeSampleGeoJson(dir, 'polygons'));
  rmSync(join(dir, 'noprj-32639.prj'));
  await assert.rejects(openSource(metres), inputError(`${metres}: no .prj file`));
  const assumed = await readAll(metres, { assumeCrs: 'EPSG:32639' });
  assertSameFeatures(assumed.features, 'polygons', 1e-6, ['name']);

  writeFileSync(join(dir, 'noprj-32639.prj'), 'PROJCS["nonsense",WHATEVER');
  await assert.rejects(openSource(metres), inputError(join(dir, 'noprj-32639.prj')));
});

test('GeoPackage in three CRSs, with booleans, several tables and table selection', async () => {
  const path = join(dir, 'samples.gpkg');
  for (const epsg of projections) {
    for (const layer of layers) {
      ogr2ogr('-f', 'GPKG', ...(statExists(path) ? ['-update'] : []), '-nln', `${layer}_${epsg}`, '-nlt', 'GEOMETRY', '-t_srs', `EPSG:${epsg}`, path, writeSampleGeoJson(dir, layer));
    }
  }
  assert.deepEqual(listGeoPackageTables(path), projections.flatMap((epsg) => layers.map((layer) => `${layer}_${epsg}`)));
  for (const epsg of projections) {
    for (const layer of layers) {
      const { features, problems, crsLabel, layerName } = await readAll(`${path}:${layer}_${epsg}`);
      assert.deepEqual(problems, []);
      assert.equal(crsLabel, `EPSG:${epsg}`);
      assert.equal(layerName, `${layer}_${epsg}`);
      assertSameFeatures(features, layer, 1e-6);
      assert.deepEqual(features.map((feature) => feature.where), features.map((_, i) => `fid ${i + 1}`));
    }
  }
  const first = await openSource(path);
  assert.equal(first.layerName, 'points_4326');
  await assert.rejects(openSource(`${path}:roads`), inputError('no feature table "roads"'));
});

test('GeoPackage with a CRS that cannot be resolved, and with a damaged geometry blob', async () => {
  const source = join(dir, 'one.gpkg');
  ogr2ogr('-f', 'GPKG', '-lco', 'SPATIAL_INDEX=NO', '-t_srs', 'EPSG:32639', source, writeSampleGeoJson(dir, 'points'));
  const unknown = join(dir, 'unknown-crs.gpkg');
  copyFileSync(source, unknown);
  const database = new Database(unknown);
  database.prepare(`UPDATE gpkg_spatial_ref_sys SET organization_coordsys_id = 999999, definition = 'undefined' WHERE srs_id = 32639`).run();
  database.close();
  await assert.rejects(openSource(unknown), inputError(unknown));

  const damaged = join(dir, 'damaged.gpkg');
  copyFileSync(source, damaged);
  const writable = new Database(damaged);
  const table = listGeoPackageTables(damaged)[0];
  writable.prepare(`UPDATE "${table}" SET geom = substr(geom, 1, 20) WHERE fid = 2`).run();
  writable.close();
  const { features, problems } = await readAll(damaged);
  assert.equal(features.length, samples.points.length - 1);
  assert.deepEqual(problems.map((problem) => problem.where), ['fid 2']);
  assert.match(problems[0].reason, /cut short/);
});

test('FlatGeobuf in three CRSs, and a truncated file', async () => {
  for (const epsg of projections) {
    for (const layer of layers) {
      const path = join(dir, `${layer}-${epsg}.fgb`);
      ogr2ogr('-f', 'FlatGeobuf', '-t_srs', `EPSG:${epsg}`, path, writeSampleGeoJson(dir, layer));
      const { features, problems, crsLabel } = await readAll(path);
      assert.deepEqual(problems, []);
      assert.equal(crsLabel, `EPSG:${epsg}`);
      assertSameFeatures(features, layer, 1e-6);
    }
  }
  const truncated = join(dir, 'truncated.fgb');
  ogr2ogr('-f', 'FlatGeobuf', '-lco', 'SPATIAL_INDEX=NO', truncated, writeSampleGeoJson(dir, 'points'));
  truncateSync(truncated, statSync(truncated).size - 30);
  const { features, problems } = await readAll(truncated);
  assert.equal(features.length, samples.points.length - 1);
  assert.deepEqual(problems.map((problem) => problem.where), [`feature ${samples.points.length}`]);
});

function statExists(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

test('every format can be stopped after one feature and read again from the start', async () => {
  const source = writeSampleGeoJson(dir, 'polygons');
  const paths = [source];
  for (const [extension, driver] of [['shp', 'ESRI Shapefile'], ['gpkg', 'GPKG'], ['fgb', 'FlatGeobuf'], ['geojsonl', 'GeoJSONSeq'], ['csv', 'CSV']]) {
    const path = join(dir, `again.${extension}`);
    const creation = extension === 'csv' ? ['-lco', 'GEOMETRY=AS_WKT'] : extension === 'shp' ? ['-lco', 'ENCODING=UTF-8'] : [];
    ogr2ogr('-f', driver, ...creation, path, source);
    paths.push(path);
  }
  for (const path of paths) {
    const opened = await openSource(path);
    for await (const feature of opened.features(() => undefined)) {
      assert.equal(feature.properties.name, 'Abşeron', path);
      break;
    }
    const names: unknown[] = [];
    for await (const feature of opened.features(() => undefined)) names.push(feature.properties.name);
    assert.deepEqual(names, ['Abşeron', 'Naxçıvan MR'], path);
  }
});
