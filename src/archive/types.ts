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

/** A value now, or later from an async source (a remote PMTiles, PostGIS): callers await only a promise. */
export type MaybePromise<T> = T | Promise<T>;

/** One tile as stored, with its XYZ position: what converting, extracting and merging stream through. */
export interface ArchiveTile {
  z: number;
  x: number;
  y: number;
  data: Buffer;
}

/**
 * The archive's storage could not answer (a remote upstream failed or was too slow): not the request's
 * fault and not a bug here; the server answers 502 (`failed`) or 504 (`timeout`) and logs it.
 */
export class ArchiveUnavailableError extends Error {
  constructor(
    message: string,
    readonly kind: 'failed' | 'timeout',
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

/** What a tile range holds, from the index: tile count and stored bytes (each tile counted, before deduplication). */
export interface RangeMeasure {
  tiles: number;
  bytes: number;
}

export interface TileArchiveReader {
  readonly path: string;
  readonly metadata: ArchiveMetadata;
  /** Problems found at open that do not stop serving (a missing metadata table), each naming what is wrong. */
  readonly warnings: readonly string[];
  /** XYZ coordinates; undefined when the archive has no tile there. Local archives answer at once, remote ones later. */
  getTile(z: number, x: number, y: number): MaybePromise<StoredTile | undefined>;
  /**
   * The tiles of one zoom inside `range` (XYZ), read by range from the index, in no promised order. Optional:
   * without it, extracts read tile by tile through getTile (right, but one lookup per possible tile).
   */
  readRange?(range: TileRange): Iterable<RangeTile>;
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
