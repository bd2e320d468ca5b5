// Where each pixel of a tile falls in a source image: exact proj4 on a coarse grid, interpolated inside,
// with the interpolation error checked against the exact transform and the grid refined until it is under 1/8 pixel.
import { fromGrid, type PointTransform } from '../crs/resolve.js';
import type { BBox } from '../grid/webMercator.js';
import { TILE_SIZE, type RasterSource } from './types.js';

export const MAX_GRID_ERROR = 0.125;
const FIRST_STEP = 64;

/** Maps the tile grid's CRS units to fractional source pixel coordinates (0,0 is the top-left corner of the image). */
export function gridToSourcePixel(source: RasterSource, gridDefinition: string): PointTransform {
  const toSourceCrs = fromGrid(gridDefinition, source.crs);
  const [g0, g1, g2, g3, g4, g5] = source.geoTransform;
  const det = g1 * g5 - g2 * g4;
  return (mx, my) => {
    const [x, y] = toSourceCrs(mx, my);
    const dx = x - g0;
    const dy = y - g3;
    return [(g5 * dx - g2 * dy) / det, (g1 * dy - g4 * dx) / det];
  };
}

export interface PixelMap {
  /** Source column and row of each tile pixel's centre, interleaved (x, y), row by row. */
  coords: Float64Array;
  /** Grid step finally used (1 = exact for every pixel). */
  step: number;
  /** Largest error seen at the check points, in source pixels. */
  maxError: number;
  /** Source pixel box [minX, minY, maxX, maxY] holding every entry of `coords`. */
  bounds: [number, number, number, number];
}

/** Source pixel coordinates of every pixel centre of a tile whose bounds (grid CRS) are `tileBounds`. */
export function tilePixelMap(toSource: PointTransform, tileBounds: BBox, out = new Float64Array(TILE_SIZE * TILE_SIZE * 2)): PixelMap {
  const [west, , east, north] = tileBounds;
  const res = (east - west) / TILE_SIZE;
  // Position u, v in tile pixels (continuous, 0..256) → exact source pixel.
  const exact = (u: number, v: number): [number, number] => toSource(west + u * res, north - v * res);
  for (let step = FIRST_STEP; step >= 2; step /= 2) {
    const nodes = TILE_SIZE / step + 1;
    const grid = new Float64Array(nodes * nodes * 2);
    for (let j = 0; j < nodes; j++) {
      for (let i = 0; i < nodes; i++) {
        const [sx, sy] = exact(i * step, j * step);
        grid[(j * nodes + i) * 2] = sx;
        grid[(j * nodes + i) * 2 + 1] = sy;
      }
    }
    // Check at each cell's centre, where bilinear interpolation strays furthest from the exact transform.
    let maxError = 0;
    for (let j = 0; j < nodes - 1 && maxError <= MAX_GRID_ERROR; j++) {
      for (let i = 0; i < nodes - 1; i++) {
        const [ex, ey] = exact((i + 0.5) * step, (j + 0.5) * step);
        const a = (j * nodes + i) * 2;
        const b = a + 2;
        const c = a + nodes * 2;
        const d = c + 2;
        const ix = (grid[a] + grid[b] + grid[c] + grid[d]) / 4;
        const iy = (grid[a + 1] + grid[b + 1] + grid[c + 1] + grid[d + 1]) / 4;
        const error = Math.hypot(ix - ex, iy - ey);
        if (!Number.isFinite(error) || error > maxError) maxError = Number.isFinite(error) ? error : Infinity;
        if (maxError > MAX_GRID_ERROR) break;
      }
    }
    // Interpolated values lie between the grid's, so its nodes bound them: 81 points to scan instead of 65,536.
    if (maxError <= MAX_GRID_ERROR) return { coords: interpolate(grid, nodes, step, out), step, maxError, bounds: boundsOf(grid) };
  }
  const coords = out;
  for (let py = 0; py < TILE_SIZE; py++) {
    for (let px = 0; px < TILE_SIZE; px++) {
      const [sx, sy] = exact(px + 0.5, py + 0.5);
      coords[(py * TILE_SIZE + px) * 2] = sx;
      coords[(py * TILE_SIZE + px) * 2 + 1] = sy;
    }
  }
  return { coords, step: 1, maxError: 0, bounds: boundsOf(coords) };
}

/** The box of interleaved (x, y) pairs; NaN pairs are skipped. */
function boundsOf(pairs: Float64Array): [number, number, number, number] {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < pairs.length; i += 2) {
    const x = pairs[i];
    const y = pairs[i + 1];
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  return [minX, minY, maxX, maxY];
}

function interpolate(grid: Float64Array, nodes: number, step: number, coords: Float64Array): Float64Array {
  for (let py = 0; py < TILE_SIZE; py++) {
    const v = (py + 0.5) / step;
    const j = Math.min(nodes - 2, Math.floor(v));
    const fy = v - j;
    // Within one grid cell a row is linear in x: start value plus a constant step per pixel.
    for (let i = 0; i < nodes - 1; i++) {
      const a = (j * nodes + i) * 2;
      const c = a + nodes * 2;
      const leftX = grid[a] + (grid[c] - grid[a]) * fy;
      const leftY = grid[a + 1] + (grid[c + 1] - grid[a + 1]) * fy;
      const rightX = grid[a + 2] + (grid[c + 2] - grid[a + 2]) * fy;
      const rightY = grid[a + 3] + (grid[c + 3] - grid[a + 3]) * fy;
      const dx = (rightX - leftX) / step;
      const dy = (rightY - leftY) / step;
      let sx = leftX + dx * 0.5;
      let sy = leftY + dy * 0.5;
      let o = (py * TILE_SIZE + i * step) * 2;
      for (let k = 0; k < step; k++, o += 2) {
        coords[o] = sx;
        coords[o + 1] = sy;
        sx += dx;
        sy += dy;
      }
    }
  }
  return coords;
}
