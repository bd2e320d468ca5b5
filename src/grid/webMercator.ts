// All tile math of the WebMercatorQuad grid lives here: tile ↔ lon/lat, bbox ↔ tile ranges, TMS row flip.

export const EARTH_RADIUS = 6378137;
export const ORIGIN_SHIFT = Math.PI * EARTH_RADIUS; // 20037508.342789244
export const MAX_LATITUDE = 85.0511287798066;
/** Deepest zoom any request or build may name. */
export const MAX_ZOOM = 30;

export type BBox = [west: number, south: number, east: number, north: number];

export interface TileCoord {
  z: number;
  x: number;
  /** XYZ row, counted from the north (as in URLs), never the TMS row. */
  y: number;
}

export interface TileRange {
  z: number;
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

export function tilesAtZoom(z: number): number {
  return 2 ** z;
}

/** XYZ row ↔ TMS row (MBTiles stores TMS rows). The flip is its own inverse. */
export function flipRow(z: number, row: number): number {
  return 2 ** z - 1 - row;
}

export function isValidTile(z: number, x: number, y: number): boolean {
  if (!Number.isInteger(z) || !Number.isInteger(x) || !Number.isInteger(y)) return false;
  if (z < 0 || z > MAX_ZOOM) return false;
  const n = 2 ** z;
  return x >= 0 && y >= 0 && x < n && y < n;
}

export function clampLatitude(lat: number): number {
  return Math.max(-MAX_LATITUDE, Math.min(MAX_LATITUDE, lat));
}

/** Fractional tile coordinates of a point: integer part is the tile, fraction the position inside it. */
export function lonLatToTileFraction(lon: number, lat: number, z: number): [x: number, y: number] {
  const n = 2 ** z;
  const sin = Math.sin((clampLatitude(lat) * Math.PI) / 180);
  const x = ((lon + 180) / 360) * n;
  const y = (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI)) * n;
  return [x, y];
}

export function lonLatToTile(lon: number, lat: number, z: number): TileCoord {
  const n = 2 ** z;
  const [fx, fy] = lonLatToTileFraction(lon, lat, z);
  return { z, x: Math.min(n - 1, Math.max(0, Math.floor(fx))), y: Math.min(n - 1, Math.max(0, Math.floor(fy))) };
}

export function tileXToLon(x: number, z: number): number {
  return (x / 2 ** z) * 360 - 180;
}

export function tileYToLat(y: number, z: number): number {
  const n = Math.PI - (2 * Math.PI * y) / 2 ** z;
  return (180 / Math.PI) * Math.atan(Math.sinh(n));
}

/** Tile bounds in degrees. */
export function tileToBBox(z: number, x: number, y: number): BBox {
  return [tileXToLon(x, z), tileYToLat(y + 1, z), tileXToLon(x + 1, z), tileYToLat(y, z)];
}

/** Tile bounds in EPSG:3857 metres. */
export function tileToMercatorBBox(z: number, x: number, y: number): BBox {
  const size = (2 * ORIGIN_SHIFT) / 2 ** z;
  const west = -ORIGIN_SHIFT + x * size;
  const north = ORIGIN_SHIFT - y * size;
  return [west, north - size, west + size, north];
}

export function lonLatToMercator(lon: number, lat: number): [x: number, y: number] {
  const x = (lon * ORIGIN_SHIFT) / 180;
  const y = Math.log(Math.tan(((90 + clampLatitude(lat)) * Math.PI) / 360)) * EARTH_RADIUS;
  return [x, y];
}

export function mercatorToLonLat(x: number, y: number): [lon: number, lat: number] {
  const lon = (x / ORIGIN_SHIFT) * 180;
  const lat = (180 / Math.PI) * (2 * Math.atan(Math.exp(y / EARTH_RADIUS)) - Math.PI / 2);
  return [lon, lat];
}

/** Tiles of zoom z that a degree bbox touches. */
export function bboxToTileRange(bbox: BBox, z: number): TileRange {
  const [west, south, east, north] = bbox;
  const n = 2 ** z;
  const [minFx, minFy] = lonLatToTileFraction(west, north, z);
  const [maxFx, maxFy] = lonLatToTileFraction(east, south, z);
  const clamp = (v: number) => Math.min(n - 1, Math.max(0, v));
  // A bbox edge that falls exactly on a tile edge does not touch the next tile.
  return {
    z,
    minX: clamp(Math.floor(minFx)),
    minY: clamp(Math.floor(minFy)),
    maxX: clamp(Math.ceil(maxFx) - 1),
    maxY: clamp(Math.ceil(maxFy) - 1),
  };
}

export function* tilesInRange(range: TileRange): Generator<TileCoord> {
  for (let x = range.minX; x <= range.maxX; x++) {
    for (let y = range.minY; y <= range.maxY; y++) yield { z: range.z, x, y };
  }
}

/** Ground resolution of one pixel at the equator, metres, for a tile size. */
export function resolutionAtZoom(z: number, tileSize = 256): number {
  return (2 * ORIGIN_SHIFT) / (tileSize * 2 ** z);
}

export function parentTile(tile: TileCoord): TileCoord {
  return { z: tile.z - 1, x: tile.x >> 1, y: tile.y >> 1 };
}

export function childTiles(tile: TileCoord): TileCoord[] {
  const { z, x, y } = tile;
  return [
    { z: z + 1, x: 2 * x, y: 2 * y },
    { z: z + 1, x: 2 * x + 1, y: 2 * y },
    { z: z + 1, x: 2 * x, y: 2 * y + 1 },
    { z: z + 1, x: 2 * x + 1, y: 2 * y + 1 },
  ];
}

export function tileKey(tile: TileCoord): string {
  return `${tile.z}/${tile.x}/${tile.y}`;
}

/** The first zoom whose pixels are as small as `metresPerPixel` (EPSG:3857 metres) or smaller, as gdal2tiles picks a max zoom. */
export function zoomForResolution(metresPerPixel: number, tileSize = 256): number {
  for (let z = 0; z < MAX_ZOOM; z++) if (resolutionAtZoom(z, tileSize) <= metresPerPixel) return z;
  return MAX_ZOOM;
}

/** The deepest zoom at which an extent of `metres` still fits inside one tile. */
export function zoomForExtent(metres: number): number {
  for (let z = MAX_ZOOM; z > 0; z--) if (resolutionAtZoom(z, 1) >= metres) return z;
  return 0;
}
