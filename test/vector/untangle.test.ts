// Rings that simplification and rounding to the tile grid made cross or touch, taken from world Natural Earth 10m
// land tiles, repaired and handed to GEOS (GDAL's Python bindings): valid, and the land is still there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ringsCross } from '../../src/vector/crossings.js';
import { repairPolygon, ringArea } from '../../src/vector/repair.js';
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
