// The world's land (Natural Earth 50m, from Debian's libmagics++-data) built at zooms 0–5 and read back as a map:
// lakes stay water at every zoom, polygons are what MVT 2.1 and GEOS accept at the clip edges, no polygon twice,
// edges meet across tile boundaries. Three bands of zooms (0, 1–2, 3–5) so that every band start is checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileFromDebianPackage } from '../../bench/support/debianData.js';
import { buildVectorTiles } from '../../src/vector/build.js';
import { quickPlan } from '../../src/vector/quickPlan.js';
import { coveredAt, duplicateFeatures, readPolygon, seamMatch, tilesByKey } from '../support/tileMap.js';
import { makeTempDir } from '../support/tempDir.js';
import { readVectorTiles, type DecodedTile } from '../support/vectorTiles.js';

const MAXZOOM = 5;
const LAND = 'ne_50m_land';
const LINES = 'ne_50m_admin_0_boundary_lines_land';
const dir = makeTempDir();
const output = join(dir, 'world.mbtiles');

let built: Promise<DecodedTile[][]> | undefined;
/** The tiles of each zoom 0..MAXZOOM. */
function world(): Promise<DecodedTile[][]> {
  built ??= (async () => {
    const folder = dirname(fileFromDebianPackage('libmagics++-data', `usr/share/magics/50m/${LAND}.shp`));
    await buildVectorTiles(quickPlan([join(folder, `${LAND}.shp`), join(folder, `${LINES}.shp`)], [], { output, maxzoom: MAXZOOM, partitionZoom: 3 }));
    return Array.from({ length: MAXZOOM + 1 }, (_, z) => readVectorTiles(output, z));
  })();
  return built;
}

test('lakes that are holes in the land stay water at every zoom, and land stays land', async () => {
  const zooms = await world();
  const lakes: [string, number, number][] = [
    ['Caspian', 50.5, 42.5],
    ['Ladoga', 31.5, 61.0],
    ['Onega', 35.3, 61.6],
    ['Baikal', 108.0, 53.3],
    ['Superior', -87.5, 47.7],
  ];
  const land: [string, number, number][] = [
    ['Moscow', 37.6, 55.75],
    ['Baku', 49.87, 40.41],
    ['Ulaanbaatar', 106.9, 47.9],
    ['Chicago', -87.9, 41.9],
  ];
  zooms.forEach((tiles, z) => {
    const byKey = tilesByKey(tiles);
    for (const [name, lon, lat] of lakes) assert.equal(coveredAt(byKey, LAND, lon, lat, z), false, `${name} drawn as land at z${z}`);
    for (const [name, lon, lat] of land) assert.equal(coveredAt(byKey, LAND, lon, lat, z), true, `${name} drawn as water at z${z}`);
  });
});

/** GEOS's verdict on each land polygon with the place it points at, through GDAL's Python bindings. */
function geosProblems(tiles: DecodedTile[]): { tile: DecodedTile; message: string; x: number; y: number }[] {
  const lines: string[] = [];
  const where: DecodedTile[] = [];
  for (const tile of tiles) {
    for (const feature of tile.layers[LAND] ?? []) {
      const { polygons } = readPolygon(feature);
      const ring = (points: [number, number][]) => `(${[...points, points[0]].map(([x, y]) => `${x} ${y}`).join(',')})`;
      lines.push(`${where.length}\tMULTIPOLYGON(${polygons.map((rings) => `(${rings.map(ring).join(',')})`).join(',')})`);
      where.push(tile);
    }
  }
  const script = `
import sys
from osgeo import ogr, gdal
messages = []
gdal.PushErrorHandler(lambda c, n, m: messages.append(m))
for line in sys.stdin:
    key, text = line.rstrip('\\n').split('\\t', 1)
    messages.clear()
    if not ogr.CreateGeometryFromWkt(text).IsValid():
        print(key + '\\t' + (messages[-1] if messages else 'invalid'))
`;
  const out = execFileSync('/usr/bin/python3', ['-c', script], { input: lines.join('\n') + '\n', encoding: 'utf8', maxBuffer: 1 << 26 });
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [key, message] = line.split('\t');
      const at = /point (-?[\d.]+) (-?[\d.]+)/.exec(message);
      return { tile: where[Number(key)], message, x: at ? Number(at[1]) : NaN, y: at ? Number(at[2]) : NaN };
    });
}

test('every land polygon is wound by MVT 2.1 without empty rings, and GEOS finds every one valid', async () => {
  const zooms = await world();
  zooms.forEach((tiles, z) => {
    let polygons = 0;
    for (const tile of tiles) {
      for (const feature of tile.layers[LAND] ?? []) {
        polygons++;
        assert.equal(feature.type, 3);
        assert.deepEqual(readPolygon(feature).problems, [], `${tile.z}/${tile.x}/${tile.y}`);
      }
    }
    assert.ok(polygons > 0);
    // Bridges along the buffered tile's edge (-64 and 4160), poles clamped onto the world's edge, and rings that
    // simplification and rounding made cross or touch anywhere in the tile: none of it may be left.
    assert.deepEqual(
      geosProblems(tiles).map((p) => `${p.tile.z}/${p.tile.x}/${p.tile.y}: ${p.message}`),
      [],
      `z${z}`,
    );
  });
});

test('no polygon twice in a tile, the antimeridian and the poles included', async () => {
  const zooms = await world();
  for (const tiles of zooms) {
    const landOnly = tiles.map((tile) => ({ ...tile, layers: { [LAND]: tile.layers[LAND] ?? [] } }));
    assert.deepEqual(duplicateFeatures(landOnly), []);
  }
});

test('lines and polygon edges meet their neighbour across tile edges (same point within one unit)', async () => {
  const zooms = await world();
  zooms.forEach((tiles, z) => {
    for (const layer of [LAND, LINES]) {
      const { crossings, matched } = seamMatch(tiles, layer);
      if (z === 0) continue; // one tile
      assert.ok(crossings > 10, `${layer} z${z}: ${crossings} crossings`);
      // Simplification weighs each whole feature before it is cut into partitions, so partitions meet too (band
      // starts included: 93–94 % at z3 while each partition simplified its own piece).
      assert.ok(matched >= crossings * 0.99, `${layer} z${z}: ${matched} of ${crossings} crossings meet`);
    }
  });
});
