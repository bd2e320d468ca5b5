// Writes MBTiles 1.3 with deduplicated tiles (map + images joined by a tiles view), in batched transactions,
// into a temp file that is renamed into place only by finish().
import Database from 'better-sqlite3';
import { flipRow } from '../../grid/webMercator.js';
import { SqliteTempWriter } from '../sqliteTempWriter.js';
import type { ArchiveMetadata } from '../types.js';
import { metadataToRows } from './metadata.js';
import { contentHash } from './reader.js';

const SCHEMA = `
  CREATE TABLE metadata (name TEXT NOT NULL, value TEXT);
  CREATE UNIQUE INDEX metadata_name ON metadata (name);
  CREATE TABLE map (zoom_level INTEGER NOT NULL, tile_column INTEGER NOT NULL, tile_row INTEGER NOT NULL, tile_id TEXT NOT NULL);
  CREATE UNIQUE INDEX map_index ON map (zoom_level, tile_column, tile_row);
  CREATE TABLE images (tile_data BLOB NOT NULL, tile_id TEXT NOT NULL);
  CREATE UNIQUE INDEX images_id ON images (tile_id);
  CREATE VIEW tiles AS
    SELECT map.zoom_level AS zoom_level, map.tile_column AS tile_column, map.tile_row AS tile_row, images.tile_data AS tile_data
    FROM map JOIN images ON images.tile_id = map.tile_id;
`;

interface PendingTile {
  z: number;
  column: number;
  row: number;
  id: string;
  data: Buffer;
}

export class MBTilesWriter extends SqliteTempWriter<PendingTile> {
  private readonly insertImage: Database.Statement;
  private readonly insertMap: Database.Statement;
  private unique = 0;

  constructor(path: string) {
    super(path, 'archive', (db) => {
      db.pragma('locking_mode = EXCLUSIVE');
      // 8 MiB: the inserts append blobs and touch two small indexes; a larger cache only held pages written
      // long ago (64 MiB made the vector build's RSS grow by ~30 MB at its end, at no gain in speed).
      db.pragma('cache_size = -8192');
      db.exec(SCHEMA);
    });
    this.insertImage = this.db.prepare('INSERT OR IGNORE INTO images (tile_id, tile_data) VALUES (?, ?)');
    this.insertMap = this.db.prepare('INSERT OR REPLACE INTO map (zoom_level, tile_column, tile_row, tile_id) VALUES (?, ?, ?, ?)');
  }

  get uniqueTiles(): number {
    this.flush();
    return this.unique;
  }

  protected pendingTile(z: number, x: number, y: number, data: Buffer): PendingTile {
    return { z, column: x, row: flipRow(z, y), id: contentHash(data), data };
  }

  protected insertTiles(tiles: PendingTile[]): void {
    for (const tile of tiles) {
      this.unique += this.insertImage.run(tile.id, tile.data).changes;
      this.insertMap.run(tile.z, tile.column, tile.row, tile.id);
    }
  }

  protected insertMetadata(metadata: ArchiveMetadata): void {
    const insert = this.db.prepare('INSERT OR REPLACE INTO metadata (name, value) VALUES (?, ?)');
    for (const [name, value] of metadataToRows(metadata)) insert.run(name, value);
  }
}
