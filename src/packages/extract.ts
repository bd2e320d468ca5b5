// Extract and merge: the tiles of several archives inside a box and zoom range, combined where they meet, into one archive.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { RangeTile, TileArchiveReader, TileArchiveWriter, TileFormat } from '../archive/types.js';
import { InputError } from '../errors.js';
import { bboxToTileRange, type BBox, type TileRange } from '../grid/webMercator.js';
import { combineTiles, type SourceTile } from './combineTiles.js';
import { outputMetadata, sourcesBounds } from './metadata.js';
import { readRange, resolveRegion, WORLD, type Region } from './ranges.js';

/** Rows read at once from one column: bounds memory (a world-wide column at z14 is 16,384 tiles) and the time between checks for an abort. */
const ROWS_PER_READ = 256;

export interface ExtractOptions {
  /** In order of precedence: where raster tiles overlap, the first wins; vector tiles are combined in this order. */
  sources: TileArchiveReader[];
  region: Region;
  output: TileArchiveWriter;
  /** Stops the work (e.g. the client went away): the output is discarded and the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  onProgress?(tilesWritten: number): void;
}

export interface ExtractSummary {
  bbox: BBox;
  minzoom: number;
  maxzoom: number;
  format: TileFormat;
  /** Tiles written, per zoom too. */
  tiles: number;
  tilesPerZoom: { zoom: number; tiles: number }[];
  /** Tiles of the output that several sources held (combined, or the first taken for raster). */
  combined: number;
  /** Distinct tile contents stored after deduplication. */
  uniqueTiles: number;
  /** Tile bytes written (each tile counted, as an estimate counts them). */
  bytes: number;
}

/** The one tile format every source has, or an input error naming two that differ. */
export function commonFormat(sources: TileArchiveReader[]): TileFormat {
  if (sources.length === 0) throw new InputError('', 'no archive given');
  const first = sources[0];
  for (const source of sources) {
    if (source.metadata.format !== first.metadata.format) {
      throw new InputError(source.path, `holds ${source.metadata.format} tiles, but ${first.path} holds ${first.metadata.format}; archives of one tile format only`);
    }
  }
  return first.metadata.format;
}

/** What an extract of `region` from `sources` covers: the box within the sources' bounds and the zooms within theirs. */
export function planExtract(sources: TileArchiveReader[], region: Region): { bbox: BBox; minzoom: number; maxzoom: number } {
  const metadata = sources.map((source) => source.metadata);
  const plan = resolveRegion(region, {
    bounds: sourcesBounds(metadata, WORLD),
    minzoom: Math.min(...metadata.map((m) => m.minzoom)),
    maxzoom: Math.max(...metadata.map((m) => m.maxzoom)),
  });
  if (!plan) {
    const names = sources.map((source) => source.path).join(', ');
    const zooms = `${Math.min(...metadata.map((m) => m.minzoom))}–${Math.max(...metadata.map((m) => m.maxzoom))}`;
    throw new InputError(names, `nothing to extract: the box or zooms asked for do not meet the archive${sources.length > 1 ? 's' : ''} (bounds ${sourcesBounds(metadata, WORLD).map((v) => +v.toFixed(4)).join(',')}, zooms ${zooms})`);
  }
  return plan;
}

/** Columns copied by one statement: bounds the time between checks for an abort (a z14 column of a country is ~500 tiles). */
const COLUMNS_PER_COPY = 64;

function* columnBlocks(range: TileRange): Generator<TileRange> {
  for (let x = range.minX; x <= range.maxX; x += COLUMNS_PER_COPY) yield { ...range, minX: x, maxX: Math.min(x + COLUMNS_PER_COPY - 1, range.maxX) };
}

/** The column slices of a tile range, `ROWS_PER_READ` rows each, west to east; north to south, or south first (TMS row order). */
export function* slices(range: TileRange, southFirst = false): Generator<TileRange> {
  for (let x = range.minX; x <= range.maxX; x++) {
    if (southFirst) {
      for (let y = range.maxY; y >= range.minY; y -= ROWS_PER_READ) yield { z: range.z, minX: x, maxX: x, minY: Math.max(y - ROWS_PER_READ + 1, range.minY), maxY: y };
    } else {
      for (let y = range.minY; y <= range.maxY; y += ROWS_PER_READ) yield { z: range.z, minX: x, maxX: x, minY: y, maxY: Math.min(y + ROWS_PER_READ - 1, range.maxY) };
    }
  }
}

/**
 * Reads a slice whole before anything else happens: an open SQLite cursor would keep the archive's connection busy
 * across the pauses below, and the server reads tiles through that same connection meanwhile.
 */
export async function readSlice(source: TileArchiveReader, slice: TileRange): Promise<RangeTile[]> {
  if (source.readRange) return [...source.readRange(slice)];
  const tiles: RangeTile[] = [];
  for await (const tile of readRange(source, slice)) tiles.push(tile);
  return tiles;
}

/** Copies the tiles of `region` from the sources into `output` (finished, or aborted on any failure). */
export async function extractTiles({ sources, region, output, signal, onProgress }: ExtractOptions): Promise<ExtractSummary> {
  try {
    const format = commonFormat(sources);
    const plan = planExtract(sources, region);
    const summary: ExtractSummary = { ...plan, format, tiles: 0, tilesPerZoom: [], combined: 0, uniqueTiles: 0, bytes: 0 };
    let sinceYield = 0;
    for (let z = plan.minzoom; z <= plan.maxzoom; z++) {
      const atZoom = sources.filter((source) => z >= source.metadata.minzoom && z <= source.metadata.maxzoom);
      const before = summary.tiles;
      const range = bboxToTileRange(plan.bbox, z);
      if (atZoom.length === 1 && output.canCopyFrom?.(atZoom[0]) && output.copyRange) {
        // One source the output can copy from inside SQLite: no tile passes through JavaScript.
        for (const block of columnBlocks(range)) {
          signal?.throwIfAborted();
          const copied = output.copyRange(atZoom[0], block);
          summary.tiles += copied.tiles;
          summary.bytes += copied.bytes;
          onProgress?.(summary.tiles);
          await nextTurn();
        }
        summary.tilesPerZoom.push({ zoom: z, tiles: summary.tiles - before });
        continue;
      }
      for (const slice of slices(range)) {
        signal?.throwIfAborted();
        if (atZoom.length === 1) {
          for (const tile of await readSlice(atZoom[0], slice)) {
            output.putTile(z, tile.x, tile.y, tile.data);
            summary.bytes += tile.data.length;
            summary.tiles++;
          }
        } else {
          // Several sources: the tiles of one slice grouped by row, in source order.
          const rows = new Map<number, SourceTile[]>();
          for (const source of atZoom) {
            for (const tile of await readSlice(source, slice)) {
              const list = rows.get(tile.y);
              const entry = { data: tile.data, source: source.path };
              if (list) list.push(entry);
              else rows.set(tile.y, [entry]);
            }
          }
          for (const [y, tiles] of rows) {
            const data = combineTiles(format, tiles, `tile ${z}/${slice.minX}/${y}`);
            if (tiles.length > 1) summary.combined++;
            output.putTile(z, slice.minX, y, data);
            summary.bytes += data.length;
            summary.tiles++;
          }
        }
        // Let the event loop run (other requests, a client's disconnect) every few thousand tiles.
        if (summary.tiles - sinceYield >= 2048) {
          sinceYield = summary.tiles;
          onProgress?.(summary.tiles);
          await nextTurn();
        }
      }
      summary.tilesPerZoom.push({ zoom: z, tiles: summary.tiles - before });
    }
    signal?.throwIfAborted();
    output.setMetadata(outputMetadata(sources.map((source) => source.metadata), plan.bbox, plan.minzoom, plan.maxzoom));
    summary.uniqueTiles = output.uniqueTiles;
    output.finish();
    onProgress?.(summary.tiles);
    return summary;
  } catch (error) {
    output.abort();
    throw error;
  }
}
