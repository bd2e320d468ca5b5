// WKB and WKT parsing: byte orders, Z/M flavours (ISO and EWKB), nested collections, empty and cut-short geometries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWkb, WkbError } from '../../src/sources/wkb.js';
import { parseWkt, WktError } from '../../src/sources/wkt.js';

/** Writes WKB by hand: a byte order, a uint32 type, then numbers (uint32 counts are given as {count}). */
function wkb(little: boolean, type: number, ...items: (number | { count: number } | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from([little ? 1 : 0])];
  const uint = (value: number) => {
    const buffer = Buffer.alloc(4);
    if (little) buffer.writeUInt32LE(value >>> 0);
    else buffer.writeUInt32BE(value >>> 0);
    return buffer;
  };
  parts.push(uint(type));
  for (const item of items) {
    if (Buffer.isBuffer(item)) parts.push(item);
    else if (typeof item === 'object') parts.push(uint(item.count));
    else {
      const buffer = Buffer.alloc(8);
      if (little) buffer.writeDoubleLE(item);
      else buffer.writeDoubleBE(item);
      parts.push(buffer);
    }
  }
  return Buffer.concat(parts);
}

test('points and lines in both byte orders, with Z and M dropped', () => {
  assert.deepEqual(parseWkb(wkb(true, 1, 49.8, 40.4)), { type: 'Point', coordinates: [49.8, 40.4] });
  assert.deepEqual(parseWkb(wkb(false, 1, 49.8, 40.4)), { type: 'Point', coordinates: [49.8, 40.4] });
  assert.deepEqual(parseWkb(wkb(false, 1001, 49.8, 40.4, 12)), { type: 'Point', coordinates: [49.8, 40.4] }, 'ISO Z');
  assert.deepEqual(parseWkb(wkb(true, 3002, { count: 2 }, 1, 2, 3, 4, 5, 6, 7, 8)), { type: 'LineString', coordinates: [[1, 2], [5, 6]] }, 'ISO ZM');
  assert.deepEqual(parseWkb(wkb(true, 0x40000002, { count: 2 }, 1, 2, 3, 4, 5, 6)), { type: 'LineString', coordinates: [[1, 2], [4, 5]] }, 'EWKB M');
  assert.deepEqual(parseWkb(wkb(true, 0xa0000001, { count: 4326 }, 1, 2, 3)), { type: 'Point', coordinates: [1, 2] }, 'EWKB Z with SRID');
  assert.equal(parseWkb(wkb(true, 1, NaN, NaN)), null, 'an empty point');
});

test('polygons with holes and multi-geometries whose parts have their own byte order', () => {
  const ring = (...xy: number[]) => [{ count: xy.length / 2 }, ...xy];
  const polygon = wkb(false, 3, { count: 2 }, ...ring(0, 0, 4, 0, 4, 4, 0, 0), ...ring(1, 1, 2, 1, 2, 2, 1, 1));
  assert.deepEqual(parseWkb(polygon), { type: 'Polygon', coordinates: [[[0, 0], [4, 0], [4, 4], [0, 0]], [[1, 1], [2, 1], [2, 2], [1, 1]]] });
  const multi = wkb(true, 6, { count: 2 }, polygon, wkb(true, 3, { count: 1 }, ...ring(5, 5, 6, 5, 6, 6, 5, 5)));
  assert.deepEqual(parseWkb(multi), { type: 'MultiPolygon', coordinates: [
    [[[0, 0], [4, 0], [4, 4], [0, 0]], [[1, 1], [2, 1], [2, 2], [1, 1]]],
    [[[5, 5], [6, 5], [6, 6], [5, 5]]],
  ] });
  const collection = wkb(false, 7, { count: 2 }, wkb(true, 1, 1, 2), wkb(false, 5, { count: 1 }, wkb(true, 2, { count: 2 }, 0, 0, 1, 1)));
  assert.deepEqual(parseWkb(collection), { type: 'GeometryCollection', geometries: [
    { type: 'Point', coordinates: [1, 2] },
    { type: 'MultiLineString', coordinates: [[[0, 0], [1, 1]]] },
  ] });
  assert.deepEqual(parseWkb(wkb(true, 4, { count: 2 }, wkb(true, 1, 1, 2), wkb(false, 1001, 3, 4, 5))), { type: 'MultiPoint', coordinates: [[1, 2], [3, 4]] });
});

test('cut-short or unknown WKB is a WkbError, never a crash or a wrong geometry', () => {
  const line = wkb(true, 2, { count: 3 }, 1, 2, 3, 4, 5, 6);
  assert.throws(() => parseWkb(line.subarray(0, line.length - 4)), WkbError);
  assert.throws(() => parseWkb(wkb(true, 2, { count: 1_000_000 }, 1, 2)), WkbError);
  assert.throws(() => parseWkb(wkb(true, 17, 1, 2)), WkbError);
  assert.throws(() => parseWkb(Buffer.from([1, 1])), WkbError);
});

test('WKT of every type, with Z/M, EMPTY, EWKT and malformed text', () => {
  assert.deepEqual(parseWkt('POINT (49.8 40.4)'), { type: 'Point', coordinates: [49.8, 40.4] });
  assert.deepEqual(parseWkt('SRID=4326;point z (1 2 3)'), { type: 'Point', coordinates: [1, 2] });
  assert.deepEqual(parseWkt('LINESTRING ZM (1 2 3 4, 5 6 7 8)'), { type: 'LineString', coordinates: [[1, 2], [5, 6]] });
  assert.equal(parseWkt('POLYGON((0 0,4 0,4 4,0 0),(1 1,2 1,2 2,1 1))')?.type, 'Polygon');
  assert.deepEqual(parseWkt('MULTIPOINT (1 2, 3 4)'), { type: 'MultiPoint', coordinates: [[1, 2], [3, 4]] });
  assert.deepEqual(parseWkt('MULTIPOINT ((1 2), (3 4))'), { type: 'MultiPoint', coordinates: [[1, 2], [3, 4]] });
  assert.deepEqual(parseWkt('MULTILINESTRING ((0 0, 1 1), (2 2, 3 3))'), { type: 'MultiLineString', coordinates: [[[0, 0], [1, 1]], [[2, 2], [3, 3]]] });
  assert.deepEqual(parseWkt('MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5)))'), { type: 'MultiPolygon', coordinates: [[[[0, 0], [1, 0], [1, 1], [0, 0]]], [[[5, 5], [6, 5], [6, 6], [5, 5]]]] });
  assert.deepEqual(parseWkt('GEOMETRYCOLLECTION (POINT (1 2), POINT EMPTY, LINESTRING (0 0, 1e1 -1.5E-1))'), { type: 'GeometryCollection', geometries: [
    { type: 'Point', coordinates: [1, 2] },
    { type: 'LineString', coordinates: [[0, 0], [10, -0.15]] },
  ] });
  assert.equal(parseWkt('POLYGON EMPTY'), null);
  for (const bad of ['CIRCLE (1 2)', 'POINT (1)', 'LINESTRING (0 0, 1 1', 'POINT (1 2) extra', '']) assert.throws(() => parseWkt(bad), WktError, bad);
});
