// The raster build: GeoTIFFs → a raster tile archive. Max-zoom blocks are warped in worker threads; the zooms below
// the block zoom are averaged here from the blocks' raw tiles, in quadtree order, as soon as all four children are in.
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, extname } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { buildWorkersDone, startBuildWorker } from '../buildThreads.js';
import { archiveGrid, createArchive } from '../archive/open.js';
import type { TileFormat } from '../archive/types.js';
import { InputError, isInputError, messageOf } from '../errors.js';
import { isWebMercator, levelForCellSize, levelForExtent, tileBoundsInCrs, tileRangeInCrs, WEB_MERCATOR_QUAD_ID, type TileGrid } from '../grid/tileMatrixSets.js';
import { lonLatToMercator, mercatorToLonLat, type BBox, type TileCoord } from '../grid/webMercator.js';
import { fewerZoomsHint, largeBuildNote, silentProgress, type Progress } from '../progress.js';
import { coverageOf, downsampleChildren } from './pyramid.js';
import { openRasterSource, type SourceOptions } from './source.js';
import type { BlockResult, BlockTask, RasterSource, RasterTileFormat, Resampling, WorkerMessage, WorkerSetup } from './types.js';

/** A block is the max-zoom tiles under one tile this many zooms up (8×8): one worker task. */
const BLOCK_LEVELS = 3;

export interface RasterBuildOptions extends SourceOptions {
  inputs: string[];
  output: string;
  format?: RasterTileFormat;
  quality?: number;
  minzoom?: number;
  maxzoom?: number;
  resampling?: Resampling;
  /** Go on without inputs that cannot be read, and report them. */
  skipBad?: boolean;
  name?: string;
  attribution?: string;
  description?: string;
  type?: 'baselayer' | 'overlay';
  tms?: string;
  /** Only the tiles that touch this box (W,S,E,N in degrees). */
  bbox?: BBox;
  /** JPEG background for transparent pixels (default white). */
  background?: [number, number, number];
  workers?: number;
  progress?: Progress;
}

export interface RasterBuildSummary {
  output: string;
  minzoom: number;
  maxzoom: number;
  sources: number;
  /** Tiles written per zoom. */
  tilesPerZoom: Record<number, number>;
  /** Tiles inside the data's footprint that came out fully transparent and were not written. */
  emptySkipped: number;
  tilesWritten: number;
  uniqueTiles: number;
  archiveBytes: number;
  seconds: number;
  skipped: { path: string; reason: string }[];
  bounds: BBox;
  /** The datum transformations to WGS 84 used, one line each (`EPSG:5882 SAD69 to WGS 84 (16), 5 m: 2 sources`). */
  datumTransforms: string[];
}

const ARCHIVE_FORMATS: Record<RasterTileFormat, TileFormat> = { webp: 'webp', jpeg: 'jpg', png: 'png' };

/**
 * `--bbox`: each source's footprint shrinks to the box, so that only tiles touching it are planned and made
 * (edge tiles are drawn whole); sources outside it are left out.
 */
function clipToBBox(sources: RasterSource[], bbox: BBox, grid: TileGrid): void {
  if (!isWebMercator(grid)) throw new InputError('--bbox', `works with ${WEB_MERCATOR_QUAD_ID} only for now, not ${grid.id}`);
  const [west, south] = lonLatToMercator(bbox[0], bbox[1]);
  const [east, north] = lonLatToMercator(bbox[2], bbox[3]);
  const inside = sources.filter((source) => {
    const [w, s, e, n] = source.gridBBox;
    source.gridBBox = [Math.max(w, west), Math.max(s, south), Math.min(e, east), Math.min(n, north)];
    return source.gridBBox[0] < source.gridBBox[2] && source.gridBBox[1] < source.gridBBox[3];
  });
  if (inside.length === 0) throw new InputError('--bbox', `${bbox.join(',')} does not overlap the input imagery`);
  sources.splice(0, sources.length, ...inside);
}

/** A batch stopped by one bad file: say how to go on without it. */
function withSkipBadHint(error: InputError): InputError {
  return new InputError(error.subject, `${error.message.slice(error.subject ? error.subject.length + 2 : 0)}; --skip-bad builds without the inputs that cannot be read and lists them`);
}

export async function buildRaster(options: RasterBuildOptions): Promise<RasterBuildSummary> {
  const started = Date.now();
  const progress = options.progress ?? silentProgress;
  const tms = options.tms ?? WEB_MERCATOR_QUAD_ID;
  const grid = archiveGrid(options.output, { tileMatrixSet: tms });
  if (options.inputs.length === 0) throw new InputError('mekan build raster', 'no input GeoTIFF given');
  const format = options.format ?? 'webp';
  const quality = options.quality ?? (format === 'png' ? 100 : 85);
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw new InputError('--quality', `expected an integer 1..100, got ${quality}`);

  // Workers load their modules (sharp, geotiff.js, proj4) while this thread reads the headers.
  const pool = spawnWorkers(options.workers ?? availableParallelism());
  try {
    return await build({ ...options, tms }, grid, progress, started, format, quality, pool);
  } finally {
    buildWorkersDone();
    await Promise.all(pool.map((w) => w.terminate()));
  }
}

async function build(options: RasterBuildOptions, grid: TileGrid, progress: Progress, started: number, format: RasterTileFormat, quality: number, pool: Worker[]): Promise<RasterBuildSummary> {
  progress.stage('reading headers', options.inputs.length);
  const sources: RasterSource[] = [];
  const skipped: { path: string; reason: string }[] = [];
  const bandNotes = new Set<string>();
  for (const path of options.inputs) {
    try {
      const source = await openRasterSource(path, { ...options, tileMatrixSet: grid.id });
      sources.push(source);
      // Once per kind of file, not once per file of a batch of hundreds.
      const kind = source.bandChoice?.slice(path.length);
      if (kind && !bandNotes.has(kind)) {
        bandNotes.add(kind);
        progress.note(`${source.bandChoice}${options.inputs.length > 1 ? ' (said once for all inputs alike)' : ''}`);
      }
    } catch (error) {
      if (isInputError(error) && !options.skipBad && options.inputs.length > 1) throw withSkipBadHint(error);
      if (!options.skipBad || !isInputError(error)) throw error;
      skipped.push({ path, reason: error.message });
      progress.note(`skipped ${error.message}`);
    }
    progress.advance();
  }
  progress.end();
  if (sources.length === 0) throw new InputError('mekan build raster', `none of the ${options.inputs.length} input(s) could be read`);

  if (options.bbox) clipToBBox(sources, options.bbox, grid);
  const footprint = unionBBox(sources.map((s) => s.gridBBox));
  const maxzoom = options.maxzoom ?? levelForCellSize(grid, Math.min(...sources.map((s) => s.gridPixelSize)));
  const minzoom = options.minzoom ?? Math.min(maxzoom, levelForExtent(grid, Math.max(footprint[2] - footprint[0], footprint[3] - footprint[1])));
  if (minzoom > maxzoom) throw new InputError('--minzoom', `minzoom ${minzoom} is above maxzoom ${maxzoom}`);
  for (const [flag, level] of [['--minzoom', minzoom], ['--maxzoom', maxzoom]] as const) {
    if (!grid.matrix(level)) throw new InputError(flag, `${grid.id} has tile matrices ${grid.firstLevel}–${grid.lastLevel}, not ${level}`);
  }
  const blockZoom = Math.max(minzoom, maxzoom - BLOCK_LEVELS);
  // Web Mercator bounds stay what they were (the footprint's corners); other grids take the sources' own outlines.
  const bounds = isWebMercator(grid) ? lonLatBBox(footprint) : unionBBox(sources.map((s) => s.lonLatBBox));

  const setup: WorkerSetup = {
    tileMatrixSet: grid.id,
    sources,
    minzoom,
    maxzoom,
    resampling: options.resampling ?? 'bilinear',
    format,
    quality,
    background: options.background ?? [255, 255, 255],
    skipBad: options.skipBad ?? false,
  };
  const tasks = blockTasks(grid, sources, blockZoom, blockZoom > minzoom);
  const archive = createArchive(options.output, { tileMatrixSet: grid.id });
  const tilesPerZoom: Record<number, number> = {};
  let emptySkipped = 0;
  try {
    const put = (z: number, x: number, y: number, data: Uint8Array) => {
      archive.putTile(z, x, y, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      tilesPerZoom[z] = (tilesPerZoom[z] ?? 0) + 1;
    };
    const pyramid = new PyramidBelowBlocks(tasks, blockZoom, minzoom, setup, put, () => emptySkipped++);
    const maxzoomTiles = tasks.reduce((sum, t) => sum + maxzoomTilesUnder(grid, t, maxzoom, footprint), 0);
    const large = largeBuildNote(Math.round((maxzoomTiles * 4) / 3), minzoom, maxzoom);
    if (large) progress.note(large);
    progress.stage(`tiling z${minzoom}–${maxzoom} (max-zoom tiles)`, maxzoomTiles, { slowHint: `a long build: ${fewerZoomsHint(maxzoom)}` });
    await runWorkers(pool, tasks, setup, (task, result) => {
      for (const tile of result.tiles) put(tile.z, tile.x, tile.y, tile.data);
      for (const count of Object.values(result.empty)) emptySkipped += count;
      for (const bad of result.skipped) {
        skipped.push(bad);
        progress.note(`skipped ${bad.reason} (tiles already made keep its pixels)`);
      }
      pyramid.childDone(task, result.raw);
      progress.advance(maxzoomTilesUnder(grid, task, maxzoom, footprint));
    });
    await pyramid.drain();
    progress.end();

    archive.setMetadata({
      name: options.name ?? basename(options.output, extname(options.output)),
      format: ARCHIVE_FORMATS[format],
      minzoom,
      maxzoom,
      bounds,
      center: [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, Math.min(maxzoom, minzoom + 2)],
      attribution: options.attribution,
      description: options.description ?? `Imagery from ${sources.map((s) => basename(s.path)).join(', ')}`.slice(0, 500),
      type: options.type ?? 'baselayer',
      ...(isWebMercator(grid) ? {} : { tileMatrixSet: grid.id, crsBounds: footprint }),
    });
    const uniqueTiles = archive.uniqueTiles;
    const tilesWritten = archive.tilesWritten;
    archive.finish();
    return {
      output: options.output,
      minzoom,
      maxzoom,
      sources: sources.length,
      tilesPerZoom,
      emptySkipped,
      tilesWritten,
      uniqueTiles,
      archiveBytes: statSync(options.output).size,
      seconds: (Date.now() - started) / 1000,
      skipped,
      bounds,
      datumTransforms: datumLines(sources),
    };
  } catch (error) {
    archive.abort();
    throw error;
  }
}

function datumLines(sources: RasterSource[]): string[] {
  const counts = new Map<string, number>();
  for (const { crs } of sources) {
    if (!crs.datumTransform) continue;
    const line = `EPSG:${crs.datumTransform.code} ${crs.datumTransform.name}, ${crs.datumTransform.accuracy} m`;
    counts.set(line, (counts.get(line) ?? 0) + 1);
  }
  return [...counts].map(([line, count]) => `${line}: ${count} source${count === 1 ? '' : 's'}`);
}

function unionBBox(boxes: BBox[]): BBox {
  return boxes.reduce<BBox>((u, b) => [Math.min(u[0], b[0]), Math.min(u[1], b[1]), Math.max(u[2], b[2]), Math.max(u[3], b[3])], [Infinity, Infinity, -Infinity, -Infinity]);
}

function lonLatBBox(mercator: BBox): BBox {
  const [west, south] = mercatorToLonLat(mercator[0], mercator[1]);
  const [east, north] = mercatorToLonLat(mercator[2], mercator[3]);
  return [west, south, east, north];
}

function intersects(a: BBox, b: BBox): boolean {
  return a[0] < b[2] && a[2] > b[0] && a[1] < b[3] && a[3] > b[1];
}

/** Block tiles touching any source, in Morton (Z) order so that siblings finish close together. */
function blockTasks(grid: TileGrid, sources: RasterSource[], blockZoom: number, wantRaw: boolean): BlockTask[] {
  const seen = new Set<string>();
  const tiles: TileCoord[] = [];
  for (const source of sources) {
    const range = tileRangeInCrs(grid, blockZoom, source.gridBBox);
    for (let x = range.minX; x <= range.maxX; x++) {
      for (let y = range.minY; y <= range.maxY; y++) {
        const key = `${x}/${y}`;
        if (seen.has(key) || !intersects(tileBoundsInCrs(grid, blockZoom, x, y), source.gridBBox)) continue;
        seen.add(key);
        tiles.push({ z: blockZoom, x, y });
      }
    }
  }
  tiles.sort((a, b) => morton(a.x, a.y) - morton(b.x, b.y));
  return tiles.map((t, id) => ({ id, z: t.z, x: t.x, y: t.y, wantRaw }));
}

function morton(x: number, y: number): number {
  let code = 0;
  for (let bit = 0; bit < 26; bit++) code += (((x >> bit) & 1) * 2 + ((y >> bit) & 1)) * 4 ** bit;
  return code;
}

function maxzoomTilesUnder(grid: TileGrid, task: BlockTask, maxzoom: number, footprint: BBox): number {
  const shift = maxzoom - task.z;
  const range = tileRangeInCrs(grid, maxzoom, footprint);
  const minX = Math.max(range.minX, task.x << shift);
  const maxX = Math.min(range.maxX, ((task.x + 1) << shift) - 1);
  const minY = Math.max(range.minY, task.y << shift);
  const maxY = Math.min(range.maxY, ((task.y + 1) << shift) - 1);
  return Math.max(0, maxX - minX + 1) * Math.max(0, maxY - minY + 1);
}

/**
 * Zooms below the block zoom: each tile waits for its children that touch the data, then is averaged, encoded and
 * written, and its raw pixels wait in its parent until that completes. Memory: a few tiles per pending parent.
 */
class PyramidBelowBlocks {
  private readonly pending = new Map<string, { expected: number; received: number; children: (Uint8Array | null)[] }>();
  private readonly work: Promise<void>[] = [];
  private failure: unknown;

  constructor(
    tasks: BlockTask[],
    private readonly blockZoom: number,
    private readonly minzoom: number,
    private readonly setup: WorkerSetup,
    private readonly put: (z: number, x: number, y: number, data: Uint8Array) => void,
    private readonly countEmpty: () => void,
  ) {
    let level = tasks.map((t) => ({ x: t.x, y: t.y }));
    for (let z = blockZoom - 1; z >= minzoom; z--) {
      const parents = new Map<string, { x: number; y: number }>();
      for (const child of level) {
        const key = `${z}/${child.x >> 1}/${child.y >> 1}`;
        const entry = this.pending.get(key);
        if (entry) entry.expected++;
        else {
          this.pending.set(key, { expected: 1, received: 0, children: [null, null, null, null] });
          parents.set(key, { x: child.x >> 1, y: child.y >> 1 });
        }
      }
      level = [...parents.values()];
    }
  }

  childDone(tile: TileCoord, raw: Uint8Array | null): void {
    if (tile.z <= this.minzoom) return;
    const z = tile.z - 1;
    const x = tile.x >> 1;
    const y = tile.y >> 1;
    const key = `${z}/${x}/${y}`;
    const entry = this.pending.get(key);
    if (!entry) throw new Error(`pyramid: unexpected child ${tile.z}/${tile.x}/${tile.y}`);
    entry.children[(tile.y & 1) * 2 + (tile.x & 1)] = raw;
    entry.received++;
    if (entry.received < entry.expected) return;
    this.pending.delete(key);
    const children = entry.children;
    this.work.push(
      this.complete({ z, x, y }, children).catch((error: unknown) => {
        this.failure ??= error;
      }),
    );
  }

  async drain(): Promise<void> {
    // Completing a tile may queue its parent: keep awaiting until nothing new was queued.
    for (let done = 0; done < this.work.length; done++) await this.work[done];
    if (this.failure) throw this.failure;
    if (this.pending.size > 0 && this.blockZoom > this.minzoom) throw new Error(`pyramid: ${this.pending.size} tiles never completed`);
  }

  private async complete(tile: TileCoord, children: (Uint8Array | null)[]): Promise<void> {
    let raw: Uint8Array | null = children.some((c) => c !== null) ? downsampleChildren(children) : null;
    const coverage = raw ? coverageOf(raw) : 'empty';
    if (raw && coverage !== 'empty') {
      // Loaded here, not at the top: the main thread then loads sharp while the workers load theirs.
      const { encodeTile } = await import('./encode.js');
      const data = await encodeTile(raw, coverage, this.setup, this.setup.sources.every((s) => s.colorBands.length === 1));
      this.put(tile.z, tile.x, tile.y, data);
    } else {
      raw = null;
      this.countEmpty();
    }
    this.childDone(tile, raw);
  }
}

function spawnWorkers(count: number): Worker[] {
  return Array.from({ length: Math.max(1, count) }, () => {
    // geotiff.js loads web-worker, whose Node shim expects an object in workerData on any non-main thread.
    const worker = startBuildWorker(new URL('./warpWorker.js', import.meta.url), { workerData: {} });
    // Until runWorkers listens, a crash must not go unhandled; runWorkers reports it through its own listener.
    worker.on('error', () => {});
    return worker;
  });
}

/**
 * Hands tasks to the warp workers, one at a time each, calling onResult on this thread as results arrive.
 * Each worker walks its own contiguous stretch of the Morton order, so it reuses the source blocks it has decoded;
 * a worker that runs out takes the last task of the longest remaining stretch.
 */
async function runWorkers(pool: Worker[], tasks: BlockTask[], setup: WorkerSetup, onResult: (task: BlockTask, result: BlockResult) => void): Promise<void> {
  if (tasks.length === 0) return;
  const workers = pool.slice(0, Math.min(pool.length, tasks.length));
  const count = workers.length;
  const stretches = Array.from({ length: count }, (_, i) => tasks.slice(Math.floor((i * tasks.length) / count), Math.floor(((i + 1) * tasks.length) / count)));
  const nextTask = (worker: number): BlockTask | undefined => {
    if (stretches[worker].length > 0) return stretches[worker].shift();
    const longest = stretches.reduce((a, b) => (b.length > a.length ? b : a));
    return longest.pop();
  };
  await new Promise<void>((resolve, reject) => {
    let finished = 0;
    let failed = false;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      reject(error);
    };
    workers.forEach((worker, i) => {
      const feed = () => {
        const task = nextTask(i);
        if (task) worker.postMessage({ kind: 'task', task });
      };
      worker.on('message', (message: WorkerMessage) => {
        if (failed) return;
        if (message.kind === 'error') {
          const error = message.input ? new InputError(message.path, message.path ? message.message.slice(message.path.length + 2) : message.message) : new Error(`warp worker: ${message.message}`);
          fail(isInputError(error) && !setup.skipBad && setup.sources.length > 1 ? withSkipBadHint(error) : error);
          return;
        }
        try {
          onResult(tasks[message.result.id], message.result);
        } catch (error) {
          fail(error);
          return;
        }
        if (++finished === tasks.length) resolve();
        else feed();
      });
      worker.on('error', (error) => fail(new Error(`warp worker crashed: ${messageOf(error)}`)));
      worker.on('exit', (code) => fail(new Error(`warp worker exited (${code}) before the build was done`)));
      worker.postMessage({ kind: 'setup', setup });
      feed();
    });
  });
}
