// Makes crossing rings simple again: the union of the polygon with itself, each point inside where the rings wind
// positively around it (exteriors count +1, holes -1), traced back as simple rings that touch nowhere. Tippecanoe
// does the same with wagyu on every simplified polygon; here only polygons whose rings cross (crossings.ts) pay it.
import ClipperLib, { type PolyNode } from 'clipper-lib';
import { meetingRings, nodedWhereMeeting, nodeRings, ringsMeetAsAllowed, setsMeet } from './crossings.js';
import { edgeWinding, splitAtPinches, traceFaces, windingOf } from './faces.js';
import { containsRingTester, ringArea, ringBox, type Ring, type RingBox } from './rings.js';

type Path = { X: number; Y: number }[];

/**
 * The rings (exteriors positive, each followed by its holes, as the spec reads them) of the area the given rings
 * cover with positive winding. A twist that simplification wound backwards, a hole pushed out of its exterior,
 * two parts pushed over each other: the first two leave nothing, the last is merged.
 */
export function untangle(rings: ArrayLike<number>[]): Ring[] {
  // Only the rings that meet (and the exteriors of holes that do) go through the union: on a continent's tile at
  // low zoom a few of several hundred rings cross, and Clipper's cost grows faster than its input (its ring
  // nesting pass is quadratic). The others are put back as they were, each hole in the exterior that holds it.
  const meeting = meetingRings(rings);
  if (!meeting) return rings.map((ring) => Array.from(ring));
  const involved = withTheirExteriors(rings, meeting);
  if (involved.every(Boolean)) return untangleAll(rings);
  const untangled = untangleAll(rings.filter((_, r) => involved[r]));
  // A crossing rounded onto the grid can land on a ring left out: then the whole polygon goes through the union.
  if (setsMeet(untangled, rings.filter((_, r) => !involved[r]))) return untangleAll(rings);
  return putBack(untangled, rings, involved) ?? untangleAll(rings);
}

/** The meeting rings, and for each meeting hole its exterior (the last before it): a hole alone winds negatively and would leave nothing. */
function withTheirExteriors(rings: ArrayLike<number>[], meeting: Uint8Array): boolean[] {
  const involved = Array.from(meeting, Boolean);
  let exterior = -1;
  rings.forEach((ring, r) => {
    if (ringArea(ring) > 0) exterior = r;
    else if (meeting[r] && exterior >= 0) involved[exterior] = true;
  });
  return involved;
}

/**
 * The untangled rings with the rings left out of the union put back where the union of all would have them: a
 * ring left out meets nothing, so it bounds that union only where the winding of all the other rings around it
 * is 0 (an exterior) or 1 (a hole); elsewhere it is inside land or outside it all and goes, as the union would
 * drop it. Each hole then goes after the smallest exterior that holds it. Undefined when the untangled rings lie
 * where the rings left out wind (nested in a way only the whole union settles).
 */
function putBack(untangled: Ring[], rings: ArrayLike<number>[], involved: boolean[]): Ring[] | undefined {
  const boxes = rings.map(ringBox);
  // A coast's exterior is asked about every island in its box: past a few hundred points its edges are filed by
  // horizontal bands (faces.ts), so that a point reads only the edges that span its row.
  const banded: ((x: number, y: number) => number)[] = [];
  const windingAt = (r: number, x: number, y: number) => {
    const ring = rings[r];
    const box = boxes[r];
    if (ring.length < 2 * BANDED_RING || !inBox(box, x, y)) return winding(ring, box, x, y);
    banded[r] ??= windingOf([ring]);
    return banded[r](x, y);
  };
  const windingOfLeftOut = (x: number, y: number) => {
    let sum = 0;
    for (let r = 0; r < rings.length; r++) if (!involved[r]) sum += windingAt(r, x, y);
    return sum;
  };
  for (const ring of untangled) if (windingOfLeftOut(ring[0], ring[1]) !== 0) return undefined;

  const groups: Ring[][] = [];
  for (const ring of untangled) {
    if (ringArea(ring) > 0 || groups.length === 0) groups.push([ring]);
    else groups[groups.length - 1].push(ring);
  }
  const holes: Ring[] = [];
  for (let r = 0; r < rings.length; r++) {
    if (involved[r]) continue;
    const ring = rings[r];
    const x = ring[0];
    const y = ring[1];
    let around = 0;
    for (let o = 0; o < rings.length; o++) if (o !== r) around += windingAt(o, x, y);
    const exterior = ringArea(ring) > 0;
    if (exterior && around === 0) groups.push([Array.from(ring)]);
    else if (!exterior && around === 1) holes.push(Array.from(ring));
  }
  if (holes.length) {
    const homes = groups.map((group) => ({ group, area: ringArea(group[0]), box: ringBox(group[0]) })).sort((a, b) => a.area - b.area);
    const contains = containsRingTester();
    for (const hole of holes) {
      const box = ringBox(hole);
      const home = homes.find((h) => h.box[0] <= box[0] && h.box[1] <= box[1] && h.box[2] >= box[2] && h.box[3] >= box[3] && contains(h.group[0], hole));
      home?.group.push(hole);
    }
  }
  return groups.flat();
}

const BANDED_RING = 256;

function inBox(box: RingBox, x: number, y: number): boolean {
  return y >= box[1] && y <= box[3] && x <= box[2] && x >= box[0];
}

/** How many times a ring winds around a point off its boundary: +1 inside an exterior (positive area), -1 inside a hole. */
function winding(ring: ArrayLike<number>, box: RingBox, x: number, y: number): number {
  // Off the ring's box the point is outside it, whichever side (Sunday's sum is exactly 0 there).
  if (!inBox(box, x, y)) return 0;
  let wn = 0;
  const n = ring.length;
  for (let i = 0, j = n - 2; i < n; j = i, i += 2) wn += edgeWinding(ring[j], ring[j + 1], ring[i], ring[i + 1], x, y);
  return wn;
}


/** The union of all the rings, in passes, retraced when rings still meet. */
function untangleAll(rings: ArrayLike<number>[]): Ring[] {
  let result = union(nodeRings(rings));
  // Each pass's rounding can make a new crossing a unit away; one more pass settles nearly all. Rings that meet
  // nowhere need no more passes and no check of how they meet.
  for (let pass = 1; pass < UNTANGLE_PASSES; pass++) {
    const noded = nodedWhereMeeting(result);
    if (!noded) return result;
    result = union(noded);
  }
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
      const contains = containsRingTester();
      for (const hole of holes) {
        const home = bySize.find((exterior) => contains(exterior, hole));
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
