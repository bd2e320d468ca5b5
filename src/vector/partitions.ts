// How a vector build's work is cut: zoom bands, one task a partition tile (its spill segments from every
// layer), how crowded the fullest partition is, and how many tiles the tasks may produce.
import type { PartitionTask } from './cutPartition.js';
import type { ProjectedBox } from './geometry.js';
import { extendBox, type Band, type LayerReadResult, type PartitionInfo } from './layerReader.js';
import { choosePartitionZoom, EXTENT, type BuildPlan } from './plan.js';
import type { SpillSegment } from './spill.js';

/**
 * Zooms a band below the partition zoom. A band's partitions are tiles of its first zoom holding data simplified
 * for its last: two zooms (not three) keep the biggest such index 4× smaller. World Natural Earth z0–8: the tiling
 * worker's heap peaked at ~35 MB instead of ~50 and the build's peak RSS fell ~8 MB, at the same speed.
 */
const BAND_SPAN = 2;

/** The zoom bands: the deepest from the partition zoom down to maxzoom, then BAND_SPAN zooms each down to minzoom. */
export function zoomBands(plan: Pick<BuildPlan, 'minzoom' | 'maxzoom' | 'partitionZoom' | 'layers'>): Band[] {
  const starts = [choosePartitionZoom(plan)];
  while (starts[0] - BAND_SPAN > plan.minzoom) starts.unshift(starts[0] - BAND_SPAN);
  if (starts[0] > plan.minzoom) starts.unshift(plan.minzoom);
  return starts.map((start, i) => {
    const end = i + 1 < starts.length ? starts[i + 1] - 1 : plan.maxzoom;
    if (i + 1 === starts.length) return { start, end };
    return { start, end, sqTolerance: plan.layers.map((layer) => (layer.tolerance / (EXTENT * 2 ** end)) ** 2) };
  });
}

/** One task a partition, its records gathered from every layer's spill; biggest first. */
export function partitionTasks(read: LayerReadResult[]): { tasks: PartitionTask[]; partitions: Map<string, PartitionInfo> } {
  const partitions = new Map<string, PartitionInfo>();
  const segments = new Map<string, SpillSegment[]>();
  for (const layer of read) {
    for (const info of layer.partitions) {
      const known = partitions.get(info.key);
      if (known) extendBox(known.box, info.box);
      else partitions.set(info.key, { ...info, box: [...info.box] });
    }
    for (const [key, list] of layer.segments) segments.set(key, [...(segments.get(key) ?? []), ...list]);
  }
  const tasks: PartitionTask[] = [...partitions.values()].map((info, id) => ({
    id,
    key: info.key,
    segments: segments.get(info.key) ?? [],
    z: info.z,
    x: info.x,
    y: info.y,
    minzoom: info.minzoom,
    maxzoom: info.maxzoom,
  }));
  // The biggest partitions first: the slowest work starts earliest and the pool ends together.
  const size = (task: PartitionTask) => task.segments.reduce((n, segment) => n + segment.length, 0);
  tasks.sort((a, b) => size(b) - size(a));
  return { tasks, partitions };
}

/** Features in one deepest-band partition above which the work is cut at a deeper zoom (or the operator told). */
const CROWDED_PARTITION_FEATURES = 100_000;
/** What a partition should hold at most after the deeper cut (each zoom deeper quarters an even spread). */
const RELIEVED_PARTITION_FEATURES = 40_000;

export interface CrowdedPartition {
  key: string;
  features: number;
  zoom: number;
  /** The partition zoom that would bring it near RELIEVED_PARTITION_FEATURES. */
  relievedAt: number;
}

/**
 * The fullest partition of the deepest band when it is crowded. A partition's geojson-vt index grows with its
 * features: 1,000,000 points in a 6°×3.5° box, z0–10, made partitions of up to 326,000 points at the default
 * partition zoom 7 (914 MB, 40 s), against 217 MB and 18 s at zoom 9.
 */
export function crowdedPartition(tasks: PartitionTask[], plan: BuildPlan): CrowdedPartition | undefined {
  const zoom = choosePartitionZoom(plan);
  if (zoom >= plan.maxzoom) return undefined;
  let largest: PartitionTask | undefined;
  let most = 0;
  for (const task of tasks) {
    if (task.z !== zoom) continue;
    const features = task.segments.reduce((n, segment) => n + segment.records, 0);
    if (features > most) [largest, most] = [task, features];
  }
  if (!largest || most < CROWDED_PARTITION_FEATURES) return undefined;
  const levels = Math.max(1, Math.ceil(Math.log(most / RELIEVED_PARTITION_FEATURES) / Math.log(4)));
  return { key: largest.key, features: most, zoom, relievedAt: Math.min(plan.maxzoom, zoom + levels) };
}

/** Tiles each partition may produce: those of its zoom range that its data's box touches. For the ETA. */
export function estimateTiles(tasks: PartitionTask[], partitions: Map<string, PartitionInfo>): number {
  let total = 0;
  for (const task of tasks) {
    const info = partitions.get(task.key);
    if (!info) continue;
    const size = 1 / 2 ** task.z;
    const box: ProjectedBox = [
      Math.max(info.box[0], task.x * size),
      Math.max(info.box[1], task.y * size),
      Math.min(info.box[2], (task.x + 1) * size),
      Math.min(info.box[3], (task.y + 1) * size),
    ];
    for (let z = task.minzoom; z <= task.maxzoom; z++) {
      const n = 2 ** z;
      const cols = Math.min(n - 1, Math.floor(box[2] * n)) - Math.max(0, Math.floor(box[0] * n)) + 1;
      const rows = Math.min(n - 1, Math.floor(box[3] * n)) - Math.max(0, Math.floor(box[1] * n)) + 1;
      total += Math.max(0, cols) * Math.max(0, rows);
    }
  }
  return total;
}
