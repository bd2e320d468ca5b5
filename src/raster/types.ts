// Shapes shared by the raster build's main thread and its warp workers (all structured-clone safe).
import type { ResolvedCrs } from '../crs/resolve.js';

export type Resampling = 'nearest' | 'bilinear' | 'cubic' | 'lanczos';
export const RESAMPLINGS: readonly Resampling[] = ['nearest', 'bilinear', 'cubic', 'lanczos'];

export type RasterTileFormat = 'webp' | 'jpeg' | 'png';
export const RASTER_FORMATS: readonly RasterTileFormat[] = ['webp', 'jpeg', 'png'];

/** Six affine coefficients in GDAL's order: x = g0 + col·g1 + row·g2, y = g3 + col·g4 + row·g5 (pixel corners). */
export type GeoTransform = [number, number, number, number, number, number];

/** What a worker needs to read one GeoTIFF as RGBA: resolved once on the main thread, reopened in each worker. */
export interface RasterSource {
  path: string;
  width: number;
  height: number;
  geoTransform: GeoTransform;
  crs: ResolvedCrs;
  /** 0-based samples that give grey (one) or red, green, blue (three). */
  colorBands: number[];
  /** 0-based sample holding alpha, if any. */
  alphaBand?: number;
  /** Largest value of the alpha sample (255 for 8-bit, 65535 for 16-bit). */
  alphaMax: number;
  /** Index of a GDAL internal mask image (an IFD with NewSubfileType bit 4, the full size) whose zeros are transparent. */
  maskImage?: number;
  /** Largest value of the mask (1 for 1-bit masks, 255 for 8-bit ones). */
  maskMax?: number;
  /** Pixels whose colour samples all equal this are transparent. */
  nodata?: number;
  /** Samples 0–2 hold Y, Cb, Cr (JPEG-compressed YCbCr TIFFs, as GDAL writes orthophotos): converted to RGB on reading. */
  ycbcr?: boolean;
  /** Linear stretch of the colour samples to 0..255; absent for 8-bit data shown as is. */
  rescale?: [min: number, max: number];
  /** When the file has bands that are not shown: which are, and how to choose others (printed once by the build). */
  bandChoice?: string;
  /** Footprint in the tile matrix set's CRS [west, south, east, north] (EPSG:3857 metres for Web Mercator). */
  gridBBox: [number, number, number, number];
  /** Source pixel size in the tile matrix set's CRS units, at the footprint's centre. */
  gridPixelSize: number;
  /** Footprint in WGS 84 degrees [west, south, east, north] (archive metadata `bounds`). */
  lonLatBBox: [number, number, number, number];
}

export interface WorkerSetup {
  /** Registry id of the tile matrix set the tiles are cut on (src/grid). */
  tileMatrixSet: string;
  sources: RasterSource[];
  maxzoom: number;
  minzoom: number;
  resampling: Resampling;
  format: RasterTileFormat;
  quality: number;
  /** JPEG has no alpha: transparent pixels are flattened onto this colour. */
  background: [number, number, number];
  /** Go on without a source whose data turns out corrupt, reporting it, instead of failing the build. */
  skipBad: boolean;
}

export interface EncodedTile {
  z: number;
  x: number;
  y: number;
  data: Uint8Array;
}

/** One block of the max zoom (a tile of `blockZoom` and everything under it), done by one worker. */
export interface BlockTask {
  id: number;
  z: number;
  x: number;
  y: number;
  /** Whether the main thread needs the block tile's raw RGBA to build lower zooms. */
  wantRaw: boolean;
}

export interface BlockResult {
  id: number;
  tiles: EncodedTile[];
  /** Tiles inside the data's range that came out fully transparent, per zoom. */
  empty: Record<number, number>;
  raw: Uint8Array | null;
  /** Sources dropped during this block because their data could not be decoded (only with skipBad). */
  skipped: { path: string; reason: string }[];
}

export type WorkerMessage =
  | { kind: 'result'; result: BlockResult }
  | { kind: 'error'; id: number; path: string; message: string; input: boolean };

export const TILE_SIZE = 256;
