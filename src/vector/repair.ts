// Makes a tile's polygon valid as MVT 2.1 and OGC read it, after clipping, simplification and rounding to the
// tile grid: exterior rings clockwise on screen (positive area with y down), holes the other way and inside
// their exterior, no repeated points, spikes or zero-area rings, and no ring running back along the clip edge.
//
// geojson-vt clips each ring alone to the buffered tile (Sutherland–Hodgman), so a ring that leaves the box and
// comes back is joined by a bridge along the box edge, which overlaps other bridges: GEOS rejected ~4,000
// land polygons at zoom 8 of world Natural Earth for that alone. Here the parts of the rings inside the box are
// joined again along its edge, clockwise, the way the polygon's interior lies (interior on the right of travel).
// Rings that simplification and rounding made cross away from the edge are then untangled (untangle.ts).
import { ringsCross } from './crossings.js';
import { EXTENT } from './plan.js';
import { cleanRing, closeRing, containsRingTester, push, ringArea, ringBox, type Ring, type RingBox } from './rings.js';
import { untangle } from './untangle.js';

/** [minX, minY, maxX, maxY] in tile units: the buffered tile, or the world's edge in the first and last rows. */
export type ClipBox = [number, number, number, number];

/** The box a tile's polygons were clipped to: the buffered tile, cut at the world's top and bottom edges. */
export function clipBox(z: number, y: number, buffer: number): ClipBox {
  return [-buffer, y === 0 ? 0 : -buffer, EXTENT + buffer, y === 2 ** z - 1 ? EXTENT : EXTENT + buffer];
}

/**
 * The rings of one polygon feature as geojson-vt drew them (each exterior followed by its holes, exteriors
 * positive), made valid within the box they were clipped to (projection clamps the poles onto the world's top
 * and bottom edges, which act as clip edges too). Empty when nothing is left.
 */
export function repairPolygon(rings: ArrayLike<number>[], box: ClipBox): Ring[] {
  const rejoined = rejoinPolygon(rings, box);
  return withoutNestedSlivers(ringsCross(rejoined) ? untangle(rejoined) : rejoined);
}

/**
 * The rings without tiny exteriors that lie inside another exterior and no hole of it: an islet's lake (or an
 * island, in an ocean layer) a unit or two across that rounding to the grid wound the other way. GEOS reads it as a
 * shell nested in a shell; the area it covers is land either way. Only polygons holding such a ring pay the test.
 */
function withoutNestedSlivers(rings: Ring[]): Ring[] {
  const areas = rings.map(ringArea);
  const slivers = areas.map((area, i) => i > 0 && area > 0 && area < TINY_RING);
  if (!slivers.includes(true)) return rings;
  const contains = containsRingTester();
  return rings.filter((ring, i) => {
    if (!slivers[i]) return true;
    let winding = 0;
    for (let k = 0; k < rings.length; k++) if (k !== i && contains(rings[k], ring)) winding += Math.sign(areas[k]);
    return winding <= 0;
  });
}

/** The rings with geojson-vt's bridges along the box edge replaced by the box edge itself, cleaned and ordered. */
function rejoinPolygon(rings: ArrayLike<number>[], box: ClipBox): Ring[] {
  const cleaned: { ring: Ring; area: number }[] = [];
  let touches = false;
  for (const input of rings) {
    const ring = cleanRing(input);
    if (!ring) continue;
    cleaned.push({ ring, area: ringArea(ring) });
    if (!touches) touches = touchesBox(ring, box);
  }
  if (!touches) return ordered(cleaned);
  // The rings' areas add up to the polygon's area inside the box whatever the bridges (they have none). A ring
  // wound against its kind (a twist left by simplification and rounding, a few units wide) would send the
  // rejoining around the whole box: then tiny rings are left out, and failing that the rings stay as drawn.
  const expected = cleaned.reduce((sum, item) => sum + item.area, 0);
  const slack = Math.max(64, Math.abs(expected) * 1e-3);
  const fits = (rings: { area: number }[]) => Math.abs(rings.reduce((sum, item) => sum + item.area, 0) - expected) <= slack;
  const rejoined = rejoinAlongBox(cleaned, box);
  if (fits(rejoined)) return ordered(rejoined);
  const withoutTiny = rejoinAlongBox(cleaned.filter((item) => Math.abs(item.area) >= TINY_RING), box);
  if (fits(withoutTiny)) return ordered(withoutTiny);
  return ordered(cleaned);
}

/** Area (tile units squared) under which a twisted ring may be left out: a quarter pixel of a 256 px tile. */
const TINY_RING = 64;

/**
 * Exteriors with their holes after them, as the spec reads them. A hole before any exterior, or (after rejoining)
 * inside none, is dropped: it would be read as part of the wrong polygon.
 */
function ordered(rings: { ring: Ring; area: number }[]): Ring[] {
  const out: Ring[] = [];
  let open = false;
  for (const { ring, area } of rings) {
    if (area > 0) open = true;
    if (open) out.push(ring);
  }
  return out;
}

function onBox(x: number, y: number, box: ClipBox): boolean {
  return x === box[0] || y === box[1] || x === box[2] || y === box[3];
}

function touchesBox(ring: Ring, box: ClipBox): boolean {
  for (let i = 0; i < ring.length; i += 2) if (onBox(ring[i], ring[i + 1], box)) return true;
  return false;
}

/** Both ends on one side of the box: the segment runs along the edge. */
function alongBox(ax: number, ay: number, bx: number, by: number, box: ClipBox): boolean {
  return (ax === bx && (ax === box[0] || ax === box[2])) || (ay === by && (ay === box[1] || ay === box[3]));
}

/** Distance along the box edge, clockwise on screen from the top-left corner. */
function perimeter(x: number, y: number, box: ClipBox): number {
  const [minX, minY, maxX, maxY] = box;
  const width = maxX - minX;
  const height = maxY - minY;
  if (y === minY) return x - minX;
  if (x === maxX) return width + (y - minY);
  if (y === maxY) return width + height + (maxX - x);
  return 2 * width + height + (maxY - y);
}

/** A run of a ring's vertices from the box edge through the inside back to the edge: `length` vertices from `from`, wrapping. */
interface Chain {
  ring: Ring;
  from: number;
  length: number;
  entry: number;
  exit: number;
  used: boolean;
}

/** Vertex k of the chain, as its index in the ring's flat coordinates. */
function chainAt(chain: Chain, k: number): number {
  const count = chain.ring.length / 2;
  const i = chain.from + k;
  return 2 * (i < count ? i : i - count);
}

/**
 * Cuts every ring that touches the box into chains (from the box edge through the inside back to the edge),
 * drops what ran along the edge, and joins the chains again: from each chain's exit, clockwise along the edge
 * (corners included) to the nearest entry. Rings clear of the edge stay as they are; holes go to the exterior
 * that holds them. Chains point into their rings rather than copy them: rejoining was a third of the repair, most
 * of it copying points.
 */
function rejoinAlongBox(rings: { ring: Ring; area: number }[], box: ClipBox): { ring: Ring; area: number }[] {
  const chains: Chain[] = [];
  const inside: { ring: Ring; area: number }[] = [];
  let edgeOnly = 0;
  for (const item of rings) {
    const { ring } = item;
    const count = ring.length / 2;
    let start = -1;
    for (let i = 0; i < count; i++) {
      if (onBox(ring[2 * i], ring[2 * i + 1], box)) {
        start = i;
        break;
      }
    }
    if (start < 0) {
      inside.push(item);
      continue;
    }
    // Walking on from the first vertex on the edge: a chain starts at a vertex on the edge whose next edge does not
    // run along it, and ends at the next vertex on the edge.
    let from = -1;
    let fromStep = 0;
    let produced = false;
    let p = start;
    for (let k = 1; k <= count; k++) {
      const i = p + 1 === count ? 0 : p + 1;
      const x = ring[2 * i];
      const y = ring[2 * i + 1];
      if (from < 0 && !alongBox(ring[2 * p], ring[2 * p + 1], x, y, box)) [from, fromStep] = [p, k - 1];
      if (from >= 0 && onBox(x, y, box)) {
        // A ring on the edge at one vertex only runs all the way round, back to it: count + 1 vertices.
        const length = k - fromStep + 1;
        chains.push({ ring, from, length, entry: perimeter(ring[2 * from], ring[2 * from + 1], box), exit: perimeter(x, y, box), used: false });
        produced = true;
        from = -1;
      }
      p = i;
    }
    if (!produced) edgeOnly += Math.sign(item.area);
  }

  const [minX, minY, maxX, maxY] = box;
  const width = maxX - minX;
  const height = maxY - minY;
  const total = 2 * (width + height);
  // Corners with their distance along the edge.
  const corners: [number, number, number][] = [
    [minX, minY, 0],
    [maxX, minY, width],
    [maxX, maxY, width + height],
    [minX, maxY, 2 * width + height],
  ];
  const outers: { ring: Ring; area: number }[] = [];
  if (chains.length === 0) {
    // The box is all inside (or all in a hole): only rings along its edge were left.
    if (edgeOnly > 0) outers.push({ ring: [minX, minY, maxX, minY, maxX, maxY, minX, maxY], area: width * height });
  }
  for (const first of chains) {
    if (first.used) continue;
    const ring: number[] = [];
    let chain = first;
    for (let guard = 0; guard <= chains.length; guard++) {
      chain.used = true;
      const points = chain.ring;
      for (let k = 0; k < chain.length; k++) {
        const at = chainAt(chain, k);
        push(ring, points[at], points[at + 1]);
      }
      // The nearest entry clockwise from this exit (this chain's own entry included, which closes the ring).
      let next = first;
      let best = Infinity;
      for (const candidate of chains) {
        if (candidate.used && candidate !== first) continue;
        let distance = (candidate.entry - chain.exit + total) % total;
        // An entry at this very exit continues the ring only if the polygon does not also cover the edge just
        // clockwise of the point (a ring touching the edge at a vertex); else that entry closes the edge's far side.
        if (distance === 0 && coversEdgeAfter(chain, candidate, box)) distance = total;
        if (distance < best) [best, next] = [distance, candidate];
      }
      // The corners passed on the way, in the order met.
      const passed: [number, number][] = [];
      for (let c = 0; c < 4; c++) {
        const along = (corners[c][2] - chain.exit + total) % total;
        if (along > 0 && along < best) passed.push([along, c]);
      }
      for (const [, c] of passed.sort((a, b) => a[0] - b[0])) push(ring, corners[c][0], corners[c][1]);
      if (next === first) break;
      chain = next;
    }
    // Built by push already: only the closing corner is left to clean.
    const cleaned = closeRing(ring);
    if (cleaned) outers.push({ ring: cleaned, area: ringArea(cleaned) });
  }

  // Rings clear of the edge keep their order when nothing was cut; otherwise each hole goes after the
  // smallest exterior that holds it.
  const exteriors = [...outers, ...inside.filter((item) => item.area > 0)].filter((item) => item.area > 0);
  const holes = new Map<{ ring: Ring; area: number }, { ring: Ring; area: number }[]>(exteriors.map((e) => [e, []]));
  let bounds: RingBox[] | undefined;
  const contains = containsRingTester();
  for (const item of [...outers, ...inside]) {
    if (item.area > 0) continue;
    // An exterior whose box does not hold the hole's first vertex does not hold the hole: most tests end there.
    bounds ??= exteriors.map((exterior) => ringBox(exterior.ring));
    const x = item.ring[0];
    const y = item.ring[1];
    let home: { ring: Ring; area: number } | undefined;
    for (let e = 0; e < exteriors.length; e++) {
      const exterior = exteriors[e];
      if (home && exterior.area >= home.area) continue;
      const [bx0, by0, bx1, by1] = bounds[e];
      if (x < bx0 || x > bx1 || y < by0 || y > by1) continue;
      if (contains(exterior.ring, item.ring)) home = exterior;
    }
    if (home) holes.get(home)?.push(item);
  }
  const out: { ring: Ring; area: number }[] = [];
  for (const exterior of exteriors) {
    out.push(exterior);
    for (const hole of holes.get(exterior) ?? []) out.push(hole);
  }
  return out;
}

/**
 * Whether the polygon's interior (right of travel) covers the box edge just clockwise of the point where `arriving`
 * ends and `leaving` starts: the interior wedge between the two segments there holds the edge's clockwise direction.
 */
function coversEdgeAfter(arriving: Chain, leaving: Chain, box: ClipBox): boolean {
  const end = chainAt(arriving, arriving.length - 1);
  const before = chainAt(arriving, arriving.length - 2);
  const after = chainAt(leaving, 1);
  const cx = arriving.ring[end];
  const cy = arriving.ring[end + 1];
  const ux = cx - arriving.ring[before];
  const uy = cy - arriving.ring[before + 1];
  const vx = leaving.ring[after] - cx;
  const vy = leaving.ring[after + 1] - cy;
  const [minX, minY, maxX, maxY] = box;
  // The clockwise direction along the edge at the point (y down): east on top, south on the right, and so on.
  const [tx, ty] = cy === minY && cx < maxX ? [1, 0] : cx === maxX && cy < maxY ? [0, 1] : cy === maxY && cx > minX ? [-1, 0] : [0, -1];
  const rightOfIn = ux * ty - uy * tx > 0;
  const rightOfOut = vx * ty - vy * tx > 0;
  const turn = ux * vy - uy * vx;
  if (turn > 0) return rightOfIn && rightOfOut;
  if (turn < 0) return rightOfIn || rightOfOut;
  return rightOfIn;
}
