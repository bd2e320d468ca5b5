// MBTiles layouts other tools write (GDAL's plain tiles table, tippecanoe's map/images by zoom): read by their own
// indexes, with strong ETags hashed once per tile and kept within a bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MBTilesReader, tileQuery, tileQueryPlan } from '../../src/archive/mbtiles/reader.js';
import { TileHashes } from '../../src/archive/tileHashes.js';
import { flipRow } from '../../src/grid/webMercator.js';
import { makeTempDir } from '../support/tempDir.js';
import { fnv1a64, writeTippecanoeArchive, type LayoutTile } from '../support/tippecanoeArchive.js';

const dir = makeTempDir('mekan-layouts-');
const sha1 = (data: Uint8Array) => createHash('sha1').update(data).digest('hex');

/** FNV-1a 64 the slow, obvious way, to check the two-halves one the fixture writes tippecanoe's ids with. */
function fnv1a64Reference(data: Uint8Array): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of data) hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return hash.toString();
}

/** A plain `tiles` table as GDAL writes it (no content ids), holding `tiles` (XYZ). */
function writeGdalLayout(path: string, tiles: LayoutTile[]): void {
  const db = new Database(path);
  db.exec('CREATE TABLE metadata (name text, value text); CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob, UNIQUE (zoom_level, tile_column, tile_row));');
  const insert = db.prepare('INSERT INTO tiles VALUES (?, ?, ?, ?)');
  for (const { z, x, y, data } of tiles) insert.run(z, x, flipRow(z, y), data);
  db.prepare("INSERT INTO metadata VALUES ('format', 'pbf'), ('minzoom', '0'), ('maxzoom', '3')").run();
  db.close();
}

/** Every tile of zooms 0..3 with bytes of its own. */
function distinctTiles(): LayoutTile[] {
  const tiles: LayoutTile[] = [];
  for (let z = 0; z <= 3; z++) for (let x = 0; x < 2 ** z; x++) for (let y = 0; y < 2 ** z; y++) tiles.push({ z, x, y, data: randomBytes(40 + x * 7 + y) });
  return tiles;
}

test("tippecanoe's map/images layout: tiles by XYZ, looked up through images' own (zoom_level, tile_id) index", () => {
  for (const bytes of [Buffer.alloc(0), Buffer.from('a'), randomBytes(1000)]) assert.equal(fnv1a64(bytes), fnv1a64Reference(bytes));
  const path = join(dir, 'tippecanoe.mbtiles');
  const ocean = randomBytes(64);
  const land = randomBytes(80);
  // The same bytes at two zooms (tippecanoe keys images per zoom) and twice within zoom 1 (deduplicated).
  writeTippecanoeArchive(path, [{ z: 0, x: 0, y: 0, data: ocean }, { z: 1, x: 0, y: 0, data: ocean }, { z: 1, x: 1, y: 0, data: ocean }, { z: 1, x: 1, y: 1, data: land }], { format: 'pbf', minzoom: '0', maxzoom: '1' });
  const hashes = new TileHashes(1 << 20);
  const reader = new MBTilesReader(path, { tileHashes: hashes });
  assert.equal(reader.layout, 'map/images by zoom');
  assert.deepEqual(reader.warnings, []);
  assert.deepEqual(reader.getTile(1, 1, 1)?.data, land);
  assert.deepEqual(reader.getTile(1, 0, 0)?.data, ocean);
  assert.deepEqual(reader.getTile(0, 0, 0)?.data, ocean);
  assert.equal(reader.getTile(1, 0, 1), undefined);
  // The tile ids are FNV-1a numbers, not content hashes: the ETag is the SHA-1 of the bytes, one entry per stored image.
  assert.equal(reader.getTile(1, 1, 0)?.hash, sha1(ocean));
  assert.deepEqual({ entries: hashes.stats().entries, misses: hashes.misses, hits: hashes.hits }, { entries: 3, misses: 3, hits: 1 });

  const db = new Database(path, { readonly: true });
  const plan = tileQueryPlan(db, reader.layout);
  assert.ok(plan.includes('SEARCH images USING INDEX images_id (zoom_level=? AND tile_id=?)'), plan.join('\n'));
  assert.ok(plan.every((step) => step.startsWith('SEARCH')), plan.join('\n'));
  // What joining on tile_id alone costs here: images is scanned (or skip-scanned) for every tile.
  const idOnly = (db.prepare(`EXPLAIN QUERY PLAN ${tileQuery('map/images')}`).all(0, 0, 0) as { detail: string }[]).map((row) => row.detail);
  assert.ok(!idOnly.includes('SEARCH images USING INDEX images_id (zoom_level=? AND tile_id=?)'), idOnly.join('\n'));
  db.close();
  reader.close();
  assert.equal(hashes.stats().entries, 0, 'a closed archive leaves no hashes behind');
});

test('an archive whose tiles have no index is served, with a warning naming the scan', () => {
  const path = join(dir, 'unindexed.mbtiles');
  const db = new Database(path);
  db.exec("CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob); INSERT INTO tiles VALUES (0, 0, 0, x'0102');");
  db.close();
  const reader = new MBTilesReader(path);
  assert.deepEqual(reader.getTile(0, 0, 0)?.data, Buffer.from([1, 2]));
  assert.ok(reader.warnings.some((warning) => warning.includes(path) && /no index for tile lookups \(SCAN tiles/.test(warning)), reader.warnings.join('\n'));
  reader.close();
});

test('a plain tiles table (GDAL): strong ETags from the bytes, hashed once per tile, equal in every process, within the memory bound', () => {
  const path = join(dir, 'gdal.mbtiles');
  const tiles = distinctTiles();
  writeGdalLayout(path, tiles);
  const hashes = new TileHashes(1 << 20);
  const reader = new MBTilesReader(path, { tileHashes: hashes });
  // Another process (or replica) opening the same file, with no cache at all.
  const other = new MBTilesReader(path);
  assert.equal(reader.layout, 'tiles');
  for (const { z, x, y, data } of tiles) {
    const tile = reader.getTile(z, x, y)!;
    assert.deepEqual(tile.data, data);
    assert.equal(tile.hash, sha1(data));
    assert.equal(other.getTile(z, x, y)?.hash, tile.hash);
  }
  assert.deepEqual([hashes.misses, hashes.hits], [tiles.length, 0]);
  for (const { z, x, y } of tiles) reader.getTile(z, x, y);
  assert.deepEqual([hashes.misses, hashes.hits], [tiles.length, tiles.length], 'the second read of each tile is not hashed again');
  assert.ok(hashes.stats().bytes > 0 && hashes.stats().bytes <= hashes.maxBytes);

  // A bound smaller than the tiles' hashes: the least recently used go, the memory stays under it.
  const small = new TileHashes(2000);
  const bounded = new MBTilesReader(path, { tileHashes: small });
  for (const { z, x, y, data } of tiles) assert.equal(bounded.getTile(z, x, y)?.hash, sha1(data));
  const stats = small.stats();
  assert.ok(stats.bytes <= 2000 && stats.entries > 0 && stats.entries < tiles.length, JSON.stringify(stats));
  for (const r of [reader, other, bounded]) r.close();
});
