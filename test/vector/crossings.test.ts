// The repair's fast paths against the plain ways they replace: the crossing sweep (bucketed sort, typed open list)
// against a test of every pair of edges, rejoining chains that point into their rings, and the banded ring
// containment used for holes in a coast.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { meetingRings, ringsCross, segmentsMeet } from '../../src/vector/crossings.js';
import { repairPolygon } from '../../src/vector/repair.js';
import { containsRing, containsRingTester, ringArea } from '../../src/vector/rings.js';

/** Every pair of edges, as ringsCross defines a meeting: consecutive edges of a ring only when they fold back. */
function meetingRingsByPairs(rings: number[][]): boolean[] {
  const edges: [number, number, number, number, number, number, number][] = []; // ring, index, size, ax, ay, bx, by
  rings.forEach((ring, r) => {
    const n = ring.length / 2;
    for (let i = 0; i < n; i++) {
      const j = (i + 1) % n;
      edges.push([r, i, n, ring[2 * i], ring[2 * i + 1], ring[2 * j], ring[2 * j + 1]]);
    }
  });
  const meeting = rings.map(() => false);
  for (let s = 0; s < edges.length; s++) {
    for (let t = s + 1; t < edges.length; t++) {
      const [rs, is, n, ax, ay, bx, by] = edges[s];
      const [rt, it, , cx, cy, dx, dy] = edges[t];
      let meets: boolean;
      const next = rs === rt && n > 2 && ((is + 1) % n === it || (it + 1) % n === is);
      if (next) {
        // Consecutive: the one ending where the other starts folds back along it.
        const [ux, uy, vx, vy] = (is + 1) % n === it ? [bx - ax, by - ay, dx - cx, dy - cy] : [dx - cx, dy - cy, bx - ax, by - ay];
        meets = ux * vy - uy * vx === 0 && ux * vx + uy * vy < 0;
      } else meets = segmentsMeet(ax, ay, bx, by, cx, cy, dx, dy);
      if (meets) meeting[rs] = meeting[rt] = true;
    }
  }
  return meeting;
}

/** A seeded generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** A star-shaped ring around (cx, cy) (simple), with one pair of neighbouring corners swapped now and then (often a crossing). */
function starRing(next: () => number, cx: number, cy: number, points: number, radius: number): number[] {
  const ring: number[] = [];
  for (let k = 0; k < points; k++) {
    const angle = (2 * Math.PI * (k + next() * 0.5)) / points;
    const r = radius * (0.4 + 0.6 * next());
    ring.push(Math.round(cx + r * Math.cos(angle)), Math.round(cy + r * Math.sin(angle)));
  }
  if (next() < 0.5) {
    const k = Math.floor(next() * (points - 1));
    [ring[2 * k], ring[2 * k + 1], ring[2 * k + 2], ring[2 * k + 3]] = [ring[2 * k + 2], ring[2 * k + 3], ring[2 * k], ring[2 * k + 1]];
  }
  return ring;
}

test('the crossing sweep finds the meetings a test of every pair of edges finds', () => {
  const next = random(11);
  let crossing = 0;
  for (let trial = 0; trial < 400; trial++) {
    // Up to three rings, some far apart, some overlapping; small ones (insertion sort) and large ones (buckets).
    const rings: number[][] = [];
    const count = 1 + Math.floor(next() * 3);
    for (let r = 0; r < count; r++) rings.push(starRing(next, 200 + next() * 3000, 200 + next() * 3000, 3 + Math.floor(next() * 60), 20 + next() * 600));
    const expected = meetingRingsByPairs(rings);
    const found = meetingRings(rings);
    assert.equal(ringsCross(rings), expected.includes(true), `trial ${trial}`);
    assert.deepEqual(found ? Array.from(found, Boolean) : rings.map(() => false), expected, `trial ${trial}`);
    if (expected.includes(true)) crossing++;
  }
  // Both kinds were tried.
  assert.ok(crossing > 80 && crossing < 320, `${crossing} of 400 trials crossing`);
});

test('rings touching at one corner meet, whichever of them the sweep reaches first', () => {
  // The lower ring's corner is the upper ring's top: the y ranges meet only at that point.
  const upper = [0, 0, 100, 0, 100, 100, 0, 100];
  const lower = [100, 100, 200, 100, 200, 200, 100, 200];
  for (const rings of [[upper, lower], [lower, upper]]) {
    assert.equal(ringsCross(rings), true);
    assert.deepEqual(Array.from(meetingRings(rings) ?? []), [1, 1]);
  }
  assert.equal(ringsCross([upper, [101, 101, 200, 101, 200, 200, 101, 200]]), false);
});

test('a ring on the clip edge at one vertex only comes back whole', () => {
  const box: [number, number, number, number] = [-64, -64, 4160, 4160];
  // Touches the left edge at (-64, 500) and nowhere else.
  const ring = [-64, 500, 300, 200, 600, 450, 350, 900];
  const repaired = repairPolygon([ring], box);
  assert.equal(repaired.length, 1);
  assert.equal(ringArea(repaired[0]), ringArea(ring));
  assert.deepEqual([...repaired[0]].sort((a, b) => a - b), [...ring].sort((a, b) => a - b));
});

test('a ring on the clip edge at one vertex only is kept while the bridges of another ring along the edge are rejoined', () => {
  const box: [number, number, number, number] = [-64, -64, 4160, 4160];
  // Two squares joined by a bridge down and back up the left edge, as clipping one ring draws them.
  const bridged = [-64, 100, 200, 100, 200, 200, -64, 200, -64, 300, 200, 300, 200, 400, -64, 400];
  // A triangle whose corner (-64, 600) is its only point on the edge, wound as an exterior.
  let triangle = [-64, 600, 100, 550, 100, 650];
  if (ringArea(triangle) < 0) triangle = [-64, 600, 100, 650, 100, 550];
  // Rejoined as drawn, each square from its first point on the edge (the union, which would also part the squares,
  // starts its rings elsewhere).
  assert.deepEqual(repairPolygon([bridged, triangle], box), [[-64, 100, 200, 100, 200, 200, -64, 200], [-64, 300, 200, 300, 200, 400, -64, 400], triangle]);
});

test("a ring whose first vertex lies on an exterior's edge is placed by its next vertex, banded or not", () => {
  // A square exterior with 400 points (banded after its first question), clockwise on screen.
  const exterior: number[] = [];
  for (let k = 0; k < 100; k++) exterior.push(k * 10, 0);
  for (let k = 0; k < 100; k++) exterior.push(1000, k * 10);
  for (let k = 0; k < 100; k++) exterior.push(1000 - k * 10, 1000);
  for (let k = 0; k < 100; k++) exterior.push(0, 1000 - k * 10);
  // First vertex on the top edge (between its points), the rest outside above it / inside below it.
  const outside = [505, 0, 520, -30, 490, -30];
  const inside = [505, 0, 490, 30, 520, 30];
  const onVertex = [500, 1000, 520, 1030, 480, 1030];
  const tester = containsRingTester();
  for (let round = 0; round < 3; round++) {
    assert.equal(tester(exterior, outside), false, `round ${round}`);
    assert.equal(tester(exterior, inside), true, `round ${round}`);
    assert.equal(tester(exterior, onVertex), false, `round ${round}`);
  }
  assert.equal(containsRing(exterior, outside), false);
  assert.equal(containsRing(exterior, inside), true);
  assert.equal(containsRing(exterior, onVertex), false);
});
