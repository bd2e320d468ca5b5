// The extract of one archive as an MBTiles file whose bytes come out while it is read (the HTTP download).
//
// Two passes over the same tiles in key order: the first reads only their sizes from the index and lays the file
// out (src/archive/mbtiles/streamedFile.ts); the second reads the data and emits the same pages as the consumer
// pulls them. Nothing lands on disk and memory holds one column slice and the pages not yet pulled.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { metadataToRows } from '../archive/mbtiles/metadata.js';
import { PAGE_SIZE, StreamedMBTiles, type StreamedLayout } from '../archive/mbtiles/streamedFile.js';
import type { TileArchiveReader } from '../archive/types.js';
import { bboxToTileRange, flipRow } from '../grid/webMercator.js';
import { planExtract, readSlice, slices } from './extract.js';
import { outputMetadata } from './metadata.js';
import type { Region } from './ranges.js';

/** Bytes gathered before a chunk goes out: a few pages per write, not one write per page. */
const CHUNK_BYTES = 64 * 1024;
/** Tiles between turns of the event loop (other requests, a client's disconnect). */
const TILES_PER_TURN = 2048;

export interface StreamedExtract {
  /** The file's size: its Content-Length. */
  bytes: number;
  tiles: number;
  /** The file, read from the source as it is pulled; stopping the pull (return, or `signal`) stops the reading. */
  chunks(signal?: AbortSignal): AsyncGenerator<Buffer>;
}

interface KeyedTile {
  z: number;
  column: number;
  /** TMS row, as the file's key holds it. */
  row: number;
  bytes: number;
  data?: Buffer;
}

/** The tiles of the plan in the file's key order (zoom, column, TMS row): sizes only, or with their data. */
async function* keyOrderedTiles(source: TileArchiveReader, plan: ReturnType<typeof planExtract>, withData: boolean, signal?: AbortSignal): AsyncGenerator<KeyedTile> {
  let sinceTurn = 0;
  for (let z = plan.minzoom; z <= plan.maxzoom; z++) {
    // South first: TMS rows count up from the south.
    for (const slice of slices(bboxToTileRange(plan.bbox, z), true)) {
      signal?.throwIfAborted();
      const tiles: KeyedTile[] = [];
      if (withData || !source.tileSizesInRange) {
        for (const tile of await readSlice(source, slice)) tiles.push({ z, column: tile.x, row: flipRow(z, tile.y), bytes: tile.data.length, data: withData ? tile.data : undefined });
      } else {
        for (const tile of source.tileSizesInRange(slice)) tiles.push({ z, column: tile.x, row: flipRow(z, tile.y), bytes: tile.bytes });
      }
      tiles.sort((a, b) => a.row - b.row);
      yield* tiles;
      sinceTurn += tiles.length;
      if (sinceTurn >= TILES_PER_TURN) {
        sinceTurn = 0;
        await nextTurn();
      }
    }
  }
}

/** Lays out the extract of `region` from `source` (reading the index only); its bytes then come from `chunks()`. */
export async function planStreamedExtract(source: TileArchiveReader, region: Region, signal?: AbortSignal): Promise<StreamedExtract> {
  const plan = planExtract([source], region);
  const metadata = metadataToRows(outputMetadata([source.metadata], plan.bbox, plan.minzoom, plan.maxzoom));
  const sizing = new StreamedMBTiles(metadata);
  for await (const tile of keyOrderedTiles(source, plan, false, signal)) sizing.addTile(tile.z, tile.column, tile.row, tile.bytes);
  const layout: StreamedLayout = sizing.finish();
  return {
    bytes: layout.pages * PAGE_SIZE,
    tiles: layout.tiles,
    async *chunks(signal?: AbortSignal) {
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const file = new StreamedMBTiles(metadata, layout, (page) => {
        pending.push(page);
        pendingBytes += page.length;
      });
      const take = (): Buffer => {
        const chunk = Buffer.concat(pending, pendingBytes);
        pending = [];
        pendingBytes = 0;
        return chunk;
      };
      for await (const tile of keyOrderedTiles(source, plan, true, signal)) {
        file.addTile(tile.z, tile.column, tile.row, tile.bytes, tile.data);
        if (pendingBytes >= CHUNK_BYTES) yield take();
      }
      file.finish();
      yield take();
    },
  };
}
