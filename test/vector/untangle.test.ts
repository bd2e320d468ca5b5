// Rings that simplification and rounding to the tile grid made cross or touch, taken from world Natural Earth 10m
// land tiles, repaired and handed to GEOS (GDAL's Python bindings): valid, and the land is still there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeRings, ringsCross, ringsMeetAsAllowed } from '../../src/vector/crossings.js';
import { traceFaces } from '../../src/vector/faces.js';
import { repairPolygon } from '../../src/vector/repair.js';
import { ringArea } from '../../src/vector/rings.js';
import { invalidPolygons } from '../support/tileMap.js';
import type { DecodedTile } from '../support/vectorTiles.js';

/** Polygons as GEOS reads them, one feature a tile. */
function geosInvalid(features: number[][][]): string[] {
  const tiles: DecodedTile[] = features.map((rings, i) => ({
    z: 0,
    x: i,
    y: 0,
    bytes: 0,
    layers: { land: [{ type: 3, properties: {}, geometry: rings.map((ring) => Array.from({ length: ring.length / 2 }, (_, k) => [ring[2 * k], ring[2 * k + 1]] as [number, number])) }] },
  }));
  return invalidPolygons(tiles).map((problem) => `${problem.tile}: ${problem.reason}`);
}

const BOX: [number, number, number, number] = [-64, -64, 4160, 4160];
const area = (rings: number[][]) => rings.reduce((sum, ring) => sum + ringArea(ring), 0);

const CASES: [name: string, rings: number[][]][] = [
  // 1/1/0: a corner drawn a third of a unit from another edge of its own ring; Clipper alone rounds the crossing
  // onto the corner and hands the ring back unchanged.
  ['corner across an edge', [[-31, 2361, -23, 2359, -29, 2386, -29, 2368, -33, 2372, -38, 2366, -28, 2363, -36, 2357, -29, 2352]]],
  // 2/1/2: a vertex exactly on another edge of the ring (GEOS: ring self-intersection); Clipper drops the vertex
  // that marks the touch as collinear unless told to keep it.
  ['vertex on an edge', [[887, 3006, 877, 3011, 897, 3012, 898, 3019, 891, 3016, 893, 3023, 888, 3026, 883, 3014, 878, 3020, 877, 3014, 864, 3013, 868, 3009, 865, 3006, 885, 3007, 888, 3002, 896, 3002]]],
  // A hole pushed across its exterior's edge.
  ['hole across its exterior', [[0, 0, 100, 0, 100, 100, 0, 100], [90, 40, 90, 60, 110, 60, 110, 40]]],
];

test('rings that cross or touch are found, repaired into polygons GEOS accepts, and keep their land', () => {
  const before = CASES.map(([, rings]) => rings);
  assert.equal(geosInvalid(before).length, CASES.length, 'every case is invalid as drawn');
  const repaired = CASES.map(([name, rings]) => {
    assert.equal(ringsCross(rings), true, name);
    const out = repairPolygon(rings, BOX);
    assert.ok(out.length > 0, name);
    // A twist loses a sliver at most: the land is there.
    const kept = area(out);
    assert.ok(kept > 0.8 * Math.max(...rings.map(ringArea)), `${name}: area ${kept}`);
    return out;
  });
  assert.deepEqual(geosInvalid(repaired), []);
});

test('clean rings pass through the check untouched', () => {
  const rings = [
    [0, 0, 100, 0, 100, 100, 0, 100],
    [20, 20, 20, 40, 40, 40, 40, 20],
  ];
  assert.equal(ringsCross(rings), false);
  assert.deepEqual(repairPolygon(rings, BOX), rings);
});

// World Natural Earth 10m land, tile 8/150/71, as geojson-vt drew it: a lake on the tile's top edge whose shore,
// once rounded, touches the coast at two points (3515,-51 and 3518,-46) with land between them. Clipper's union
// kept it as one hole, and GEOS reported the interior disconnected.
const TOUCHING_TWICE: number[][] = [
    [4160, -64, 4160, 4160, -64, 4160, -64, -64, 4160, -64],
    [3729, 201, 3695, 150, 3580, 72, 3563, 47, 3534, -16, 3518, -46, 3493, -64, 3409, -64, 3380, -33, 3425, -5, 3551, 139, 3590, 201, 3598, 323, 3534, 420, 3399, 523, 3600, 608, 3791, 780, 3806, 797, 3812, 771, 3840, 690, 3852, 642, 3859, 593, 3871, 547, 3899, 503, 3917, 413, 3857, 321, 3729, 201],
    [3518, -46, 3523, -42, 3529, -38, 3515, -51, 3515, -49, 3517, -47, 3518, -46],
    [3529, -38, 3539, -33, 3534, -36, 3529, -38],
    [3515, -51, 3503, -64, 3498, -64, 3515, -51],
    [4160, 127, 4158, 122, 4152, 67, 4140, 23, 4098, 8, 4138, 8, 4086, -5, 4013, 12, 3948, 63, 3919, 159, 3951, 198, 4106, 323, 4159, 396, 4128, 488, 4086, 552, 4033, 589, 3978, 608, 4029, 657, 4030, 710, 4011, 771, 3999, 844, 4017, 938, 4060, 903, 4102, 822, 4120, 778, 4160, 744, 4160, 127],
    [1373, 4160, 1284, 3997, 1166, 3919, 1124, 3876, 1152, 3968, 1165, 3997, 1133, 4013, 1112, 4047, 1104, 4096, 1106, 4160, 1097, 4160, 1050, 4139, 1008, 4083, 974, 4004, 945, 3914, 936, 3847, 942, 3798, 941, 3764, 907, 3746, 869, 3755, 849, 3791, 848, 3847, 865, 3914, 790, 3948, 719, 3905, 665, 3901, 645, 4060, 601, 4073, 506, 4053, 410, 3995, 366, 3894, 375, 3663, 364, 3552, 327, 3453, 251, 3379, 154, 3341, -33, 3323, -34, 3319, -64, 3310, -64, 4160, 1373, 4160],
    [-64, 2231, -7, 2253, 49, 2235, 104, 2202, 240, 2180, 286, 2157, 316, 2104, 394, 1880, 391, 1827, 333, 1677, 298, 1558, 267, 1505, 206, 1445, 142, 1403, 75, 1381, 7, 1374, -16, 1361, -2, 1335, 26, 1306, 48, 1288, 76, 1280, 167, 1288, 126, 1202, 73, 1125, 22, 1099, -11, 1165, -45, 1134, -64, 1132, -64, 2231],
  ];

test('a hole that touches its exterior at two points leaves the land between them as a polygon of its own', () => {
  const out = repairPolygon(TOUCHING_TWICE, BOX);
  assert.deepEqual(geosInvalid([out]), []);
  assert.ok(out.filter((ring) => ringArea(ring) > 0).length >= 2, 'the land cut off between the touches is its own polygon');
  // The rings' areas add up to the polygon's area whatever geojson-vt's bridges along the edge: no land lost.
  assert.equal(area(out), area(TOUCHING_TWICE));
});

test("Clipper's rings that meet as GEOS forbids are retraced face by face", () => {
  // Tile 2/1/1: near a rounded crossing Clipper handed back a coast and a 7-point islet overlapping it by a
  // triangle of one square unit (the coast cut to its points near there and every 40th elsewhere).
  const coast = [603, 424, 827, 536, 930, 674, 993, 791, 1111, 735, 1173, 662, 1215, 757, 1260, 836, 1248, 940, 1350, 1047, 1447, 1102, 1451, 1157, 1552, 1242, 1416, 1385, 1045, 1473, 1175, 1555, 1192, 1724, 1250, 1810, 1134, 1877, 1188, 1775, 1028, 1824, 925, 1870, 913, 2006, 685, 2170, 624, 2191, 611, 2162, 625, 2262, 631, 2355, 586, 2407, 419, 2545, 427, 2756, 429, 2762, 405, 2914, 256, 2670, 70, 2647, 8, 2699, 65, 1657, 81, 1558, 222, 1060, 486, 1340, 501, 1171, 541, 733, 556, 503];
  const islet = [431, 2743, 428, 2757, 435, 2775, 429, 2762, 427, 2757, 427, 2756, 428, 2738];
  assert.equal(geosInvalid([[coast, islet]]).length, 1);
  const merged = traceFaces([coast, islet]);
  assert.deepEqual(geosInvalid([merged]), []);
  assert.equal(merged.filter((ring) => ringArea(ring) > 0).length, 1, 'one coast');
  assert.equal(area(merged), ringArea(coast) + ringArea(islet) - 1, 'the triangle counted once');

  // Tile 2/0/1: a 3-point lake lying along the coast where both run on the clip edge (y = -64).
  const edgeCoast = [808, -58, 806, -64, 3252, -64, 3253, -60, 3000, 400, 900, 400];
  const lake = [2448, -64, 2450, -61, 2458, -64];
  assert.equal(geosInvalid([[edgeCoast, lake]]).length, 1);
  const notched = traceFaces([edgeCoast, lake]);
  assert.deepEqual(geosInvalid([notched]), []);
  assert.equal(notched.length, 1, 'the lake opens into a notch in the coast');
  assert.equal(area(notched), ringArea(edgeCoast) + ringArea(lake));
});

test('edges in line that only share an end are left as they are when rings are noded', () => {
  // Tile 0/0/0: Clipper split a lake at a pinch into two rings that continue each other along y = 1041; the
  // noding once put one ring's far end (915,1041) into the other's edge, folding it back over itself.
  const rings = [
    [915, 1041, 910, 1041, 912, 1046, 921, 1036, 926, 1041, 926, 1037, 922, 1033],
    [905, 1042, 897, 1042, 891, 1040, 897, 1045, 905, 1044, 910, 1041, 908, 1041, 905, 1034],
  ];
  assert.deepEqual(nodeRings(rings), rings);
});

test('a lake a unit or two across that rounding wound as land inside land is dropped; an islet in a lake stays', () => {
  // World Natural Earth 10m ocean, tile 6/57/30: the sea with two islands as holes and a third island, 2 units
  // across, wound clockwise by rounding: GEOS read a shell nested in a shell.
  const sea = [-64, -64, 4160, -64, 4160, 4160, -64, 4160];
  const islands = [
    [2397, 2813, 2398, 2808, 2392, 2804, 2391, 2810],
    [2343, 2810, 2341, 2805, 2338, 2812],
  ];
  const flipped = [2398, 2822, 2396, 2830, 2398, 2818];
  assert.ok(ringArea(flipped) > 0 && islands.every((ring) => ringArea(ring) < 0));
  assert.equal(geosInvalid([[sea, ...islands, flipped]]).length, 1);
  const out = repairPolygon([sea, ...islands, flipped], BOX);
  assert.deepEqual(geosInvalid([out]), []);
  assert.deepEqual(out, [sea, ...islands]);
  // A tiny ring wound as land inside a hole is an islet in a lake: kept.
  const lake = [100, 100, 100, 200, 200, 200, 200, 100];
  const islet = [140, 140, 145, 140, 145, 145, 140, 145];
  assert.deepEqual(repairPolygon([sea, lake, islet], BOX), [sea, lake, islet]);
});

test('rings that touch only as OGC allows are told apart from rings that need retracing', () => {
  const coast = [0, 0, 100, 0, 100, 100, 0, 100];
  const cases: [string, number[][], boolean][] = [
    ['lake touching the coast at its corner', [coast, [0, 0, 30, 40, 40, 30]], true],
    ['two lakes touching each other at a corner', [coast, [20, 20, 20, 40, 40, 40], [40, 40, 40, 60, 60, 60]], true],
    ['lake touching the coast at two corners', [coast, [0, 0, 30, 60, 100, 100, 60, 30]], false],
    ['three lakes touching round in a cycle', [coast, [20, 20, 20, 40, 40, 40], [40, 40, 40, 60, 60, 60], [40, 40, 60, 20, 20, 20]], false],
    ['lake along the coast edge', [coast, [0, 40, 0, 60, 30, 50]], false],
    // Valid for GEOS, but the touch is no corner of the coast: retraced (nodes the coast there), to be safe.
    ['lake corner on the coast edge', [coast, [0, 50, 30, 60, 30, 40]], false],
  ];
  for (const [name, rings, allowed] of cases) {
    assert.equal(ringsMeetAsAllowed(rings), allowed, name);
    if (allowed) assert.deepEqual(geosInvalid([rings]), [], name);
    else assert.deepEqual(geosInvalid([traceFaces(rings)]), [], `${name}, retraced`);
  }
  assert.equal(geosInvalid([cases[2][1]]).length + geosInvalid([cases[3][1]]).length + geosInvalid([cases[4][1]]).length, 3);
});
