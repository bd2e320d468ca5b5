// The pieces under the build: the MVT encoder, clipping and simplification, the spill format, point placement.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { buildVectorTiles } from '../../src/vector/build.js';
import { pointCoordinate } from '../../src/vector/cutPartition.js';
import { AttributeTable } from '../../src/vector/attributeTable.js';
import { encodeTile } from '../../src/vector/encode.js';
import type { PropertyValue } from '../../src/sources/types.js';
import { clipGeometry, simplifyGeometry, type ProjectedGeometry } from '../../src/vector/geometry.js';
import { ringArea } from '../../src/vector/rings.js';
import { quickPlan } from '../../src/vector/quickPlan.js';
import { encodeRecord, PartitionSpill, SpillReader } from '../../src/vector/spill.js';
import { makeTempDir } from '../support/tempDir.js';
import { readPolygon, signedArea } from '../support/tileMap.js';
import { readVectorTiles } from '../support/vectorTiles.js';

const dir = makeTempDir();

test('the encoder writes polygons with holes, lines, points and typed attributes that decoders read back', () => {
  const outer = [0, 0, 100, 0, 100, 100, 0, 100, 0, 0].map((v) => v + 10);
  const hole = [40, 40, 40, 60, 60, 60, 60, 40, 40, 40];
  // geojson-vt's winding: outer rings positive in tile coordinates (y down), holes negative.
  assert.ok(ringArea(outer) > 0 && ringArea(hole) < 0);
  // Features carry their attributes as places in the partition's table, where "1" and 1 stay distinct values.
  const table = new AttributeTable();
  const tags = (properties: Record<string, PropertyValue>) => table.add(properties);
  const bytes = encodeTile(
    [
      { name: 'area', attributes: table, features: [{ type: 3, rings: [outer, hole], tags: tags({ name: 'Bakı', population: 2_300_000, depth: -28, ratio: 0.25, capital: true, none: null }) }] },
      { name: 'road', attributes: table, features: [{ type: 2, rings: [[0, 0, 0, 0, 10, 10, 20, 10]], tags: tags({ ref: '1' }) }] },
      { name: 'empty', attributes: table, features: [{ type: 2, rings: [[5, 5, 5, 5]], tags: tags({}) }] },
      { name: 'place', attributes: table, features: [{ type: 1, rings: [[-3, 4100]], tags: tags({ rank: 1 }) }] },
    ],
    4096,
  );
  assert.ok(bytes);
  const tile = new VectorTile(new PbfReader(bytes));
  assert.deepEqual(Object.keys(tile.layers).sort(), ['area', 'place', 'road']); // a layer of degenerate lines is left out
  // Left out of the bytes, not only written empty: @mapbox/vector-tile hides an empty layer, other readers list it.
  assert.ok(!Buffer.from(bytes).includes('empty'));
  const area = tile.layers.area.feature(0);
  assert.deepEqual({ ...area.properties }, { name: 'Bakı', population: 2_300_000, depth: -28, ratio: 0.25, capital: true });
  // Winding checked absolutely (MVT 2.1: exterior positive area in tile coordinates, y down; holes negative),
  // not relative to the first ring, which would accept every ring reversed.
  const rings = area.loadGeometry().map((ring) => ring.map((p) => [p.x, p.y] as [number, number]));
  assert.equal(rings.length, 2);
  assert.ok(signedArea(rings[0]) > 0, 'exterior clockwise on screen');
  assert.ok(signedArea(rings[1]) < 0, 'hole counter-clockwise');
  assert.deepEqual(readPolygon(tile.layers.area.feature(0) && { type: 3, properties: {}, geometry: rings }), { polygons: [rings], problems: [] });
  assert.deepEqual({ ...tile.layers.road.feature(0).properties }, { ref: '1' });
  assert.deepEqual({ ...tile.layers.place.feature(0).properties }, { rank: 1 });
  const road = tile.layers.road.feature(0).loadGeometry();
  assert.deepEqual(road[0].map((p) => [p.x, p.y]), [[0, 0], [10, 10], [20, 10]]); // the repeated point is dropped
  const place = tile.layers.place.feature(0).loadGeometry();
  assert.deepEqual([place[0][0].x, place[0][0].y], [-3, 4100]);
  assert.equal(encodeTile([{ name: 'nothing', attributes: table, features: [] }], 4096), undefined);
});

test('clipping keeps the part of a shape inside a box, and simplification keeps the shape', () => {
  const square: ProjectedGeometry = { kind: 3, polygons: [[Float64Array.from([0.1, 0.1, 0.5, 0.1, 0.5, 0.5, 0.1, 0.5, 0.1, 0.1])]] };
  const clipped = clipGeometry(square, [0.3, 0, 1, 0.4]);
  assert.ok(clipped && clipped.kind === 3);
  assert.ok(Math.abs(Math.abs(ringArea(clipped.polygons[0][0])) - 0.2 * 0.3) < 1e-12);
  assert.equal(clipGeometry(square, [0.6, 0.6, 0.9, 0.9]), undefined);
  const line: ProjectedGeometry = { kind: 2, lines: [Float64Array.from([0, 0.5, 0.2, 0.5, 0.4, 0.9, 0.6, 0.5, 1, 0.5])] };
  const pieces = clipGeometry(line, [0, 0, 1, 0.7]);
  assert.ok(pieces && pieces.kind === 2);
  assert.equal(pieces.lines.length, 2); // the bump above 0.7 is cut out
  const wiggly = Float64Array.from(Array.from({ length: 101 }, (_, i) => [i / 100, 0.5 + (i % 2) * 1e-7]).flat());
  const simpler = simplifyGeometry({ kind: 2, lines: [wiggly] }, 1e-10);
  assert.ok(simpler && simpler.kind === 2);
  assert.equal(simpler.lines[0].length, 4); // two ends left
});

test('a ring too long for the clip buffer is clipped exactly as a short one (the world land ring has 81,538 points)', () => {
  // A circle around (0.5, 0.5) cut at x = 0.3: every point right of the cut in order, the two crossings on it, closed.
  // 5,000 points fit the thread's clip buffer; 50,000 overflow it and are clipped again into arrays of their size.
  for (const count of [5_000, 50_000]) {
    const ring = new Float64Array(2 * count + 2);
    for (let i = 0; i < count; i++) {
      ring[2 * i] = 0.5 + 0.3 * Math.cos((2 * Math.PI * i) / count);
      ring[2 * i + 1] = 0.5 + 0.3 * Math.sin((2 * Math.PI * i) / count);
    }
    ring[2 * count] = ring[0];
    ring[2 * count + 1] = ring[1];
    const clipped = clipGeometry({ kind: 3, polygons: [[ring]] }, [0.3, 0, 1, 1]);
    assert.ok(clipped && clipped.kind === 3 && clipped.polygons.length === 1);
    const out = clipped.polygons[0][0];
    const expected: number[] = [];
    for (let i = 0; i < count; i++) {
      const [ax, ay, bx, by] = [ring[2 * i], ring[2 * i + 1], ring[2 * i + 2], ring[2 * i + 3]];
      if (ax >= 0.3) expected.push(ax, ay);
      if (ax >= 0.3 !== bx >= 0.3) expected.push(0.3, ay + ((by - ay) * (0.3 - ax)) / (bx - ax));
    }
    expected.push(expected[0], expected[1]);
    assert.equal(out.length, expected.length, `${count} points: ${out.length / 2} points out, ${expected.length / 2} expected`);
    for (let i = 0; i < out.length; i++) assert.ok(Math.abs(out[i] - expected[i]) < 1e-12, `${count} points: coordinate ${i} is ${out[i]}, expected ${expected[i]}`);
  }
});

test('spill records come back exactly, across runs and through refills of the read buffer', () => {
  const spill = new PartitionSpill(dir, 2, 1); // a tiny limit: every record makes a run of its own
  // A line of 100,000 points is larger than the reader's 1 MiB buffer, which must grow for it.
  const long = Float64Array.from({ length: 200_000 }, (_, i) => i / 200_000);
  const geometries: ProjectedGeometry[] = [
    { kind: 1, points: Float64Array.from([0.25, 0.75]) },
    { kind: 2, lines: [Float64Array.from([0, 0, 1, 1]), Float64Array.from([0.5, 0.5, 0.6, 0.6, 0.7, 0.5])] },
    { kind: 2, lines: [long] },
    { kind: 3, polygons: [[Float64Array.from([0, 0, 1, 0, 1, 1, 0, 0])], [Float64Array.from([2, 2, 3, 2, 3, 3, 2, 2]), Float64Array.from([2.1, 2.1, 2.2, 2.2, 2.1, 2.2, 2.1, 2.1])]] },
  ];
  geometries.forEach((geometry, i) => spill.add('5/1/2', encodeRecord(2, i + 3, { json: Buffer.from(JSON.stringify({ n: i, name: 'ü' })), id: i === 1 ? undefined : 1000 + i }, geometry)));
  // Many small records in one run make the reader refill with a record cut at the buffer's end.
  const small = new PartitionSpill(dir, 3);
  for (let i = 0; i < 50_000; i++) small.add('0/0/0', encodeRecord(3, 0, { json: Buffer.from(JSON.stringify({ i })) }, { kind: 1, points: Float64Array.from([i / 50_000, 0.5]) }));
  const segments = spill.finish().get('5/1/2');
  assert.equal(segments?.length, 4);
  assert.deepEqual(segments.map((segment) => [segment.layer, segment.records]), [[2, 1], [2, 1], [2, 1], [2, 1]]);
  const plain = (value: unknown) => JSON.parse(JSON.stringify(value, (_k, v) => (v instanceof Float64Array ? [...v] : v)));
  const reader = new SpillReader(segments);
  geometries.forEach((geometry, i) => {
    const record = reader.next();
    assert.ok(record);
    assert.equal(record.layer, 2);
    assert.equal(record.minzoom, i + 3);
    assert.equal(record.id, i === 1 ? undefined : 1000 + i);
    assert.deepEqual(record.properties, { n: i, name: 'ü' });
    assert.deepEqual(plain(record.geometry), plain(geometry));
  });
  assert.equal(reader.next(), undefined);
  reader.close();
  const smallSegments = small.finish().get('0/0/0') ?? [];
  assert.ok(smallSegments.reduce((n, segment) => n + segment.length, 0) > 1 << 20);
  const again = new SpillReader(smallSegments);
  for (let i = 0; i < 50_000; i++) {
    const record = again.next();
    assert.deepEqual(record?.properties, { i });
    assert.equal(record?.geometry.kind === 1 && record.geometry.points[0], i / 50_000);
  }
  assert.equal(again.next(), undefined);
  again.close();
});

test('a point is inside the extent of exactly the tile that holds it, even on tile and world edges', async () => {
  assert.equal(pointCoordinate(0.5 + 0.4 / 4096 / 2, 1, 1), 0);
  assert.equal(pointCoordinate(0.5 - 0.3 / 4096 / 2, 1, 0), 4095); // would round to 4096
  assert.equal(pointCoordinate(0.5 - 0.3 / 4096 / 2, 1, 1), -1); // and to 0 in the neighbour
  assert.equal(pointCoordinate(1, 2, 3, true), 4095); // the south pole, clamped, in the last row
  assert.equal(pointCoordinate(1, 2, 3), 4097); // the antimeridian: column 0 holds it, this column's buffer too
  const input = join(dir, 'edges.geojson');
  const positions = [[180, 0], [-180, 0], [0, 90], [0, -90], [45, 10], [0, 0], [-179.99999, 85.1], [90, -45.00001]];
  writeFileSync(input, JSON.stringify({ type: 'FeatureCollection', features: positions.map((coordinates, i) => ({ type: 'Feature', properties: { i }, geometry: { type: 'Point', coordinates } })) }));
  const output = join(dir, 'edges.mbtiles');
  await buildVectorTiles(quickPlan([input], [], { output, maxzoom: 5 }));
  for (const zoom of [0, 3, 5]) {
    const seen = new Map<number, number>();
    for (const tile of readVectorTiles(output, zoom)) {
      for (const feature of tile.layers.edges ?? []) {
        const [x, y] = feature.geometry[0][0];
        if (x >= 0 && y >= 0 && x < 4096 && y < 4096) seen.set(feature.properties.i as number, (seen.get(feature.properties.i as number) ?? 0) + 1);
      }
    }
    // Below the maxzoom points are thinned (one a cell): a point shown is shown once; at the maxzoom all are.
    positions.forEach((position, i) => assert.ok(zoom === 5 ? seen.get(i) === 1 : (seen.get(i) ?? 1) === 1, `${position} at z${zoom}: ${seen.get(i)}`));
  }
});

test('points are thinned below the maxzoom to one a half-tile cell: by rank, else nearest the cell centre, never by input order; all kept at the maxzoom', async () => {
  const input = join(dir, 'dense.geojsonl');
  let seed = 3;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const features = Array.from({ length: 5000 }, (_, i) => ({ type: 'Feature', properties: { i, population: i }, geometry: { type: 'Point', coordinates: [49.8 + random() * 0.2, 40.3 + random() * 0.2] } }));
  writeFileSync(input, features.map((f) => JSON.stringify(f)).join('\n') + '\n');
  const output = join(dir, 'dense.mbtiles');
  const plan = quickPlan([input], [], { output, maxzoom: 6, rank: { field: 'population', order: 'desc' } });
  const summary = await buildVectorTiles(plan);
  assert.ok((summary.layers[0].pointsThinned ?? 0) > 4000, `thinned ${summary.layers[0].pointsThinned}`);
  const insideOf = (path: string, zoom: number) =>
    readVectorTiles(path, zoom)
      .flatMap((tile) => (tile.layers.dense ?? []).map((f) => ({ tile, f })))
      .filter(({ f }) => f.geometry[0].every(([x, y]) => x >= 0 && y >= 0 && x < 4096 && y < 4096));
  assert.equal(new Set(insideOf(output, 6).map(({ f }) => f.properties.i)).size, 5000);
  for (let zoom = 0; zoom < 6; zoom++) {
    // One a cell of half a tile: the 0.2° box covers at most a few cells up to zoom 6.
    const shown = insideOf(output, zoom);
    const cells = new Set(shown.map(({ tile, f }) => `${tile.x * 2 + (f.geometry[0][0][0] >> 11)}/${tile.y * 2 + (f.geometry[0][0][1] >> 11)}`));
    assert.equal(shown.length, cells.size, `z${zoom}: ${shown.length} points in ${cells.size} cells`);
  }
  // The most populous point wins its cell at every zoom.
  for (let zoom = 0; zoom < 6; zoom++) assert.ok(insideOf(output, zoom).some(({ f }) => f.properties.population === 4999), `z${zoom}`);

  // Without a rank the choice is spatial: the same points whatever the input order.
  const reversed = join(dir, 'dense-reversed.geojsonl');
  writeFileSync(reversed, [...features].reverse().map((f) => JSON.stringify(f)).join('\n') + '\n');
  const a = join(dir, 'dense-a.mbtiles');
  const b = join(dir, 'dense-b.mbtiles');
  await buildVectorTiles(quickPlan([input], ['dense'], { output: a, maxzoom: 6 }));
  await buildVectorTiles(quickPlan([reversed], ['dense'], { output: b, maxzoom: 6 }));
  for (let zoom = 0; zoom < 6; zoom++) {
    const ids = (path: string) => insideOf(path, zoom).map(({ f }) => f.properties.i as number).sort((x, y) => x - y);
    assert.deepEqual(ids(a), ids(b), `z${zoom}`);
    assert.ok(ids(a).length > 0);
  }
});
