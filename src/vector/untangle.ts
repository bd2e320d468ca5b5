// Makes crossing rings simple again: the union of the polygon with itself, each point inside where the rings wind
// positively around it (exteriors count +1, holes -1), traced back as simple rings that touch nowhere. Tippecanoe
// does the same with wagyu on every simplified polygon; here only polygons whose rings cross (crossings.ts) pay it.
import ClipperLib, { type PolyNode } from 'clipper-lib';
import { nodeRings, ringsCross, ringsMeetAsAllowed } from './crossings.js';
import { splitAtPinches, traceFaces } from './faces.js';
import { containsRing, ringArea, type Ring } from './repair.js';

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
  // Rings that still meet may meet as GEOS forbids (a hole touching its exterior twice): retraced face by face.
  return ringsMeetAsAllowed(result) ? result : traceFaces(result);
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
    for (const piece of splitAtPinches(fromPath(node.Contour()))) (ringArea(piece) > 0 ? exteriors : holes).push(piece);
    const islands: PolyNode[] = [];
    for (const hole of node.Childs()) {
      // A hole pinched against itself is two holes; a loop of it wound the other way is an island in the lake.
      for (const piece of splitAtPinches(fromPath(hole.Contour()))) (ringArea(piece) < 0 ? holes : exteriors).push(piece);
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

function toPath(ring: ArrayLike<number>): Path {
  const path: Path = new Array(ring.length / 2);
  for (let i = 0; i < path.length; i++) path[i] = { X: ring[2 * i], Y: ring[2 * i + 1] };
  return path;
}

function fromPath(path: Path): number[] {
  const ring: number[] = new Array(2 * path.length);
  for (let i = 0; i < path.length; i++) {
    ring[2 * i] = path[i].X;
    ring[2 * i + 1] = path[i].Y;
  }
  return ring;
}
