// Spilled features as geojson-vt's index holds them (its convert step done here): projected coordinates scaled to
// its storage grid, and the simplification weights and sizes computed on the whole feature at read time instead of
// on this partition's piece, so that neighbouring partitions simplify a shared edge alike and meet at tile edges.
// Skipping GeoJSON also saves unprojecting every point to degrees for geojson-vt to project it back.
// Tied to geojson-vt 5.0.3's internal layout (package.json pins it): src/feature.js and src/convert.js there.
import type GeoJSONVT from 'geojson-vt';
import type { Shape } from './geometry.js';
import type { SpilledFeature } from './spill.js';

/** What geojson-vt's constructor derived from its options: the storage grid its coordinates live on. */
interface StorageOptions {
  useInt32: boolean;
  worldScale: number;
  originShift: number;
}

/** An index feature (geojson-vt's internal shape). */
export type IndexFeature =
  | { id: number | undefined; type: 4; x: number; y: number; tags: unknown }
  | { id: number | undefined; type: 1 | 2 | 3; geometry: Int32Array | Float64Array; tags: unknown; minX: number; minY: number; maxX: number; maxY: number };

// geojson-vt's z-slot sentinel for a point always kept (Int32 max, so that it survives Int32 storage).
const KEEP_Z = 0x7fffffff;
const POINT = 1;
const LINE = 2;
const POLYGON = 3;
const SINGLE_POINT = 4;

/** Feeds features to an index built empty, as geojson-vt's constructor would have after converting them. */
export function fillIndex(index: GeoJSONVT, features: IndexFeature[]): void {
  if (features.length) (index as unknown as { splitTile(features: IndexFeature[], z: number, x: number, y: number): void }).splitTile(features, 0, 0, 0);
}

/** Converts records for one index; `tagsOf` gives each record's tags. */
export class IndexFeatureConverter {
  private readonly scale: number;
  private readonly shift: number;
  private readonly round: boolean;

  constructor(index: GeoJSONVT) {
    const options = (index as unknown as { options: StorageOptions }).options;
    this.scale = options.worldScale;
    this.shift = options.originShift;
    this.round = options.useInt32;
  }

  convert(record: SpilledFeature, tags: unknown): IndexFeature | undefined {
    const { geometry } = record;
    const id = record.id;
    startFeature(slotsFor(geometry));
    if (geometry.kind === 1) {
      const points = geometry.points;
      if (points.length === 2) return { id, type: SINGLE_POINT, x: this.storage(points[0]), y: this.storage(points[1]), tags };
      for (let i = 0; i < points.length; i += 2) {
        coords[written++] = this.grid(points[i]);
        coords[written++] = this.grid(points[i + 1]);
        coords[written++] = 0;
      }
      return this.feature(id, POINT, tags);
    }
    if (geometry.kind === 2) {
      geometry.lines.forEach((line, i) => this.writeRing(line, geometry.shape?.[i], false, false));
      return this.feature(id, LINE, tags);
    }
    geometry.polygons.forEach((rings, p) => rings.forEach((ring, r) => this.writeRing(ring, geometry.shape?.[p][r], true, r === 0)));
    return this.feature(id, POLYGON, tags);
  }

  private storage(value: number): number {
    return (value - this.shift) * this.scale;
  }

  /** Rounded half up onto the integer grid when geojson-vt stores Int32 (as its convert does). */
  private grid(value: number): number {
    const v = (value - this.shift) * this.scale;
    return this.round ? Math.floor(v + 0.5) : v;
  }

  /**
   * One ring as geojson-vt lays it out: [count, size, x, y, weight, …]; polygon rings wound outer-positive and
   * holes negative; ends always kept. Without a shape (records spilled unweighed), every point is kept.
   */
  private writeRing(flat: Float64Array, shape: Shape | undefined, polygon: boolean, outer: boolean): void {
    const count = flat.length / 2;
    if (count === 0) return;
    const header = written;
    coords[written++] = count;
    coords[written++] = 0;
    const start = written;
    let area = 0;
    for (let i = 0; i < count; i++) {
      const x = this.grid(flat[2 * i]);
      const y = this.grid(flat[2 * i + 1]);
      const weight = shape ? shape.weights[i] * this.scale : KEEP_Z;
      coords[written++] = x;
      coords[written++] = y;
      coords[written++] = weight > KEEP_Z ? KEEP_Z : weight;
      if (i > 0 && polygon) area += (coords[written - 6] * y - x * coords[written - 5]) / 2;
    }
    if (polygon && ((outer && area < 0) || (!outer && area >= 0))) reverseTriples(coords, start, written);
    coords[start + 2] = KEEP_Z;
    coords[written - 1] = KEEP_Z;
    // The whole ring's size, not this piece's: a ring too small to draw at a zoom goes in every partition or none.
    if (polygon) {
      const size = shape ? Math.abs(shape.size) * this.scale * this.scale : Math.abs(area);
      coords[header + 1] = (outer ? 1 : -1) * Math.sqrt(size);
    } else {
      const length = shape ? shape.size * this.scale : KEEP_Z;
      coords[header + 1] = Math.min(length, KEEP_Z);
    }
  }

  /** The feature of what `convert` wrote to `coords`, in a typed array of its own at its size. */
  private feature(id: number | undefined, type: 1 | 2 | 3, tags: unknown): IndexFeature | undefined {
    if (written === 0) return undefined;
    let fits = this.round;
    for (let i = 0; fits && i < written; i++) fits = Math.abs(coords[i]) < 0x80000000;
    // Int32Array's set converts as Int32Array.from does (ToInt32: weights and sizes lose their fraction).
    const geometry = fits ? new Int32Array(written) : new Float64Array(written);
    geometry.set(coords === scratch ? scratch.subarray(0, written) : coords);
    const feature = { id, type, geometry, tags, minX: Infinity, minY: Infinity, maxX: -Infinity, maxY: -Infinity };
    const extend = (from: number, to: number) => {
      for (let i = from; i < to; i += 3) {
        const x = geometry[i];
        const y = geometry[i + 1];
        if (x < feature.minX) feature.minX = x;
        if (y < feature.minY) feature.minY = y;
        if (x > feature.maxX) feature.maxX = x;
        if (y > feature.maxY) feature.maxY = y;
      }
    };
    if (type === POINT) extend(0, geometry.length);
    else {
      // Holes lie inside their outer ring: the box comes from outer rings (positive size) and lines.
      for (let i = 0; i < geometry.length; ) {
        const end = i + 2 + geometry[i] * 3;
        if (type === LINE || geometry[i + 1] >= 0) extend(i + 2, end);
        i = end;
      }
    }
    return feature;
  }
}

/**
 * Where a feature's coordinates are written before they are copied into its typed array: one buffer for the
 * thread instead of a growing JS array and its copy for every feature (0.3 GB of garbage on the world build).
 * A feature too large for it goes into a JS array as before: a larger buffer made and freed would raise glibc's
 * mmap threshold to its size, and the worker's many typed arrays would then fragment its heap (world Natural
 * Earth z0–8: 164–188 MB peak RSS against 157–165 MB when the buffer grew).
 */
const scratch = new Float64Array(1 << 16);
let coords: Float64Array | number[] = scratch;
let written = 0;

function startFeature(slots: number): void {
  coords = slots <= scratch.length ? scratch : [];
  written = 0;
}

/** How many numbers a geometry takes in geojson-vt's layout: a header of two a line or ring, three a point. */
function slotsFor(geometry: SpilledFeature['geometry']): number {
  if (geometry.kind === 1) return 1.5 * geometry.points.length;
  let slots = 0;
  if (geometry.kind === 2) for (const line of geometry.lines) slots += 2 + 1.5 * line.length;
  else for (const rings of geometry.polygons) for (const ring of rings) slots += 2 + 1.5 * ring.length;
  return slots;
}

function reverseTriples(out: Float64Array | number[], start: number, end: number): void {
  for (let i = start, j = end - 3; i < j; i += 3, j -= 3) {
    for (let k = 0; k < 3; k++) {
      const swap = out[i + k];
      out[i + k] = out[j + k];
      out[j + k] = swap;
    }
  }
}
