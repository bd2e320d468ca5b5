// The OGC tile matrix sets Mekan serves (WebMercatorQuad / GoogleMapsCompatible), built from the grid math once.
import {
  bboxToTileRange,
  ORIGIN_SHIFT,
  resolutionAtZoom,
  tilesAtZoom,
  type BBox,
} from './webMercator.js';

/** OGC's standardised rendering pixel: 0.28 mm. Turns a cell size into a scale denominator. */
export const STANDARD_PIXEL_SIZE = 0.00028;
export const TILE_SIZE = 256;
/** The registered WebMercatorQuad definition stops at 24; deeper requests still work, they are just not advertised. */
export const WEB_MERCATOR_QUAD_MAX_ZOOM = 24;

export const WEB_MERCATOR_QUAD_ID = 'WebMercatorQuad';
export const WEB_MERCATOR_QUAD_URI = 'http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad';
export const EPSG_3857_URI = 'http://www.opengis.net/def/crs/EPSG/0/3857';
export const EPSG_3857_URN = 'urn:ogc:def:crs:EPSG::3857';
export const GOOGLE_MAPS_COMPATIBLE_ID = 'GoogleMapsCompatible';
export const GOOGLE_MAPS_COMPATIBLE_URN = 'urn:ogc:def:wkss:OGC:1.0:GoogleMapsCompatible';
export const GOOGLE_MAPS_COMPATIBLE_URI = 'http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible';

/** One tile matrix, as OGC 17-083r4 (Tile Matrix Set 2.0) writes it in JSON. */
export interface TileMatrix {
  id: string;
  scaleDenominator: number;
  cellSize: number;
  cornerOfOrigin: 'topLeft';
  pointOfOrigin: [number, number];
  tileWidth: number;
  tileHeight: number;
  matrixWidth: number;
  matrixHeight: number;
}

export interface TileMatrixSet {
  id: string;
  title: string;
  uri: string;
  crs: string;
  orderedAxes: [string, string];
  wellKnownScaleSet: string;
  tileMatrices: TileMatrix[];
}

/** The tiles of one matrix a tileset covers, in TileMatrixSetLimits terms (rows from the top). */
export interface TileMatrixLimits {
  tileMatrix: string;
  minTileRow: number;
  maxTileRow: number;
  minTileCol: number;
  maxTileCol: number;
}

export function webMercatorQuadMatrix(z: number): TileMatrix {
  const cellSize = resolutionAtZoom(z, TILE_SIZE);
  const size = tilesAtZoom(z);
  return {
    id: String(z),
    scaleDenominator: cellSize / STANDARD_PIXEL_SIZE,
    cellSize,
    cornerOfOrigin: 'topLeft',
    pointOfOrigin: [-ORIGIN_SHIFT, ORIGIN_SHIFT],
    tileWidth: TILE_SIZE,
    tileHeight: TILE_SIZE,
    matrixWidth: size,
    matrixHeight: size,
  };
}

export function webMercatorQuad(): TileMatrixSet {
  const tileMatrices: TileMatrix[] = [];
  for (let z = 0; z <= WEB_MERCATOR_QUAD_MAX_ZOOM; z++) tileMatrices.push(webMercatorQuadMatrix(z));
  return {
    id: WEB_MERCATOR_QUAD_ID,
    title: 'Google Maps Compatible for the World',
    uri: WEB_MERCATOR_QUAD_URI,
    crs: EPSG_3857_URI,
    orderedAxes: ['X', 'Y'],
    wellKnownScaleSet: GOOGLE_MAPS_COMPATIBLE_URI,
    tileMatrices,
  };
}

const WHOLE_WORLD: BBox = [-180, -90, 180, 90];

/**
 * Per-zoom tile limits of a tileset over minzoom..maxzoom (clamped to the advertised matrices).
 * XYZ rows count from the north, exactly as TileMatrixSetLimits rows do, so no flip is involved.
 */
export function tileMatrixSetLimits(minzoom: number, maxzoom: number, bounds: BBox = WHOLE_WORLD): TileMatrixLimits[] {
  const limits: TileMatrixLimits[] = [];
  const from = Math.max(0, Math.floor(minzoom));
  const to = Math.min(WEB_MERCATOR_QUAD_MAX_ZOOM, Math.floor(maxzoom));
  for (let z = from; z <= to; z++) {
    const range = bboxToTileRange(bounds, z);
    limits.push({ tileMatrix: String(z), minTileRow: range.minY, maxTileRow: range.maxY, minTileCol: range.minX, maxTileCol: range.maxX });
  }
  return limits;
}
