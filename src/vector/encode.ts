// Mapbox Vector Tile 2.1 encoding straight from flat coordinate arrays (no per-vertex objects, unlike vt-pbf).
import { PbfWriter } from 'pbf';
import type { AttributeTable, FeatureTags } from './attributeTable.js';

export interface TileFeature {
  type: 1 | 2 | 3;
  /** Points: one flat [x, y, …] array. Lines: one array a line. Polygons: rings, each exterior (area > 0, y down) then its holes. */
  rings: ArrayLike<number>[];
  tags: FeatureTags;
  /** The source's feature id (a non-negative integer), written as the tile feature's id. */
  id?: number;
}

export interface TileLayer {
  name: string;
  /** Where the features' attribute values are. */
  attributes: AttributeTable;
  features: TileFeature[];
}

const MOVE_TO = 1;
const LINE_TO = 2;
const CLOSE_PATH = 7;

const command = (id: number, count: number) => (count << 3) | id;
const zigzag = (n: number) => (n << 1) ^ (n >> 31);

/**
 * The encoded tile, or undefined when no layer has a drawable feature. The bytes are a view of a buffer the next
 * call writes over: the caller copies or compresses them first.
 */
export function encodeTile(layers: TileLayer[], extent: number): Uint8Array | undefined {
  const pbf = new PbfWriter(tileBuffer);
  let written = 0;
  for (const layer of layers) {
    const start = pbf.pos;
    const state: LayerState = { layer, extent, features: 0 };
    pbf.writeMessage(3, writeLayer, state);
    // A layer without a drawable feature is taken back: nothing after `pos` is part of the tile.
    if (state.features === 0) pbf.pos = start;
    else written++;
  }
  // Kept as the writer grew it.
  tileBuffer = pbf.buf;
  return written ? pbf.finish() : undefined;
}

/**
 * Where tiles are encoded, reused from tile to tile: a fresh writer starts at 16 bytes and doubles its buffer as
 * the tile grows, each copy a malloc of its own outside V8's heap (90 MB on the world Natural Earth build).
 */
let tileBuffer: Uint8Array = new Uint8Array(64 * 1024);

interface LayerState {
  layer: TileLayer;
  extent: number;
  /** Features written. */
  features: number;
}

/**
 * Geometry commands, a tile's kept ring points and feature tags are built in these buffers, reused for every
 * feature, and written to the tile from there: the encoder made a JS array of each (per feature, per ring), and its
 * garbage was a good part of the worker's collections.
 */
let commands: Float64Array = new Float64Array(1024);
let ringPoints: Float64Array = new Float64Array(1024);
let tagIndexes: Float64Array = new Float64Array(64);

function grown(buffer: Float64Array, needed: number): Float64Array {
  if (needed <= buffer.length) return buffer;
  const bigger = new Float64Array(Math.max(needed, 2 * buffer.length));
  bigger.set(buffer);
  return bigger;
}

/** Version, name, features, then the tile-local key and value tables built from the partition's attribute table. */
function writeLayer(state: LayerState, pbf: PbfWriter): void {
  const { layer } = state;
  pbf.writeVarintField(15, 2);
  pbf.writeStringField(1, layer.name);
  const table = layer.attributes;
  const keys: string[] = [];
  const values: (string | number | boolean)[] = [];
  const keyIndex = localIndex.keys.forLayer(table.keys.length);
  const valueIndex = localIndex.values.forLayer(table.values.length);
  for (const feature of layer.features) {
    const commandCount = encodeGeometry(feature);
    if (commandCount === 0) continue;
    tagIndexes = grown(tagIndexes, 2 * feature.tags.count);
    for (let pair = 0; pair < feature.tags.count; pair++) {
      const key = table.keyAt(feature.tags, pair);
      let k = keyIndex.get(key);
      if (k < 0) k = keyIndex.set(key, keys.push(table.keys[key]) - 1);
      const value = table.valueAt(feature.tags, pair);
      let v = valueIndex.get(value);
      if (v < 0) v = valueIndex.set(value, values.push(table.values[value]) - 1);
      tagIndexes[2 * pair] = k;
      tagIndexes[2 * pair + 1] = v;
    }
    writingFeature.feature = feature;
    writingFeature.commands = commandCount;
    pbf.writeMessage(2, writeFeature, writingFeature);
    state.features++;
  }
  for (const key of keys) pbf.writeStringField(3, key);
  for (const value of values) pbf.writeMessage(4, writeValue, value);
  pbf.writeVarintField(5, state.extent);
}

/**
 * The layer's own index of each key or value of the partition's table, for the layer being written: an entry is
 * set when its stamp is this layer's. Two Maps a layer grew their hash tables tile after tile (90 MB of the world
 * Natural Earth build's garbage); these arrays are reused and never cleared.
 */
class LocalIndex {
  private stamps = new Uint32Array(1024);
  private local = new Uint32Array(1024);
  private stamp = 0;

  /** Starts a layer whose table has `size` entries. */
  forLayer(size: number): this {
    if (size > this.stamps.length) {
      const length = Math.max(size, 2 * this.stamps.length);
      this.stamps = new Uint32Array(length);
      this.local = new Uint32Array(length);
      this.stamp = 0;
    }
    this.stamp++;
    return this;
  }

  /** The layer's index of table entry `entry`, or -1 when the layer has none yet. */
  get(entry: number): number {
    return this.stamps[entry] === this.stamp ? this.local[entry] : -1;
  }

  set(entry: number, index: number): number {
    this.stamps[entry] = this.stamp;
    this.local[entry] = index;
    return index;
  }
}

const localIndex = { keys: new LocalIndex(), values: new LocalIndex() };

/** The feature being written, its commands in `commands` and its tags (2 × count) in `tagIndexes`. */
const writingFeature: { feature: TileFeature | undefined; commands: number } = { feature: undefined, commands: 0 };

function writeFeature(writing: typeof writingFeature, pbf: PbfWriter): void {
  const feature = writing.feature as TileFeature;
  if (feature.id !== undefined) pbf.writeVarintField(1, feature.id);
  if (feature.tags.count) pbf.writeMessage(2, writeTagIndexes, 2 * feature.tags.count);
  pbf.writeVarintField(3, feature.type);
  pbf.writeMessage(4, writeCommands, writing.commands);
}

// By count rather than subarray views: a view is an object each, two a feature.
function writeTagIndexes(count: number, pbf: PbfWriter): void {
  for (let i = 0; i < count; i++) pbf.writeVarint(tagIndexes[i]);
}

function writeCommands(count: number, pbf: PbfWriter): void {
  for (let i = 0; i < count; i++) pbf.writeVarint(commands[i]);
}

function writeValue(value: string | number | boolean, pbf: PbfWriter): void {
  if (typeof value === 'string') pbf.writeStringField(1, value);
  else if (typeof value === 'boolean') pbf.writeBooleanField(7, value);
  else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) pbf.writeDoubleField(3, value);
    else if (value < 0) pbf.writeSVarintField(6, value);
    else pbf.writeVarintField(5, value);
  }
}

/**
 * Writes the feature's geometry commands into `commands` and returns how many; consecutive repeated points are
 * dropped, and parts that collapse are left out (0: nothing to draw).
 */
function encodeGeometry(feature: TileFeature): number {
  let n = 0;
  let cx = 0;
  let cy = 0;
  if (feature.type === 1) {
    const points = feature.rings[0];
    const count = points.length / 2;
    if (count === 0) return 0;
    commands = grown(commands, 1 + points.length);
    commands[n++] = command(MOVE_TO, count);
    for (let i = 0; i < points.length; i += 2) {
      commands[n++] = zigzag(points[i] - cx);
      commands[n++] = zigzag(points[i + 1] - cy);
      cx = points[i];
      cy = points[i + 1];
    }
    return n;
  }
  const closed = feature.type === 3;
  for (const ring of feature.rings) {
    const kept = distinctPoints(ring, closed);
    // Polygons come in valid and wound by the spec (repair.ts); a ring or line that collapsed is left out.
    if (kept < (closed ? 6 : 4)) continue;
    commands = grown(commands, n + kept + 3);
    commands[n++] = command(MOVE_TO, 1);
    for (let i = 0; i < kept; i += 2) {
      if (i === 2) commands[n++] = command(LINE_TO, kept / 2 - 1);
      const x = ringPoints[i];
      const y = ringPoints[i + 1];
      commands[n++] = zigzag(x - cx);
      commands[n++] = zigzag(y - cy);
      cx = x;
      cy = y;
    }
    if (closed) commands[n++] = command(CLOSE_PATH, 1);
  }
  return n;
}

/** Copies the ring's points into `ringPoints` without consecutive repeats (nor, closed, a repeated start); their count × 2. */
function distinctPoints(ring: ArrayLike<number>, closed: boolean): number {
  const n = closed && ring.length >= 4 && ring[0] === ring[ring.length - 2] && ring[1] === ring[ring.length - 1] ? ring.length - 2 : ring.length;
  ringPoints = grown(ringPoints, n);
  let kept = 0;
  for (let i = 0; i < n; i += 2) {
    const x = ring[i];
    const y = ring[i + 1];
    if (kept >= 2 && ringPoints[kept - 2] === x && ringPoints[kept - 1] === y) continue;
    ringPoints[kept++] = x;
    ringPoints[kept++] = y;
  }
  if (closed) {
    while (kept >= 4 && ringPoints[0] === ringPoints[kept - 2] && ringPoints[1] === ringPoints[kept - 1]) kept -= 2;
  }
  return kept;
}
