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
import { fewerZoomsHint, largeBuildNote, silentProgress, type Progress } from '../progress.js';
import type { FeatureSource } from '../sources/types.js';
import type { CutSettings } from './cutPartition.js';
import { unprojectX, unprojectY, type ProjectedBox } from './geometry.js';
import { emptyBox, extendBox, readLayer, type Band, type LayerReadResult } from './layerReader.js';
import type { BuildPlan } from './plan.js';
import { crowdedPartition, estimateTiles, partitionTasks, zoomBands } from './partitions.js';
import type { BuildSummary } from './summary.js';
import { gzipTile } from './tileGzip.js';
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

const SPILL_PREFIX = 'mekan-vector-';

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
    const large = largeBuildNote(estimatedTiles, plan.minzoom, plan.maxzoom);
    if (large) progress.note(large);
    // The count of tiles is an estimate (made before cutting): labelled so, and the stage ends at 100 %.
    progress.stage(`tiling z${plan.minzoom}–${plan.maxzoom}`, estimatedTiles, { estimate: true, slowHint: `a long build: ${fewerZoomsHint(plan.maxzoom)}` });
    await pool.run(
      tasks.map((task): BuildRequest => ({ type: 'cut', id: task.id, task })),
      (reply) => {
        if (reply.type === 'tiles') {
          for (const tile of reply.tiles) {
            const data = tile.gzipped ? Buffer.from(tile.data) : gzipTile(new Uint8Array(tile.data), cut.gzipLevel);
            archive.putTile(tile.z, tile.x, tile.y, data);
            tilesPerZoom.set(tile.z, (tilesPerZoom.get(tile.z) ?? 0) + 1);
            progress.advance();
          }
        } else if (reply.type === 'cut') {
          tilesReduced += reply.stats.tilesReduced;
          featuresDropped += reply.stats.featuresDropped;
          tilesLeftOut += reply.stats.tilesLeftOut;
        }
      },
      2,
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
    metadata.center = plan.center ?? [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, centerZoom(box, plan)];
  }
  return metadata;
}

/** The zoom at which the data's extent fills about one tile, within the archive's range. */
function centerZoom(box: ProjectedBox, plan: BuildPlan): number {
  const span = Math.max(box[2] - box[0], box[3] - box[1], 1e-9);
  return Math.max(plan.minzoom, Math.min(plan.maxzoom, Math.floor(Math.log2(1 / span))));
}
