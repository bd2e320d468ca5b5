// The vector build: stream every layer's features once into partition spill files, cut the partitions into
// tiles on all cores, and write them through the archive layer with metadata and a summary.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createArchive } from '../archive/open.js';
import type { ArchiveMetadata, LayerStats, VectorLayer } from '../archive/types.js';
import { InputError } from '../errors.js';
import type { BBox } from '../grid/webMercator.js';
import { silentProgress, type Progress } from '../progress.js';
import { openSource } from '../sources/open.js';
import type { FeatureProblem, FeatureSource, PropertyValue } from '../sources/types.js';
import { compileAttributeRules, FieldTypes } from './attributes.js';
import type { CutSettings, PartitionTask } from './cutPartition.js';
import { compileFilter, type FilterGeometryType } from './filter.js';
import {
  clipGeometry,
  geometryBox,
  projectGeometry,
  simplifyGeometry,
  unprojectX,
  unprojectY,
  type ProjectedBox,
  type ProjectedGeometry,
} from './geometry.js';
import { choosePartitionZoom, EXTENT, type BuildPlan, type LayerPlan } from './plan.js';
import { encodeRecord, PartitionSpill } from './spill.js';
import { PROBLEM_EXAMPLES, type BuildSummary, type LayerSummary } from './summary.js';
import { defaultWorkerCount, runPartitions } from './workerPool.js';

export interface BuildOptions {
  progress?: Progress;
  /** How a source path is opened (tests substitute in-memory sources). */
  openSource?: (path: string) => Promise<FeatureSource>;
  /** Worker threads; default one a core. */
  workers?: number;
  /** Where spill files go; default the system temp folder. */
  tempFolder?: string;
  gzipLevel?: number;
}

const GEOMETRY_NAMES: Record<ProjectedGeometry['kind'], FilterGeometryType> = { 1: 'Point', 2: 'LineString', 3: 'Polygon' };

interface PartitionInfo {
  key: string;
  z: number;
  x: number;
  y: number;
  /** Zooms this partition's tiles cover. */
  minzoom: number;
  maxzoom: number;
  box: ProjectedBox;
}

/**
 * A band of zooms cut from partitions at its first zoom. The deepest band starts at the partition zoom and
 * keeps full detail; each band below it spans three zooms and holds features pre-simplified for its last
 * zoom, so the low zooms never need one index over the whole dataset at full detail.
 */
interface Band {
  start: number;
  end: number;
  /** Squared Douglas–Peucker tolerance in projected units per layer; undefined for the full-detail band. */
  sqTolerance?: number[];
}

export function zoomBands(plan: Pick<BuildPlan, 'minzoom' | 'maxzoom' | 'partitionZoom' | 'layers'>): Band[] {
  const partitionZoom = choosePartitionZoom(plan);
  const starts = [partitionZoom];
  while (starts[0] - BAND_SPAN > plan.minzoom) starts.unshift(starts[0] - BAND_SPAN);
  if (starts[0] > plan.minzoom) starts.unshift(plan.minzoom);
  return starts.map((start, i) => {
    const end = i + 1 < starts.length ? starts[i + 1] - 1 : plan.maxzoom;
    if (i + 1 === starts.length) return { start, end };
    return { start, end, sqTolerance: plan.layers.map((layer) => (layer.tolerance / (EXTENT * 2 ** end)) ** 2) };
  });
}

const BAND_SPAN = 3;

export async function buildVectorTiles(plan: BuildPlan, options: BuildOptions = {}): Promise<BuildSummary> {
  const started = Date.now();
  const progress = options.progress ?? silentProgress;
  const open = options.openSource ?? ((path: string) => openSource(path));
  if (plan.layers.length === 0) throw new InputError(plan.output, 'nothing to build: no layers');
  const partitionZoom = choosePartitionZoom(plan);
  const bands = zoomBands(plan);
  const archive = createArchive(plan.output);
  const spillFolder = mkdtempSync(join(options.tempFolder ?? tmpdir(), 'mekan-vector-'));
  try {
    const reading = await readLayers(plan, bands, spillFolder, open, progress);
    const tasks = partitionTasks(reading.partitions, reading.spillFiles);
    const settings: CutSettings = {
      layers: plan.layers.map(({ id, minzoom, maxzoom, tolerance, rank }) => ({ id, minzoom, maxzoom, tolerance, rank })),
      buffer: plan.buffer,
      maxTileBytes: plan.maxTileBytes,
      gzipLevel: options.gzipLevel ?? 6,
    };

    const tilesPerZoom = new Map<number, number>();
    let tilesReduced = 0;
    let featuresDropped = 0;
    let tilesLeftOut = 0;
    progress.stage(`tiling z${plan.minzoom}–${plan.maxzoom}`, estimateTiles(tasks, reading.partitions));
    await runPartitions(tasks, settings, options.workers ?? defaultWorkerCount(), {
      onTile(tile) {
        archive.putTile(tile.z, tile.x, tile.y, Buffer.from(tile.data.buffer, tile.data.byteOffset, tile.data.byteLength));
        tilesPerZoom.set(tile.z, (tilesPerZoom.get(tile.z) ?? 0) + 1);
        progress.advance();
      },
      onTaskDone(_task, stats) {
        tilesReduced += stats.tilesReduced;
        featuresDropped += stats.featuresDropped;
        tilesLeftOut += stats.tilesLeftOut;
      },
    });
    progress.end();

    archive.setMetadata(buildMetadata(plan, reading));
    const uniqueTiles = archive.uniqueTiles;
    const tilesWritten = archive.tilesWritten;
    archive.finish();
    return {
      output: plan.output,
      layers: reading.layers,
      tilesPerZoom: [...tilesPerZoom.entries()].sort(([a], [b]) => a - b).map(([zoom, tiles]) => ({ zoom, tiles })),
      tilesWritten,
      uniqueTiles,
      tilesReduced,
      featuresDropped,
      tilesLeftOut,
      partitions: tasks.length,
      partitionZoom,
      archiveBytes: statSync(plan.output).size,
      seconds: (Date.now() - started) / 1000,
    };
  } catch (error) {
    archive.abort();
    progress.end();
    throw error;
  } finally {
    rmSync(spillFolder, { recursive: true, force: true });
  }
}

interface ReadResult {
  layers: LayerSummary[];
  fields: Record<string, string>[];
  /** Data bounds in projected units, over all layers. */
  box: ProjectedBox;
  partitions: Map<string, PartitionInfo>;
  spillFiles: Map<string, string>;
}

async function readLayers(
  plan: BuildPlan,
  bands: Band[],
  spillFolder: string,
  open: (path: string) => Promise<FeatureSource>,
  progress: Progress,
): Promise<ReadResult> {
  const spill = new PartitionSpill(spillFolder);
  const partitions = new Map<string, PartitionInfo>();
  const box: ProjectedBox = [Infinity, Infinity, -Infinity, -Infinity];
  const summaries: LayerSummary[] = [];
  const fields: Record<string, string>[] = [];

  const place = (band: Band, x: number, y: number, record: Buffer, part: ProjectedBox) => {
    const key = `${band.start}/${x}/${y}`;
    spill.add(key, record);
    let info = partitions.get(key);
    if (!info) {
      info = { key, z: band.start, x, y, minzoom: band.start, maxzoom: band.end, box: [Infinity, Infinity, -Infinity, -Infinity] };
      partitions.set(key, info);
    }
    extendBox(info.box, part);
  };

  // Descends the quadtree from the world tile to the band's first zoom, clipping only where a geometry spans
  // several children: every vertex is clipped once per level, not once per partition it touches. Features are
  // cut a little wider than their partition tile (twice the tile buffer at that zoom), so geojson-vt sees
  // everything any tile of the partition draws in its buffer.
  const distribute = (band: Band, layer: number, minzoom: number, props: Buffer, geometry: ProjectedGeometry, part: ProjectedBox, z: number, x: number, y: number) => {
    if (z === band.start) {
      place(band, x, y, encodeRecord(layer, minzoom, props, geometry), part);
      return;
    }
    const margin = (2 * plan.buffer) / EXTENT / 2 ** band.start;
    const childSize = 1 / 2 ** (z + 1);
    for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
      const cx = 2 * x + dx;
      const cy = 2 * y + dy;
      const clip: ProjectedBox = [cx * childSize - margin, cy * childSize - margin, (cx + 1) * childSize + margin, (cy + 1) * childSize + margin];
      if (part[2] < clip[0] || part[0] > clip[2] || part[3] < clip[1] || part[1] > clip[3]) continue;
      const inside = part[0] >= clip[0] && part[2] <= clip[2] && part[1] >= clip[1] && part[3] <= clip[3];
      const clipped = inside ? geometry : clipGeometry(geometry, clip);
      if (clipped) distribute(band, layer, minzoom, props, clipped, inside ? part : geometryBox(clipped), z + 1, cx, cy);
    }
  };

  for (const [layerIndex, layer] of plan.layers.entries()) {
    const summary: LayerSummary = { id: layer.id, featuresRead: 0, featuresSkipped: 0, featuresFiltered: 0, featuresWritten: 0, geometryTypes: [], problems: [] };
    summaries.push(summary);
    const fieldTypes = new FieldTypes();
    const geometryTypes = new Set<FilterGeometryType>();
    const filter = layer.filter ? compileFilter(layer.filter) : undefined;
    const transform = compileAttributeRules(layer.attributes);
    const layerBands = bands.filter((band) => band.start <= layer.maxzoom && band.end >= layer.minzoom);
    const onProblem = (problem: FeatureProblem) => {
      summary.featuresRead++;
      summary.featuresSkipped++;
      if (summary.problems.length < PROBLEM_EXAMPLES) summary.problems.push(problem);
      if (plan.strict) throw new InputError(`${problem.file}: ${problem.where}`, `${problem.reason} (--strict stops at any bad feature)`);
    };

    progress.stage(`reading ${layer.id}`);
    for (const path of layer.sources) {
      const source = await open(path);
      for await (const feature of source.features(onProblem)) {
        summary.featuresRead++;
        progress.advance();
        const parts = projectGeometry(feature.geometry);
        if (parts.length === 0) {
          onProblem({ file: source.path, where: feature.where, reason: 'empty geometry' });
          continue;
        }
        const geometryType = GEOMETRY_NAMES[parts[0].kind];
        if (filter && !filter(feature.properties, geometryType)) {
          summary.featuresFiltered++;
          continue;
        }
        const properties = transform(feature.properties);
        const minzoom = featureMinzoom(layer, properties);
        if (minzoom > layer.maxzoom) {
          summary.featuresFiltered++;
          continue;
        }
        summary.featuresWritten++;
        fieldTypes.add(properties);
        const props = Buffer.from(JSON.stringify(properties));
        for (const part of parts) {
          geometryTypes.add(GEOMETRY_NAMES[part.kind]);
          const partBox = geometryBox(part);
          extendBox(box, partBox);
          for (const band of layerBands) {
            if (minzoom > band.end) continue;
            const geometry = band.sqTolerance ? simplifyGeometry(part, band.sqTolerance[layerIndex]) : part;
            if (geometry) distribute(band, layerIndex, minzoom, props, geometry, geometry === part ? partBox : geometryBox(geometry), 0, 0, 0);
          }
        }
      }
    }
    summary.geometryTypes = [...geometryTypes];
    fields.push(fieldTypes.toRecord());
    progress.end();
  }
  const spillFiles = new Map(spill.finish().map((file) => [file.key, file.path]));
  return { layers: summaries, fields, box, partitions, spillFiles };
}

/** A feature's first zoom from the layer's zoomField (Natural Earth's fractional `min_zoom` shows from its floor). */
function featureMinzoom(layer: LayerPlan, properties: Record<string, PropertyValue>): number {
  if (!layer.zoomField) return 0;
  const value = properties[layer.zoomField];
  if (typeof value !== 'number' || !Number.isFinite(value)) return 0;
  return Math.max(0, Math.min(255, Math.floor(value)));
}

function partitionTasks(partitions: Map<string, PartitionInfo>, spillFiles: Map<string, string>): PartitionTask[] {
  const tasks: PartitionTask[] = [...partitions.values()].map((info, id) => ({
    id,
    key: info.key,
    spillPath: spillFiles.get(info.key) as string,
    z: info.z,
    x: info.x,
    y: info.y,
    minzoom: info.minzoom,
    maxzoom: info.maxzoom,
  }));
  // The biggest partitions first: the slowest work starts earliest and the pool ends together.
  const sizes = new Map(tasks.map((task) => [task.id, statSync(task.spillPath).size]));
  return tasks.sort((a, b) => (sizes.get(b.id) as number) - (sizes.get(a.id) as number));
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

function buildMetadata(plan: BuildPlan, reading: ReadResult): ArchiveMetadata {
  const vectorLayers: VectorLayer[] = plan.layers.map((layer, i) => ({
    id: layer.id,
    ...(layer.description ? { description: layer.description } : {}),
    minzoom: layer.minzoom,
    maxzoom: layer.maxzoom,
    fields: reading.fields[i],
  }));
  const layerStats: LayerStats[] = reading.layers.map((layer, i) => ({
    layer: layer.id,
    count: layer.featuresWritten,
    geometry: layer.geometryTypes.length === 1 ? layer.geometryTypes[0] : layer.geometryTypes.length ? 'Mixed' : 'Unknown',
    attributeCount: Object.keys(reading.fields[i]).length,
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
  const box = reading.box;
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

function extendBox(box: ProjectedBox, part: ProjectedBox): void {
  if (part[0] < box[0]) box[0] = part[0];
  if (part[1] < box[1]) box[1] = part[1];
  if (part[2] > box[2]) box[2] = part[2];
  if (part[3] > box[3]) box[3] = part[3];
}
