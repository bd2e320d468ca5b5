// Finds whether a tile polygon's rings cross or touch one another or themselves: what Douglas–Peucker and rounding
// to the tile grid do to rings that ran close together (a fjord's banks, an island off a coast). Exact on the
// integer tile grid. Most polygons are clean; this check is what keeps the repair (untangle.ts) off them.

/**
 * Whether any two edges of the rings share a point other than the vertex joining consecutive edges of one ring,
 * or two consecutive edges fold back along each other.
 */
export function ringsCross(rings: ArrayLike<number>[]): boolean {
  return meetings(rings, () => true) === undefined;
}

/**
 * For each ring, whether it meets itself or another ring (as ringsCross sees it); undefined when none do. The
 * rings that meet nothing can be left out of a repair: they stay as they are.
 */
export function meetingRings(rings: ArrayLike<number>[]): Uint8Array | undefined {
  const ringOf: number[] = [];
  rings.forEach((ring, r) => {
    for (let i = 0; i < ring.length; i += 2) ringOf.push(r);
  });
  const meeting = new Uint8Array(rings.length);
  let any = false;
  meetings(rings, (_, s, t) => {
    meeting[ringOf[s]] = 1;
    meeting[ringOf[t]] = 1;
    any = true;
    return false;
  });
  return any ? meeting : undefined;
}

/** Whether a ring of `a` meets a ring of `b` (rings of one set may meet each other). */
export function setsMeet(a: ArrayLike<number>[], b: ArrayLike<number>[]): boolean {
  // Only rings of `b` within the box around `a` can meet it: on a continent's tile most are far off.
  const [minX, minY, maxX, maxY] = boundsOf(a);
  const near = b.filter((ring) => {
    const [x0, y0, x1, y1] = boundsOf([ring]);
    return x0 <= maxX && x1 >= minX && y0 <= maxY && y1 >= minY;
  });
  if (near.length === 0) return false;
  // Edges are numbered ring by ring: those of `a` come first.
  const split = a.reduce((n, ring) => n + ring.length / 2, 0);
  return meetings([...a, ...near], (_, s, t) => s < split !== t < split) === undefined;
}

/** [minX, minY, maxX, maxY] around all the rings. */
function boundsOf(rings: ArrayLike<number>[]): [number, number, number, number] {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const ring of rings) {
    for (let i = 0; i < ring.length; i += 2) {
      const x = ring[i];
      const y = ring[i + 1];
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
  }
  return [minX, minY, maxX, maxY];
}

/**
 * Whether rings that meet all meet as OGC allows a polygon's rings to: corner to corner only (no crossing, no
 * corner on another's edge, no edges along each other), a ring never with itself, two rings at one point at most,
 * and no rings touching round in a cycle (which would cut the land between them off). Most polygons Clipper hands
 * back after untangling meet only so (a lake touching the coast at a point); the others need retracing (faces.ts).
 */
export function ringsMeetAsAllowed(rings: ArrayLike<number>[]): boolean {
  const ringOf: number[] = [];
  rings.forEach((ring, r) => {
    for (let i = 0; i < ring.length; i += 2) ringOf.push(r);
  });
  // Where rings touch: point key -> the rings there.
  const touches = new Map<number, number[]>();
  const edges = meetings(rings, (e, s, t) => {
    const at = sharedCorner(e, s, t);
    if (at === undefined || ringOf[s] === ringOf[t]) return true;
    const key = (at[0] + KEY_SHIFT) * 2 ** 23 + (at[1] + KEY_SHIFT);
    const there = touches.get(key);
    if (!there) touches.set(key, [ringOf[s], ringOf[t]]);
    else for (const r of [ringOf[s], ringOf[t]]) if (!there.includes(r)) there.push(r);
    return false;
  });
  if (!edges) return false;
  // The rings joined by touch points must form a forest: a second path between two rings closes a cycle.
  const parent = rings.map((_, r) => r);
  const root = (r: number): number => (parent[r] === r ? r : (parent[r] = root(parent[r])));
  for (const there of touches.values()) {
    for (let k = 1; k < there.length; k++) {
      const a = root(there[0]);
      const b = root(there[k]);
      if (a === b) return false;
      parent[b] = a;
    }
  }
  return true;
}

/** The point two meeting edges share as an end of both, when that is all they share; else undefined. */
function sharedCorner(e: Edges, s: number, t: number): [number, number] | undefined {
  const { ax, ay, bx, by } = e;
  let x: number;
  let y: number;
  let sx: number; // the other ends, to tell edges running along each other
  let sy: number;
  let tx: number;
  let ty: number;
  if (ax[s] === ax[t] && ay[s] === ay[t]) [x, y, sx, sy, tx, ty] = [ax[s], ay[s], bx[s], by[s], bx[t], by[t]];
  else if (ax[s] === bx[t] && ay[s] === by[t]) [x, y, sx, sy, tx, ty] = [ax[s], ay[s], bx[s], by[s], ax[t], ay[t]];
  else if (bx[s] === ax[t] && by[s] === ay[t]) [x, y, sx, sy, tx, ty] = [bx[s], by[s], ax[s], ay[s], bx[t], by[t]];
  else if (bx[s] === bx[t] && by[s] === by[t]) [x, y, sx, sy, tx, ty] = [bx[s], by[s], ax[s], ay[s], ax[t], ay[t]];
  else return undefined;
  const ux = sx - x;
  const uy = sy - y;
  const vx = tx - x;
  const vy = ty - y;
  // In line and the same way from the corner: they overlap.
  if (ux * vy - uy * vx === 0 && ux * vx + uy * vy > 0) return undefined;
  return [x, y];
}

/**
 * The rings with a vertex added wherever an edge crosses or touches another away from its ends: the crossing
 * rounded to the grid (snap rounding's first step). Clipper rounds the crossings it finds the same way but keeps
 * the edges it does not cut: a corner a unit from another edge then still crosses it in exact arithmetic (GEOS's
 * view). Once every meeting is a shared vertex, the union has nothing left to round.
 */
export function nodeRings(rings: ArrayLike<number>[]): number[][] {
  return nodedWhereMeeting(rings) ?? rings.map((ring) => Array.from(ring));
}

/** nodeRings' rings, or undefined when no two edges meet at all (ringsCross false): one sweep answers both. */
export function nodedWhereMeeting(rings: ArrayLike<number>[]): number[][] | undefined {
  let met = false;
  const added = new Map<number, number[]>();
  const add = (edge: number, x: number, y: number) => {
    const list = added.get(edge);
    if (list) list.push(x, y);
    else added.set(edge, [x, y]);
  };
  meetings(rings, (e, s, t) => {
    met = true;
    const [px, py] = meetingPoint(e, s, t);
    for (const u of [s, t]) if (!(px === e.ax[u] && py === e.ay[u]) && !(px === e.bx[u] && py === e.by[u])) add(u, px, py);
    return false;
  });
  if (!met) return undefined;
  if (added.size === 0) return rings.map((ring) => Array.from(ring));
  const out: number[][] = [];
  let e = 0;
  for (const ring of rings) {
    const n = ring.length / 2;
    const noded: number[] = [];
    for (let i = 0; i < n; i++, e++) {
      noded.push(ring[2 * i], ring[2 * i + 1]);
      const points = added.get(e);
      if (!points) continue;
      // In order along the edge.
      const x0 = ring[2 * i];
      const y0 = ring[2 * i + 1];
      const order: number[] = [];
      for (let k = 0; k < points.length; k += 2) order.push(k);
      order.sort((a, b) => Math.abs(points[a] - x0) + Math.abs(points[a + 1] - y0) - (Math.abs(points[b] - x0) + Math.abs(points[b + 1] - y0)));
      for (const k of order) if (noded[noded.length - 2] !== points[k] || noded[noded.length - 1] !== points[k + 1]) noded.push(points[k], points[k + 1]);
    }
    out.push(noded);
  }
  return out;
}

/** The edges of a set of rings: edge e runs from (ax, ay) to (bx, by); its ring starts at edge `first` and has `size`. */
interface Edges {
  ax: Float64Array;
  ay: Float64Array;
  bx: Float64Array;
  by: Float64Array;
}

/**
 * Calls `meet` for each pair of edges that share a point other than the vertex joining consecutive edges of one
 * ring (or that fold back along each other) until it returns true; returns the edges when it never did, else
 * undefined. A sweep along x over the edges sorted by their left end (ties by edge number), each tested only
 * against the edges still open there whose y ranges overlap.
 */
function meetings(rings: ArrayLike<number>[], meet: (edges: Edges, s: number, t: number) => boolean): Edges | undefined {
  let count = 0;
  for (const ring of rings) count += ring.length / 2;
  const { ax, ay, bx, by, first, size, left, right, low, high, order, open } = scratchFor(count);
  const edges: Edges = { ax, ay, bx, by };
  if (count < 4) return edges;
  let e = 0;
  let minLeft = Infinity;
  let maxLeft = -Infinity;
  for (const ring of rings) {
    const n = ring.length / 2;
    const start = e;
    for (let i = 0; i < n; i++, e++) {
      const j = i + 1 === n ? 0 : i + 1;
      const x0 = ring[2 * i];
      const y0 = ring[2 * i + 1];
      const x1 = ring[2 * j];
      const y1 = ring[2 * j + 1];
      ax[e] = x0;
      ay[e] = y0;
      bx[e] = x1;
      by[e] = y1;
      first[e] = start;
      size[e] = n;
      // Edges are ordered by their left end's floor (tile coordinates are whole units; a fraction only widens this).
      const l = Math.floor(x0 < x1 ? x0 : x1);
      left[e] = l;
      right[e] = x0 < x1 ? x1 : x0;
      low[e] = y0 < y1 ? y0 : y1;
      high[e] = y0 < y1 ? y1 : y0;
      if (l < minLeft) minLeft = l;
      if (l > maxLeft) maxLeft = l;
    }
  }
  sortByLeft(count, minLeft, maxLeft);
  let openCount = 0;
  for (let k = 0; k < count; k++) {
    const s = order[k];
    const x = left[s];
    const sMinY = low[s];
    const sMaxY = high[s];
    let kept = 0;
    for (let m = 0; m < openCount; m++) {
      const t = open[m];
      if (right[t] < x) continue; // closed before this edge starts
      open[kept++] = t;
      if (high[t] < sMinY || low[t] > sMaxY) continue;
      if (edgesMeet(s, t) && meet(edges, s, t)) return undefined;
    }
    open[kept] = s;
    openCount = kept + 1;
  }
  return edges;

  function edgesMeet(s: number, t: number): boolean {
    const n = size[s];
    // Consecutive edges of a ring share a vertex by construction; they are wrong only when they fold back.
    if (n > 2 && first[s] === first[t]) {
      const i = s - first[s];
      const j = t - first[t];
      if ((i + 1) % n === j) return foldsBack(s, t);
      if ((j + 1) % n === i) return foldsBack(t, s);
    }
    return segmentsMeet(ax[s], ay[s], bx[s], by[s], ax[t], ay[t], bx[t], by[t]);
  }

  /** Edge `u` ends where edge `v` starts: they overlap when collinear and turning back. */
  function foldsBack(u: number, v: number): boolean {
    const ux = bx[u] - ax[u];
    const uy = by[u] - ay[u];
    const vx = bx[v] - ax[v];
    const vy = by[v] - ay[v];
    return ux * vy - uy * vx === 0 && ux * vx + uy * vy < 0;
  }
}

/**
 * Fills scratch.order[0, count) with the edge numbers sorted by their left end, ties by number: a counting sort
 * into about one bucket per edge (stable, linear), then insertion within buckets. A typed-array sort of numeric
 * keys cost a fifth of the sweep.
 */
function sortByLeft(count: number, minLeft: number, maxLeft: number): void {
  const { left, order } = scratch;
  if (count > 16) {
    // Buckets a power of two wide, so that an edge's bucket is a shift: at most about two per edge.
    let shift = 0;
    while ((count << shift) < maxLeft - minLeft + 1) shift++;
    const bucketCount = ((maxLeft - minLeft) >> shift) + 1;
    if (scratch.buckets.length < bucketCount + 1) scratch.buckets = new Int32Array(2 * bucketCount + 2);
    const { buckets } = scratch;
    buckets.fill(0, 0, bucketCount + 1);
    for (let e = 0; e < count; e++) buckets[((left[e] - minLeft) >> shift) + 1]++;
    for (let b = 1; b <= bucketCount; b++) buckets[b] += buckets[b - 1];
    for (let e = 0; e < count; e++) order[buckets[(left[e] - minLeft) >> shift]++] = e;
  } else for (let e = 0; e < count; e++) order[e] = e;
  // Insertion, stable: equal left ends keep their (ascending) edge numbers. Edges crowded into a few buckets
  // would make it quadratic: past a budget of moves, numeric keys (left end, then number) are sorted instead.
  let moves = 16 * count;
  for (let k = 1; k < count; k++) {
    const e = order[k];
    const l = left[e];
    let m = k;
    while (m > 0 && left[order[m - 1]] > l) {
      order[m] = order[m - 1];
      m--;
    }
    order[m] = e;
    moves -= k - m;
    if (moves < 0) {
      const keys = new Float64Array(count);
      for (let e = 0; e < count; e++) keys[e] = (left[e] + KEY_SHIFT) * KEY_SPAN + e;
      keys.sort();
      for (let k = 0; k < count; k++) order[k] = keys[k] % KEY_SPAN;
      return;
    }
  }
}

// Sort keys: tile coordinates stay well within ±2^20 (the buffer included), and a tile's polygon within 2^22 edges.
const KEY_SHIFT = 2 ** 20;
const KEY_SPAN = 2 ** 22;

function newScratch(n: number) {
  const floats = () => new Float64Array(n);
  const ints = () => new Int32Array(n);
  return { ax: floats(), ay: floats(), bx: floats(), by: floats(), right: floats(), low: floats(), high: floats(), left: ints(), first: ints(), size: ints(), order: ints(), open: ints(), buckets: new Int32Array(n + 1) };
}

/** Arrays reused from call to call (a worker checks one polygon at a time): allocating them each time fed the GC. */
let scratch = newScratch(1024);

function scratchFor(count: number): typeof scratch {
  if (scratch.ax.length < count) scratch = { ...newScratch(Math.max(count, 2 * scratch.ax.length)), buckets: scratch.buckets };
  return scratch;
}

/**
 * Where two meeting edges meet, on the grid: the rounded crossing, or for edges touching or overlapping along a
 * line, an end of one that lies on the other (the nearer end of the shorter edge when they fold back).
 */
function meetingPoint(e: Edges, s: number, t: number): [number, number] {
  const { ax, ay, bx, by } = e;
  const rx = bx[s] - ax[s];
  const ry = by[s] - ay[s];
  const qx = bx[t] - ax[t];
  const qy = by[t] - ay[t];
  const denominator = rx * qy - ry * qx;
  if (denominator !== 0) {
    const u = ((ax[t] - ax[s]) * qy - (ay[t] - ay[s]) * qx) / denominator;
    return [Math.round(ax[s] + u * rx), Math.round(ay[s] + u * ry)];
  }
  // Collinear: an end of one edge inside the other.
  for (const [x, y, ox, oy, px, py] of [
    [ax[t], ay[t], ax[s], ay[s], bx[s], by[s]],
    [bx[t], by[t], ax[s], ay[s], bx[s], by[s]],
    [ax[s], ay[s], ax[t], ay[t], bx[t], by[t]],
    [bx[s], by[s], ax[t], ay[t], bx[t], by[t]],
  ]) {
    if (within(ox, oy, px, py, x, y) && !(x === ox && y === oy) && !(x === px && y === py)) return [x, y];
  }
  // Collinear edges that only share an end (one running on where the other stops): that end, which adds nothing.
  return within(ax[t], ay[t], bx[t], by[t], ax[s], ay[s]) ? [ax[s], ay[s]] : [bx[s], by[s]];
}

function orient(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): number {
  return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
}

/** Whether c, known collinear with a–b, lies within the segment's box (on the segment, ends included). */
function within(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): boolean {
  return Math.min(ax, bx) <= cx && cx <= Math.max(ax, bx) && Math.min(ay, by) <= cy && cy <= Math.max(ay, by);
}

/** Whether segments p1–p2 and q1–q2 share any point (crossing, touching or overlapping). */
export function segmentsMeet(p1x: number, p1y: number, p2x: number, p2y: number, q1x: number, q1y: number, q2x: number, q2y: number): boolean {
  const d1 = orient(p1x, p1y, p2x, p2y, q1x, q1y);
  const d2 = orient(p1x, p1y, p2x, p2y, q2x, q2y);
  const d3 = orient(q1x, q1y, q2x, q2y, p1x, p1y);
  const d4 = orient(q1x, q1y, q2x, q2y, p2x, p2y);
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) return true;
  if (d1 === 0 && within(p1x, p1y, p2x, p2y, q1x, q1y)) return true;
  if (d2 === 0 && within(p1x, p1y, p2x, p2y, q2x, q2y)) return true;
  if (d3 === 0 && within(q1x, q1y, q2x, q2y, p1x, p1y)) return true;
  if (d4 === 0 && within(q1x, q1y, q2x, q2y, p2x, p2y)) return true;
  return false;
}
