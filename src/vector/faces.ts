// Retraces a polygon's rings face by face, so that rings meet only as OGC allows: Clipper's union (untangle.ts) can
// hand back a hole touching its exterior at two points (the land between them cut off: GEOS's "interior is
// disconnected"), a hole lying along its exterior on the clip edge, or, near rounded crossings, two exteriors
// overlapping by a unit triangle. Here the rings' edges are cut wherever they meet (crossings.ts), edges that run
// both ways cancel, and the area on the right of travel (the land) is walked around one face at a time, turning
// at each shared point into the edge that bounds the same face. Each walk is a face's outline; what a walk encloses
// that is not land (winding from all rings) is left out.
import { nodeRings } from './crossings.js';
import { cleanRing, containsRing, ringArea, type Ring } from './rings.js';

/** The rings (exteriors positive, each followed by its holes) of the area the given rings wind positively around. */
export function traceFaces(rings: ArrayLike<number>[]): Ring[] {
  const graph = edgeGraph(nodeRings(rings));
  const pieces: Ring[] = [];
  for (const walk of faceWalks(graph)) pieces.push(...splitAtPinches(walk));
  const winding = windingOf(pieces);
  const kept = pieces.filter((piece) => boundsLand(piece, winding)).map((ring) => ({ ring, area: ringArea(ring), box: bounds(ring) }));
  const exteriors = kept.filter((piece) => piece.area > 0).sort((a, b) => a.area - b.area);
  if (exteriors.length === 1) return kept.sort((a, b) => b.area - a.area).map((piece) => piece.ring);
  // Each hole after the smallest exterior that holds it; an exterior whose box is the only one around the hole
  // holds it without a test (most holes lie in one big coast).
  const homes = new Map<Ring, Ring[]>(exteriors.map((exterior) => [exterior.ring, []]));
  for (const hole of kept) {
    if (hole.area > 0) continue;
    const around = exteriors.filter((exterior) => boxHolds(exterior.box, hole.box));
    const home = around.length === 1 ? around[0] : around.find((exterior) => containsRing(exterior.ring, hole.ring));
    if (home) homes.get(home.ring)?.push(hole.ring);
  }
  return exteriors.reverse().flatMap((exterior) => [exterior.ring, ...(homes.get(exterior.ring) ?? [])]);
}

/** [minX, minY, maxX, maxY] of a ring. */
function bounds(ring: Ring): [number, number, number, number] {
  const box: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
  for (let i = 0; i < ring.length; i += 2) {
    if (ring[i] < box[0]) box[0] = ring[i];
    if (ring[i] > box[2]) box[2] = ring[i];
    if (ring[i + 1] < box[1]) box[1] = ring[i + 1];
    if (ring[i + 1] > box[3]) box[3] = ring[i + 1];
  }
  return box;
}

function boxHolds(outer: number[], inner: number[]): boolean {
  return outer[0] <= inner[0] && outer[1] <= inner[1] && outer[2] >= inner[2] && outer[3] >= inner[3];
}

/** Directed edges between numbered points (x, y): edge e runs from[e] → to[e]; out[v] holds the edges left at v. */
interface EdgeGraph {
  x: number[];
  y: number[];
  from: number[];
  to: number[];
  alive: boolean[];
  out: number[][];
}

/** The rings' edges, an edge and its reverse cancelling (a zero-width bridge, a hole lying along its exterior). */
function edgeGraph(rings: number[][]): EdgeGraph {
  const ids = new Map<number, number>();
  const graph: EdgeGraph = { x: [], y: [], from: [], to: [], alive: [], out: [] };
  const point = (x: number, y: number) => {
    const key = pointKey(x, y);
    let id = ids.get(key);
    if (id === undefined) {
      id = graph.x.length;
      ids.set(key, id);
      graph.x.push(x);
      graph.y.push(y);
    }
    return id;
  };
  // Edges by their ends; an edge whose reverse is still open cancels it instead of being added.
  const open = new Map<number, number[]>();
  const { alive } = graph;
  for (const ring of rings) {
    const n = ring.length / 2;
    for (let i = 0; i < n; i++) {
      const j = i + 1 === n ? 0 : i + 1;
      const a = point(ring[2 * i], ring[2 * i + 1]);
      const b = point(ring[2 * j], ring[2 * j + 1]);
      if (a === b) continue;
      const reverse = open.get(b * POINT_SPAN + a);
      if (reverse?.length) {
        alive[reverse.pop() as number] = false;
        continue;
      }
      const e = graph.from.length;
      graph.from.push(a);
      graph.to.push(b);
      alive.push(true);
      const key = a * POINT_SPAN + b;
      const list = open.get(key);
      if (list) list.push(e);
      else open.set(key, [e]);
    }
  }
  graph.out = graph.x.map(() => []);
  for (let e = 0; e < graph.from.length; e++) if (alive[e]) graph.out[graph.from[e]].push(e);
  return graph;
}

const POINT_SPAN = 2 ** 26;
const pointKey = (x: number, y: number) => (x + 1e6) * 4e6 + (y + 1e6);

/**
 * Closed walks over every edge once, keeping the land on the right: arriving at a point, the walk leaves by the
 * edge met first turning from the way it came through the land (clockwise in the usual y-up sense, counter-clockwise
 * on screen), the edge that bounds the same face. A walk passes a point twice only where its face touches itself.
 */
function faceWalks(graph: EdgeGraph): number[][] {
  const { x, y, from, to, alive, out } = graph;
  const used = new Uint8Array(from.length);
  const walks: number[][] = [];
  for (let start = 0; start < from.length; start++) {
    if (used[start] || !alive[start]) continue;
    const walk: number[] = [];
    let e = start;
    for (;;) {
      used[e] = 1;
      walk.push(x[from[e]], y[from[e]]);
      const v = to[e];
      // Turning from the way back (v → from[e]) towards the land: the smallest such turn.
      const back = Math.atan2(y[from[e]] - y[v], x[from[e]] - x[v]);
      let best = -1;
      let bestTurn = Infinity;
      for (const candidate of out[v]) {
        if (used[candidate] && candidate !== start) continue;
        let turn = back - Math.atan2(y[to[candidate]] - y[v], x[to[candidate]] - x[v]);
        if (turn <= 0) turn += 2 * Math.PI;
        if (turn < bestTurn) [bestTurn, best] = [turn, candidate];
      }
      if (best < 0 || best === start) break;
      e = best;
    }
    walks.push(walk);
  }
  return walks;
}

/**
 * A walk that passes through one point twice, cut there into the loops it makes (a face touching itself at a point
 * is an exterior with a hole there, or two exteriors), each cleaned; GEOS rejects a ring that touches itself.
 */
export function splitAtPinches(path: ArrayLike<number>): Ring[] {
  // Most rings pass no point twice: a typed hash of the points tells so without a Map entry a point.
  if (!repeatsPoint(path)) {
    const ring = cleanRing(path);
    return ring ? [ring] : [];
  }
  const pieces: Ring[] = [];
  const walk: number[] = [];
  const seen = new Map<number, number>();
  for (let i = 0; i < path.length; i += 2) {
    const x = path[i];
    const y = path[i + 1];
    const at = seen.get(pointKey(x, y));
    if (at !== undefined) {
      // The loop since the first visit is a ring of its own; the walk goes on from that point.
      const loop = walk.splice(at);
      for (let k = 0; k < loop.length; k += 2) seen.delete(pointKey(loop[k], loop[k + 1]));
      const ring = cleanRing(loop);
      if (ring) pieces.push(ring);
    }
    seen.set(pointKey(x, y), walk.length);
    walk.push(x, y);
  }
  const ring = cleanRing(walk);
  if (ring) pieces.push(ring);
  return pieces;
}

/**
 * Whether the path passes through one point twice (or holds a coordinate off the 32-bit grid, which the hash does
 * not take: then it says yes and the caller walks it the long way).
 */
function repeatsPoint(path: ArrayLike<number>): boolean {
  const count = path.length / 2;
  let size = 64;
  while (size < 2 * count) size *= 2;
  if (hashX.length < size) [hashX, hashY, hashUsed] = [new Int32Array(size), new Int32Array(size), new Uint32Array(size)];
  // A slot is taken when hashUsed holds this call's stamp: no clearing between calls.
  stamp = stamp === 0xffffffff ? 1 : stamp + 1;
  if (stamp === 1) hashUsed.fill(0);
  const mask = size - 1;
  for (let i = 0; i < path.length; i += 2) {
    const x = path[i];
    const y = path[i + 1];
    if ((x | 0) !== x || (y | 0) !== y) return true;
    let slot = (Math.imul(x, 0x9e3779b1) ^ Math.imul(y, 0x85ebca77)) & mask;
    while (hashUsed[slot] === stamp) {
      if (hashX[slot] === x && hashY[slot] === y) return true;
      slot = (slot + 1) & mask;
    }
    hashUsed[slot] = stamp;
    hashX[slot] = x;
    hashY[slot] = y;
  }
  return false;
}

let hashX = new Int32Array(0);
let hashY = new Int32Array(0);
let hashUsed = new Uint32Array(0);
let stamp = 0;

/**
 * Whether the ring separates land (positive winding of all the pieces) on its right from no land on its left,
 * judged a hair either side of the middle of its longest edge. A face that two overlapping exteriors both cover,
 * or a hole inside another hole, does not.
 */
function boundsLand(ring: Ring, winding: (x: number, y: number) => number): boolean {
  const n = ring.length / 2;
  let longest = 0;
  let length = -1;
  for (let i = 0; i < n; i++) {
    const j = i + 1 === n ? 0 : i + 1;
    const d = Math.hypot(ring[2 * j] - ring[2 * i], ring[2 * j + 1] - ring[2 * i + 1]);
    if (d > length) [length, longest] = [d, i];
  }
  const j = longest + 1 === n ? 0 : longest + 1;
  const ax = ring[2 * longest];
  const ay = ring[2 * longest + 1];
  const dx = ring[2 * j] - ax;
  const dy = ring[2 * j + 1] - ay;
  // Right of travel on screen (y down) is (-dy, dx). A millionth of a unit: well inside the 1/12,000 unit that
  // separates an edge's middle from any line through other grid points.
  const h = 1e-6 / length;
  const mx = ax + dx / 2;
  const my = ay + dy / 2;
  return winding(mx - dy * h, my + dx * h) > 0 && winding(mx + dy * h, my - dx * h) <= 0;
}

/**
 * What an edge from (x0, y0) to (x1, y1) adds to a point's winding number (Sunday's rule): +1 when it crosses the
 * point's row towards greater y with the point on its positive side (cross product), -1 when it crosses back with the
 * point on its negative side, else 0. The one rule of untangle.ts and of the retrace here.
 */
export function edgeWinding(x0: number, y0: number, x1: number, y1: number, px: number, py: number): number {
  const side = (x1 - x0) * (py - y0) - (px - x0) * (y1 - y0);
  if (y0 <= py) return y1 > py && side > 0 ? 1 : 0;
  return y1 <= py && side < 0 ? -1 : 0;
}

/**
 * The winding number of a point over the rings (exteriors, positive area, count +1 around what they hold). Edges
 * are filed by horizontal bands, so a point reads only the edges that span its y: a tile's coast has thousands.
 */
export function windingOf(rings: ArrayLike<number>[]): (px: number, py: number) => number {
  let count = 0;
  let minY = Infinity;
  let maxY = -Infinity;
  for (const ring of rings) {
    count += ring.length / 2;
    for (let i = 1; i < ring.length; i += 2) {
      if (ring[i] < minY) minY = ring[i];
      if (ring[i] > maxY) maxY = ring[i];
    }
  }
  const ax = new Float64Array(count);
  const ay = new Float64Array(count);
  const bx = new Float64Array(count);
  const by = new Float64Array(count);
  const bandCount = Math.max(1, Math.min(1024, Math.ceil(Math.sqrt(count))));
  const height = (maxY - minY) / bandCount || 1;
  const band = (y: number) => Math.min(bandCount - 1, Math.max(0, Math.floor((y - minY) / height)));
  const bands: number[][] = Array.from({ length: bandCount }, () => []);
  let e = 0;
  for (const ring of rings) {
    const n = ring.length;
    for (let i = 0, k = n - 2; i < n; k = i, i += 2, e++) {
      ax[e] = ring[k];
      ay[e] = ring[k + 1];
      bx[e] = ring[i];
      by[e] = ring[i + 1];
      const last = band(Math.max(ay[e], by[e]));
      for (let b = band(Math.min(ay[e], by[e])); b <= last; b++) bands[b].push(e);
    }
  }
  return (px, py) => {
    if (py < minY || py > maxY) return 0;
    let w = 0;
    for (const edge of bands[band(py)]) w += edgeWinding(ax[edge], ay[edge], bx[edge], by[edge], px, py);
    return w;
  };
}
