// Writes MBTiles 1.3 with deduplicated tiles (map + images joined by a tiles view), in batched transactions,
// into a temp file that is renamed into place only by finish().
import Database from 'better-sqlite3';
import { InputError, messageOf } from '../../errors.js';
import { flipRow } from '../../grid/webMercator.js';
import type { ArchiveMetadata, TileArchiveWriter } from '../types.js';
import { commitTemp, discardTemp, tempPathFor } from '../tempFile.js';
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

const BATCH_SIZE = 2000;

interface PendingTile {
  z: number;
  column: number;
  row: number;
  id: string;
  data: Buffer;
}

export class MBTilesWriter implements TileArchiveWriter {
  readonly path: string;
  readonly tempPath: string;
  private readonly db: Database.Database;
  private readonly insertImage: Database.Statement;
  private readonly insertMap: Database.Statement;
  private readonly writeBatch: (tiles: PendingTile[]) => void;
  private pending: PendingTile[] = [];
  private metadata: ArchiveMetadata | undefined;
  private unique = 0;
  private written = 0;
  private done = false;

  constructor(path: string) {
    this.path = path;
    this.tempPath = tempPathFor(path);
    try {
      this.db = new Database(this.tempPath);
      // The temp file is thrown away on any failure, so durability per transaction buys nothing.
      this.db.pragma('journal_mode = OFF');
      this.db.pragma('synchronous = OFF');
      this.db.pragma('locking_mode = EXCLUSIVE');
      // 8 MiB: the inserts append blobs and touch two small indexes; a larger cache only held pages written
      // long ago (64 MiB made the vector build's RSS grow by ~30 MB at its end, at no gain in speed).
      this.db.pragma('cache_size = -8192');
      this.db.exec(SCHEMA);
    } catch (error) {
      discardTemp(this.tempPath);
      throw new InputError(path, `cannot create the archive: ${messageOf(error)}`);
    }
    this.insertImage = this.db.prepare('INSERT OR IGNORE INTO images (tile_id, tile_data) VALUES (?, ?)');
    this.insertMap = this.db.prepare('INSERT OR REPLACE INTO map (zoom_level, tile_column, tile_row, tile_id) VALUES (?, ?, ?, ?)');
    this.writeBatch = this.db.transaction((tiles: PendingTile[]) => {
      for (const tile of tiles) {
        this.unique += this.insertImage.run(tile.id, tile.data).changes;
        this.insertMap.run(tile.z, tile.column, tile.row, tile.id);
      }
    });
  }

  get uniqueTiles(): number {
    this.flush();
    return this.unique;
  }

  get tilesWritten(): number {
    return this.written;
  }

  putTile(z: number, x: number, y: number, data: Buffer): void {
    if (this.done) throw new Error(`${this.path}: putTile after finish/abort`);
    this.pending.push({ z, column: x, row: flipRow(z, y), id: contentHash(data), data });
    this.written++;
    if (this.pending.length >= BATCH_SIZE) this.flush();
  }

  setMetadata(metadata: ArchiveMetadata): void {
    this.metadata = metadata;
  }

  finish(): void {
    if (this.done) return;
    try {
      this.flush();
      if (!this.metadata) throw new Error('finish() without metadata');
      const insert = this.db.prepare('INSERT OR REPLACE INTO metadata (name, value) VALUES (?, ?)');
      const rows = metadataToRows(this.metadata);
      this.db.transaction(() => {
        for (const [name, value] of rows) insert.run(name, value);
      })();
      this.db.close();
      this.done = true;
      commitTemp(this.tempPath, this.path);
    } catch (error) {
      this.abort();
      throw new InputError(this.path, `could not complete the archive: ${messageOf(error)}`);
    }
  }

  abort(): void {
    this.done = true;
    if (this.db.open) this.db.close();
    discardTemp(this.tempPath);
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    try {
      this.writeBatch(batch);
    } catch (error) {
      // A full disk lands here: name the file and the reason rather than SQLite's code.
      throw new InputError(this.path, `writing tiles failed: ${messageOf(error)}`);
    }
  }
}
