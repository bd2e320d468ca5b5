// Lower zooms from their four children: a 2×2 average over opaque pixels (alpha-weighted), never re-read from the source.
import { TILE_SIZE } from './types.js';

/**
 * Children in the order of childTiles() (NW, NE, SW, SE); a missing child is transparent.
 * Colour is averaged with alpha weights, alpha itself plainly, so data edges fade rather than darken.
 */
export function downsampleChildren(children: (Uint8Array | null)[]): Uint8Array {
  const parent = new Uint8Array(TILE_SIZE * TILE_SIZE * 4);
  const half = TILE_SIZE / 2;
  for (let q = 0; q < 4; q++) {
    const child = children[q];
    if (!child) continue;
    const offsetX = (q % 2) * half;
    const offsetY = Math.floor(q / 2) * half;
    for (let y = 0; y < half; y++) {
      const rowA = 2 * y * TILE_SIZE * 4;
      const rowB = rowA + TILE_SIZE * 4;
      let o = ((offsetY + y) * TILE_SIZE + offsetX) * 4;
      for (let x = 0; x < half; x++, o += 4) {
        const i = rowA + x * 8;
        const j = rowB + x * 8;
        const a0 = child[i + 3];
        const a1 = child[i + 7];
        const a2 = child[j + 3];
        const a3 = child[j + 7];
        const alpha = a0 + a1 + a2 + a3;
        if (alpha === 0) continue;
        parent[o] = (child[i] * a0 + child[i + 4] * a1 + child[j] * a2 + child[j + 4] * a3) / alpha + 0.5;
        parent[o + 1] = (child[i + 1] * a0 + child[i + 5] * a1 + child[j + 1] * a2 + child[j + 5] * a3) / alpha + 0.5;
        parent[o + 2] = (child[i + 2] * a0 + child[i + 6] * a1 + child[j + 2] * a2 + child[j + 6] * a3) / alpha + 0.5;
        parent[o + 3] = alpha / 4 + 0.5;
      }
    }
  }
  return parent;
}

export type Coverage = 'empty' | 'partial' | 'opaque';

export function coverageOf(rgba: Uint8Array): Coverage {
  let opaque = true;
  let any = false;
  for (let o = 3; o < rgba.length; o += 4) {
    const a = rgba[o];
    if (a !== 0) any = true;
    if (a !== 255) opaque = false;
    if (any && !opaque) return 'partial';
  }
  return opaque ? 'opaque' : any ? 'partial' : 'empty';
}
