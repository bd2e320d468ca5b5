// Sample Azerbaijani features written as GeoJSON and converted by GDAL's ogr2ogr, plus helpers to read sources back.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Feature, Geometry, Position } from 'geojson';
import { openSource } from '../../src/sources/open.js';
import type { FeatureProblem, OpenSourceOptions, SourceFeature } from '../../src/sources/types.js';

export interface SampleProperties {
  name: string;
  population: number;
  area: number;
  capital: boolean;
  [key: string]: string | number | boolean;
}

const place = (name: string, population: number, area: number, capital: boolean, geometry: Geometry): Feature<Geometry, SampleProperties> => ({
  type: 'Feature',
  properties: { name, population, area, capital },
  geometry,
});

/** Points, lines and polygons kept in separate layers, because Shapefile holds one geometry family a file. */
export const samples: Record<'points' | 'lines' | 'polygons', Feature<Geometry, SampleProperties>[]> = {
  points: [
    place('Bakı', 2300000, 2140.5, true, { type: 'Point', coordinates: [49.8671, 40.4093] }),
    place('Gəncə', 335600, 110.25, false, { type: 'Point', coordinates: [46.3606, 40.6828] }),
    place('Şəki', 68400, 9.75, false, { type: 'Point', coordinates: [47.1706, 41.1975] }),
    place('Sumqayıt', 345300, 83.0, false, { type: 'Point', coordinates: [49.6686, 40.5897] }),
    place('Naxçıvan', 94500, 130.125, false, { type: 'MultiPoint', coordinates: [[45.4064, 39.2089], [45.41, 39.21]] }),
  ],
  lines: [
    place('Bakı–Sumqayıt', 1, 30.5, false, { type: 'LineString', coordinates: [[49.8671, 40.4093], [49.75, 40.5], [49.6686, 40.5897]] }),
    place('Gəncə–Şəki', 2, 120.75, true, {
      type: 'MultiLineString',
      coordinates: [
        [[46.3606, 40.6828], [46.8, 40.9]],
        [[46.9, 41.0], [47.1706, 41.1975]],
      ],
    }),
  ],
  polygons: [
    place('Abşeron', 3000000, 2110.0, true, {
      type: 'Polygon',
      coordinates: [
        [[49.4, 40.3], [50.4, 40.3], [50.4, 40.6], [49.4, 40.6], [49.4, 40.3]],
        [[49.8, 40.35], [49.8, 40.45], [49.95, 40.45], [49.95, 40.35], [49.8, 40.35]],
      ],
    }),
    place('Naxçıvan MR', 460000, 5502.75, false, {
      type: 'MultiPolygon',
      coordinates: [
        [[[44.8, 39.0], [46.0, 39.0], [46.0, 39.7], [44.8, 39.7], [44.8, 39.0]]],
        [[[45.0, 38.8], [45.2, 38.8], [45.2, 38.9], [45.0, 38.9], [45.0, 38.8]]],
      ],
    }),
  ],
};

export type SampleLayer = keyof typeof samples;

export function writeSampleGeoJson(dir: string, layer: SampleLayer): string {
  const path = join(dir, `${layer}-source.geojson`);
  writeFileSync(path, JSON.stringify({ type: 'FeatureCollection', features: samples[layer] }));
  return path;
}

/** Runs ogr2ogr quietly; its arguments as on the command line. */
export function ogr2ogr(...args: string[]): void {
  execFileSync('ogr2ogr', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export async function readAll(path: string, options?: OpenSourceOptions): Promise<{ features: SourceFeature[]; problems: FeatureProblem[]; crsLabel: string; layerName: string }> {
  const source = await openSource(path, options);
  const features: SourceFeature[] = [];
  const problems: FeatureProblem[] = [];
  for await (const feature of source.features((problem) => problems.push(problem))) features.push(feature);
  return { features, problems, crsLabel: source.crsLabel, layerName: source.layerName };
}

/** Every position of a geometry, sorted, so ring direction and part order (which formats may change) do not matter. */
export function sortedPositions(geometry: Geometry): Position[] {
  const out: Position[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value) && typeof value[0] === 'number') out.push(value as Position);
    else if (Array.isArray(value)) value.forEach(walk);
  };
  if (geometry.type === 'GeometryCollection') geometry.geometries.forEach((part) => out.push(...sortedPositions(part)));
  else walk(geometry.coordinates);
  // Sort on rounded values so that reprojection noise (1e-12°) cannot swap two positions.
  const key = (value: number) => Math.round(value * 1e5);
  return out.sort((a, b) => key(a[0]) - key(b[0]) || key(a[1]) - key(b[1]));
}

/** The geometry family without Multi: formats may turn a one-part Multi into its single form and back. */
export function family(geometry: Geometry): string {
  return geometry.type.replace(/^Multi/, '');
}

/** The features match the samples of `layer`: the named attributes, the geometry family and every position within `tolerance` degrees. */
export function assertSameFeatures(actual: SourceFeature[], layer: SampleLayer, tolerance: number, keys = ['name', 'population', 'area', 'capital']): void {
  const expected = samples[layer];
  assert.equal(actual.length, expected.length, `${layer}: feature count`);
  for (const want of expected) {
    const got = actual.find((feature) => feature.properties.name === want.properties.name);
    assert.ok(got, `${layer}: feature ${want.properties.name} is missing`);
    for (const key of keys) assert.equal(got.properties[key], want.properties[key], `${layer} ${want.properties.name}: attribute ${key}`);
    assert.equal(family(got.geometry), family(want.geometry));
    const gotPositions = sortedPositions(got.geometry);
    const wantPositions = sortedPositions(want.geometry);
    assert.equal(gotPositions.length, wantPositions.length, `${want.properties.name}: position count`);
    gotPositions.forEach((position, i) => {
      assert.equal(position.length, 2);
      assert.ok(Math.abs(position[0] - wantPositions[i][0]) <= tolerance && Math.abs(position[1] - wantPositions[i][1]) <= tolerance,
        `${want.properties.name}: ${position} vs ${wantPositions[i]}`);
    });
  }
}
