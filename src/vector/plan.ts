// The internal description of a vector build: what the quick CLI form and a recipe file both become.
import type { FilterExpression } from './filter.js';

export interface AttributeRules {
  /** Only these attributes survive (before renaming); absent means all. */
  keep?: string[];
  drop?: string[];
  /** old name → new name. */
  rename?: Record<string, string>;
}

export interface RankRule {
  field: string;
  /** `desc`: larger values survive first (population); `asc`: smaller values survive first (scalerank). */
  order: 'asc' | 'desc';
}

export interface LayerPlan {
  id: string;
  /** Resolved file paths. */
  sources: string[];
  minzoom: number;
  maxzoom: number;
  attributes: AttributeRules;
  filter?: FilterExpression;
  /** Simplification tolerance in tile units (of 4096), as geojson-vt counts it. */
  tolerance: number;
  rank?: RankRule;
  /** A numeric attribute naming the first zoom at which each feature appears (Natural Earth's `min_zoom`). */
  zoomField?: string;
  description?: string;
}

export interface BuildPlan {
  output: string;
  name: string;
  description?: string;
  attribution?: string;
  /** Where a client opens the archive; the middle of the data when absent (wrong for data in two distant regions). */
  center?: [number, number, number];
  minzoom: number;
  maxzoom: number;
  /** Largest gzipped tile written; a fuller tile is reduced. */
  maxTileBytes: number;
  /** Tile buffer in tile units (of 4096). */
  buffer: number;
  /** Any feature problem stops the build. */
  strict: boolean;
  layers: LayerPlan[];
  /** Zoom at which the work is cut into partitions; chosen from the zoom range when absent. */
  partitionZoom?: number;
  /** `--bbox`: features are clipped to this box (W,S,E,N in degrees) as they are read; those outside are left out. */
  bbox?: [number, number, number, number];
}

export const EXTENT = 4096;
/** 500 KB, the limit tippecanoe and Mapbox hold tiles to. */
export const DEFAULT_MAX_TILE_BYTES = 500_000;
export const DEFAULT_BUFFER = 64;
export const DEFAULT_TOLERANCE = 3;
export const DEFAULT_MINZOOM = 0;
export const DEFAULT_MAXZOOM = 14;

/**
 * The partition zoom: tiles from it down to maxzoom come from one index per partition tile at full detail,
 * lower zooms from bands of pre-simplified data. Three levels above maxzoom keeps a partition's subtree small
 * (341 tiles at most) and its data too: a million points in one city still make partitions of ~20k points at
 * zoom 10 for a zoom 14 build. Only non-empty partitions exist, so a deep partition zoom costs little.
 */
export function choosePartitionZoom(plan: Pick<BuildPlan, 'minzoom' | 'maxzoom' | 'partitionZoom'>): number {
  const chosen = plan.partitionZoom ?? Math.min(10, plan.maxzoom - 3);
  return Math.max(plan.minzoom, Math.min(plan.maxzoom, chosen));
}
