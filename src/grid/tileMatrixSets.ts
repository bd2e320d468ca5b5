// Every tile matrix set Mekan builds and serves, in one table, with the tile math that works in any of them.
// Values are the OGC Two Dimensional Tile Matrix Set 2.0 registry's (github.com/opengeospatial/2D-Tile-Matrix-Set,
// registry/json, commit 7cee2f8): UTM and CRS84 levels are copied as published, not recomputed, so that a client
// holding the registry's numbers finds exactly the same ones here.
import {
  bboxToTileRange,
  ORIGIN_SHIFT,
  resolutionAtZoom,
  tilesAtZoom,
  MAX_ZOOM,
  type BBox,
  type TileRange,
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

/** A tile matrix set in the TMS 2.0 JSON encoding (what /ogc/tileMatrixSets/{id} publishes). */
export interface TileMatrixSet {
  id: string;
  title: string;
  uri: string;
  crs: string;
  orderedAxes: [string, string];
  wellKnownScaleSet?: string;
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

/** A tile matrix set with what building and serving need beside its OGC definition. */
export interface TileGrid {
  id: string;
  /** EPSG code of the CRS: GeoPackage srs_id, proj4 lookup. CRS84 is stored as 4326 (GeoPackage is always x=lon). */
  epsg: number;
  /** The CRS as WMTS 1.0 capabilities name it (an URN; CRS84 keeps lon/lat order). */
  crsUrn: string;
  /** The well-known scale set URN of WMTS 1.0 (Annex E), where one exists. */
  wellKnownScaleSetUrn?: string;
  /** Integer id of the first matrix (UTM sets start at 1, the others at 0); matrix ids are consecutive integers. */
  firstLevel: number;
  /** Deepest matrix a build may write (the last registered one; Web Mercator goes on to MAX_ZOOM). */
  lastLevel: number;
  /** Deepest matrix the registry defines (what capabilities advertise at most). */
  registeredLastLevel: number;
  /** The matrix of an integer level, or undefined outside firstLevel..lastLevel. */
  matrix(level: number): TileMatrix | undefined;
  definition(): TileMatrixSet;
}

// ---- Web Mercator: computed from the grid math, as the registry's own values are.

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

// ---- The registered sets whose numbers are published rather than derived: [cellSize, scaleDenominator] per level.

/** UTM38WGS84Quad and UTM39WGS84Quad share every number (the registry's levels 1–24); only the CRS differs. */
const UTM_WGS84_QUAD_ORIGIN: [number, number] = [-9501965.72931276, 20003931.4586255];
const UTM_WGS84_QUAD_LEVELS: readonly (readonly [number, number])[] = [
  [78140.3572602559, 279072704.500914], [39070.178630128, 139536352.250457], [19535.089315064, 69768176.1252285],
  [9767.5446575319, 34884088.0626143], [4883.772328766, 17442044.0313071], [2441.886164383, 8721022.01565356],
  [1220.9430821915, 4360511.00782678], [610.471541095749, 2180255.50391339], [305.235770547875, 1090127.7519567],
  [152.617885273937, 545063.875978348], [76.3089426369687, 272531.937989174], [38.1544713184843, 136265.968994587],
  [19.0772356592422, 68132.9844972935], [9.53861782962109, 34066.4922486467], [4.76930891481054, 17033.2461243234],
  [2.38465445740527, 8516.62306216168], [1.19232722870264, 4258.31153108084], [0.596163614351318, 2129.15576554042],
  [0.298081807175659, 1064.57788277021], [0.149040903587829, 532.288941385105], [0.0745204517939147, 266.144470692553],
  [0.0372602258969574, 133.072235346276], [0.0186301129484787, 66.5361176731382], [0.00931505647423934, 33.2680588365691],
];

const WORLD_CRS84_QUAD_LEVELS: readonly (readonly [number, number])[] = [
  [0.703125, 279541132.014358], [0.3515625, 139770566.007179], [0.17578125, 69885283.0035897], [0.087890625, 34942641.5017948],
  [0.0439453125, 17471320.7508974], [0.02197265625, 8735660.37544871], [0.010986328125, 4367830.18772435],
  [0.0054931640625, 2183915.09386217], [0.00274658203125, 1091957.54693108], [0.001373291015625, 545978.773465544],
  [0.0006866455078125, 272989.386732772], [0.00034332275390625, 136494.693366386], [0.000171661376953125, 68247.346683193],
  [8.58306884765625e-5, 34123.6733415964], [4.29153442382812e-5, 17061.8366707982], [2.14576721191406e-5, 8530.91833539913],
  [1.07288360595703e-5, 4265.45916769956], [5.36441802978515e-6, 2132.72958384978], [2.68220901489258e-6, 1066.36479192489],
  [1.34110450744629e-6, 533.182395962445], [6.7055225372314e-7, 266.591197981222], [3.3527612686157e-7, 133.295598990611],
  [1.6763806343079e-7, 66.6477994953056], [8.381903171539e-8, 33.3238997476528],
];

interface PublishedSet {
  id: string;
  title: string;
  crs: string;
  orderedAxes: [string, string];
  wellKnownScaleSet?: string;
  origin: [number, number];
  firstLevel: number;
  levels: readonly (readonly [number, number])[];
  /** Matrix size at the first level; every level below doubles both. */
  firstMatrix: [width: number, height: number];
}

function publishedMatrices(set: PublishedSet): TileMatrix[] {
  return set.levels.map(([cellSize, scaleDenominator], i) => ({
    id: String(set.firstLevel + i),
    scaleDenominator,
    cellSize,
    cornerOfOrigin: 'topLeft',
    pointOfOrigin: [set.origin[0], set.origin[1]],
    tileWidth: TILE_SIZE,
    tileHeight: TILE_SIZE,
    matrixWidth: set.firstMatrix[0] * 2 ** i,
    matrixHeight: set.firstMatrix[1] * 2 ** i,
  }));
}

function publishedGrid(set: PublishedSet, epsg: number, crsUrn: string, wellKnownScaleSetUrn?: string): TileGrid {
  const matrices = publishedMatrices(set);
  const lastLevel = set.firstLevel + matrices.length - 1;
  const definition = (): TileMatrixSet => ({
    id: set.id,
    title: set.title,
    uri: `http://www.opengis.net/def/tilematrixset/OGC/1.0/${set.id}`,
    crs: set.crs,
    orderedAxes: set.orderedAxes,
    ...(set.wellKnownScaleSet ? { wellKnownScaleSet: set.wellKnownScaleSet } : {}),
    tileMatrices: matrices.map((m) => ({ ...m, pointOfOrigin: [m.pointOfOrigin[0], m.pointOfOrigin[1]] })),
  });
  return {
    id: set.id,
    epsg,
    crsUrn,
    wellKnownScaleSetUrn,
    firstLevel: set.firstLevel,
    lastLevel,
    registeredLastLevel: lastLevel,
    matrix: (level) => (Number.isInteger(level) && level >= set.firstLevel && level <= lastLevel ? matrices[level - set.firstLevel] : undefined),
    definition,
  };
}

function utmGrid(zone: 38 | 39): TileGrid {
  return publishedGrid(
    {
      id: `UTM${zone}WGS84Quad`,
      title: `Universal Transverse Mercator Zone ${zone} WGS84 Quad`,
      crs: `http://www.opengis.net/def/crs/EPSG/0/326${zone}`,
      orderedAxes: ['E', 'N'],
      origin: UTM_WGS84_QUAD_ORIGIN,
      firstLevel: 1,
      levels: UTM_WGS84_QUAD_LEVELS,
      firstMatrix: [1, 2],
    },
    32600 + zone,
    `urn:ogc:def:crs:EPSG::326${zone}`,
  );
}

const webMercatorGrid: TileGrid = {
  id: WEB_MERCATOR_QUAD_ID,
  epsg: 3857,
  crsUrn: EPSG_3857_URN,
  wellKnownScaleSetUrn: GOOGLE_MAPS_COMPATIBLE_URN,
  firstLevel: 0,
  lastLevel: MAX_ZOOM,
  registeredLastLevel: WEB_MERCATOR_QUAD_MAX_ZOOM,
  matrix: (level) => (Number.isInteger(level) && level >= 0 && level <= MAX_ZOOM ? webMercatorQuadMatrix(level) : undefined),
  definition: webMercatorQuad,
};

/** The one table: every tile matrix set, by its registry id. */
export const TILE_GRIDS: Readonly<Record<string, TileGrid>> = {
  [WEB_MERCATOR_QUAD_ID]: webMercatorGrid,
  WorldCRS84Quad: publishedGrid(
    {
      id: 'WorldCRS84Quad',
      title: 'CRS84 for the World',
      crs: 'http://www.opengis.net/def/crs/OGC/1.3/CRS84',
      orderedAxes: ['Lon', 'Lat'],
      wellKnownScaleSet: 'http://www.opengis.net/def/wkss/OGC/1.0/GoogleCRS84Quad',
      origin: [-180, 90],
      firstLevel: 0,
      levels: WORLD_CRS84_QUAD_LEVELS,
      firstMatrix: [2, 1],
    },
    4326,
    'urn:ogc:def:crs:OGC:1.3:CRS84',
    'urn:ogc:def:wkss:OGC:1.0:GoogleCRS84Quad',
  ),
  UTM38WGS84Quad: utmGrid(38),
  UTM39WGS84Quad: utmGrid(39),
};

export const TILE_GRID_IDS: readonly string[] = Object.keys(TILE_GRIDS);

/** The grid of a registry id (exact spelling), or undefined. */
export function tileGrid(id: string): TileGrid | undefined {
  return Object.hasOwn(TILE_GRIDS, id) ? TILE_GRIDS[id] : undefined;
}

export function isWebMercator(grid: TileGrid): boolean {
  return grid.id === WEB_MERCATOR_QUAD_ID;
}

/** Whether col/row name a tile of the matrix at `level` (rows from the top). */
export function isInMatrix(grid: TileGrid, level: number, col: number, row: number): boolean {
  // The tile route asks this on every request: Web Mercator's square matrices need no matrix object.
  if (grid === webMercatorGrid) {
    const size = 2 ** level;
    return Number.isInteger(level) && level >= 0 && level <= MAX_ZOOM && Number.isInteger(col) && Number.isInteger(row) && col >= 0 && row >= 0 && col < size && row < size;
  }
  const m = grid.matrix(level);
  return m !== undefined && Number.isInteger(col) && Number.isInteger(row) && col >= 0 && row >= 0 && col < m.matrixWidth && row < m.matrixHeight;
}

/** A tile's bounds in the grid's CRS units [minX, minY, maxX, maxY] (lon/lat for CRS84). */
export function tileBoundsInCrs(grid: TileGrid, level: number, col: number, row: number): BBox {
  const m = grid.matrix(level);
  if (!m) throw new RangeError(`${grid.id} has no tile matrix ${level}`);
  const width = m.cellSize * m.tileWidth;
  const height = m.cellSize * m.tileHeight;
  const west = m.pointOfOrigin[0] + col * width;
  const north = m.pointOfOrigin[1] - row * height;
  return [west, north - height, west + width, north];
}

/** The tiles of a matrix that a box in the grid's CRS touches, clamped to the matrix. */
export function tileRangeInCrs(grid: TileGrid, level: number, bbox: BBox): TileRange {
  const m = grid.matrix(level);
  if (!m) throw new RangeError(`${grid.id} has no tile matrix ${level}`);
  const width = m.cellSize * m.tileWidth;
  const height = m.cellSize * m.tileHeight;
  const [ox, oy] = m.pointOfOrigin;
  const clampCol = (v: number) => Math.min(m.matrixWidth - 1, Math.max(0, v));
  const clampRow = (v: number) => Math.min(m.matrixHeight - 1, Math.max(0, v));
  // A box edge that falls exactly on a tile edge does not touch the next tile.
  return {
    z: level,
    minX: clampCol(Math.floor((bbox[0] - ox) / width)),
    maxX: clampCol(Math.ceil((bbox[2] - ox) / width) - 1),
    minY: clampRow(Math.floor((oy - bbox[3]) / height)),
    maxY: clampRow(Math.ceil((oy - bbox[1]) / height) - 1),
  };
}

/** The first level whose cells are as small as `cellSize` (CRS units) or smaller, as gdal2tiles picks a max zoom. */
export function levelForCellSize(grid: TileGrid, cellSize: number): number {
  for (let level = grid.firstLevel; level < grid.lastLevel; level++) if (grid.matrix(level)!.cellSize <= cellSize) return level;
  return grid.lastLevel;
}

/** The deepest level at which an extent (CRS units) still fits inside one tile. */
export function levelForExtent(grid: TileGrid, extent: number): number {
  for (let level = grid.lastLevel; level > grid.firstLevel; level--) if (grid.matrix(level)!.cellSize * TILE_SIZE >= extent) return level;
  return grid.firstLevel;
}

/** The whole matrix set's extent in its CRS [minX, minY, maxX, maxY]. */
export function gridExtent(grid: TileGrid): BBox {
  const m = grid.matrix(grid.firstLevel)!;
  const [ox, oy] = m.pointOfOrigin;
  return [ox, oy - m.cellSize * m.tileHeight * m.matrixHeight, ox + m.cellSize * m.tileWidth * m.matrixWidth, oy];
}

const WHOLE_WORLD: BBox = [-180, -90, 180, 90];

/**
 * Per-zoom tile limits of a WebMercatorQuad tileset over minzoom..maxzoom (clamped to the advertised matrices).
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

/** Limits of a tileset in any grid, from its extent in the grid's CRS, over the registered matrices. */
export function gridLimits(grid: TileGrid, minzoom: number, maxzoom: number, crsBounds: BBox): TileMatrixLimits[] {
  const limits: TileMatrixLimits[] = [];
  const from = Math.max(grid.firstLevel, Math.floor(minzoom));
  const to = Math.min(grid.registeredLastLevel, Math.floor(maxzoom));
  for (let level = from; level <= to; level++) {
    const range = tileRangeInCrs(grid, level, crsBounds);
    limits.push({ tileMatrix: String(level), minTileRow: range.minY, maxTileRow: range.maxY, minTileCol: range.minX, maxTileCol: range.maxX });
  }
  return limits;
}
