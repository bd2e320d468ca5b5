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

/** The encoded tile, or undefined when no layer has a drawable feature. */
export function encodeTile(layers: TileLayer[], extent: number): Uint8Array | undefined {
  const pbf = new PbfWriter();
  let written = 0;
  for (const layer of layers) {
    const encoded = encodeLayerFeatures(layer);
    if (encoded.features.length === 0) continue;
    pbf.writeMessage(3, writeLayer, { name: layer.name, extent, ...encoded });
    written++;
  }
  return written ? pbf.finish() : undefined;
}

interface EncodedLayer {
  name: string;
  extent: number;
  features: { type: number; tags: number[]; geometry: number[]; id?: number }[];
  keys: string[];
  values: (string | number | boolean)[];
}

/** The layer's features with tile-local key and value tables, built from the partition's attribute table. */
function encodeLayerFeatures(layer: TileLayer): Omit<EncodedLayer, 'name' | 'extent'> {
  const table = layer.attributes;
  const keys: string[] = [];
  const values: EncodedLayer['values'] = [];
  const keyIndex = new Map<number, number>();
  const valueIndex = new Map<number, number>();
  const features: EncodedLayer['features'] = [];
  for (const feature of layer.features) {
    const geometry = encodeGeometry(feature);
    if (geometry.length === 0) continue;
    const tags: number[] = [];
    for (let pair = 0; pair < feature.tags.count; pair++) {
      const key = table.keyAt(feature.tags, pair);
      let k = keyIndex.get(key);
      if (k === undefined) {
        k = keys.push(table.keys[key]) - 1;
        keyIndex.set(key, k);
      }
      const value = table.valueAt(feature.tags, pair);
      let v = valueIndex.get(value);
      if (v === undefined) {
        v = values.push(table.values[value]) - 1;
        valueIndex.set(value, v);
      }
      tags.push(k, v);
    }
    features.push({ type: feature.type, tags, geometry, id: feature.id });
  }
  return { features, keys, values };
}

function writeLayer(layer: EncodedLayer, pbf: PbfWriter): void {
  pbf.writeVarintField(15, 2);
  pbf.writeStringField(1, layer.name);
  for (const feature of layer.features) pbf.writeMessage(2, writeFeature, feature);
  for (const key of layer.keys) pbf.writeStringField(3, key);
  for (const value of layer.values) pbf.writeMessage(4, writeValue, value);
  pbf.writeVarintField(5, layer.extent);
}

function writeFeature(feature: EncodedLayer['features'][number], pbf: PbfWriter): void {
  if (feature.id !== undefined) pbf.writeVarintField(1, feature.id);
  if (feature.tags.length) pbf.writePackedVarint(2, feature.tags);
  pbf.writeVarintField(3, feature.type);
  pbf.writePackedVarint(4, feature.geometry);
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

/** Geometry commands; consecutive repeated points are dropped, and parts that collapse are left out. */
function encodeGeometry(feature: TileFeature): number[] {
  const out: number[] = [];
  let cx = 0;
  let cy = 0;
  const emit = (x: number, y: number) => {
    out.push(zigzag(x - cx), zigzag(y - cy));
    cx = x;
    cy = y;
  };
  if (feature.type === 1) {
    const points = feature.rings[0];
    const count = points.length / 2;
    if (count === 0) return out;
    out.push(command(MOVE_TO, count));
    for (let i = 0; i < points.length; i += 2) emit(points[i], points[i + 1]);
    return out;
  }
  for (const ring of feature.rings) {
    const closed = feature.type === 3;
    const kept = distinctPoints(ring, closed);
    // Polygons come in valid and wound by the spec (repair.ts); a ring or line that collapsed is left out.
    if (kept.length < (closed ? 6 : 4)) continue;
    out.push(command(MOVE_TO, 1));
    emit(kept[0], kept[1]);
    out.push(command(LINE_TO, kept.length / 2 - 1));
    for (let i = 2; i < kept.length; i += 2) emit(kept[i], kept[i + 1]);
    if (closed) out.push(command(CLOSE_PATH, 1));
  }
  return out;
}

function distinctPoints(ring: ArrayLike<number>, closed: boolean): number[] {
  const kept: number[] = [];
  const n = closed && ring.length >= 4 && ring[0] === ring[ring.length - 2] && ring[1] === ring[ring.length - 1] ? ring.length - 2 : ring.length;
  for (let i = 0; i < n; i += 2) {
    const x = ring[i];
    const y = ring[i + 1];
    const m = kept.length;
    if (m >= 2 && kept[m - 2] === x && kept[m - 1] === y) continue;
    kept.push(x, y);
  }
  if (closed) {
    while (kept.length >= 4 && kept[0] === kept[kept.length - 2] && kept[1] === kept[kept.length - 1]) kept.length -= 2;
  }
  return kept;
}

