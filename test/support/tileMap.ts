// Reads a vector archive as a map: polygons as MVT 2.1 defines them (checked by GEOS through GDAL's Python
// bindings), places probed inside them, edges matched across tile boundaries, duplicates, sizes.
import { execFileSync } from 'node:child_process';
import { lonLatToTileFraction } from '../../src/grid/webMercator.js';
import { insideRings, type DecodedFeature, type DecodedTile } from './vectorTiles.js';

export const EXTENT = 4096;

/** Signed shoelace area in tile units (y down): MVT 2.1 calls a positive one an exterior ring. */
export function signedArea(ring: [number, number][]): number {
  let sum = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) sum += ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
  return sum / 2;
}

export interface PolygonReading {
  /** Polygons (exterior, then its holes) as the spec groups the rings. */
  polygons: [number, number][][][];
  /** Problems a reader following the spec meets before any geometry engine: winding and empty rings. */
  problems: string[];
}

/** Groups a polygon feature's rings by the spec: a positive-area ring opens a polygon, negative ones are its holes. */
export function readPolygon(feature: DecodedFeature): PolygonReading {
  const polygons: [number, number][][][] = [];
  const problems: string[] = [];
  for (const ring of feature.geometry) {
    const area = signedArea(ring);
    if (area === 0) problems.push('zero-area ring');
    else if (area > 0) polygons.push([ring]);
    else if (polygons.length === 0) problems.push('first ring wound as a hole');
    else polygons[polygons.length - 1].push(ring);
  }
  return { polygons, problems };
}

function wkt(polygons: [number, number][][][]): string {
  const ring = (points: [number, number][]) => `(${[...points, points[0]].map(([x, y]) => `${x} ${y}`).join(',')})`;
  return `MULTIPOLYGON(${polygons.map((rings) => `(${rings.map(ring).join(',')})`).join(',')})`;
}

const GEOS_CHECK = `
import sys
from osgeo import ogr, gdal
gdal.UseExceptions()
gdal.PushErrorHandler('CPLQuietErrorHandler')
for line in sys.stdin:
    key, text = line.rstrip('\\n').split('\\t', 1)
    geometry = ogr.CreateGeometryFromWkt(text)
    if geometry is None or not geometry.IsValid():
        print(key)
`;

export interface InvalidPolygon {
  tile: string;
  layer: string;
  index: number;
  reason: string;
}

/** Every polygon feature of the tiles that GEOS (GDAL's Python bindings) or the spec's ring rules reject. */
export function invalidPolygons(tiles: DecodedTile[], layerNames?: string[]): InvalidPolygon[] {
  const invalid: InvalidPolygon[] = [];
  const lines: string[] = [];
  const keys: InvalidPolygon[] = [];
  for (const tile of tiles) {
    for (const [layer, features] of Object.entries(tile.layers)) {
      if (layerNames && !layerNames.includes(layer)) continue;
      features.forEach((feature, index) => {
        if (feature.type !== 3) return;
        const where = { tile: `${tile.z}/${tile.x}/${tile.y}`, layer, index };
        const { polygons, problems } = readPolygon(feature);
        if (problems.length) invalid.push({ ...where, reason: problems.join(', ') });
        else {
          lines.push(`${keys.length}\t${wkt(polygons)}`);
          keys.push({ ...where, reason: 'GEOS: not valid' });
        }
      });
    }
  }
  if (lines.length) {
    const out = execFileSync('/usr/bin/python3', ['-c', GEOS_CHECK], { input: lines.join('\n') + '\n', encoding: 'utf8', maxBuffer: 1 << 28 });
    for (const key of out.split('\n').filter(Boolean)) invalid.push(keys[Number(key)]);
  }
  return invalid;
}

/** Whether a lon/lat lies inside a polygon of `layer` at zoom z (the spec's grouping, even-odd within a polygon). */
export function coveredAt(tiles: Map<string, DecodedTile>, layer: string, lon: number, lat: number, z: number): boolean {
  const [fx, fy] = lonLatToTileFraction(lon, lat, z);
  const x = Math.floor(fx);
  const y = Math.floor(fy);
  const tile = tiles.get(`${z}/${x}/${y}`);
  const px = (fx - x) * EXTENT;
  const py = (fy - y) * EXTENT;
  return (tile?.layers[layer] ?? []).some((feature) => feature.type === 3 && readPolygon(feature).polygons.some((rings) => insideRings(rings, px, py)));
}

export function tilesByKey(tiles: DecodedTile[]): Map<string, DecodedTile> {
  return new Map(tiles.map((tile) => [`${tile.z}/${tile.x}/${tile.y}`, tile]));
}

/** Features that appear twice in one tile layer (same type, attributes and geometry). */
export function duplicateFeatures(tiles: DecodedTile[]): string[] {
  const found: string[] = [];
  for (const tile of tiles) {
    for (const [layer, features] of Object.entries(tile.layers)) {
      const seen = new Set<string>();
      for (const feature of features) {
        const key = JSON.stringify([feature.type, feature.properties, feature.geometry]);
        if (seen.has(key)) found.push(`${tile.z}/${tile.x}/${tile.y} ${layer}: ${JSON.stringify(feature.properties).slice(0, 80)}`);
        seen.add(key);
      }
    }
  }
  return found;
}

/**
 * Where a layer's lines (or polygon outlines) cross one tile edge, in the units of that edge (0..4096 along it).
 * `edge`: 'right' (x = 4096), 'left' (x = 0), 'bottom' (y = 4096), 'top' (y = 0).
 */
function edgeCrossings(features: DecodedFeature[], edge: 'left' | 'right' | 'top' | 'bottom'): number[] {
  const axis = edge === 'left' || edge === 'right' ? 0 : 1;
  const k = edge === 'left' || edge === 'top' ? 0 : EXTENT;
  const crossings: number[] = [];
  for (const feature of features) {
    if (feature.type === 1) continue;
    for (const part of feature.geometry) {
      const points = feature.type === 3 ? [...part, part[0]] : part;
      for (let i = 1; i < points.length; i++) {
        const a = points[i - 1];
        const b = points[i];
        if ((a[axis] - k) * (b[axis] - k) >= 0 && !(a[axis] === k && b[axis] !== k)) continue;
        // A segment strictly crossing the edge, or leaving from a vertex on it.
        const t = (k - a[axis]) / (b[axis] - a[axis]);
        const along = a[1 - axis] + t * (b[1 - axis] - a[1 - axis]);
        if (along > 0 && along < EXTENT) crossings.push(along);
      }
    }
  }
  return crossings;
}

export interface SeamMatch {
  crossings: number;
  matched: number;
}

/**
 * Of the places where a layer crosses the edge between neighbouring tiles (seen from either side), how many the
 * other tile crosses within `tolerance` units: renderers draw both tiles, so a mismatch shows as a notch.
 */
export function seamMatch(tiles: DecodedTile[], layer: string, tolerance = 1): SeamMatch {
  const byKey = tilesByKey(tiles);
  const result: SeamMatch = { crossings: 0, matched: 0 };
  const compare = (mine: number[], theirs: number[]) => {
    for (const c of mine) {
      result.crossings++;
      if (theirs.some((d) => Math.abs(c - d) <= tolerance)) result.matched++;
    }
  };
  for (const tile of tiles) {
    const features = tile.layers[layer];
    if (!features) continue;
    const right = byKey.get(`${tile.z}/${tile.x + 1}/${tile.y}`);
    const below = byKey.get(`${tile.z}/${tile.x}/${tile.y + 1}`);
    if (right) {
      const a = edgeCrossings(features, 'right');
      const b = edgeCrossings(right.layers[layer] ?? [], 'left');
      compare(a, b);
      compare(b, a);
    }
    if (below) {
      const a = edgeCrossings(features, 'bottom');
      const b = edgeCrossings(below.layers[layer] ?? [], 'top');
      compare(a, b);
      compare(b, a);
    }
  }
  return result;
}

/** Point features inside each tile's extent (buffer copies left out). */
export function pointsInside(tiles: DecodedTile[], layer: string): { tile: DecodedTile; feature: DecodedFeature; x: number; y: number }[] {
  const found: { tile: DecodedTile; feature: DecodedFeature; x: number; y: number }[] = [];
  for (const tile of tiles) {
    for (const feature of tile.layers[layer] ?? []) {
      if (feature.type !== 1) continue;
      for (const [x, y] of feature.geometry.flat()) if (x >= 0 && y >= 0 && x < EXTENT && y < EXTENT) found.push({ tile, feature, x, y });
    }
  }
  return found;
}

/** Share of points with another within `distance` tile units (across tile edges too). */
export function crowdedShare(tiles: DecodedTile[], layer: string, distance: number): number {
  const points = pointsInside(tiles, layer).map(({ tile, x, y }) => [tile.x * EXTENT + x, tile.y * EXTENT + y]);
  const cell = new Map<string, number[][]>();
  const key = (x: number, y: number) => `${Math.floor(x / distance)},${Math.floor(y / distance)}`;
  for (const p of points) {
    const k = key(p[0], p[1]);
    const list = cell.get(k) ?? [];
    list.push(p);
    cell.set(k, list);
  }
  let crowded = 0;
  for (const p of points) {
    const cx = Math.floor(p[0] / distance);
    const cy = Math.floor(p[1] / distance);
    let near = false;
    for (let dx = -1; dx <= 1 && !near; dx++) {
      for (let dy = -1; dy <= 1 && !near; dy++) {
        for (const q of cell.get(`${cx + dx},${cy + dy}`) ?? []) {
          if (q !== p && Math.hypot(q[0] - p[0], q[1] - p[1]) <= distance) near = true;
        }
      }
    }
    if (near) crowded++;
  }
  return points.length ? crowded / points.length : 0;
}
