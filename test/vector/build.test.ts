// The vector build checked on real data (data/basemap, a Natural Earth cut) by decoding every tile it wrote.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Feature, FeatureCollection, LineString, MultiLineString, MultiPolygon, Point, Polygon, Position } from 'geojson';
import { openArchive } from '../../src/archive/open.js';
import { lonLatToTileFraction } from '../../src/grid/webMercator.js';
import { buildVectorTiles } from '../../src/vector/build.js';
import { quickPlan } from '../../src/vector/quickPlan.js';
import { tilingWorkerCount } from '../../src/vector/workerPool.js';
import type { BuildSummary } from '../../src/vector/summary.js';
import { silentProgress } from '../../src/progress.js';
import { makeTempDir } from '../support/tempDir.js';
import { readPolygon } from '../support/tileMap.js';
import { distanceToLine, insideRings, readVectorTiles, type DecodedTile } from '../support/vectorTiles.js';

const DATA = resolve('data/basemap');
const MAXZOOM = 8;
const EXTENT = 4096;
const BUFFER = 64;
const dir = makeTempDir();
const output = join(dir, 'basemap.mbtiles');
const layers = ['place', 'waterway', 'country'];
const inputs = Object.fromEntries(layers.map((name) => [name, JSON.parse(readFileSync(join(DATA, `${name}.geojson`), 'utf8')) as FeatureCollection]));

let built: Promise<{ summary: BuildSummary; tiles: DecodedTile[] }> | undefined;
function basemap() {
  built ??= (async () => {
    const plan = quickPlan(layers.map((name) => join(DATA, `${name}.geojson`)), [], { output, minzoom: 0, maxzoom: MAXZOOM });
    const summary = await buildVectorTiles(plan);
    return { summary, tiles: readVectorTiles(output, MAXZOOM) };
  })();
  return built;
}

/** Tile and position inside it (tile units) of a lon/lat at zoom z. */
function locate(position: Position, z: number) {
  const [fx, fy] = lonLatToTileFraction(position[0], position[1], z);
  const x = Math.floor(fx);
  const y = Math.floor(fy);
  return { x, y, px: (fx - x) * EXTENT, py: (fy - y) * EXTENT, fx, fy };
}

function withoutNulls(properties: Feature['properties']): Record<string, unknown> {
  return Object.fromEntries(Object.entries(properties ?? {}).filter(([, value]) => value !== null));
}

test('every input point appears inside the extent of exactly one max-zoom tile, the right one, within a pixel, with its attributes', async () => {
  const { tiles } = await basemap();
  const points = inputs.place.features as Feature<Point>[];
  for (const point of points) {
    const truth = locate(point.geometry.coordinates, MAXZOOM);
    const expected = withoutNulls(point.properties);
    const hits: { tile: DecodedTile; x: number; y: number }[] = [];
    for (const tile of tiles) {
      for (const feature of tile.layers.place ?? []) {
        const [[x, y]] = feature.geometry[0];
        if (x < 0 || y < 0 || x >= EXTENT || y >= EXTENT) continue; // in the buffer
        if (feature.properties.name !== point.properties?.name || feature.properties.class !== point.properties?.class) continue;
        // Attributes keep their values and their types (numbers stay numbers).
        assert.deepEqual({ ...feature.properties }, expected);
        hits.push({ tile, x, y });
      }
    }
    const label = `${point.properties?.name} at ${point.geometry.coordinates.join(',')}`;
    // Within one unit of 4096 on each axis (a displayed tile pixel is 8 or 16 units).
    const near = hits.filter((hit) => Math.max(Math.abs(hit.tile.x * EXTENT + hit.x - truth.fx * EXTENT), Math.abs(hit.tile.y * EXTENT + hit.y - truth.fy * EXTENT)) <= 1);
    assert.equal(near.length, 1, `${label}: ${near.length} tiles hold it in their extent`);
    assert.deepEqual([near[0].tile.x, near[0].tile.y], [truth.x, truth.y], `${label}: wrong tile`);
  }
});

test('points near a tile edge are repeated in the neighbour tile\'s buffer, across partition edges too', async () => {
  const { tiles } = await basemap();
  const byTile = new Map(tiles.map((tile) => [`${tile.x}/${tile.y}`, tile]));
  let checked = 0;
  for (const tile of tiles) {
    for (const feature of tile.layers.place ?? []) {
      const [x, y] = feature.geometry[0][0];
      if (x < 0 || y < 0 || x >= EXTENT || y >= EXTENT) continue;
      for (const [dx, dy] of [[-1, 0], [1, 0], [0, -1], [0, 1]]) {
        const near = (dx === -1 && x < BUFFER - 1) || (dx === 1 && x > EXTENT - BUFFER + 1) || (dy === -1 && y < BUFFER - 1) || (dy === 1 && y > EXTENT - BUFFER + 1);
        if (!near) continue;
        const neighbour = byTile.get(`${tile.x + dx}/${tile.y + dy}`);
        const copy = neighbour?.layers.place?.find((f) => f.properties.name === feature.properties.name && f.properties.class === feature.properties.class);
        assert.ok(copy, `${feature.properties.name} in ${tile.x}/${tile.y} is missing from the buffer of ${tile.x + dx}/${tile.y + dy}`);
        const [cx, cy] = copy.geometry[0][0];
        assert.ok(Math.abs(cx + dx * EXTENT - x) <= 1 && Math.abs(cy + dy * EXTENT - y) <= 1);
        checked++;
      }
    }
  }
  assert.ok(checked >= 5, `only ${checked} points near edges`);
});

test('each place lies in the country it lies in: sampled points and probes beside every border agree by name, at every band of zooms', async () => {
  await basemap();
  // Simplification (3 units at each zoom, on top of the band's 3 units at its last zoom) and rounding move an
  // edge by at most ~5 units: closer to an input border than NEAR, a point may fall on either side.
  const NEAR = 6;
  for (const zoom of [1, 4, 6, MAXZOOM]) {
    const byTile = new Map(readVectorTiles(output, zoom).map((tile) => [`${tile.x}/${tile.y}`, tile]));
    // The input in Web Mercator tile units of this zoom (geojson-vt draws edges straight in Mercator).
    const countries = (inputs.country.features as Feature<Polygon | MultiPolygon>[]).map((feature) => ({
      iso: feature.properties?.iso_n3 as string,
      polygons: (feature.geometry.type === 'Polygon' ? [feature.geometry.coordinates] : feature.geometry.coordinates).map((rings) =>
        rings.map((ring) => ring.map((position) => {
          const { fx, fy } = locate(position, zoom);
          return [fx * EXTENT, fy * EXTENT] as [number, number];
        })),
      ),
    }));
    const rings = countries.flatMap((country) => country.polygons.flat());
    const expectedAt = (gx: number, gy: number) => countries.filter((c) => c.polygons.some((p) => insideRings(p, gx, gy))).map((c) => c.iso);
    const actualAt = (gx: number, gy: number) => {
      const x = Math.floor(gx / EXTENT);
      const y = Math.floor(gy / EXTENT);
      const features = byTile.get(`${x}/${y}`)?.layers.country ?? [];
      return features.filter((f) => readPolygon(f).polygons.some((p) => insideRings(p, gx - x * EXTENT, gy - y * EXTENT))).map((f) => String(f.properties.iso_n3));
    };
    const clear = (gx: number, gy: number) => Math.min(...rings.map((ring) => distanceToLine([...ring, ring[0]], gx, gy))) > NEAR;
    // Random points, and probes just beyond NEAR on both sides of every tenth input edge (a moved border shows there).
    const samples: [number, number][] = [];
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 1500; i++) {
      const { fx, fy } = locate([38.2 + random() * 17.6, 36.2 + random() * 10.6], zoom);
      samples.push([fx * EXTENT, fy * EXTENT]);
    }
    for (const ring of rings) {
      for (let i = 0; i + 1 < ring.length; i += 10) {
        const [[ax, ay], [bx, by]] = [ring[i], ring[i + 1]];
        const length = Math.hypot(bx - ax, by - ay);
        if (length < 4 * NEAR) continue;
        for (const side of [-1, 1]) samples.push([(ax + bx) / 2 + (side * (NEAR + 1) * (ay - by)) / length, (ay + by) / 2 + (side * (NEAR + 1) * (bx - ax)) / length]);
      }
    }
    let compared = 0;
    let inLand = 0;
    for (const [gx, gy] of samples) {
      if (!clear(gx, gy)) continue;
      const expected = expectedAt(gx, gy);
      assert.deepEqual(actualAt(gx, gy), expected, `z${zoom} at ${(gx / EXTENT).toFixed(4)},${(gy / EXTENT).toFixed(4)}`);
      compared++;
      if (expected.length) inLand++;
    }
    assert.ok(compared > 1000 && inLand > compared * 0.3, `z${zoom}: ${compared} compared, ${inLand} on land`);
  }
});

test('lines keep their course: input vertices lie within the tolerance of a decoded line of their tile', async () => {
  const { tiles } = await basemap();
  const byTile = new Map(tiles.map((tile) => [`${tile.x}/${tile.y}`, tile]));
  let checked = 0;
  for (const feature of inputs.waterway.features as Feature<LineString | MultiLineString>[]) {
    const lines = feature.geometry.type === 'LineString' ? [feature.geometry.coordinates] : feature.geometry.coordinates;
    for (const line of lines) {
      for (let i = 0; i < line.length; i += 5) {
        const at = locate(line[i], MAXZOOM);
        const decoded = (byTile.get(`${at.x}/${at.y}`)?.layers.waterway ?? []).filter((f) => f.properties.name === feature.properties?.name);
        const distance = Math.min(...decoded.flatMap((f) => f.geometry.map((part) => distanceToLine(part, at.px, at.py))));
        // geojson-vt simplifies with 3 units at max zoom; rounding adds under one.
        assert.ok(distance <= 4, `${feature.properties?.name} vertex ${i}: ${distance} units from its decoded line`);
        checked++;
      }
    }
  }
  assert.ok(checked > 200);
});

test('lines and polygons are clipped with the buffer, at every zoom', async () => {
  await basemap();
  let beyondExtent = 0;
  for (const tile of readVectorTiles(output)) {
    for (const [name, features] of Object.entries(tile.layers)) {
      for (const feature of features) {
        for (const part of feature.geometry) {
          for (const [x, y] of part) {
            assert.ok(x >= -BUFFER - 1 && y >= -BUFFER - 1 && x <= EXTENT + BUFFER + 1 && y <= EXTENT + BUFFER + 1, `${name} in ${tile.z}/${tile.x}/${tile.y}: ${x},${y}`);
            if (feature.type !== 1 && (x < 0 || y < 0 || x > EXTENT || y > EXTENT)) beyondExtent++;
          }
        }
      }
    }
  }
  // Shapes continue into the buffer (so renderers draw no seams), they are not cut at the extent.
  assert.ok(beyondExtent > 100);
});

test('metadata: bounds, zooms, vector_layers with field types, per-layer counts and geometry types; tiles within budget', async () => {
  const { summary } = await basemap();
  const archive = openArchive(output);
  try {
    const m = archive.metadata;
    assert.equal(m.format, 'pbf');
    assert.equal(m.minzoom, 0);
    assert.equal(m.maxzoom, MAXZOOM);
    assert.ok(m.bounds);
    const [west, south, east, north] = m.bounds;
    // The union of the data's two regions (data/README.md): the Caucasus and the country around the imagery in Brazil.
    assert.ok(Math.abs(west + 56) < 0.01 && Math.abs(east - 56) < 0.01 && Math.abs(south + 25.5) < 0.01 && Math.abs(north - 47) < 0.01, `bounds ${m.bounds}`);
    assert.ok(m.center && m.center[2] >= 0 && m.center[2] <= MAXZOOM);
    const place = m.vector_layers?.find((layer) => layer.id === 'place');
    assert.equal(place?.fields.name, 'String');
    assert.equal(place?.fields.population, 'Number');
    assert.equal(place?.fields.rank, 'Number');
    assert.deepEqual(m.vector_layers?.map((layer) => layer.id), layers);
    const stats = Object.fromEntries((m.layerStats ?? []).map((s) => [s.layer, s]));
    assert.equal(stats.place.count, inputs.place.features.length);
    assert.equal(stats.place.geometry, 'Point');
    assert.equal(stats.waterway.geometry, 'LineString');
    assert.equal(stats.country.count, inputs.country.features.length);
    assert.equal(stats.country.geometry, 'Polygon');
    for (const zoom of await archive.summarize()) assert.ok(zoom.maxBytes <= 500_000);
  } finally {
    archive.close();
  }
  assert.equal(summary.layers.find((layer) => layer.id === 'place')?.featuresWritten, inputs.place.features.length);
  assert.equal(summary.tilesReduced, 0);
  assert.ok(summary.uniqueTiles <= summary.tilesWritten);
  assert.equal(summary.tilesPerZoom.find((z) => z.zoom === 0)?.tiles, 1);
});

test("GDAL's ogrinfo opens the archive, lists the layers and reads every point once at max zoom", async () => {
  await basemap();
  const listing = execFileSync('ogrinfo', ['-ro', '-q', output, '-oo', `ZOOM_LEVEL=${MAXZOOM}`], { encoding: 'utf8' });
  for (const layer of layers) assert.match(listing, new RegExp(`\\d+: ${layer}\\b`));
  // Reading the features (GDAL clips each tile to its extent by default) rather than `-so`, whose quick
  // count also counts the copies of points that lie in a neighbour's buffer.
  const place = execFileSync('ogrinfo', ['-ro', '-geom=NO', output, '-oo', `ZOOM_LEVEL=${MAXZOOM}`, 'place'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(place.match(/^OGRFeature\(place\)/gm)?.length, inputs.place.features.length);
});

test('partitioning changes nothing at the partition zoom and deeper: same tiles, same features as one whole index', async () => {
  await basemap();
  const whole = join(dir, 'whole.mbtiles');
  const plan = quickPlan(layers.map((name) => join(DATA, `${name}.geojson`)), [], { output: whole, minzoom: 0, maxzoom: MAXZOOM });
  await buildVectorTiles({ ...plan, partitionZoom: 0 });
  for (let zoom = 5; zoom <= MAXZOOM; zoom++) {
    const count = (path: string) =>
      new Map(readVectorTiles(path, zoom).map((tile) => [`${tile.x}/${tile.y}`, layers.map((layer) => tile.layers[layer]?.length ?? 0).join(',')]));
    assert.deepEqual(count(output), count(whole), `z${zoom}`);
  }
});

test('tiling gets a worker a core when the build is big by features read or by tiles to cut; a small build keeps its reading workers', () => {
  const cores = availableParallelism();
  assert.equal(tilingWorkerCount(1, { featuresRead: 27_000, estimatedTiles: 64_000 }), 1);
  assert.equal(tilingWorkerCount(1, { featuresRead: 1_000_000, estimatedTiles: 64_000 }), Math.max(1, cores));
  assert.equal(tilingWorkerCount(1, { featuresRead: 27_000, estimatedTiles: 1_000_000 }), Math.max(1, cores));
  assert.equal(tilingWorkerCount(cores + 1, { featuresRead: 1_000_000, estimatedTiles: 0 }), cores + 1, 'never fewer than are running');
});

test('a crowded partition makes the build read again with a deeper partition zoom (the tiles an explicit --partition-zoom gives); an explicit one is kept and the better one noted', async () => {
  // 101,000 points in a 0.1° box: one partition tile at the default partition zoom (maxzoom 6 − 3).
  const input = join(dir, 'crowded.geojsonl');
  const lines: string[] = [];
  for (let i = 0; i < 101_000; i++) {
    const coordinates = [49.8 + (i % 317) / 3170, 40.3 + Math.floor(i / 317) / 3190];
    lines.push(JSON.stringify({ type: 'Feature', properties: { i }, geometry: { type: 'Point', coordinates } }));
  }
  writeFileSync(input, lines.join('\n') + '\n');
  const notesOf = (notes: string[]) => ({ progress: { ...silentProgress, note: (line: string) => notes.push(line) } });
  const automatic = join(dir, 'crowded-auto.mbtiles');
  const autoNotes: string[] = [];
  const auto = await buildVectorTiles(quickPlan([input], [], { output: automatic, maxzoom: 6 }), notesOf(autoNotes));
  assert.equal(auto.partitionZoom, 4);
  assert.match(autoNotes.join('\n'), /partition tile 3\/\d+\/\d+ holds 101000 features: reading again with partition zoom 4 \(was 3\)/);
  assert.equal(auto.layers[0].featuresRead, 101_000, 'features are counted once, not once a reading');

  const explicit = join(dir, 'crowded-explicit.mbtiles');
  await buildVectorTiles(quickPlan([input], [], { output: explicit, maxzoom: 6, partitionZoom: 4 }));
  const kept = join(dir, 'crowded-kept.mbtiles');
  const keptNotes: string[] = [];
  const shallow = await buildVectorTiles(quickPlan([input], [], { output: kept, maxzoom: 6, partitionZoom: 3 }), notesOf(keptNotes));
  assert.equal(shallow.partitionZoom, 3);
  assert.match(keptNotes.join('\n'), /holds 101000 features; --partition-zoom 4 \(now 3\) would use much less memory/);

  const tiles = (path: string) => readVectorTiles(path).sort((a, b) => a.z - b.z || a.x - b.x || a.y - b.y);
  assert.deepEqual(tiles(automatic), tiles(explicit));
  // At and below the deeper cut every point is kept either way.
  const count = (path: string) => tiles(path).filter((tile) => tile.z >= 4).reduce((n, tile) => n + (tile.layers.crowded?.length ?? 0), 0);
  assert.equal(count(automatic), count(kept));
  assert.ok(count(automatic) >= 101_000);
});

test('integer feature ids (GeoJSON id, GeoPackage fid) become the tile features\' ids; other ids do not', async () => {
  const input = join(dir, 'ids.geojson');
  const ids: unknown[] = [101, 'w202', -5, 2.5, 9_007_199_254_740_991];
  writeFileSync(input, JSON.stringify({ type: 'FeatureCollection', features: ids.map((id, i) => ({ type: 'Feature', id, properties: { i }, geometry: { type: 'Point', coordinates: [49.8 + i * 0.01, 40.4] } })) }));
  const output = join(dir, 'ids.mbtiles');
  await buildVectorTiles(quickPlan([input], [], { output, maxzoom: 6 }));
  const idOf = (path: string, layer: string) => {
    const found = new Map<number, number | undefined>();
    for (const tile of readVectorTiles(path, 6)) for (const feature of tile.layers[layer] ?? []) found.set(feature.properties.i as number, feature.id);
    return [...found.entries()].sort(([a], [b]) => a - b).map(([, id]) => id);
  };
  assert.deepEqual(idOf(output, 'ids'), [101, undefined, undefined, undefined, 9_007_199_254_740_991]);

  const gpkg = join(dir, 'ids.gpkg');
  execFileSync('ogr2ogr', ['-f', 'GPKG', gpkg, input, '-nln', 'points']);
  const fromGpkg = join(dir, 'ids-gpkg.mbtiles');
  await buildVectorTiles(quickPlan([gpkg], [], { output: fromGpkg, maxzoom: 6 }));
  const fids = idOf(fromGpkg, 'ids');
  assert.equal(fids.length, 5);
  assert.ok(fids.every((id) => Number.isInteger(id)), JSON.stringify(fids));
  assert.equal(new Set(fids).size, 5, 'one fid each');
});
