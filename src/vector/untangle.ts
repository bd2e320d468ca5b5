// Makes crossing rings simple again: the union of the polygon with itself, each point inside where the rings wind
// positively around it (exteriors count +1, holes -1), traced back as simple rings that touch nowhere. Tippecanoe
// does the same with wagyu on every simplified polygon; here only polygons whose rings cross (crossings.ts) pay it.
import ClipperLib, { type PolyNode } from 'clipper-lib';
import { nodeRings, ringsCross } from './crossings.js';
import { cleanRing, containsRing, ringArea, type Ring } from './repair.js';

type Path = { X: number; Y: number }[];

/**
 * The rings (exteriors positive, each followed by its holes, as the spec reads them) of the area the given rings
 * cover with positive winding. A twist that simplification wound backwards, a hole pushed out of its exterior,
 * two parts pushed over each other: the first two leave nothing, the last is merged.
 */
export function untangle(rings: ArrayLike<number>[]): Ring[] {
  let result = union(nodeRings(rings));
  // Each pass's rounding can make a new crossing a unit away; one more pass settles nearly all.
  for (let pass = 1; pass < UNTANGLE_PASSES && ringsCross(result); pass++) result = union(nodeRings(result));
  return result;
}

const UNTANGLE_PASSES = 2;

function union(rings: ArrayLike<number>[]): Ring[] {
  const clipper = new ClipperLib.Clipper();
  // A vertex added where a corner touches an edge (nodeRings) is collinear: without it Clipper never sees the touch.
  clipper.PreserveCollinear = true;
  for (const ring of rings) clipper.AddPath(toPath(ring), ClipperLib.PolyType.ptSubject, true);
  const tree = new ClipperLib.PolyTree();
  clipper.Execute(ClipperLib.ClipType.ctUnion, tree, ClipperLib.PolyFillType.pftPositive, ClipperLib.PolyFillType.pftPositive);
  const out: Ring[] = [];
  const addExterior = (node: PolyNode) => {
    // Clipper's own StrictlySimple pass splits rings that touch themselves but is quadratic in a ring's points
    // (minutes on a continent's coast): pinches are split here instead, in one walk.
    const exteriors: Ring[] = [];
    const holes: Ring[] = [];
    for (const piece of splitAtPinches(node.Contour())) (ringArea(piece) > 0 ? exteriors : holes).push(piece);
    const islands: PolyNode[] = [];
    for (const hole of node.Childs()) {
      // A hole pinched against itself is two holes; a loop of it wound the other way is an island in the lake.
      for (const piece of splitAtPinches(hole.Contour())) (ringArea(piece) < 0 ? holes : exteriors).push(piece);
      islands.push(...hole.Childs());
    }
    if (exteriors.length === 1) out.push(exteriors[0], ...holes);
    else {
      // Each hole after the smallest exterior that holds it.
      const homes = new Map<Ring, Ring[]>(exteriors.map((exterior) => [exterior, []]));
      const bySize = [...exteriors].sort((a, b) => ringArea(a) - ringArea(b));
      for (const hole of holes) {
        const home = bySize.find((exterior) => containsRing(exterior, hole));
        if (home) homes.get(home)?.push(hole);
      }
      for (const exterior of exteriors) out.push(exterior, ...(homes.get(exterior) ?? []));
    }
    islands.forEach(addExterior);
  };
  tree.Childs().forEach(addExterior);
  return out;
}

/**
 * A ring that passes through one point twice, cut there into the loops it makes (an exterior touching itself is two
 * exteriors, or one with a hole), each cleaned; GEOS rejects a ring that touches itself.
 */
function splitAtPinches(path: Path): Ring[] {
  const pieces: Ring[] = [];
  const walk: number[] = [];
  const seen = new Map<number, number>();
  const key = (x: number, y: number) => (x + 1e6) * 4e6 + (y + 1e6);
  for (const { X: x, Y: y } of path) {
    const at = seen.get(key(x, y));
    if (at !== undefined) {
      // The loop since the first visit is a ring of its own; the walk goes on from that point.
      const loop = walk.splice(at);
      for (let i = 0; i < loop.length; i += 2) seen.delete(key(loop[i], loop[i + 1]));
      const ring = cleanRing(loop);
      if (ring) pieces.push(ring);
    }
    seen.set(key(x, y), walk.length);
    walk.push(x, y);
  }
  const ring = cleanRing(walk);
  if (ring) pieces.push(ring);
  return pieces;
}

function toPath(ring: ArrayLike<number>): Path {
  const path: Path = new Array(ring.length / 2);
  for (let i = 0; i < path.length; i++) path[i] = { X: ring[2 * i], Y: ring[2 * i + 1] };
  return path;
}
