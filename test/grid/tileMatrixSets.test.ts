import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tileMatrixSetLimits, webMercatorQuad, WEB_MERCATOR_QUAD_URI } from '../../src/grid/tileMatrixSets.js';
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
