// Writes MBTiles 1.3 with deduplicated tiles (map + images joined by a tiles view), in batched transactions,
// into a temp file that is renamed into place only by finish().
import Database from 'better-sqlite3';
import { flipRow, type TileRange } from '../../grid/webMercator.js';
import { SqliteTempWriter } from '../sqliteTempWriter.js';
import type { ArchiveMetadata, RangeMeasure, TileArchiveReader } from '../types.js';
import { metadataToRows } from './metadata.js';
import { attachedRange, contentHash, MBTilesReader, rangeParameters } from './reader.js';

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
  /** Source files attached for copying, by path: their schema name and copy statements. */
  private readonly attached = new Map<string, { images: Database.Statement; map: Database.Statement }>();
  /** Bytes of the tiles the current copy takes (summed by SQL's calls to mekan_tally). */
  private tallied = 0;

  constructor(path: string) {
    super(path, 'archive', (db) => {
      db.pragma('locking_mode = EXCLUSIVE');
      // 2 MiB: the inserts append blobs and touch two small indexes (1.6 MB for the world Natural Earth build's
      // 40,599 tiles); a larger cache only holds pages written long ago, in the writing thread's malloc arena.
      // 64 MiB made the vector build's RSS grow by ~30 MB at its end; 8 MiB held its main thread's arena at
      // 28 MB against 18–20 MB with 2 MiB, for the same time (those tiles inserted alone, 4 alternated runs each:
      // 489–586 ms against 494–624 ms).
      db.pragma('cache_size = -2048');
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

  /** Whether `copyRange` can take tiles from `source` inside SQLite (an MBTiles file on disk). */
  canCopyFrom(source: TileArchiveReader): boolean {
    return source instanceof MBTilesReader;
  }

  /**
   * Copies the tiles of `range` from an MBTiles file inside SQLite (ATTACH + INSERT … SELECT, as a bare copy does)
   * rather than row by row through JavaScript (bench/extract, 26,044 tiles: 0.31× a bare INSERT … SELECT became
   * 0.69× on a loaded machine). Deduplicated as putTile does: a Mekan archive's MD5 tile_ids are taken as they are,
   * other tiles hashed by MD5 in the statement.
   */
  copyRange(source: TileArchiveReader, range: TileRange): RangeMeasure {
    if (!(source instanceof MBTilesReader)) throw new Error(`${source.path}: not an MBTiles file to copy from`);
    this.flush();
    let statements = this.attached.get(source.path);
    if (!statements) {
      const schema = `source${this.attached.size}`;
      if (this.attached.size === 0) {
        this.db.function('mekan_md5', { deterministic: true }, (data: unknown) => contentHash(data as Buffer));
        // Sums the bytes of the rows read and hands their tile_id on: in the SELECT list, so only for rows the WHERE took.
        this.db.function('mekan_tally', (bytes: unknown, id: unknown) => {
          this.tallied += Number(bytes);
          return id;
        });
      }
      this.db.prepare(`ATTACH DATABASE ? AS ${schema}`).run(source.path);
      const read = attachedRange(source.layout, schema);
      // Each tile's bytes are tallied as the images statement reads it (duplicates included, as putTile counts them).
      // Sorted by id, the unique index on images fills in order: 1.4× faster than in source order on 35,000 tiles.
      const imagesFrom = (id: string) => `INSERT OR IGNORE INTO images (tile_id, tile_data) SELECT mekan_tally(length(${read.data}), ${id}) AS id, ${read.data} FROM ${read.from} WHERE ${read.where} AND length(${read.data}) > 0 ORDER BY 1`;
      const hash = (data: string) => `mekan_md5(${data})`;
      if (read.contentId) {
        // A 32-hex tile_id is an MD5 (ours, node-mbtiles'); anything else is hashed here. The map rows then come from
        // the source's map alone, kept where their image was stored: reading the images again cost 4× the map copy.
        const isHash = (id: string) => `(length(${id}) = 32 AND ${id} NOT GLOB '*[^0-9a-f]*')`;
        const id = `CASE WHEN ${isHash('map.tile_id')} THEN map.tile_id ELSE ${hash(read.data)} END`;
        const mapId = `CASE WHEN ${isHash('map.tile_id')} THEN map.tile_id ELSE ${hash(`(${read.contentId.dataById})`)} END`;
        statements = {
          images: this.db.prepare(imagesFrom(id)),
          map: this.db.prepare(`INSERT OR REPLACE INTO map (zoom_level, tile_column, tile_row, tile_id) SELECT ${read.columns}, ${mapId} AS id FROM ${read.contentId.map} WHERE ${read.where} AND id IN (SELECT tile_id FROM main.images)`),
        };
      } else {
        const id = hash(read.data);
        statements = {
          images: this.db.prepare(imagesFrom(id)),
          map: this.db.prepare(`INSERT OR REPLACE INTO map (zoom_level, tile_column, tile_row, tile_id) SELECT ${read.columns}, ${id} FROM ${read.from} WHERE ${read.where} AND length(${read.data}) > 0`),
        };
      }
      this.attached.set(source.path, statements);
    }
    const parameters = rangeParameters(range);
    this.tallied = 0;
    const copy = statements;
    const tiles = this.db.transaction(() => {
      this.unique += copy.images.run(...parameters).changes;
      return copy.map.run(...parameters).changes;
    })();
    this.countWritten(tiles);
    return { tiles, bytes: this.tallied };
  }

  protected insertMetadata(metadata: ArchiveMetadata): void {
    const insert = this.db.prepare('INSERT OR REPLACE INTO metadata (name, value) VALUES (?, ?)');
    for (const [name, value] of metadataToRows(metadata)) insert.run(name, value);
  }
}
