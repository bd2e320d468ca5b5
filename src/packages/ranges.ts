// Which tiles a region covers in an archive, and reading or measuring them by range (the index, never a scan).
import type { RangeMeasure, RangeTile, TileArchiveReader } from '../archive/types.js';
import { InputError } from '../errors.js';
import { intersectBBox } from '../grid/bbox.js';
import { bboxToTileRange, MAX_LATITUDE, tilesInRange, type BBox, type TileRange } from '../grid/webMercator.js';

export const WORLD: BBox = [-180, -MAX_LATITUDE, 180, MAX_LATITUDE];

/** A box and zooms to take; absent bounds mean the sources' own. */
export interface Region {
  bbox?: BBox;
  minzoom?: number;
  maxzoom?: number;
}

/**
 * The region, refused when its zooms run backwards, naming the options or parameters as the user wrote them:
 * `prefix` '--' for the command line's --minzoom and --maxzoom, '' for a request's minzoom and maxzoom.
 */
export function zoomsInOrder(region: Region, prefix: '--' | ''): Region {
  if (region.minzoom !== undefined && region.maxzoom !== undefined && region.minzoom > region.maxzoom) {
    throw new InputError(`${prefix}minzoom`, `${region.minzoom} is above ${prefix}maxzoom ${region.maxzoom}`);
  }
  return region;
}

/** The box and zooms an extract of `region` from archives of `bounds` and zooms `minzoom..maxzoom` holds; undefined when they do not meet. */
export function resolveRegion(region: Region, archive: { bounds?: BBox; minzoom: number; maxzoom: number }): { bbox: BBox; minzoom: number; maxzoom: number } | undefined {
  const bounds = archive.bounds && archive.bounds[0] < archive.bounds[2] && archive.bounds[1] < archive.bounds[3] ? archive.bounds : WORLD;
  const bbox = region.bbox ? intersectBBox(region.bbox, bounds) : bounds;
  const minzoom = Math.max(region.minzoom ?? archive.minzoom, archive.minzoom);
  const maxzoom = Math.min(region.maxzoom ?? archive.maxzoom, archive.maxzoom);
  if (!bbox || minzoom > maxzoom) return undefined;
  return { bbox, minzoom, maxzoom };
}

/** One tile range per zoom of `minzoom..maxzoom` over `bbox`. */
export function rangesOf(bbox: BBox, minzoom: number, maxzoom: number): TileRange[] {
  const ranges: TileRange[] = [];
  for (let z = minzoom; z <= maxzoom; z++) ranges.push(bboxToTileRange(bbox, z));
  return ranges;
}

/** The tiles of `range`: by range from the index when the archive can, else tile by tile (PMTiles and remote readers). */
export async function* readRange(archive: TileArchiveReader, range: TileRange): AsyncGenerator<RangeTile> {
  if (archive.readRange) {
    yield* archive.readRange(range);
    return;
  }
  for (const { x, y } of tilesInRange(range)) {
    const tile = await archive.getTile(range.z, x, y);
    if (tile) yield { x, y, data: tile.data };
  }
}

/** Count and bytes of `range`, from the index when the archive can. */
export async function measureRange(archive: TileArchiveReader, range: TileRange): Promise<RangeMeasure> {
  if (archive.measureRange) return archive.measureRange(range);
  const measure = { tiles: 0, bytes: 0 };
  for await (const tile of readRange(archive, range)) {
    measure.tiles++;
    measure.bytes += tile.data.length;
  }
  return measure;
}
