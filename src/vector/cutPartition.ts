// Cuts one partition's spilled features into finished tiles: a geojson-vt index per layer over this partition
// only, walked depth-first from the partition tile, each tile encoded and held to the size budget (gzipped here
// only when its gzipped size decides that; else by the thread that writes it).
import GeoJSONVT, { type RawFeature, type RawTile } from 'geojson-vt';
import { AttributeTable, type FeatureTags } from './attributeTable.js';
import { fitTile, type RankedLayer } from './budget.js';
import { encodeTile, type TileFeature, type TileLayer } from './encode.js';
import { fillIndex, IndexFeatureConverter, type IndexFeature } from './indexFeatures.js';
import { EXTENT, type RankRule } from './plan.js';
import { clipBox, repairPolygon } from './repair.js';
import { SpillReader, type SpilledFeature, type SpillSegment } from './spill.js';
import { packTile, type PackedTile } from './tileGzip.js';

/** What a worker needs to know about the layers (the same for every partition of a build). */
export interface CutSettings {
  layers: { id: string; minzoom: number; maxzoom: number; tolerance: number; rank?: RankRule }[];
  buffer: number;
  maxTileBytes: number;
  gzipLevel: number;
}

export interface PartitionTask {
  id: number;
  /** `z/x/y` of the partition tile, or `low` for the pre-simplified index of the zooms below the partition zoom. */
  key: string;
  /** Where its records are in the spill run files. */
  segments: SpillSegment[];
  /** The partition tile: only tiles inside it are emitted. */
  z: number;
  x: number;
  y: number;
  /** Zooms emitted (inclusive). */
  minzoom: number;
  maxzoom: number;
}

export interface CutTile {
  z: number;
  x: number;
  y: number;
  data: PackedTile;
}

export interface CutStats {
  tilesReduced: number;
  featuresDropped: number;
  /** Tiles that not even one feature of could fit in the budget. */
  tilesLeftOut: number;
}

interface LayerIndex {
  layer: number;
  index: GeoJSONVT;
  maxzoom: number;
  attributes: AttributeTable;
}

export function cutPartition(task: PartitionTask, settings: CutSettings, emit: (tile: CutTile) => void): CutStats {
  const stats: CutStats = { tilesReduced: 0, featuresDropped: 0, tilesLeftOut: 0 };
  const indexes = buildIndexes(task, settings);
  if (indexes.length === 0) return stats;
  const pack = (layers: TileLayer[]) => {
    const encoded = encodeTile(layers, EXTENT);
    return encoded && packTile(encoded, settings.maxTileBytes, settings.gzipLevel);
  };

  const visit = (z: number, x: number, y: number): void => {
    const layers: RankedLayer[] = [];
    let content = false;
    for (const entry of indexes) {
      if (z > entry.maxzoom) continue;
      const raw = entry.index.getTileRaw(z, x, y);
      if (!raw || raw.features.length === 0) continue;
      content = true;
      const plan = settings.layers[entry.layer];
      if (z < task.minzoom || z < plan.minzoom) continue;
      const features = tileFeatures(raw, z, x, y, settings.buffer);
      if (features.length) layers.push({ name: plan.id, attributes: entry.attributes, features, rank: plan.rank });
    }
    if (layers.length) {
      const fitted = fitTile(layers, settings.maxTileBytes, pack, clipBox(z, y, settings.buffer));
      if (fitted.reduced) stats.tilesReduced++;
      stats.featuresDropped += fitted.featuresDropped;
      if (fitted.data) emit({ z, x, y, data: fitted.data });
      else if (fitted.reduced) stats.tilesLeftOut++;
    }
    for (const entry of indexes) releaseDrawnFeatures(entry.index, z, x, y);
    // An empty tile has empty children: the buffered child area lies inside the buffered parent.
    if (content && z < task.maxzoom) {
      for (const [cx, cy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
        visit(z + 1, 2 * x + cx, 2 * y + cy);
        for (const entry of indexes) forgetTile(entry.index, z + 1, 2 * x + cx, 2 * y + cy);
      }
    }
  };
  for (const entry of indexes) {
    entry.index.getTileRaw(task.z, task.x, task.y);
    keepOnlyTile(entry.index, task.z, task.x, task.y);
  }
  visit(task.z, task.x, task.y);
  return stats;
}

function buildIndexes(task: PartitionTask, settings: CutSettings): LayerIndex[] {
  const segmentsOf = settings.layers.map(() => [] as SpillSegment[]);
  for (const segment of task.segments) segmentsOf[segment.layer].push(segment);
  const indexes: LayerIndex[] = [];
  segmentsOf.forEach((segments, layer) => {
    const plan = settings.layers[layer];
    const maxzoom = Math.min(plan.maxzoom, task.maxzoom);
    const count = segments.reduce((n, segment) => n + segment.records, 0);
    if (count === 0 || maxzoom < task.z) return;
    const attributes = new AttributeTable();
    const records = new SpillReader(segments);
    try {
      // indexMaxZoom 0: no eager cutting; each tile is drilled down to when the walk asks for it. Built empty and
      // fed features converted here one record at a time: the partition never exists as GeoJSON, nor whole.
      const index = new GeoJSONVT(
        { type: 'FeatureCollection', features: [] },
        { maxZoom: maxzoom, indexMaxZoom: 0, tolerance: plan.tolerance, extent: EXTENT, buffer: settings.buffer },
      );
      const converter = new IndexFeatureConverter(index);
      const features: IndexFeature[] = [];
      for (let i = 0; i < count; i++) {
        const record = records.next();
        if (!record) throw new Error(`partition ${task.key}: the spill holds fewer records than its index says`);
        const feature = converter.convert(record, tagsOf(record, attributes));
        if (feature) features.push(feature);
      }
      fillIndex(index, features);
      // The world tile geojson-vt drew first is never drawn here unless it is the partition.
      if (task.z > 0) releaseDrawnFeatures(index, 0, 0, 0);
      indexes.push({ layer, index, maxzoom, attributes });
    } finally {
      records.close();
    }
  });
  return indexes;
}

/** The record's attributes go into the table; its tags carry their place (and a single point's exact position). */
function tagsOf(record: SpilledFeature, attributes: AttributeTable): FeatureTags {
  const { geometry } = record;
  const point = geometry.kind === 1 && geometry.points.length === 2 ? ([geometry.points[0], geometry.points[1]] as [number, number]) : undefined;
  return attributes.add(record.properties, record.minzoom, point);
}

function tileFeatures(raw: RawTile, z: number, x: number, y: number, buffer: number): TileFeature[] {
  const features: TileFeature[] = [];
  for (const feature of raw.features as RawFeature[]) {
    const tags = feature.tags as unknown as FeatureTags;
    if (tags.minzoom > z) continue;
    const id = typeof feature.id === 'number' ? feature.id : undefined;
    if (feature.type === 4) {
      const point = tags.point;
      const rings = point ? [[pointX(point[0], z, x, feature.x), pointCoordinate(point[1], z, y, true)]] : [[feature.x, feature.y]];
      features.push({ type: 1, rings, tags, id });
    } else if (feature.type === 1) features.push({ type: 1, rings: [feature.geometry], tags, id });
    else if (feature.type === 2) features.push({ type: 2, rings: feature.geometry, tags, id });
    else {
      const rings = repairPolygon(feature.geometry, clipBox(z, y, buffer));
      if (rings.length) features.push({ type: 3, rings, tags, id });
    }
  }
  return features;
}

/**
 * A point's tile coordinate, rounded like geojson-vt but never across a tile edge: a point is inside the
 * extent [0, 4096) of exactly the tile that holds it, and in the others' buffers, within one unit of its place.
 * `clampAtWorldEdge` is for rows: a pole, clamped to ±85.05°, stays inside the last row rather than past it.
 */
export function pointCoordinate(projected: number, z: number, tile: number, clampAtWorldEdge = false): number {
  const exact = (projected * 2 ** z - tile) * EXTENT;
  const rounded = Math.round(exact);
  if (clampAtWorldEdge && projected >= 1 && tile === 2 ** z - 1) return EXTENT - 1;
  if (rounded === 0 && exact < 0) return -1;
  if (rounded === EXTENT) return exact < EXTENT ? EXTENT - 1 : EXTENT + 1;
  return rounded;
}

/** A point's column coordinate; geojson-vt also shows copies shifted a world east or west (antimeridian buffers). */
function pointX(projected: number, z: number, tile: number, rounded: number): number {
  let best = pointCoordinate(projected, z, tile);
  for (const shift of [-1, 1]) {
    const shifted = pointCoordinate(projected + shift, z, tile);
    if (Math.abs(shifted - rounded) < Math.abs(best - rounded)) best = shifted;
  }
  return best;
}

/** geojson-vt's tiles by id: ((2^z·y + x)·32) + z. */
function tilesOf(index: GeoJSONVT): Record<number, { features: unknown[] } | undefined> {
  return (index as unknown as { tiles: Record<number, { features: unknown[] } | undefined> }).tiles;
}

const tileId = (z: number, x: number, y: number) => ((1 << z) * y + x) * 32 + z;

/**
 * geojson-vt keeps every tile it has cut; a partition walked to zoom 14 would keep them all. A finished
 * subtree is never asked for again, so its tiles are dropped.
 */
function forgetTile(index: GeoJSONVT, z: number, x: number, y: number): void {
  delete tilesOf(index)[tileId(z, x, y)];
}

/**
 * A drawn tile's features (one typed array a ring, in tile coordinates) are not read again; only its source
 * geometry is, to cut its children. On the world Natural Earth build these held ~10 MB of the worker's heap.
 */
function releaseDrawnFeatures(index: GeoJSONVT, z: number, x: number, y: number): void {
  const tile = tilesOf(index)[tileId(z, x, y)];
  if (tile) tile.features = [];
}

/**
 * geojson-vt starts from the world tile and, to reach the partition tile, cuts every tile on the way and their
 * siblings (the partition's buffer edges): none of them is drawn here.
 */
function keepOnlyTile(index: GeoJSONVT, z: number, x: number, y: number): void {
  const tiles = tilesOf(index);
  const keep = tileId(z, x, y);
  for (const id of Object.keys(tiles)) if (Number(id) !== keep) delete tiles[Number(id)];
}
