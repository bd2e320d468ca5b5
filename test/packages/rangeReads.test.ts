// Extracts read tiles by range from the index, never the whole archive: SQLite's plan for the range read, and the
// bytes the process actually reads while extracting a few tiles out of a large archive of each layout.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { contentHash, MBTilesReader } from '../../src/archive/mbtiles/reader.js';
import { createArchive } from '../../src/archive/open.js';
import { flipRow, tileToBBox, type BBox } from '../../src/grid/webMercator.js';
import { extractTiles } from '../../src/packages/extract.js';
import { makeTempDir } from '../support/tempDir.js';
import { rawTiles } from './support.js';

const dir = makeTempDir('mekan-range-reads-');
const Z = 11;
/** 64 × 32 tiles of 6 KB of noise (incompressible, all distinct): a 12 MB archive that a scan would read whole. */
const COLUMNS = [1000, 1063];
const ROWS = [700, 731];
const TILE_BYTES = 6000;

const LAYOUTS = {
  /** GDAL, mb-util's flat form. */
  tiles: `CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
    CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);`,
  /** Mekan, node-mbtiles: images keyed by an MD5 tile_id. */
  'map/images': `CREATE TABLE map (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_id TEXT);
    CREATE UNIQUE INDEX map_index ON map (zoom_level, tile_column, tile_row);
    CREATE TABLE images (tile_data BLOB, tile_id TEXT);
    CREATE UNIQUE INDEX images_id ON images (tile_id);
    CREATE VIEW tiles AS SELECT map.zoom_level AS zoom_level, map.tile_column AS tile_column, map.tile_row AS tile_row, images.tile_data AS tile_data FROM map JOIN images ON images.tile_id = map.tile_id;`,
  /** tippecanoe, tile-join: images keyed by (zoom_level, tile_id). */
  'map/images by zoom': `CREATE TABLE map (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_id TEXT);
    CREATE UNIQUE INDEX map_index ON map (zoom_level, tile_column, tile_row);
    CREATE TABLE images (zoom_level INTEGER, tile_data BLOB, tile_id TEXT);
    CREATE UNIQUE INDEX images_id ON images (zoom_level, tile_id);
    CREATE VIEW tiles AS SELECT map.zoom_level AS zoom_level, map.tile_column AS tile_column, map.tile_row AS tile_row, images.tile_data AS tile_data FROM map JOIN images ON images.tile_id = map.tile_id AND images.zoom_level = map.zoom_level;`,
} as const;
type Layout = keyof typeof LAYOUTS;

function writeLargeArchive(path: string, layout: Layout): void {
  const db = new Database(path);
  db.pragma('journal_mode = OFF');
  db.exec(`CREATE TABLE metadata (name TEXT, value TEXT); ${LAYOUTS[layout]}`);
  const insertTile = layout === 'tiles' ? db.prepare('INSERT INTO tiles VALUES (?, ?, ?, ?)') : undefined;
  const insertMap = layout === 'tiles' ? undefined : db.prepare('INSERT INTO map VALUES (?, ?, ?, ?)');
  const insertImage = layout === 'map/images' ? db.prepare('INSERT INTO images VALUES (?, ?)') : layout === 'map/images by zoom' ? db.prepare('INSERT INTO images VALUES (?, ?, ?)') : undefined;
  db.transaction(() => {
    for (let x = COLUMNS[0]; x <= COLUMNS[1]; x++) {
      for (let y = ROWS[0]; y <= ROWS[1]; y++) {
        const data = randomBytes(TILE_BYTES);
        const row = flipRow(Z, y);
        if (insertTile) insertTile.run(Z, x, row, data);
        else {
          const id = contentHash(data);
          insertMap!.run(Z, x, row, id);
          if (layout === 'map/images') insertImage!.run(data, id);
          else insertImage!.run(Z, data, id);
        }
      }
    }
    const west = tileToBBox(Z, COLUMNS[0], ROWS[1]);
    const east = tileToBBox(Z, COLUMNS[1], ROWS[0]);
    const insert = db.prepare('INSERT INTO metadata VALUES (?, ?)');
    for (const [name, value] of [['name', layout], ['format', 'png'], ['minzoom', String(Z)], ['maxzoom', String(Z)], ['bounds', [west[0], west[1], east[2], east[3]].join(',')]]) insert.run(name, value);
  })();
  db.close();
}

/** Bytes this process has read through read(2)-like calls so far (Linux /proc/self/io `rchar`). */
function bytesRead(): number {
  return Number(/^rchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))![1]);
}

const paths = Object.fromEntries(Object.keys(LAYOUTS).map((layout) => [layout, join(dir, `${layout.replace(/[^a-z]+/g, '-')}.mbtiles`)])) as Record<Layout, string>;

before(() => {
  for (const layout of Object.keys(LAYOUTS) as Layout[]) writeLargeArchive(paths[layout], layout);
});

for (const layout of Object.keys(LAYOUTS) as Layout[]) {
  test(`${layout}: the range read is an index search, and an extract of 4 tiles reads a sliver of the 12 MB archive`, async () => {
    const source = new MBTilesReader(paths[layout]);
    try {
      assert.equal(source.layout, layout);
      const plan = source.rangeQueryPlan();
      assert.ok(plan.some((step) => /^SEARCH (map|tiles) USING (COVERING )?INDEX \w+ \(zoom_level=\? AND tile_column>\? AND tile_column<\?\)/.test(step)), plan.join('; '));
      assert.ok(!plan.some((step) => step.startsWith('SCAN')), `no scan: ${plan.join('; ')}`);

      // Two columns by two rows in the middle of the archive.
      const northWest = tileToBBox(Z, 1030, 710);
      const southEast = tileToBBox(Z, 1031, 711);
      const inset = 1e-6;
      const box: BBox = [northWest[0] + inset, southEast[1] + inset, southEast[2] - inset, northWest[3] - inset];
      const output = join(dir, `${layout.replace(/[^a-z]+/g, '-')}-extract.mbtiles`);
      const before = bytesRead();
      const summary = await extractTiles({ sources: [source], region: { bbox: box }, output: createArchive(output) });
      const read = bytesRead() - before;
      assert.equal(summary.tiles, 4);
      const size = statSync(paths[layout]).size;
      assert.ok(size > 12_000_000, `${size} bytes`);
      // 4 tiles of 6 KB plus the index pages on the way: a scan of the tiles would read them all (12 MB).
      assert.ok(read < size / 20, `read ${read} bytes of a ${size}-byte archive to extract 4 tiles`);
      assert.deepEqual([...rawTiles(output).keys()].sort(), ['11/1030/710', '11/1030/711', '11/1031/710', '11/1031/711']);
    } finally {
      source.close();
    }
  });
}
