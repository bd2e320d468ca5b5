import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { createArchive, openArchive } from '../../src/archive/open.js';
import { MBTilesReader } from '../../src/archive/mbtiles/reader.js';
import { InputError } from '../../src/errors.js';
import { makeTempDir } from '../support/tempDir.js';

const dir = makeTempDir();

function build(path: string, tiles: [number, number, number, Buffer][], name = 'test') {
  const writer = createArchive(path);
  for (const [z, x, y, data] of tiles) writer.putTile(z, x, y, data);
  writer.setMetadata({ name, format: 'pbf', minzoom: 0, maxzoom: 2, bounds: [44, 38, 51, 42], center: [47, 40, 2], vector_layers: [{ id: 'water', fields: { name: 'String' } }] });
  writer.finish();
  return writer;
}

test('writes MBTiles 1.3 with deduplicated tiles and reads them back by XYZ', () => {
  const path = join(dir, 'dedup.mbtiles');
  const same = gzipSync(Buffer.from('identical sea tile'));
  const writer = build(path, [
    [2, 0, 0, same],
    [2, 1, 0, same],
    [2, 3, 1, gzipSync(Buffer.from('another'))],
  ]);
  assert.equal(writer.tilesWritten, 3);
  assert.equal(writer.uniqueTiles, 2);

  const db = new Database(path, { readonly: true });
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM images').get() as { n: number }).n, 2);
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM tiles').get() as { n: number }).n, 3);
  // TMS rows on disk: XYZ y=1 at z=2 is row 2.
  const row = db.prepare('SELECT tile_row FROM map WHERE zoom_level=2 AND tile_column=3').get() as { tile_row: number };
  assert.equal(row.tile_row, 2);
  const meta = new Map((db.prepare('SELECT name, value FROM metadata').all() as { name: string; value: string }[]).map((r) => [r.name, r.value]));
  assert.equal(meta.get('format'), 'pbf');
  assert.equal(meta.get('bounds'), '44,38,51,42');
  assert.deepEqual(JSON.parse(meta.get('json')!).vector_layers[0].id, 'water');
  db.close();

  const archive = new MBTilesReader(path);
  const tile = archive.getTile(2, 3, 1);
  assert.ok(tile);
  assert.equal(tile.gzipped, true);
  assert.match(tile.hash, /^[0-9a-f]{32}$/);
  assert.equal(archive.getTile(2, 0, 0)!.hash, archive.getTile(2, 1, 0)!.hash);
  assert.equal(archive.getTile(2, 2, 2), undefined);
  assert.deepEqual(archive.metadata.bounds, [44, 38, 51, 42]);
  assert.deepEqual(archive.summarize(), [{ zoom: 2, tiles: 3, bytes: same.length * 2 + gzipSync(Buffer.from('another')).length, maxBytes: Math.max(same.length, gzipSync(Buffer.from('another')).length) }]);
  archive.close();
});

test('an aborted write leaves the previous archive untouched and no temp file', () => {
  const path = join(dir, 'keep.mbtiles');
  build(path, [[0, 0, 0, gzipSync(Buffer.from('v1'))]], 'v1');
  const writer = createArchive(path);
  writer.putTile(0, 0, 0, gzipSync(Buffer.from('v2')));
  writer.abort();
  const archive = openArchive(path);
  assert.equal(archive.metadata.name, 'v1');
  archive.close();
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('keep.mbtiles.tmp')), []);
});

test('a file that is not an archive is an input error naming it', () => {
  const path = join(dir, 'garbage.mbtiles');
  writeFileSync(path, 'this is not sqlite at all'.repeat(100));
  assert.throws(() => openArchive(path), (error: unknown) => error instanceof InputError && error.message.includes(path));
  const empty = join(dir, 'empty.mbtiles');
  new Database(empty).exec('CREATE TABLE foo (a)');
  assert.throws(() => openArchive(empty), /no tiles table/);
  assert.ok(existsSync(path));
});
