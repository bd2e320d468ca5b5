// Keeps every tile within the size budget: a tile over it is simplified harder, then loses its lowest-ranked
// (or smallest) features, until it fits. Nothing is ever written oversize.
import type { PropertyValue } from '../sources/types.js';
import type { RankRule } from './plan.js';
import type { TileFeature, TileLayer } from './encode.js';
import { simplifyFlat } from './geometry.js';
import { repairPolygon, type ClipBox } from './repair.js';
import { ringArea } from './rings.js';
import type { PackedTile } from './tileGzip.js';

export interface RankedLayer extends TileLayer {
  rank?: RankRule;
}

export interface BudgetResult {
  /** The tile to store, or undefined when not even one feature fits (the tile is left out). */
  data: PackedTile | undefined;
  reduced: boolean;
  featuresDropped: number;
}

/**
 * Encodes a tile; `pack` returns undefined for an empty tile. Bytes left uncompressed must be known to fit the
 * budget once gzipped (tileGzip.ts): their length is at most the budget, and the checks below hold for both.
 */
export type PackTile = (layers: TileLayer[]) => PackedTile | undefined;

// Tolerances (tile units of 4096) tried before any feature is dropped: 1 then 4 pixels of a 512 px tile.
const SIMPLIFY_STEPS = [8, 32];
const MAX_DROP_ROUNDS = 16;

/** `box`: what the polygons were clipped to (tile units), where simplified rings are repaired again. */
export function fitTile(layers: RankedLayer[], maxBytes: number, pack: PackTile, box: ClipBox): BudgetResult {
  let data = pack(layers);
  if (!data || data.bytes.length <= maxBytes) return { data, reduced: false, featuresDropped: 0 };

  let simplified: RankedLayer[] = layers;
  // Points have nothing to simplify.
  const shapes = layers.some((layer) => layer.features.some((feature) => feature.type !== 1));
  for (const tolerance of shapes ? SIMPLIFY_STEPS : []) {
    simplified = layers.map((layer) => ({ ...layer, features: layer.features.map((f) => simplifyFeature(f, tolerance, box)).filter((f) => f.rings.length > 0) }));
    data = pack(simplified);
    if (!data || data.bytes.length <= maxBytes) return { data, reduced: true, featuresDropped: 0 };
  }

  const ordered = simplified.map((layer) => ({ ...layer, features: byPriority(layer) }));
  const total = ordered.reduce((n, layer) => n + layer.features.length, 0);
  let fraction = 1;
  let size = data.bytes.length;
  for (let round = 0; round < MAX_DROP_ROUNDS; round++) {
    // Aim a little under the budget: compressed size shrinks less than linearly with the feature count.
    fraction *= Math.min(0.9, (maxBytes / size) * 0.85);
    const kept = ordered.map((layer) => ({ ...layer, features: layer.features.slice(0, Math.floor(layer.features.length * fraction)) }));
    const keptCount = kept.reduce((n, layer) => n + layer.features.length, 0);
    data = pack(kept);
    if (!data) return { data: undefined, reduced: true, featuresDropped: total };
    if (data.bytes.length <= maxBytes) return { data, reduced: true, featuresDropped: total - keptCount };
    size = data.bytes.length;
  }
  return { data: undefined, reduced: true, featuresDropped: total };
}

/** Features most worth keeping first: by the rank rule, else the largest shapes, else points spread evenly. */
function byPriority(layer: RankedLayer): TileFeature[] {
  const features = layer.features;
  const rank = layer.rank;
  if (rank) {
    const sign = rank.order === 'asc' ? 1 : -1;
    const ranks = features.map((feature) => layer.attributes.get(feature.tags, rank.field));
    const order = features.map((_, i) => i).sort((a, b) => compareRank(ranks[a], ranks[b], sign) || a - b);
    return order.map((i) => features[i]);
  }
  const sizes = features.map(featureSize);
  const order = features.map((_, i) => i);
  if (sizes.some((size) => size > 0)) order.sort((a, b) => sizes[b] - sizes[a] || a - b);
  else order.sort((a, b) => spreadKey(a, features.length) - spreadKey(b, features.length));
  return order.map((i) => features[i]);
}

function compareRank(a: PropertyValue | undefined, b: PropertyValue | undefined, sign: number): number {
  // Features without a value go last whatever the order.
  const aMissing = a === null || a === undefined;
  const bMissing = b === null || b === undefined;
  if (aMissing || bMissing) return aMissing === bMissing ? 0 : aMissing ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return sign * (a - b);
  return sign * String(a).localeCompare(String(b));
}

/** Bit-reversed index: any prefix of the order 0, n/2, n/4, 3n/4, … samples the whole list evenly. */
function spreadKey(index: number, count: number): number {
  const bits = Math.max(1, Math.ceil(Math.log2(count)));
  let reversed = 0;
  for (let b = 0; b < bits; b++) if (index & (1 << b)) reversed |= 1 << (bits - 1 - b);
  return reversed;
}

function featureSize(feature: TileFeature): number {
  if (feature.type === 1) return 0;
  let size = 0;
  for (const ring of feature.rings) {
    if (feature.type === 3) size += ringArea(ring);
    else for (let i = 2; i < ring.length; i += 2) size += Math.hypot(ring[i] - ring[i - 2], ring[i + 1] - ring[i - 1]);
  }
  return feature.type === 3 ? Math.abs(size) : size;
}

function simplifyFeature(feature: TileFeature, tolerance: number, box: ClipBox): TileFeature {
  if (feature.type === 1) return feature;
  const sq = tolerance * tolerance;
  // A ring a few tolerances across has few points to gain and its area to lose: small lakes and islands stay as drawn.
  const rings = feature.rings.map((ring) => (feature.type === 3 && span(ring) < 8 * tolerance ? Array.from(ring) : simplifyFlat(closed(ring, feature.type === 3), sq)));
  // Simplifying rings one by one can make them cross or collapse: repaired like any drawn polygon.
  return { ...feature, rings: feature.type === 3 ? repairPolygon(rings, box) : rings };
}

/** A flat ring with its first point repeated at the end (Douglas–Peucker keeps both ends of what it is given). */
function closed(ring: ArrayLike<number>, polygon: boolean): Float64Array {
  const n = ring.length;
  if (!polygon || (ring[0] === ring[n - 2] && ring[1] === ring[n - 1])) return Float64Array.from(ring);
  const out = new Float64Array(n + 2);
  out.set(Array.from(ring));
  out[n] = ring[0];
  out[n + 1] = ring[1];
  return out;
}

/** The larger side of a flat ring's bounding box. */
function span(ring: ArrayLike<number>): number {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < ring.length; i += 2) {
    minX = Math.min(minX, ring[i]);
    maxX = Math.max(maxX, ring[i]);
    minY = Math.min(minY, ring[i + 1]);
    maxY = Math.max(maxY, ring[i + 1]);
  }
  return Math.max(maxX - minX, maxY - minY);
}
