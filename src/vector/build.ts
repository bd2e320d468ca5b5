// The vector build: read every layer once into partition spills (layers in parallel), cut the partitions into
// tiles on all cores, and write them through the archive layer with metadata and a summary.
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createArchive } from '../archive/open.js';
import { removeStaleEntries } from '../archive/tempFile.js';
import type { ArchiveMetadata, LayerStats, VectorLayer } from '../archive/types.js';
import { InputError } from '../errors.js';
import type { BBox } from '../grid/webMercator.js';
import { silentProgress, type Progress } from '../progress.js';
import type { FeatureSource } from '../sources/types.js';
import type { CutSettings, PartitionTask } from './cutPartition.js';
import { unprojectX, unprojectY, type ProjectedBox } from './geometry.js';
import { emptyBox, extendBox, readLayer, type Band, type LayerReadResult, type PartitionInfo } from './layerReader.js';
import { choosePartitionZoom, EXTENT, type BuildPlan } from './plan.js';
import type { SpillSegment } from './spill.js';
import type { BuildSummary } from './summary.js';
import { BuildWorkers, defaultWorkerCount, tilingWorkerCount } from './workerPool.js';
import type { BuildRequest } from './buildWorker.js';

export interface BuildOptions {
  progress?: Progress;
  /** How a source path is opened; when given, layers are read in this thread (tests, in-memory sources). */
  openSource?: (path: string) => Promise<FeatureSource>;
  /** Worker threads; default one a core. */
  workers?: number;
  /** Where spill files go; default the system temp folder. */
  tempFolder?: string;
  gzipLevel?: number;
}

/**
 * Zooms a band below the partition zoom. A band's partitions are tiles of its first zoom holding data simplified
 * for its last: two zooms (not three) keep the biggest such index 4× smaller. World Natural Earth z0–8: the tiling
 * worker's heap peaked at ~35 MB instead of ~50 and the build's peak RSS fell ~8 MB, at the same speed.
 */
const BAND_SPAN = 2;
const SPILL_PREFIX = 'mekan-vector-';

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

export async function buildVectorTiles(plan: BuildPlan, options: BuildOptions = {}): Promise<BuildSummary> {
  const started = Date.now();
  const progress = options.progress ?? silentProgress;
  const workers = options.workers ?? defaultWorkerCount();
  if (plan.layers.length === 0) throw new InputError(plan.output, 'nothing to build: no layers');
  // A missing input fails now, not after minutes of reading the others.
  if (!options.openSource) {
    for (const source of plan.layers.flatMap((layer) => layer.sources)) {
      if (!existsSync(source) && !existsSync(source.replace(/:[^:/\\]+$/, ''))) throw new InputError(source, 'no such file');
    }
  }
  const archive = createArchive(plan.output);
  const tempRoot = options.tempFolder ?? tmpdir();
  removeStaleEntries(tempRoot, SPILL_PREFIX);
  const spillFolder = mkdtempSync(join(tempRoot, `${SPILL_PREFIX}${process.pid}-`));
  const cut: CutSettings = {
    layers: plan.layers.map(({ id, minzoom, maxzoom, tolerance, rank }) => ({ id, minzoom, maxzoom, tolerance, rank })),
    buffer: plan.buffer,
    maxTileBytes: plan.maxTileBytes,
    gzipLevel: options.gzipLevel ?? 6,
  };
  // One set of workers for both phases: a fresh set for tiling would add its own heaps to what reading left.
  const pool = new BuildWorkers(workers, { plan, spillFolder, cut });
  // A build stopped by process.exit (the CLI maps Ctrl-C and SIGTERM to it) leaves no temp files behind.
  const onExit = () => {
    archive.abort();
    rmSync(spillFolder, { recursive: true, force: true });
  };
  process.on('exit', onExit);
  try {
    /** Reads every layer into partition spills cut by `bands`, replacing whatever the spill folder held. */
    const readLayers = async (bands: Band[], stage: string): Promise<LayerReadResult[]> => {
      rmSync(spillFolder, { recursive: true, force: true });
      mkdirSync(spillFolder, { recursive: true });
      progress.stage(`${stage} ${plan.layers.length} layer${plan.layers.length === 1 ? '' : 's'}`);
      const read: LayerReadResult[] = new Array(plan.layers.length);
      if (options.openSource) {
        for (let layer = 0; layer < plan.layers.length; layer++) {
          read[layer] = await readLayer(plan, bands, layer, spillFolder, options.openSource, (count) => progress.advance(count));
        }
      } else {
        // Biggest inputs first, so that the last layer to finish is a small one.
        const order = plan.layers.map((_, layer) => layer).sort((a, b) => inputBytes(plan, b) - inputBytes(plan, a));
        await pool.run(
          order.map((layer): BuildRequest => ({ type: 'read', id: layer, layer, bands })),
          (reply) => {
            if (reply.type === 'progress') progress.advance(reply.count);
            else if (reply.type === 'read') read[reply.id] = reply.result;
          },
        );
      }
      progress.end();
      return read;
    };

    let bands = zoomBands(plan);
    let read = await readLayers(bands, 'reading');
    let { tasks, partitions } = partitionTasks(read);
    const crowded = crowdedPartition(tasks, plan);
    if (crowded && plan.partitionZoom === undefined) {
      // Counts are known only now; reading again is cheaper than indexes of hundreds of thousands of features.
      progress.note(`partition tile ${crowded.key} holds ${crowded.features} features: reading again with partition zoom ${crowded.relievedAt} (was ${crowded.zoom})`);
      bands = zoomBands({ ...plan, partitionZoom: crowded.relievedAt });
      read = await readLayers(bands, 'reading again');
      ({ tasks, partitions } = partitionTasks(read));
    } else if (crowded) {
      progress.note(`partition tile ${crowded.key} holds ${crowded.features} features; --partition-zoom ${crowded.relievedAt} (now ${crowded.zoom}) would use much less memory`);
    }
    const estimatedTiles = estimateTiles(tasks, partitions);
    if (options.workers === undefined && !options.openSource) {
      pool.grow(tilingWorkerCount(pool.size, { featuresRead: read.reduce((n, layer) => n + layer.summary.featuresRead, 0), estimatedTiles }));
    }

    const tilesPerZoom = new Map<number, number>();
    let tilesReduced = 0;
    let featuresDropped = 0;
    let tilesLeftOut = 0;
    progress.stage(`tiling z${plan.minzoom}–${plan.maxzoom}`, estimatedTiles);
    await pool.run(
      tasks.map((task): BuildRequest => ({ type: 'cut', id: task.id, task })),
      (reply) => {
        if (reply.type === 'tiles') {
          for (const tile of reply.tiles) {
            archive.putTile(tile.z, tile.x, tile.y, Buffer.from(tile.data));
            tilesPerZoom.set(tile.z, (tilesPerZoom.get(tile.z) ?? 0) + 1);
            progress.advance();
          }
        } else if (reply.type === 'cut') {
          tilesReduced += reply.stats.tilesReduced;
          featuresDropped += reply.stats.featuresDropped;
          tilesLeftOut += reply.stats.tilesLeftOut;
        }
      },
    );
    progress.end();

    archive.setMetadata(buildMetadata(plan, read));
    const uniqueTiles = archive.uniqueTiles;
    const tilesWritten = archive.tilesWritten;
    archive.finish();
    return {
      output: plan.output,
      layers: read.map((layer) => layer.summary),
      tilesPerZoom: [...tilesPerZoom.entries()].sort(([a], [b]) => a - b).map(([zoom, tiles]) => ({ zoom, tiles })),
      tilesWritten,
      uniqueTiles,
      tilesReduced,
      featuresDropped,
      tilesLeftOut,
      partitions: tasks.length,
      partitionZoom: bands[bands.length - 1].start,
      archiveBytes: statSync(plan.output).size,
      seconds: (Date.now() - started) / 1000,
    };
  } catch (error) {
    archive.abort();
    progress.end();
    throw error;
  } finally {
    process.off('exit', onExit);
    await pool.close();
    rmSync(spillFolder, { recursive: true, force: true });
  }
}

function inputBytes(plan: BuildPlan, layer: number): number {
  const sizeOf = (path: string) => {
    try {
      return statSync(path).size;
    } catch {
      return 0; // a missing file is reported by the reader, with its name
    }
  };
  // A Shapefile's attributes (.dbf) often outweigh its shapes.
  return plan.layers[layer].sources.reduce((total, source) => total + sizeOf(source) + (/\.shp$/i.test(source) ? sizeOf(source.replace(/\.shp$/i, '.dbf')) : 0), 0);
}

/** One task a partition, its records gathered from every layer's spill; biggest first. */
function partitionTasks(read: LayerReadResult[]): { tasks: PartitionTask[]; partitions: Map<string, PartitionInfo> } {
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

interface CrowdedPartition {
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
function crowdedPartition(tasks: PartitionTask[], plan: BuildPlan): CrowdedPartition | undefined {
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
function estimateTiles(tasks: PartitionTask[], partitions: Map<string, PartitionInfo>): number {
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

function buildMetadata(plan: BuildPlan, read: LayerReadResult[]): ArchiveMetadata {
  const vectorLayers: VectorLayer[] = plan.layers.map((layer, i) => ({
    id: layer.id,
    ...(layer.description ? { description: layer.description } : {}),
    minzoom: layer.minzoom,
    maxzoom: layer.maxzoom,
    fields: read[i].fields,
  }));
  const layerStats: LayerStats[] = read.map(({ summary, fields }) => ({
    layer: summary.id,
    count: summary.featuresWritten,
    geometry: summary.geometryTypes.length === 1 ? summary.geometryTypes[0] : summary.geometryTypes.length ? 'Mixed' : 'Unknown',
    attributeCount: Object.keys(fields).length,
  }));
  const metadata: ArchiveMetadata = {
    name: plan.name,
    format: 'pbf',
    minzoom: plan.minzoom,
    maxzoom: plan.maxzoom,
    type: 'overlay',
    vector_layers: vectorLayers,
    layerStats,
  };
  if (plan.description !== undefined) metadata.description = plan.description;
  if (plan.attribution !== undefined) metadata.attribution = plan.attribution;
  const box = emptyBox();
  for (const layer of read) extendBox(box, layer.box);
  if (Number.isFinite(box[0])) {
    const bounds: BBox = [unprojectX(box[0]), unprojectY(box[3]), unprojectX(box[2]), unprojectY(box[1])];
    metadata.bounds = bounds;
    metadata.center = [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, centerZoom(box, plan)];
  }
  return metadata;
}

/** The zoom at which the data's extent fills about one tile, within the archive's range. */
function centerZoom(box: ProjectedBox, plan: BuildPlan): number {
  const span = Math.max(box[2] - box[0], box[3] - box[1], 1e-9);
  return Math.max(plan.minzoom, Math.min(plan.maxzoom, Math.floor(Math.log2(1 / span))));
}
