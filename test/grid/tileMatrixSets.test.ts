import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  gridExtent,
  isInMatrix,
  levelForCellSize,
  levelForExtent,
  tileBoundsInCrs,
  tileGrid,
  tileMatrixSetLimits,
  tileRangeInCrs,
  webMercatorQuad,
  WEB_MERCATOR_QUAD_URI,
} from '../../src/grid/tileMatrixSets.js';
import { lonLatToTile } from '../../src/grid/webMercator.js';

test('WebMercatorQuad matches the OGC 17-083r4 registered definition', () => {
  const tms = webMercatorQuad();
  assert.equal(tms.id, 'WebMercatorQuad');
  assert.equal(tms.uri, WEB_MERCATOR_QUAD_URI);
  assert.equal(tms.crs, 'http://www.opengis.net/def/crs/EPSG/0/3857');
  assert.equal(tms.tileMatrices.length, 25);
  const [z0] = tms.tileMatrices;
  // Published values of the registry (0.28 mm pixels).
  assert.ok(Math.abs(z0.scaleDenominator - 559082264.0287178) < 1e-6);
  assert.ok(Math.abs(z0.cellSize - 156543.03392804097) < 1e-9);
  assert.deepEqual(z0.pointOfOrigin.map((v) => Number(v.toFixed(4))), [-20037508.3428, 20037508.3428]);
  const z24 = tms.tileMatrices[24];
  assert.equal(z24.id, '24');
  assert.equal(z24.matrixWidth, 2 ** 24);
  assert.ok(Math.abs(z24.scaleDenominator - 559082264.0287178 / 2 ** 24) < 1e-9);
  for (const m of tms.tileMatrices) assert.ok(Math.abs(m.scaleDenominator * 0.00028 - m.cellSize) < 1e-6);
});

test('limits cover the bounds per zoom with rows from the top, clamped to the advertised matrices', () => {
  const bounds: [number, number, number, number] = [44.5, 38.3, 50.9, 41.95];
  const limits = tileMatrixSetLimits(3, 30, bounds);
  assert.equal(limits[0].tileMatrix, '3');
  assert.equal(limits.at(-1)!.tileMatrix, '24');
  for (const l of limits) {
    const z = Number(l.tileMatrix);
    const nw = lonLatToTile(bounds[0], bounds[3], z);
    const se = lonLatToTile(bounds[2], bounds[1], z);
    assert.deepEqual([l.minTileCol, l.minTileRow, l.maxTileCol, l.maxTileRow], [nw.x, nw.y, se.x, se.y]);
  }
  // Azerbaijan sits in the northern hemisphere: its rows are in the upper half at z=3.
  assert.ok(limits[0].maxTileRow < 4);
  assert.deepEqual(tileMatrixSetLimits(0, 0), [{ tileMatrix: '0', minTileRow: 0, maxTileRow: 0, minTileCol: 0, maxTileCol: 0 }]);
});

// The registry's own JSON (github.com/opengeospatial/2D-Tile-Matrix-Set, registry/json), kept beside this test.
const registryFolder = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../test/grid/registry');

for (const id of ['UTM38WGS84Quad', 'UTM39WGS84Quad', 'WorldCRS84Quad', 'WebMercatorQuad']) {
  test(`${id} is the OGC TMS 2.0 registry's definition, matrix by matrix`, () => {
    const registered = JSON.parse(readFileSync(join(registryFolder, `${id}.json`), 'utf8'));
    const ours = tileGrid(id)!.definition();
    for (const key of ['id', 'title', 'uri', 'crs', 'orderedAxes', 'wellKnownScaleSet']) assert.deepEqual(ours[key as keyof typeof ours], registered[key], key);
    assert.equal(ours.tileMatrices.length, registered.tileMatrices.length);
    registered.tileMatrices.forEach((m: Record<string, unknown>, i: number) => {
      const mine = ours.tileMatrices[i];
      for (const key of ['id', 'tileWidth', 'tileHeight', 'matrixWidth', 'matrixHeight']) assert.equal(mine[key as keyof typeof mine], m[key], `${id} ${m.id} ${key}`);
      // The registry prints 15 significant digits; Web Mercator's are computed at full precision.
      for (const key of ['cellSize', 'scaleDenominator'] as const) assert.ok(Math.abs(mine[key] / (m[key] as number) - 1) < 1e-13, `${id} ${m.id} ${key}`);
      const origin = m.pointOfOrigin as [number, number];
      assert.ok(Math.abs(mine.pointOfOrigin[0] - origin[0]) < 1e-6 && Math.abs(mine.pointOfOrigin[1] - origin[1]) < 1e-6, `${id} ${m.id} origin`);
      assert.equal(mine.cornerOfOrigin, (m.cornerOfOrigin as string | undefined) ?? 'topLeft');
    });
  });
}

test('tile bounds and ranges in a UTM grid: Baku falls in the tile whose bounds hold it, at every level', () => {
  const grid = tileGrid('UTM39WGS84Quad')!;
  assert.equal(grid.firstLevel, 1);
  assert.equal(grid.matrix(0), undefined);
  assert.equal(grid.matrix(25), undefined);
  // Baku in EPSG:32639 (proj: 49.867E 40.409N).
  const [e, n] = [403865.9, 4473770.0];
  for (let level = 1; level <= 24; level++) {
    const range = tileRangeInCrs(grid, level, [e, n, e, n]);
    const [w, s, east, north] = tileBoundsInCrs(grid, level, range.minX, range.minY);
    assert.ok(w <= e && e <= east && s <= n && n <= north, `level ${level}`);
    assert.ok(isInMatrix(grid, level, range.minX, range.minY));
  }
  // The matrix is twice as high as wide; a column past the width is outside.
  assert.ok(isInMatrix(grid, 2, 1, 3));
  assert.ok(!isInMatrix(grid, 2, 2, 0));
  assert.ok(!isInMatrix(grid, 0, 0, 0));
  // CRS84: twice as wide as high.
  const crs84 = tileGrid('WorldCRS84Quad')!;
  assert.ok(isInMatrix(crs84, 0, 1, 0));
  assert.ok(!isInMatrix(crs84, 0, 0, 1));
  assert.deepEqual(tileBoundsInCrs(crs84, 0, 1, 0), [0, -90, 180, 90]);
  assert.deepEqual(gridExtent(grid).map((v) => Math.round(v)), [-9501966, -20003931, 10501966, 20003931]);
  assert.equal(tileGrid('utm39wgs84quad'), undefined);
  assert.equal(tileGrid('toString'), undefined);
});

test('level choice: the first level as fine as the source, the deepest where the extent fits one tile', () => {
  const grid = tileGrid('UTM39WGS84Quad')!;
  assert.equal(levelForCellSize(grid, 20), 13); // 19.08 m ≤ 20 m
  assert.equal(levelForCellSize(grid, 19.07), 14);
  assert.equal(levelForExtent(grid, 50_000), 9); // 305.2 m × 256 = 78 km ≥ 50 km; level 10 gives 39 km
  assert.equal(levelForExtent(tileGrid('WebMercatorQuad')!, 40_000), 9);
});
