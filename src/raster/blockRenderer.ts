// Renders one block: the max-zoom tiles under a tile of the block zoom, warped from the sources, then the levels
// between them by 2×2 averaging, depth first so that only one path of raw tiles is held at a time.
import { isInputError, messageOf } from '../errors.js';
import type { PointTransform } from '../crs/resolve.js';
import { gridCrsDefinition } from '../crs/resolve.js';
import { tileBoundsInCrs, tileGrid, type TileGrid } from '../grid/tileMatrixSets.js';
import { childTiles } from '../grid/webMercator.js';
import { encodeTile } from './encode.js';
import { coverageOf, downsampleChildren } from './pyramid.js';
import { compositeOver, kernelRadius, resampleInto } from './resample.js';
import { gridToSourcePixel, tilePixelMap } from './transformGrid.js';
import { TILE_SIZE, type BlockResult, type BlockTask, type RasterSource, type WorkerSetup } from './types.js';
import { WindowReader } from './windowReader.js';

const MAX_ENCODES_IN_FLIGHT = 3;
/**
 * Sources a worker keeps open (each holds a file descriptor and geotiff.js's parsed header); a mosaic of
 * thousands of files is read a few neighbours at a time, so the rest are closed and reopened if needed again.
 */
const MAX_OPEN_SOURCES = 32;

export class BlockRenderer {
  private readonly setup: WorkerSetup;
  private readonly grid: TileGrid;
  private readonly gridDefinition: string;
  private readonly readers = new Map<string, Promise<WindowReader>>();
  private readonly transforms = new Map<string, PointTransform>();
  private readonly bad = new Set<string>();
  /** Reused for every tile: a fresh 1 MiB array per tile only feeds the garbage collector. */
  private readonly coords = new Float64Array(TILE_SIZE * TILE_SIZE * 2);

  /** Every source is single-band, so every tile is grey. */
  private readonly grey: boolean;

  constructor(setup: WorkerSetup) {
    this.setup = setup;
    this.grid = tileGrid(setup.tileMatrixSet)!;
    this.gridDefinition = gridCrsDefinition(this.grid.epsg);
    this.grey = setup.sources.every((s) => s.colorBands.length === 1);
  }

  async renderBlock(task: BlockTask): Promise<BlockResult> {
    const result: BlockResult = { id: task.id, tiles: [], empty: {}, raw: null, skipped: [] };
    const encoding = new Set<Promise<void>>();
    const raw = await this.render(task.z, task.x, task.y, result, encoding);
    // Encoding runs on libuv's threads while this thread warps the next tiles; collect it all before replying.
    await Promise.all(encoding);
    if (task.wantRaw) result.raw = raw;
    return result;
  }

  async close(): Promise<void> {
    for (const reader of this.readers.values()) await (await reader).close();
    this.readers.clear();
  }

  /** Sources (in mosaic order) whose footprint touches the tile. */
  private sourcesFor(z: number, x: number, y: number): RasterSource[] {
    const [west, south, east, north] = tileBoundsInCrs(this.grid, z, x, y);
    return this.setup.sources.filter((s) => {
      const [w, s2, e, n] = s.gridBBox;
      return !this.bad.has(s.path) && w < east && e > west && s2 < north && n > south;
    });
  }

  private async render(z: number, x: number, y: number, result: BlockResult, encoding: Set<Promise<void>>): Promise<Uint8Array | null> {
    if (this.sourcesFor(z, x, y).length === 0) return null;
    let rgba: Uint8Array | null;
    if (z === this.setup.maxzoom) {
      rgba = await this.warp(z, x, y, result);
    } else {
      const children: (Uint8Array | null)[] = [];
      for (const child of childTiles({ z, x, y })) children.push(await this.render(child.z, child.x, child.y, result, encoding));
      rgba = children.some((c) => c !== null) ? downsampleChildren(children) : null;
    }
    const coverage = rgba ? coverageOf(rgba) : 'empty';
    if (!rgba || coverage === 'empty') {
      result.empty[z] = (result.empty[z] ?? 0) + 1;
      return null;
    }
    // A few encodes in flight overlap with warping; more would only queue in libuv's pool ahead of file reads.
    while (encoding.size >= MAX_ENCODES_IN_FLIGHT) await Promise.race(encoding);
    const encoded: Promise<void> = encodeTile(rgba, coverage, this.setup, this.grey).then((data) => {
      // A copy owns its ArrayBuffer, so it can be transferred to the main thread (sharp's may be external memory).
      result.tiles.push({ z, x, y, data: new Uint8Array(data) });
      encoding.delete(encoded);
    });
    encoding.add(encoded);
    return rgba;
  }

  /** Warps every source touching the tile into it; later sources are drawn over earlier ones. */
  private async warp(z: number, x: number, y: number, result: BlockResult): Promise<Uint8Array | null> {
    let tile: Uint8Array | null = null;
    for (const source of this.sourcesFor(z, x, y)) {
      let layer: Uint8Array | null;
      try {
        layer = await this.warpSource(source, z, x, y);
      } catch (error) {
        if (!this.setup.skipBad || !isInputError(error)) throw error;
        this.bad.add(source.path);
        result.skipped.push({ path: source.path, reason: messageOf(error) });
        continue;
      }
      if (!layer) continue;
      if (!tile) tile = layer;
      else compositeOver(tile, layer);
    }
    return tile;
  }

  private async warpSource(source: RasterSource, z: number, x: number, y: number): Promise<Uint8Array | null> {
    let toSource = this.transforms.get(source.path);
    if (!toSource) {
      toSource = gridToSourcePixel(source, this.gridDefinition);
      this.transforms.set(source.path, toSource);
    }
    const { coords, bounds } = tilePixelMap(toSource, tileBoundsInCrs(this.grid, z, x, y), this.coords);
    // How many source pixels one tile pixel spans: kernels widen when the tile is coarser than the source.
    const centre = (128 * TILE_SIZE + 128) * 2;
    const spanX = Math.hypot(coords[centre + 2] - coords[centre], coords[centre + 3] - coords[centre + 1]);
    const spanY = Math.hypot(coords[centre + TILE_SIZE * 2] - coords[centre], coords[centre + TILE_SIZE * 2 + 1] - coords[centre + 1]);
    const scale = this.setup.resampling === 'nearest' ? 1 : Math.max(1, spanX, spanY);

    const [minX, minY, maxX, maxY] = bounds;
    const margin = Math.ceil(kernelRadius(this.setup.resampling) * scale) + 1;
    const x0 = Math.max(0, Math.floor(minX) - margin);
    const y0 = Math.max(0, Math.floor(minY) - margin);
    const x1 = Math.min(source.width, Math.ceil(maxX) + margin);
    const y1 = Math.min(source.height, Math.ceil(maxY) + margin);
    if (!(x0 < x1 && y0 < y1)) return null;

    const reader = await this.reader(source);
    const window = await reader.read(x0, y0, x1, y1);
    const layer = new Uint8Array(TILE_SIZE * TILE_SIZE * 4);
    const covered = resampleInto(layer, coords, window, source.width, source.height, this.setup.resampling, scale);
    return covered > 0 ? layer : null;
  }

  /** The source's reader, kept open among the most recently used MAX_OPEN_SOURCES; the least recent one closes. */
  private async reader(source: RasterSource): Promise<WindowReader> {
    let reader = this.readers.get(source.path);
    if (reader) {
      // Map keeps insertion order: re-inserting makes this the most recently used.
      this.readers.delete(source.path);
      this.readers.set(source.path, reader);
      return reader;
    }
    reader = WindowReader.open(source);
    this.readers.set(source.path, reader);
    if (this.readers.size > MAX_OPEN_SOURCES) {
      const [oldest, closing] = this.readers.entries().next().value as [string, Promise<WindowReader>];
      this.readers.delete(oldest);
      // A source that failed to open has nothing to close (its error was reported when it failed).
      await closing.then((old) => old.close(), () => undefined);
    }
    return reader;
  }
}
