// Rings as flat [x, y, …] tile coordinates: their area, box, cleaning, and which lies inside which. The primitives
// that repair (repair.ts, untangle.ts, faces.ts) and the read side (geometry.ts, budget.ts) share.

/** A ring as flat [x, y, …] tile coordinates, not repeating its first point. */
export type Ring = number[];

/**
 * Signed area of a flat ring, open or closed (positive: clockwise on screen, an exterior in MVT 2.1). The one
 * place that computes it. A closed ring's closing edge comes first and is a point to itself, adding exactly 0:
 * its sum runs over the same edges in the same order as a loop over its points alone.
 */
export function ringArea(ring: ArrayLike<number>): number {
  let sum = 0;
  const n = ring.length;
  for (let i = 0, j = n - 2; i < n; j = i, i += 2) sum += ring[j] * ring[i + 1] - ring[i] * ring[j + 1];
  return sum / 2;
}

/**
 * The ring without repeated points, its closing point, spikes (A B A) and points on a straight line between
 * their neighbours; undefined when fewer than three corners or no area are left.
 */
export function cleanRing(input: ArrayLike<number>): Ring | undefined {
  const out: number[] = [];
  let n = input.length;
  if (n >= 4 && input[0] === input[n - 2] && input[1] === input[n - 1]) n -= 2;
  for (let i = 0; i < n; i += 2) push(out, input[i], input[i + 1]);
  return closeRing(out);
}

/**
 * A ring built by push (no repeats, spikes or straight runs between consecutive points) cleaned around its closing
 * corner too, in place, as cleanRing would clean it; undefined when fewer than three corners or no area are left.
 */
export function closeRing(out: number[]): Ring | undefined {
  const n = out.length;
  if (n >= 4 && out[0] === out[n - 2] && out[1] === out[n - 1]) out.length -= 2;
  // Around the closing corner too: the first points may be collinear with the last ones.
  for (let changed = true; changed && out.length >= 6; ) {
    changed = false;
    const m = out.length;
    if (out[0] === out[m - 2] && out[1] === out[m - 1]) {
      out.length -= 2;
      changed = true;
    } else if (collinear(out[m - 4], out[m - 3], out[m - 2], out[m - 1], out[0], out[1])) {
      out.splice(m - 2, 2);
      changed = true;
    } else if (collinear(out[m - 2], out[m - 1], out[0], out[1], out[2], out[3])) {
      out.splice(0, 2);
      changed = true;
    }
  }
  if (out.length < 6 || ringArea(out) === 0) return undefined;
  return out;
}

/** Appends a point, first removing the points it makes redundant (repeated, spike or straight run). */
export function push(out: number[], x: number, y: number): void {
  for (;;) {
    const m = out.length;
    if (m >= 2 && out[m - 2] === x && out[m - 1] === y) return;
    if (m >= 4 && collinear(out[m - 4], out[m - 3], out[m - 2], out[m - 1], x, y)) {
      out.length -= 2;
      continue;
    }
    out.push(x, y);
    return;
  }
}

function collinear(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): boolean {
  return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax) === 0;
}

export type RingBox = [number, number, number, number];

/** [minX, minY, maxX, maxY] of a ring. */
export function ringBox(ring: ArrayLike<number>): RingBox {
  const box: RingBox = [Infinity, Infinity, -Infinity, -Infinity];
  for (let i = 0; i < ring.length; i += 2) {
    if (ring[i] < box[0]) box[0] = ring[i];
    if (ring[i + 1] < box[1]) box[1] = ring[i + 1];
    if (ring[i] > box[2]) box[2] = ring[i];
    if (ring[i + 1] > box[3]) box[3] = ring[i + 1];
  }
  return box;
}

/** Whether `ring`'s first vertex that is not on `outer`'s boundary lies inside `outer` (even-odd). */
export function containsRing(outer: Ring, ring: Ring): boolean {
  for (let k = 0; k < ring.length; k += 2) {
    const side = pointInRing(outer, ring[k], ring[k + 1]);
    if (side !== 0) return side > 0;
  }
  return false;
}

/**
 * containsRing for many rings tested against the same few exteriors (the lakes of a coast): an exterior asked more
 * than once, with a few hundred points or more, has its edges filed by horizontal bands, so that a point reads
 * only the edges that span its row. Same answers as containsRing.
 */
export function containsRingTester(): (outer: Ring, ring: Ring) => boolean {
  const seen = new Map<Ring, number | ((x: number, y: number) => number)>();
  return (outer, ring) => {
    let banded = seen.get(outer) ?? 0;
    if (typeof banded === 'number') {
      if (outer.length < 2 * BANDED_RING || banded === 0) {
        seen.set(outer, banded + 1);
        return containsRing(outer, ring);
      }
      banded = bandedPointInRing(outer);
      seen.set(outer, banded);
    }
    for (let k = 0; k < ring.length; k += 2) {
      const side = banded(ring[k], ring[k + 1]);
      if (side !== 0) return side > 0;
    }
    return false;
  };
}

const BANDED_RING = 256;

/** pointInRing over the ring's edges filed by the horizontal bands their closed y range spans. */
function bandedPointInRing(ring: Ring): (x: number, y: number) => number {
  const n = ring.length;
  let minY = Infinity;
  let maxY = -Infinity;
  for (let i = 1; i < n; i += 2) {
    if (ring[i] < minY) minY = ring[i];
    if (ring[i] > maxY) maxY = ring[i];
  }
  const bandCount = Math.max(1, Math.min(1024, Math.ceil(Math.sqrt(n / 2))));
  const height = (maxY - minY) / bandCount || 1;
  const band = (y: number) => Math.min(bandCount - 1, Math.max(0, Math.floor((y - minY) / height)));
  const bands: number[][] = Array.from({ length: bandCount }, () => []);
  for (let i = 0, j = n - 2; i < n; j = i, i += 2) {
    const last = band(Math.max(ring[i + 1], ring[j + 1]));
    for (let b = band(Math.min(ring[i + 1], ring[j + 1])); b <= last; b++) bands[b].push(i);
  }
  return (x, y) => {
    if (y < minY || y > maxY) return -1;
    let inside = false;
    for (const i of bands[band(y)]) {
      const j = i === 0 ? n - 2 : i - 2;
      const side = edgeSide(ring[i], ring[i + 1], ring[j], ring[j + 1], x, y);
      if (side === 0) return 0;
      if (side > 0) inside = !inside;
    }
    return inside ? 1 : -1;
  };
}

/** 0 when (x, y) lies on the edge from (xj, yj) to (xi, yi); 1 when the edge crosses the point's row right of it (even-odd); else -1. */
function edgeSide(xi: number, yi: number, xj: number, yj: number, x: number, y: number): number {
  // An edge wholly above or below the point neither holds it nor crosses its row: most edges of a coast.
  if ((yi < y && yj < y) || (yi > y && yj > y)) return -1;
  const cross = (xj - xi) * (y - yi) - (yj - yi) * (x - xi);
  if (cross === 0 && Math.min(xi, xj) <= x && x <= Math.max(xi, xj) && Math.min(yi, yj) <= y && y <= Math.max(yi, yj)) return 0;
  return yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi ? 1 : -1;
}

/** 1 inside, -1 outside, 0 on the boundary. */
function pointInRing(ring: Ring, x: number, y: number): number {
  let inside = false;
  const n = ring.length;
  for (let i = 0, j = n - 2; i < n; j = i, i += 2) {
    const side = edgeSide(ring[i], ring[i + 1], ring[j], ring[j + 1], x, y);
    if (side === 0) return 0;
    if (side > 0) inside = !inside;
  }
  return inside ? 1 : -1;
}
