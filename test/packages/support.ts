// Shared by the package suites: archives read back with bare SQL (independent of our reader), and the CLI run for real.
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { flipRow, type BBox } from '../../src/grid/webMercator.js';
import { MEKAN_BIN } from '../support/mekanProcess.js';

export interface RawTile {
  key: string;
  z: number;
  x: number;
  y: number;
  data: Buffer;
}

/** Every tile of an MBTiles file through its `tiles` table or view, keyed `z/x/y` (XYZ rows). */
export function rawTiles(path: string): Map<string, RawTile> {
  const db = new Database(path, { readonly: true });
  try {
    const tiles = new Map<string, RawTile>();
    for (const row of db.prepare('SELECT zoom_level AS z, tile_column AS x, tile_row AS row, tile_data AS data FROM tiles').all() as { z: number; x: number; row: number; data: Buffer }[]) {
      const y = flipRow(row.z, row.row);
      tiles.set(`${row.z}/${row.x}/${y}`, { key: `${row.z}/${row.x}/${y}`, z: row.z, x: row.x, y, data: row.data });
    }
    return tiles;
  } finally {
    db.close();
  }
}

export function rawMetadata(path: string): Record<string, string> {
  const db = new Database(path, { readonly: true });
  try {
    return Object.fromEntries((db.prepare('SELECT name, value FROM metadata').all() as { name: string; value: string }[]).map((row) => [row.name, row.value]));
  } finally {
    db.close();
  }
}

/** `mekan ARGS…` as a user runs it; status, stdout and stderr. */
export function mekan(...args: string[]) {
  return spawnSync(process.execPath, [MEKAN_BIN, ...args], { encoding: 'utf8' });
}

export function bboxArg(bbox: BBox): string {
  return bbox.join(',');
}
