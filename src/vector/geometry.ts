// Geometry in projected Web Mercator units (x, y in 0..1 from the north-west corner) on flat arrays: projection,
// bbox, clipping to a box and Douglas–Peucker, for partitioning and pre-simplification before geojson-vt.
import type { Geometry, Position } from 'geojson';
import { clampLatitude } from '../grid/webMercator.js';

export type ProjectedGeometry =
  | { kind: 1; points: Float64Array }
  | { kind: 2; lines: Float64Array[] }
  | { kind: 3; polygons: Float64Array[][] };

/** [minX, minY, maxX, maxY] in projected units. */
export type ProjectedBox = [number, number, number, number];

export function projectX(lon: number): number {
  return lon / 360 + 0.5;
}

export function projectY(lat: number): number {
  const sin = Math.sin((clampLatitude(lat) * Math.PI) / 180);
  const y = 0.5 - (0.25 * Math.log((1 + sin) / (1 - sin))) / Math.PI;
  return y < 0 ? 0 : y > 1 ? 1 : y;
}

export function unprojectX(x: number): number {
  return (x - 0.5) * 360;
}

export function unprojectY(y: number): number {
  return (Math.atan(Math.sinh(Math.PI * (1 - 2 * y))) * 180) / Math.PI;
}

function projectPositions(positions: Position[]): Float64Array {
  const flat = new Float64Array(positions.length * 2);
  for (let i = 0; i < positions.length; i++) {
    flat[2 * i] = projectX(positions[i][0]);
    flat[2 * i + 1] = projectY(positions[i][1]);
  }
  return flat;
}

/** A GeoJSON geometry as projected parts; a GeometryCollection gives one part per member. */
export function projectGeometry(geometry: Geometry): ProjectedGeometry[] {
  switch (geometry.type) {
    case 'Point':
      return [{ kind: 1, points: projectPositions([geometry.coordinates]) }];
    case 'MultiPoint':
      return [{ kind: 1, points: projectPositions(geometry.coordinates) }];
    case 'LineString':
      return [{ kind: 2, lines: [projectPositions(geometry.coordinates)] }];
    case 'MultiLineString':
      return [{ kind: 2, lines: geometry.coordinates.map(projectPositions) }];
    case 'Polygon':
      return [{ kind: 3, polygons: [geometry.coordinates.map(projectPositions)] }];
    case 'MultiPolygon':
      return [{ kind: 3, polygons: geometry.coordinates.map((polygon) => polygon.map(projectPositions)) }];
    case 'GeometryCollection':
      return geometry.geometries.flatMap(projectGeometry);
  }
}

export function unprojectGeometry(geometry: ProjectedGeometry): Geometry {
  const positions = (flat: Float64Array): Position[] => {
    const result = new Array<Position>(flat.length / 2);
    for (let i = 0; i < result.length; i++) result[i] = [unprojectX(flat[2 * i]), unprojectY(flat[2 * i + 1])];
    return result;
  };
  switch (geometry.kind) {
    case 1: {
      const points = positions(geometry.points);
      return points.length === 1 ? { type: 'Point', coordinates: points[0] } : { type: 'MultiPoint', coordinates: points };
    }
    case 2:
      return geometry.lines.length === 1
        ? { type: 'LineString', coordinates: positions(geometry.lines[0]) }
        : { type: 'MultiLineString', coordinates: geometry.lines.map(positions) };
    case 3:
      return geometry.polygons.length === 1
        ? { type: 'Polygon', coordinates: geometry.polygons[0].map(positions) }
        : { type: 'MultiPolygon', coordinates: geometry.polygons.map((polygon) => polygon.map(positions)) };
  }
}

export function geometryBox(geometry: ProjectedGeometry): ProjectedBox {
  const box: ProjectedBox = [Infinity, Infinity, -Infinity, -Infinity];
  const extend = (flat: Float64Array) => {
    for (let i = 0; i < flat.length; i += 2) {
      const x = flat[i];
      const y = flat[i + 1];
      if (x < box[0]) box[0] = x;
      if (y < box[1]) box[1] = y;
      if (x > box[2]) box[2] = x;
      if (y > box[3]) box[3] = y;
    }
  };
  if (geometry.kind === 1) extend(geometry.points);
  else if (geometry.kind === 2) geometry.lines.forEach(extend);
  else for (const polygon of geometry.polygons) extend(polygon[0]);
  return box;
}

/** The same geometry a whole world east (dx = 1) or west (dx = -1). */
export function shiftGeometry(geometry: ProjectedGeometry, dx: number): ProjectedGeometry {
  const shift = (flat: Float64Array) => {
    const out = Float64Array.from(flat);
    for (let i = 0; i < out.length; i += 2) out[i] += dx;
    return out;
  };
  if (geometry.kind === 1) return { kind: 1, points: shift(geometry.points) };
  if (geometry.kind === 2) return { kind: 2, lines: geometry.lines.map(shift) };
  return { kind: 3, polygons: geometry.polygons.map((polygon) => polygon.map(shift)) };
}

/** The part of a geometry inside a box (clipped one axis at a time, as geojson-vt does), or undefined. */
export function clipGeometry(geometry: ProjectedGeometry, box: ProjectedBox): ProjectedGeometry | undefined {
  if (geometry.kind === 1) {
    const kept: number[] = [];
    const p = geometry.points;
    for (let i = 0; i < p.length; i += 2) {
      if (p[i] >= box[0] && p[i] <= box[2] && p[i + 1] >= box[1] && p[i + 1] <= box[3]) kept.push(p[i], p[i + 1]);
    }
    return kept.length ? { kind: 1, points: Float64Array.from(kept) } : undefined;
  }
  if (geometry.kind === 2) {
    let lines = geometry.lines;
    for (const axis of [0, 1] as const) lines = lines.flatMap((line) => clipLine(line, box[axis], box[axis + 2], axis));
    return lines.length ? { kind: 2, lines } : undefined;
  }
  const polygons: Float64Array[][] = [];
  for (const polygon of geometry.polygons) {
    const rings: Float64Array[] = [];
    for (let r = 0; r < polygon.length; r++) {
      let ring: Float64Array | undefined = polygon[r];
      for (const axis of [0, 1] as const) ring = ring && clipRing(ring, box[axis], box[axis + 2], axis);
      if (ring) rings.push(ring);
      // A hole never outlives its outer ring: it lies inside it.
      else if (r === 0) break;
    }
    if (rings.length) polygons.push(rings);
  }
  return polygons.length ? { kind: 3, polygons } : undefined;
}

function intersect(out: number[], ax: number, ay: number, bx: number, by: number, k: number, axis: 0 | 1): void {
  if (axis === 0) {
    const t = (k - ax) / (bx - ax);
    out.push(k, ay + (by - ay) * t);
  } else {
    const t = (k - ay) / (by - ay);
    out.push(ax + (bx - ax) * t, k);
  }
}

/** The pieces of a line inside the stripe k1 ≤ coordinate ≤ k2 of one axis. */
function clipLine(line: Float64Array, k1: number, k2: number, axis: 0 | 1): Float64Array[] {
  const pieces: Float64Array[] = [];
  let slice: number[] = [];
  const n = line.length;
  for (let i = 0; i < n - 2; i += 2) {
    const ax = line[i];
    const ay = line[i + 1];
    const bx = line[i + 2];
    const by = line[i + 3];
    const a = axis === 0 ? ax : ay;
    const b = axis === 0 ? bx : by;
    let exited = false;
    if (a < k1) {
      if (b > k1) intersect(slice, ax, ay, bx, by, k1, axis);
    } else if (a > k2) {
      if (b < k2) intersect(slice, ax, ay, bx, by, k2, axis);
    } else {
      slice.push(ax, ay);
    }
    if (b < k1 && a >= k1) {
      intersect(slice, ax, ay, bx, by, k1, axis);
      exited = true;
    }
    if (b > k2 && a <= k2) {
      intersect(slice, ax, ay, bx, by, k2, axis);
      exited = true;
    }
    if (exited) {
      if (slice.length >= 4) pieces.push(Float64Array.from(slice));
      slice = [];
    }
  }
  const last = axis === 0 ? line[n - 2] : line[n - 1];
  if (last >= k1 && last <= k2) slice.push(line[n - 2], line[n - 1]);
  if (slice.length >= 4) pieces.push(Float64Array.from(slice));
  return pieces;
}

/** A polygon ring cut to a stripe (Sutherland–Hodgman on one axis), closed again; undefined when nothing is left. */
function clipRing(ring: Float64Array, k1: number, k2: number, axis: 0 | 1): Float64Array | undefined {
  const out: number[] = [];
  const n = ring.length;
  for (let i = 0; i < n - 2; i += 2) {
    const ax = ring[i];
    const ay = ring[i + 1];
    const bx = ring[i + 2];
    const by = ring[i + 3];
    const a = axis === 0 ? ax : ay;
    const b = axis === 0 ? bx : by;
    if (a < k1) {
      if (b > k1) intersect(out, ax, ay, bx, by, k1, axis);
    } else if (a > k2) {
      if (b < k2) intersect(out, ax, ay, bx, by, k2, axis);
    } else {
      out.push(ax, ay);
    }
    if (b < k1 && a >= k1) intersect(out, ax, ay, bx, by, k1, axis);
    if (b > k2 && a <= k2) intersect(out, ax, ay, bx, by, k2, axis);
  }
  const last = axis === 0 ? ring[n - 2] : ring[n - 1];
  if (last >= k1 && last <= k2) out.push(ring[n - 2], ring[n - 1]);
  if (out.length >= 2 && (out[0] !== out[out.length - 2] || out[1] !== out[out.length - 1])) out.push(out[0], out[1]);
  return out.length >= 8 ? Float64Array.from(out) : undefined;
}

/**
 * Douglas–Peucker with a squared tolerance in projected units; polygon rings that collapse below the
 * tolerance vanish (and a polygon with its outer ring). Used to shrink what the low-zoom index holds.
 */
export function simplifyGeometry(geometry: ProjectedGeometry, sqTolerance: number): ProjectedGeometry | undefined {
  if (geometry.kind === 1) return geometry;
  if (geometry.kind === 2) {
    // A line shorter than the tolerance is less than a pixel at this zoom: it goes, as a tiny ring does.
    const lines = geometry.lines.filter((line) => lineSpan(line) ** 2 > sqTolerance).map((line) => simplifyFlat(line, sqTolerance)).filter((line) => line.length >= 4);
    return lines.length ? { kind: 2, lines } : undefined;
  }
  const polygons: Float64Array[][] = [];
  for (const polygon of geometry.polygons) {
    const rings: Float64Array[] = [];
    for (let r = 0; r < polygon.length; r++) {
      const ring = simplifyFlat(polygon[r], sqTolerance);
      if (ring.length >= 8 && Math.abs(ringArea(ring)) > sqTolerance) rings.push(ring);
      else if (r === 0) break;
    }
    if (rings.length) polygons.push(rings);
  }
  return polygons.length ? { kind: 3, polygons } : undefined;
}

/** Diagonal of a flat line's bounding box. */
function lineSpan(line: Float64Array): number {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < line.length; i += 2) {
    minX = Math.min(minX, line[i]);
    maxX = Math.max(maxX, line[i]);
    minY = Math.min(minY, line[i + 1]);
    maxY = Math.max(maxY, line[i + 1]);
  }
  return Math.hypot(maxX - minX, maxY - minY);
}

/** Signed shoelace area of a flat ring. */
export function ringArea(ring: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0, n = ring.length - 2; i < n; i += 2) sum += ring[i] * ring[i + 3] - ring[i + 2] * ring[i + 1];
  return sum / 2;
}

export function simplifyFlat(flat: Float64Array, sqTolerance: number): Float64Array {
  const count = flat.length / 2;
  if (count <= 2 || sqTolerance <= 0) return flat;
  const keep = new Uint8Array(count);
  keep[0] = 1;
  keep[count - 1] = 1;
  const stack: number[] = [0, count - 1];
  while (stack.length) {
    const last = stack.pop() as number;
    const first = stack.pop() as number;
    let maxSq = sqTolerance;
    let index = -1;
    for (let i = first + 1; i < last; i++) {
      const d = segmentSqDistance(flat, i, first, last);
      if (d > maxSq) {
        maxSq = d;
        index = i;
      }
    }
    if (index >= 0) {
      keep[index] = 1;
      if (index - first > 1) stack.push(first, index);
      if (last - index > 1) stack.push(index, last);
    }
  }
  let kept = 0;
  for (let i = 0; i < count; i++) kept += keep[i];
  const out = new Float64Array(kept * 2);
  for (let i = 0, j = 0; i < count; i++) {
    if (!keep[i]) continue;
    out[j++] = flat[2 * i];
    out[j++] = flat[2 * i + 1];
  }
  return out;
}

function segmentSqDistance(flat: ArrayLike<number>, p: number, a: number, b: number): number {
  const px = flat[2 * p];
  const py = flat[2 * p + 1];
  let x = flat[2 * a];
  let y = flat[2 * a + 1];
  let dx = flat[2 * b] - x;
  let dy = flat[2 * b + 1] - y;
  if (dx !== 0 || dy !== 0) {
    const t = ((px - x) * dx + (py - y) * dy) / (dx * dx + dy * dy);
    if (t > 1) {
      x = flat[2 * b];
      y = flat[2 * b + 1];
    } else if (t > 0) {
      x += dx * t;
      y += dy * t;
    }
  }
  dx = px - x;
  dy = py - y;
  return dx * dx + dy * dy;
}
