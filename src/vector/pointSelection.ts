// Which single points a layer shows below its maxzoom, so that labels stay legible: at each such zoom one point a
// cell of half a tile (128 px of a 256 px tile), the best by rank when the layer has one, else the one nearest the
// cell's centre (an even spatial choice that does not depend on input order). Every point shows at the maxzoom.
//
// Half a tile was chosen against tippecanoe's default drop rate (2.5 a zoom from its base zoom): on world Natural
// Earth populated places (7,322, maxzoom 8) tippecanoe keeps 35 at z2 and 255 at z4.

/** Cells a tile side at each thinned zoom. */
export const CELLS_PER_TILE = 2;

interface Candidate<T> {
  x: number;
  y: number;
  /** Higher is better; -Infinity when the point has no rank. */
  rank: number;
  item: T;
  /** Thinned zooms whose cell this point holds now. */
  holds: Set<number>;
}

/**
 * Offers points one by one; a point holding no cell is released at once (it shows only from the maxzoom on), the
 * others when the layer ends, with the first zoom they hold. Memory: one point a cell, not a point a feature.
 */
export class PointSelection<T> {
  private readonly cells = new Map<number, Map<number, Candidate<T>>>();
  /** Points that hold no cell at any thinned zoom. */
  thinned = 0;

  /** `zooms`: the thinned zooms (below the maxzoom); `release(item, firstZoom)` places a point for good. */
  constructor(
    private readonly zooms: number[],
    private readonly release: (item: T, firstZoom: number | undefined) => void,
  ) {
    for (const z of zooms) this.cells.set(z, new Map());
  }

  /** `x`, `y` in projected units (0..1 from the north-west corner). */
  offer(x: number, y: number, rank: number, item: T): void {
    const candidate: Candidate<T> = { x, y, rank, item, holds: new Set() };
    for (const z of this.zooms) {
      const n = 2 ** z * CELLS_PER_TILE;
      const cx = Math.min(n - 1, Math.max(0, Math.floor(x * n)));
      const cy = Math.min(n - 1, Math.max(0, Math.floor(y * n)));
      const key = cy * n + cx;
      const cells = this.cells.get(z) as Map<number, Candidate<T>>;
      const holder = cells.get(key);
      if (holder && !better(candidate, holder, n, cx, cy)) continue;
      cells.set(key, candidate);
      candidate.holds.add(z);
      if (holder) {
        holder.holds.delete(z);
        if (holder.holds.size === 0) this.drop(holder);
      }
    }
    if (candidate.holds.size === 0) this.drop(candidate);
  }

  /** Releases the points that hold cells, each with the first zoom it shows at. */
  finish(): void {
    const released = new Set<Candidate<T>>();
    for (const cells of this.cells.values()) {
      for (const candidate of cells.values()) {
        if (released.has(candidate)) continue;
        released.add(candidate);
        this.release(candidate.item, Math.min(...candidate.holds));
      }
    }
    this.cells.clear();
  }

  private drop(candidate: Candidate<T>): void {
    this.thinned++;
    this.release(candidate.item, undefined);
  }
}

/** Better rank, then nearer the cell's centre, then (exact ties) the more north-western point. */
function better<T>(a: Candidate<T>, b: Candidate<T>, n: number, cx: number, cy: number): boolean {
  if (a.rank !== b.rank) return a.rank > b.rank;
  const centreX = (cx + 0.5) / n;
  const centreY = (cy + 0.5) / n;
  const da = (a.x - centreX) ** 2 + (a.y - centreY) ** 2;
  const db = (b.x - centreX) ** 2 + (b.y - centreY) ** 2;
  if (da !== db) return da < db;
  return a.y !== b.y ? a.y < b.y : a.x < b.x;
}
