// Geometry in projected Web Mercator units (x, y in 0..1 from the north-west corner) on flat arrays: projection,
// bbox, clipping to a box and Douglas–Peucker, for partitioning and pre-simplification before geojson-vt.
import type { Geometry, Position } from 'geojson';
import { clampLatitude } from '../grid/webMercator.js';

export type ProjectedGeometry =
  | { kind: 1; points: Float64Array }
  | { kind: 2; lines: Float64Array[]; shape?: Shape[] }
  | { kind: 3; polygons: Float64Array[][]; shape?: Shape[][] };

/**
 * What the whole feature says about a line or ring, kept with every piece cut from it, so that each partition
 * simplifies a shared edge alike: each vertex's Douglas–Peucker weight (the distance at which geojson-vt's
 * simplification would drop it, in projected units; Infinity for the ends and for points added by clipping),
 * and the size of the whole line or ring (its length, or its signed area), under which geojson-vt leaves it out.
 */
export interface Shape {
  weights: Float32Array;
  size: number;
}

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
  if (geometry.kind === 2) return { kind: 2, lines: geometry.lines.map(shift), shape: geometry.shape };
  return { kind: 3, polygons: geometry.polygons.map((polygon) => polygon.map(shift)), shape: geometry.shape };
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
    let shape = geometry.shape;
    for (const axis of [0, 1] as const) {
      const pieces: Float64Array[] = [];
      const shapes: Shape[] | undefined = shape && [];
      lines.forEach((line, i) => clipLine(line, box[axis], box[axis + 2], axis, pieces, shape?.[i], shapes));
      lines = pieces;
      shape = shapes;
    }
    return lines.length ? { kind: 2, lines, shape } : undefined;
  }
  const polygons: Float64Array[][] = [];
  const polygonShapes: Shape[][] = [];
  geometry.polygons.forEach((polygon, p) => {
    const rings: Float64Array[] = [];
    const shapes: Shape[] = [];
    for (let r = 0; r < polygon.length; r++) {
      let ring: Float64Array | undefined = polygon[r];
      let shape = geometry.shape?.[p][r];
      for (const axis of [0, 1] as const) {
        if (!ring) break;
        const clipped = clipRing(ring, box[axis], box[axis + 2], axis, shape);
        ring = clipped?.ring;
        shape = clipped?.shape;
      }
      if (ring) {
        rings.push(ring);
        if (shape) shapes.push(shape);
      }
      // A hole never outlives its outer ring: it lies inside it.
      else if (r === 0) break;
    }
    if (rings.length) {
      polygons.push(rings);
      polygonShapes.push(shapes);
    }
  });
  if (!polygons.length) return undefined;
  return geometry.shape ? { kind: 3, polygons, shape: polygonShapes } : { kind: 3, polygons };
}

/** Where clipping adds a point: always kept, as geojson-vt keeps the points its clipping adds. */
const KEEP = Infinity;

function intersect(out: number[], ax: number, ay: number, bx: number, by: number, k: number, axis: 0 | 1, weights?: number[]): void {
  if (axis === 0) {
    const t = (k - ax) / (bx - ax);
    out.push(k, ay + (by - ay) * t);
  } else {
    const t = (k - ay) / (by - ay);
    out.push(ax + (bx - ax) * t, k);
  }
  weights?.push(KEEP);
}

/** The pieces of a line inside the stripe k1 ≤ coordinate ≤ k2 of one axis, each with its weights when given. */
function clipLine(line: Float64Array, k1: number, k2: number, axis: 0 | 1, pieces: Float64Array[], shape?: Shape, shapes?: Shape[]): void {
  let slice: number[] = [];
  let sliceWeights: number[] | undefined = shape && [];
  const w = shape?.weights;
  const emit = () => {
    if (slice.length >= 4) {
      pieces.push(Float64Array.from(slice));
      if (shape && sliceWeights) shapes?.push({ weights: Float32Array.from(sliceWeights), size: shape.size });
    }
    slice = [];
    sliceWeights = shape && [];
  };
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
      if (b > k1) intersect(slice, ax, ay, bx, by, k1, axis, sliceWeights);
    } else if (a > k2) {
      if (b < k2) intersect(slice, ax, ay, bx, by, k2, axis, sliceWeights);
    } else {
      slice.push(ax, ay);
      if (w) sliceWeights?.push(w[i / 2]);
    }
    if (b < k1 && a >= k1) {
      intersect(slice, ax, ay, bx, by, k1, axis, sliceWeights);
      exited = true;
    }
    if (b > k2 && a <= k2) {
      intersect(slice, ax, ay, bx, by, k2, axis, sliceWeights);
      exited = true;
    }
    if (exited) emit();
  }
  const last = axis === 0 ? line[n - 2] : line[n - 1];
  if (last >= k1 && last <= k2) {
    slice.push(line[n - 2], line[n - 1]);
    if (w) sliceWeights?.push(w[n / 2 - 1]);
  }
  emit();
}

/**
 * A polygon ring cut to a stripe (Sutherland–Hodgman on one axis), closed again, with its weights when given;
 * undefined when nothing is left.
 */
function clipRing(ring: Float64Array, k1: number, k2: number, axis: 0 | 1, shape?: Shape): { ring: Float64Array; shape?: Shape } | undefined {
  const out: number[] = [];
  const weights: number[] | undefined = shape && [];
  const w = shape?.weights;
  const n = ring.length;
  for (let i = 0; i < n - 2; i += 2) {
    const ax = ring[i];
    const ay = ring[i + 1];
    const bx = ring[i + 2];
    const by = ring[i + 3];
    const a = axis === 0 ? ax : ay;
    const b = axis === 0 ? bx : by;
    if (a < k1) {
      if (b > k1) intersect(out, ax, ay, bx, by, k1, axis, weights);
    } else if (a > k2) {
      if (b < k2) intersect(out, ax, ay, bx, by, k2, axis, weights);
    } else {
      out.push(ax, ay);
      if (w) weights?.push(w[i / 2]);
    }
    if (b < k1 && a >= k1) intersect(out, ax, ay, bx, by, k1, axis, weights);
    if (b > k2 && a <= k2) intersect(out, ax, ay, bx, by, k2, axis, weights);
  }
  const last = axis === 0 ? ring[n - 2] : ring[n - 1];
  if (last >= k1 && last <= k2) {
    out.push(ring[n - 2], ring[n - 1]);
    if (w) weights?.push(w[n / 2 - 1]);
  }
  if (out.length >= 2 && (out[0] !== out[out.length - 2] || out[1] !== out[out.length - 1])) {
    out.push(out[0], out[1]);
    weights?.push(weights[0]);
  }
  if (out.length < 8) return undefined;
  const clipped = Float64Array.from(out);
  return shape && weights ? { ring: clipped, shape: { weights: Float32Array.from(weights), size: shape.size } } : { ring: clipped };
}

/**
 * Douglas–Peucker with a squared tolerance in projected units; polygon rings that collapse below the
 * tolerance vanish (and a polygon with its outer ring). Used to shrink what the low-zoom index holds. A geometry
 * with its shape (weighGeometry) keeps the points whose weight passes the tolerance: the same points Douglas–
 * Peucker keeps on the whole feature, whichever piece of it this is.
 */
export function simplifyGeometry(geometry: ProjectedGeometry, sqTolerance: number): ProjectedGeometry | undefined {
  if (geometry.kind === 1) return geometry;
  const tolerance = Math.sqrt(sqTolerance);
  if (geometry.kind === 2) {
    const lines: Float64Array[] = [];
    const shapes: Shape[] = [];
    geometry.lines.forEach((line, i) => {
      const shape = geometry.shape?.[i];
      // A line shorter than the tolerance is less than a pixel at this zoom: it goes, as a tiny ring does.
      if ((shape ? shape.size : lineSpan(line)) <= tolerance) return;
      const kept = shape ? keepWeighted(line, shape, tolerance) : { flat: simplifyFlat(line, sqTolerance) };
      if (kept.flat.length < 4) return;
      lines.push(kept.flat);
      if (kept.shape) shapes.push(kept.shape);
    });
    if (!lines.length) return undefined;
    return geometry.shape ? { kind: 2, lines, shape: shapes } : { kind: 2, lines };
  }
  const polygons: Float64Array[][] = [];
  const polygonShapes: Shape[][] = [];
  geometry.polygons.forEach((polygon, p) => {
    const rings: Float64Array[] = [];
    const shapes: Shape[] = [];
    for (let r = 0; r < polygon.length; r++) {
      const shape = geometry.shape?.[p][r];
      const kept = shape ? keepWeighted(polygon[r], shape, tolerance) : { flat: simplifyFlat(polygon[r], sqTolerance) };
      if (kept.flat.length >= 8 && Math.abs(shape ? shape.size : ringArea(kept.flat)) > sqTolerance) {
        rings.push(kept.flat);
        if (kept.shape) shapes.push(kept.shape);
      } else if (r === 0) break;
    }
    if (rings.length) {
      polygons.push(rings);
      polygonShapes.push(shapes);
    }
  });
  if (!polygons.length) return undefined;
  return geometry.shape ? { kind: 3, polygons, shape: polygonShapes } : { kind: 3, polygons };
}

/** The points of a weighed line or ring whose weight is above the tolerance, with their weights. */
function keepWeighted(flat: Float64Array, shape: Shape, tolerance: number): { flat: Float64Array; shape?: Shape } {
  const { weights } = shape;
  let kept = 0;
  for (let i = 0; i < weights.length; i++) if (weights[i] > tolerance) kept++;
  if (kept === weights.length) return { flat, shape };
  const out = new Float64Array(kept * 2);
  const outWeights = new Float32Array(kept);
  for (let i = 0, j = 0; i < weights.length; i++) {
    if (!(weights[i] > tolerance)) continue;
    out[2 * j] = flat[2 * i];
    out[2 * j + 1] = flat[2 * i + 1];
    outWeights[j++] = weights[i];
  }
  return { flat: out, shape: { weights: outWeights, size: shape.size } };
}

/**
 * The geometry with its shape: geojson-vt's Douglas–Peucker weights over each whole line and ring (down to
 * `sqTolerance`, below which a point is never drawn short of the maxzoom, where every point is), and each one's
 * length or signed area. Computed once on the whole feature, before it is cut into partitions.
 */
export function weighGeometry(geometry: ProjectedGeometry, sqTolerance: number): ProjectedGeometry {
  if (geometry.kind === 1) return geometry;
  if (geometry.kind === 2) return { kind: 2, lines: geometry.lines, shape: geometry.lines.map((line) => ({ weights: weighFlat(line, sqTolerance), size: lineLength(line) })) };
  return {
    kind: 3,
    polygons: geometry.polygons,
    shape: geometry.polygons.map((polygon) => polygon.map((ring) => ({ weights: weighFlat(ring, sqTolerance), size: ringArea(ring) }))),
  };
}

function lineLength(line: Float64Array): number {
  let length = 0;
  for (let i = 2; i < line.length; i += 2) length += Math.hypot(line[i] - line[i - 2], line[i + 1] - line[i - 1]);
  return length;
}

/** geojson-vt's simplify.js on a flat line: each point's weight is its distance when Douglas–Peucker picked it. */
function weighFlat(flat: Float64Array, sqTolerance: number): Float32Array {
  const count = flat.length / 2;
  const weights = new Float32Array(count);
  weights[0] = KEEP;
  weights[count - 1] = KEEP;
  const stack: number[] = count > 2 ? [0, count - 1] : [];
  while (stack.length) {
    const last = stack.pop() as number;
    const first = stack.pop() as number;
    let maxSq = sqTolerance;
    let index = -1;
    const mid = first + ((last - first) >> 1);
    let minPosToMid = last - first;
    for (let i = first + 1; i < last; i++) {
      const d = segmentSqDistance(flat, i, first, last);
      if (d > maxSq) {
        maxSq = d;
        index = i;
      } else if (d === maxSq && index >= 0) {
        // geojson-vt's tie-break: the pivot nearest the middle keeps the recursion shallow.
        const posToMid = Math.abs(i - mid);
        if (posToMid < minPosToMid) {
          index = i;
          minPosToMid = posToMid;
        }
      }
    }
    if (index >= 0) {
      weights[index] = Math.sqrt(maxSq);
      if (index - first > 1) stack.push(first, index);
      if (last - index > 1) stack.push(index, last);
    }
  }
  return weights;
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
