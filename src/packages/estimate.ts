// How many tiles and bytes an extract would hold, from the archives' indexes, before any tile is read.
import type { TileArchiveReader } from '../archive/types.js';
import { bboxToTileRange, type BBox } from '../grid/webMercator.js';
import { planExtract } from './extract.js';
import { measureRange, type Region } from './ranges.js';

export interface Estimate {
  /** Tiles the extract will hold. */
  tiles: number;
  /** Their bytes as stored, each tile counted: the extract's tile data before deduplication (its file is at most this plus the index). */
  bytes: number;
  bbox: BBox;
  minzoom: number;
  maxzoom: number;
}

/** The estimate of extracting `region` from one archive; exact for one archive (tests hold it to the real extract). */
export async function estimateExtract(source: TileArchiveReader, region: Region): Promise<Estimate> {
  const plan = planExtract([source], region);
  const estimate: Estimate = { tiles: 0, bytes: 0, ...plan };
  for (let z = plan.minzoom; z <= plan.maxzoom; z++) {
    const measure = await measureRange(source, bboxToTileRange(plan.bbox, z));
    estimate.tiles += measure.tiles;
    estimate.bytes += measure.bytes;
  }
  return estimate;
}
