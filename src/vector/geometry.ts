// Geometry in projected Web Mercator units (x, y in 0..1 from the north-west corner) on flat arrays: projection,
// bbox, clipping to a box and Douglas–Peucker, for partitioning and pre-simplification before geojson-vt.
import type { Geometry, Position } from 'geojson';
import { clampLatitude } from '../grid/webMercator.js';
import { ringArea } from './rings.js';

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
  const stripe = clipStripe(geometry, box[0], box[2], 0);
  return stripe && clipStripe(stripe, box[1], box[3], 1);
}

/**
 * The part of a geometry inside the stripe k1 ≤ coordinate ≤ k2 of one axis, or undefined: one half of
 * clipGeometry, so that a cut into a grid clips each column once for all the cells in it. Its lines and rings are
 * valid until rewindClipSlabs, or the end of a clip scope opened before it.
 */
export function clipStripe(geometry: ProjectedGeometry, k1: number, k2: number, axis: 0 | 1): ProjectedGeometry | undefined {
  if (geometry.kind === 1) {
    const p = geometry.points;
    let kept = 0;
    for (let i = axis; i < p.length; i += 2) if (p[i] >= k1 && p[i] <= k2) kept++;
    if (kept === 0) return undefined;
    if (kept * 2 === p.length) return geometry;
    const points = new Float64Array(kept * 2);
    for (let i = 0, j = 0; i < p.length; i += 2) {
      if (p[i + axis] >= k1 && p[i + axis] <= k2) {
        points[j++] = p[i];
        points[j++] = p[i + 1];
      }
    }
    return { kind: 1, points };
  }
  if (geometry.kind === 2) {
    const lines: Float64Array[] = [];
    const shapes: Shape[] | undefined = geometry.shape && [];
    geometry.lines.forEach((line, i) => clipLine(line, k1, k2, axis, lines, geometry.shape?.[i], shapes));
    return lines.length ? { kind: 2, lines, shape: shapes } : undefined;
  }
  const polygons: Float64Array[][] = [];
  const polygonShapes: Shape[][] = [];
  geometry.polygons.forEach((polygon, p) => {
    const rings: Float64Array[] = [];
    const shapes: Shape[] = [];
    for (let r = 0; r < polygon.length; r++) {
      const shape = geometry.shape?.[p][r];
      const ring = clipRing(polygon[r], k1, k2, axis, shape?.weights);
      if (ring) {
        rings.push(ring.coords);
        if (shape) shapes.push({ weights: ring.weights, size: shape.size });
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

/**
 * Where a clip writes its points (and their weights) before they are copied out at their final size: one buffer
 * for the thread instead of a growing array and a typed copy of it for every line and ring. A clip whose output
 * does not fit is only counted, then run again into arrays of its exact size: no larger buffer is made and freed
 * (freeing one raises glibc's mmap threshold to its size, and the tiling phase's buffers then fragment the
 * worker's heap: +15 MB of RSS on the world Natural Earth build with a ring of 81,538 points).
 */
const CLIP_BUFFER_COORDS = 1 << 16;
const clipBuffer = { coords: new Float64Array(CLIP_BUFFER_COORDS), weights: new Float32Array(CLIP_BUFFER_COORDS / 2) };
/** Where points go now, and how many coordinates came (more than fit when the clip overflowed). */
const clipped: { coords: Float64Array; weights: Float32Array; length: number } = { coords: clipBuffer.coords, weights: clipBuffer.weights, length: 0 };

function clipInto(coords: Float64Array, weights: Float32Array): void {
  clipped.coords = coords;
  clipped.weights = weights;
  clipped.length = 0;
}

/**
 * Clipped lines and rings are copied out into slabs of 1 MB: they live only while their feature is cut, and a
 * typed array each was a malloc each, whose churn left the worker's heap fragmented (+8 MB of RSS through the
 * tiling phase of the world Natural Earth build). The slabs are reused as a stack: the reader rewinds them at each
 * feature and gives back what each step of its partition descent clipped once the step is done (clip scopes), so
 * the same slab takes every feature's pieces. A fresh slab for every megabyte clipped (~80 MB of them while
 * reading the world Natural Earth set, ~50 for the land layer's largest polygons) outlived its pieces until a
 * full collection, and freed in bursts, they took the reading worker's malloc arena to 50–90 MB, which it kept.
 */
const SLAB_BYTES = 1 << 20;

class Slab<T extends Float64Array | Float32Array> {
  /** The slabs in use since the last rewind; the first is kept for the thread's life. */
  private readonly slabs: T[];
  private current = 0;
  private used = 0;
  private readonly length: number;

  constructor(private readonly make: (length: number) => T) {
    this.length = SLAB_BYTES / make(0).BYTES_PER_ELEMENT;
    this.slabs = [make(this.length)];
  }

  /** The first `length` values of `from` in the slab; a piece over an eighth of a slab gets an array of its own. */
  copy(from: T, length: number): T {
    if (length > this.length / 8) return from.slice(0, length) as T;
    if (this.used + length > this.length) {
      if (++this.current === this.slabs.length) this.slabs.push(this.make(this.length));
      this.used = 0;
    }
    const slab = this.slabs[this.current];
    const at = this.used;
    for (let i = 0; i < length; i++) slab[at + i] = from[i];
    this.used = at + length;
    return slab.subarray(at, at + length) as T;
  }

  /** Where the next piece goes, for release. */
  mark(): number {
    return this.current * this.length + this.used;
  }

  /** Pieces copied since `mark` are dead: their room is written over. */
  release(mark: number): void {
    this.current = Math.floor(mark / this.length);
    this.used = mark - this.current * this.length;
  }

  /** Back to the start of the first slab; the others are let go (few features need more than one). */
  rewind(): void {
    this.slabs.length = 1;
    this.current = 0;
    this.used = 0;
  }
}

const coordSlab = new Slab<Float64Array>((length) => new Float64Array(length));
const weightSlab = new Slab<Float32Array>((length) => new Float32Array(length));
/** Open clip scopes: the slabs' marks where each began (coordinates, weights). */
const scopes: number[] = [];

/**
 * Every line and ring clipped so far is dead: the next clips write over them. Call it where nothing clipped
 * before is still used (the reader, before each feature; a feature's clipped parts are encoded into records).
 */
export function rewindClipSlabs(): void {
  coordSlab.rewind();
  weightSlab.rewind();
  scopes.length = 0;
}

/** Opens a clip scope: what is clipped from now until closeClipScope is dead after it. Scopes nest. */
export function openClipScope(): void {
  scopes.push(coordSlab.mark(), weightSlab.mark());
}

export function closeClipScope(): void {
  weightSlab.release(scopes.pop() as number);
  coordSlab.release(scopes.pop() as number);
}

function addPoint(x: number, y: number, weight: number): void {
  const at = clipped.length;
  if (at < clipped.coords.length) {
    clipped.coords[at] = x;
    clipped.coords[at + 1] = y;
    clipped.weights[at >> 1] = weight;
  }
  clipped.length = at + 2;
}

function addCrossing(ax: number, ay: number, bx: number, by: number, k: number, axis: 0 | 1): void {
  const t = axis === 0 ? (k - ax) / (bx - ax) : (k - ay) / (by - ay);
  addPoint(axis === 0 ? k : ax + (bx - ax) * t, axis === 0 ? ay + (by - ay) * t : k, KEEP);
}

// The clip loops below call addCrossing from two places and addPoint from three, each once: V8 inlines a
// function's calls only up to a budget of bytecode, and a call it leaves out boxes each coordinate passed as a heap
// number (four calls of addCrossing there made 0.4 GB of garbage while reading the world Natural Earth set).

/** The pieces of a line inside the stripe k1 ≤ coordinate ≤ k2 of one axis, each with its weights when given. */
function clipLine(line: Float64Array, k1: number, k2: number, axis: 0 | 1, pieces: Float64Array[], shape?: Shape, shapes?: Shape[]): void {
  const piecesBefore = pieces.length;
  const shapesBefore = shapes?.length ?? 0;
  const longest = linePass(line, k1, k2, axis, pieces, shape, shapes, clipBuffer.coords, clipBuffer.weights);
  if (longest <= CLIP_BUFFER_COORDS) return;
  // A piece did not fit: again, into a buffer for its length.
  pieces.length = piecesBefore;
  if (shapes) shapes.length = shapesBefore;
  linePass(line, k1, k2, axis, pieces, shape, shapes, new Float64Array(longest), new Float32Array(longest / 2));
}

/** One clip of a line into the given buffer; returns the longest piece's length, which may exceed the buffer. */
function linePass(line: Float64Array, k1: number, k2: number, axis: 0 | 1, pieces: Float64Array[], shape: Shape | undefined, shapes: Shape[] | undefined, coords: Float64Array, weights: Float32Array): number {
  clipInto(coords, weights);
  let longest = 0;
  const w = shape?.weights;
  const emit = () => {
    if (clipped.length > longest) longest = clipped.length;
    if (clipped.length >= 4 && clipped.length <= coords.length) {
      pieces.push(coordSlab.copy(coords, clipped.length));
      if (shape) shapes?.push({ weights: weightSlab.copy(weights, clipped.length / 2), size: shape.size });
    }
    clipped.length = 0;
  };
  const n = line.length;
  for (let i = 0; i < n - 2; i += 2) {
    const ax = line[i];
    const ay = line[i + 1];
    const bx = line[i + 2];
    const by = line[i + 3];
    const a = axis === 0 ? ax : ay;
    const b = axis === 0 ? bx : by;
    // Where the segment enters the stripe, or its start inside it; then where it leaves it (k1 ≤ k2: one side at most).
    if (a < k1 ? b > k1 : a > k2 && b < k2) addCrossing(ax, ay, bx, by, a < k1 ? k1 : k2, axis);
    else if (a >= k1 && a <= k2) addPoint(ax, ay, w ? w[i >> 1] : KEEP);
    if ((b < k1 && a >= k1) || (b > k2 && a <= k2)) {
      addCrossing(ax, ay, bx, by, b < k1 ? k1 : k2, axis);
      emit();
    }
  }
  const last = axis === 0 ? line[n - 2] : line[n - 1];
  if (last >= k1 && last <= k2) addPoint(line[n - 2], line[n - 1], w ? w[(n >> 1) - 1] : KEEP);
  emit();
  return longest;
}

/**
 * A polygon ring cut to a stripe (Sutherland–Hodgman on one axis) and closed again, with its weights (when
 * given, else unused); undefined when nothing is left.
 */
function clipRing(ring: Float64Array, k1: number, k2: number, axis: 0 | 1, w?: Float32Array): { coords: Float64Array; weights: Float32Array } | undefined {
  clipInto(clipBuffer.coords, clipBuffer.weights);
  ringPass(ring, k1, k2, axis, w);
  if (clipped.length < 8) return undefined;
  if (clipped.length <= CLIP_BUFFER_COORDS) return { coords: coordSlab.copy(clipped.coords, clipped.length), weights: weightSlab.copy(clipped.weights, clipped.length / 2) };
  // It did not fit: again, into arrays of its size (the count may be one point over: the closing point was
  // judged on points that were not written).
  const counted = clipped.length;
  clipInto(new Float64Array(counted), new Float32Array(counted / 2));
  ringPass(ring, k1, k2, axis, w);
  const { coords, weights, length } = clipped;
  return length === counted ? { coords, weights } : { coords: coords.slice(0, length), weights: weights.slice(0, length / 2) };
}

function ringPass(ring: Float64Array, k1: number, k2: number, axis: 0 | 1, w?: Float32Array): void {
  const n = ring.length;
  for (let i = 0; i < n - 2; i += 2) {
    const ax = ring[i];
    const ay = ring[i + 1];
    const bx = ring[i + 2];
    const by = ring[i + 3];
    const a = axis === 0 ? ax : ay;
    const b = axis === 0 ? bx : by;
    if (a < k1 ? b > k1 : a > k2 && b < k2) addCrossing(ax, ay, bx, by, a < k1 ? k1 : k2, axis);
    else if (a >= k1 && a <= k2) addPoint(ax, ay, w ? w[i >> 1] : KEEP);
    if ((b < k1 && a >= k1) || (b > k2 && a <= k2)) addCrossing(ax, ay, bx, by, b < k1 ? k1 : k2, axis);
  }
  const last = axis === 0 ? ring[n - 2] : ring[n - 1];
  if (last >= k1 && last <= k2) addPoint(ring[n - 2], ring[n - 1], w ? w[(n >> 1) - 1] : KEEP);
  const out = clipped.coords;
  const length = clipped.length;
  if (length >= 2 && (out[0] !== out[length - 2] || out[1] !== out[length - 1])) addPoint(out[0], out[1], clipped.weights[0]);
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
