// The MBTiles file written front to back as SQLite pages: SQLite's integrity check passes and every row reads back,
// at the sizes where a payload starts to spill to overflow pages, with trees several levels deep, and empty.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PAGE_SIZE, StreamedMBTiles } from '../../src/archive/mbtiles/streamedFile.js';
import { openArchive } from '../../src/archive/open.js';
import { flipRow } from '../../src/grid/webMercator.js';
import { makeTempDir } from '../support/tempDir.js';

const dir = makeTempDir('mekan-streamed-file-');

interface Row {
  z: number;
  column: number;
  row: number;
  data: Buffer;
}

/** Lays the file out from sizes, then writes it; the bytes and the layout found. */
function writeStreamed(metadata: [string, string][], rows: Row[]): { file: Buffer; pages: number } {
  const sizing = new StreamedMBTiles(metadata);
  for (const row of rows) sizing.addTile(row.z, row.column, row.row, row.data.length);
  const layout = sizing.finish();
  const pages: Buffer[] = [];
  const writer = new StreamedMBTiles(metadata, layout, (page) => pages.push(page));
  for (const row of rows) writer.addTile(row.z, row.column, row.row, row.data.length, row.data);
  writer.finish();
  assert.equal(pages.length, layout.pages, 'as many pages as page 1 promised');
  return { file: Buffer.concat(pages), pages: layout.pages };
}

function readBack(path: string): { integrity: string; tiles: Row[]; metadata: Record<string, string> } {
  const db = new Database(path, { readonly: true });
  try {
    return {
      integrity: (db.pragma('integrity_check') as { integrity_check: string }[]).map((row) => row.integrity_check).join('; '),
      tiles: (db.prepare('SELECT zoom_level AS z, tile_column AS column, tile_row AS row, tile_data AS data FROM tiles').all() as Row[]),
      metadata: Object.fromEntries((db.prepare('SELECT name, value FROM metadata').all() as { name: string; value: string }[]).map((row) => [row.name, row.value])),
    };
  } finally {
    db.close();
  }
}

const METADATA: [string, string][] = [
  ['name', 'Bakı'],
  ['format', 'png'],
  ['minzoom', '0'],
  ['maxzoom', '14'],
];

test('payloads on both sides of every spill point, and a deep tree, read back byte for byte', () => {
  // 1002 bytes of payload stay on the page at 4096-byte pages; past it the payload spills, by whole overflow pages.
  const sizes = [0, 1, 900, 990, 995, 1000, 1001, 1002, 1003, 1500, 4092, 4093, 4581, 4582, 8184, 70_000];
  const rows: Row[] = [];
  let column = 0;
  for (let z = 0; z <= 14; z += 14) {
    for (const size of sizes) for (let i = 0; i < 40; i++) rows.push({ z, column: column++, row: 1000 - i, data: randomBytes(size) });
  }
  for (const row of rows) row.row = Math.max(0, row.row);
  rows.sort((a, b) => a.z - b.z || a.column - b.column || a.row - b.row);
  const { file, pages } = writeStreamed(METADATA, rows);
  assert.equal(file.length, pages * PAGE_SIZE);
  const path = join(dir, 'spills.mbtiles');
  writeFileSync(path, file);
  const back = readBack(path);
  assert.equal(back.integrity, 'ok');
  assert.equal(back.tiles.length, rows.length);
  const byKey = new Map(back.tiles.map((row) => [`${row.z}/${row.column}/${row.row}`, row.data]));
  for (const row of rows) assert.ok(byKey.get(`${row.z}/${row.column}/${row.row}`)?.equals(row.data), `${row.z}/${row.column}/${row.row} (${row.data.length} bytes)`);
  assert.deepEqual(back.metadata, Object.fromEntries(METADATA));
  // Mekan's reader finds tiles by the primary key (XYZ row = TMS flipped).
  const archive = openArchive(path);
  try {
    const last = rows[rows.length - 1];
    assert.ok(archive.metadata.format === 'png' && archive.metadata.maxzoom === 14);
    assert.ok((archive.getTile(last.z, last.column, flipRow(last.z, last.row)) as { data: Buffer }).data.equals(last.data));
  } finally {
    archive.close();
  }
});

test('an empty tile set and a metadata table larger than a page are sound files too', () => {
  const big: [string, string][] = [...METADATA, ['json', JSON.stringify({ vector_layers: Array.from({ length: 300 }, (_, i) => ({ id: `layer-${i}`, fields: { name: 'String' } })) })]];
  for (let i = 0; i < 200; i++) big.push([`extra-${i}`, 'x'.repeat(i * 7)]);
  const { file } = writeStreamed(big, []);
  const path = join(dir, 'empty.mbtiles');
  writeFileSync(path, file);
  const back = readBack(path);
  assert.equal(back.integrity, 'ok');
  assert.equal(back.tiles.length, 0);
  assert.deepEqual(back.metadata, Object.fromEntries(big));
});

test('tiles out of key order, or a writing pass that differs from the layout, are refused rather than written wrong', () => {
  const sizing = new StreamedMBTiles(METADATA);
  sizing.addTile(3, 1, 1, 10);
  assert.throws(() => sizing.addTile(3, 1, 1, 10), /out of key order/);
  const layout = new StreamedMBTiles(METADATA);
  layout.addTile(3, 1, 1, 10);
  const planned = layout.finish();
  const writer = new StreamedMBTiles(METADATA, planned, () => {});
  assert.throws(() => writer.addTile(3, 1, 1, 10, randomBytes(11)), /11 bytes, 10 expected/);
  const short = new StreamedMBTiles(METADATA, planned, () => {});
  assert.throws(() => short.finish(), /did the source change/);
});
