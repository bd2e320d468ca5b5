// The seam between building and serving: what every tile archive (MBTiles today, PMTiles tomorrow) offers.
import type { BBox, TileRange } from '../grid/webMercator.js';

export type TileFormat = 'pbf' | 'png' | 'jpg' | 'webp';

export type FieldType = 'String' | 'Number' | 'Boolean';

/** One entry of the `vector_layers` list (TileJSON / MBTiles `json`). */
export interface VectorLayer {
  id: string;
  description?: string;
  minzoom?: number;
  maxzoom?: number;
  fields: Record<string, FieldType | string>;
}

/** Per-layer facts a build records beside `vector_layers` (MBTiles `json.tilestats`-like). */
export interface LayerStats {
  layer: string;
  count: number;
  geometry: string;
  attributeCount?: number;
}

export interface ArchiveMetadata {
  name: string;
  format: TileFormat;
  minzoom: number;
  maxzoom: number;
  bounds?: BBox;
  /** [lon, lat, zoom] */
  center?: [number, number, number];
  attribution?: string;
  description?: string;
  version?: string;
  /** `overlay` or `baselayer` (MBTiles 1.3). */
  type?: string;
  vector_layers?: VectorLayer[];
  /** Everything else found in the metadata table or its `json`, kept as read. */
  extra?: Record<string, unknown>;
  layerStats?: LayerStats[];
  /** Registry id of the tile matrix set the tiles are cut on (src/grid); absent means WebMercatorQuad. */
  tileMatrixSet?: string;
  /** Extent of the tiles' data in the tile matrix set's CRS (GeoPackage gpkg_contents); `bounds` stays lon/lat. */
  crsBounds?: BBox;
}

/** A tile as stored: bytes exactly as in the archive (gzip for most vector archives) and a content hash. */
export interface StoredTile {
  data: Buffer;
  /** Content hash of `data`: the strong ETag. */
  hash: string;
  /** True when `data` is gzip-compressed (vector tiles). */
  gzipped: boolean;
}

/**
 * Memory one StoredTile held in a cache takes beyond its bytes and its key's characters: the Buffer's heap object
 * and native backing-store record, the StoredTile object, the hash string and the LRU's slots. Measured with
 * --expose-gc over 200,000 cached tiles of 200 and 1,300 bytes: the heap grew 318–335 B an entry, the process's
 * RSS 590–650 B (the 300 B estimated before counted half of it, so /metrics showed less than the cache held).
 */
const STORED_TILE_OVERHEAD = 640;

/** What one cached tile holds, as the tile caches count it: its bytes, its key (V8 keeps at most 2 bytes a character) and the overhead above. */
function storedTileBytes(tile: StoredTile, key: string): number {
  return tile.data.length + key.length * 2 + STORED_TILE_OVERHEAD;
}

/**
 * The byte bound of a tile cache (the archive hot-tile cache, the PostGIS live cache), as lru-cache options: each
 * tile counted as above, and none larger than a sixteenth of the budget kept (one would push out hundreds).
 */
export function tileCacheBounds(maxBytes: number): { maxSize: number; maxEntrySize: number; sizeCalculation: (tile: StoredTile, key: string) => number } {
  return { maxSize: maxBytes, maxEntrySize: Math.max(1, Math.floor(maxBytes / 16)), sizeCalculation: storedTileBytes };
}

/** A value now, or later from an async source (a remote PMTiles, PostGIS): callers await only a promise. */
export type MaybePromise<T> = T | Promise<T>;

/** One in-memory cache's figures, as /metrics reports them: hot tiles, tile hashes (ETags), live PostGIS tiles. */
export interface CacheFigures {
  entries: number;
  /** Estimated heap bytes held, within `maxBytes`. */
  bytes: number;
  maxBytes: number;
  hits: number;
  misses: number;
}

/** One tile as stored, with its XYZ position: what converting, extracting and merging stream through. */
export interface ArchiveTile {
  z: number;
  x: number;
  y: number;
  data: Buffer;
}

/**
 * The archive's storage could not answer (a remote upstream failed or was too slow, a database is down): not the
 * request's fault and not a bug here; the server answers 502 (`failed`), 504 (`timeout`) or 503 (`unavailable`:
 * a live source that is down or refusing) and logs it.
 */
export class ArchiveUnavailableError extends Error {
  constructor(
    message: string,
    readonly kind: 'failed' | 'timeout' | 'unavailable',
  ) {
    super(message);
    this.name = 'ArchiveUnavailableError';
  }
}

export interface ZoomSummary {
  zoom: number;
  tiles: number;
  bytes: number;
  maxBytes: number;
}

/** A tile read by range: XYZ coordinates and the bytes exactly as stored. */
export interface RangeTile {
  x: number;
  y: number;
  data: Buffer;
}

/** A tile's stored size by range, from the index without its data (laying a streamed extract out). */
export interface RangeTileSize {
  x: number;
  y: number;
  bytes: number;
}

/** What a tile range holds, from the index: tile count and stored bytes (each tile counted, before deduplication). */
export interface RangeMeasure {
  tiles: number;
  bytes: number;
}

/** One page of features of a live source, as GeoJSON text pieces (the geometry stays the text the database wrote). */
export interface FeaturePage {
  features: { id: string | number | null; geometry: string | null; properties: Record<string, unknown> }[];
  /** True when more features follow this page. */
  more: boolean;
}

export interface FeatureQuery {
  /** WGS 84 west, south, east, north. */
  bbox?: [number, number, number, number];
  /** RFC 3339 instants; either end may be open. */
  datetime?: { start?: string; end?: string };
  limit: number;
  offset: number;
  /** Attribute names to return (default: all). */
  properties?: string[];
}

/** What a live source (a PostGIS table) offers beside tiles: its features (OGC API – Features). */
export interface FeatureReader {
  /** Attribute names a request may ask for in `properties`. */
  readonly properties: readonly string[];
  /** Whether `datetime` filters anything (a time column is configured). */
  readonly temporal: boolean;
  items(query: FeatureQuery): Promise<FeaturePage>;
  /** Undefined when there is no feature of that id. */
  item(id: string): Promise<FeaturePage['features'][number] | undefined>;
}

export interface TileArchiveReader {
  readonly path: string;
  readonly metadata: ArchiveMetadata;
  /** Problems found at open that do not stop serving (a missing metadata table), each naming what is wrong. */
  readonly warnings: readonly string[];
  /**
   * XYZ coordinates; undefined when the archive has no tile there. Local archives answer at once, remote and live
   * ones later. `query` is the request's query string (without `?`), read only by PostGIS function sources (Martin's
   * `query_params`).
   */
  getTile(z: number, x: number, y: number, query?: string): MaybePromise<StoredTile | undefined>;
  /** Live sources only: feature access for OGC API – Features. */
  readonly features?: FeatureReader;
  /**
   * The tiles of one zoom inside `range` (XYZ), read by range from the index, in no promised order. Optional:
   * without it, extracts read tile by tile through getTile (right, but one lookup per possible tile).
   */
  readRange?(range: TileRange): Iterable<RangeTile>;
  /** The sizes of the tiles inside `range` (as readRange would give them, without their data). Optional: else read. */
  tileSizesInRange?(range: TileRange): Iterable<RangeTileSize>;
  /** Tile count and bytes inside `range`, from the index without reading tile data (estimates before a download). */
  measureRange?(range: TileRange): RangeMeasure;
  /** Tile counts and sizes per zoom (walks the index: for `inspect`, not for requests). */
  summarize(): MaybePromise<ZoomSummary[]>;
  /** Every tile, streamed in the archive's own order with bounded memory (for convert, extract, merge). */
  tiles(): Iterable<ArchiveTile> | AsyncIterable<ArchiveTile>;
  close(): void;
}

export interface TileArchiveWriter {
  readonly path: string;
  /** XYZ coordinates; bytes exactly as they should be stored (gzip vector tiles beforehand). */
  putTile(z: number, x: number, y: number, data: Buffer): void;
  setMetadata(metadata: ArchiveMetadata): void;
  /** Number of distinct tile contents stored so far (after deduplication). */
  readonly uniqueTiles: number;
  readonly tilesWritten: number;
  /** Whether copyRange can take tiles from `source` without them passing through JavaScript. Optional. */
  canCopyFrom?(source: TileArchiveReader): boolean;
  /** Copies the tiles of `range` (XYZ) from `source` as putTile would store them; what it copied. */
  copyRange?(source: TileArchiveReader, range: TileRange): RangeMeasure;
  /** Commits, closes and renames the temp file into place. */
  finish(): void;
  /** Discards the temp file; the previous archive at `path` is untouched. */
  abort(): void;
}

export const FORMAT_CONTENT_TYPES: Record<TileFormat, string> = {
  pbf: 'application/vnd.mapbox-vector-tile',
  png: 'image/png',
  jpg: 'image/jpeg',
  webp: 'image/webp',
};

/** URL extensions that name each format. */
export const FORMAT_EXTENSIONS: Record<TileFormat, readonly string[]> = {
  pbf: ['pbf', 'mvt'],
  png: ['png'],
  jpg: ['jpg', 'jpeg'],
  webp: ['webp'],
};

export function parseTileFormat(value: string | undefined): TileFormat | undefined {
  switch ((value ?? '').toLowerCase()) {
    case 'pbf':
    case 'mvt':
    case 'application/x-protobuf':
    case 'application/vnd.mapbox-vector-tile':
      return 'pbf';
    case 'png':
      return 'png';
    case 'jpg':
    case 'jpeg':
      return 'jpg';
    case 'webp':
      return 'webp';
    default:
      return undefined;
  }
}

export function isGzip(data: Uint8Array): boolean {
  return data.length > 2 && data[0] === 0x1f && data[1] === 0x8b;
}
