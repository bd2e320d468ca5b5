// Reads MBTiles archives: ours (deduplicated map/images) and other tools' (plain tiles table).
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { basename, extname } from 'node:path';
import { InputError, messageOf } from '../../errors.js';
import { flipRow, type TileRange } from '../../grid/webMercator.js';
import type { ArchiveMetadata, ArchiveTile, RangeMeasure, RangeTile, RangeTileSize, StoredTile, TileArchiveReader, TileFormat, ZoomSummary } from '../types.js';
import { isGzip } from '../types.js';
import { openReadonlySqlite, tablesAndViews } from '../sqliteFile.js';
import { ArchiveTileHashes, type TileHashOptions } from '../tileHashes.js';
import { MAX_METADATA_VALUE_BYTES } from '../metadataLimits.js';
import { metadataFromRows } from './metadata.js';

interface TileRow {
  data: Buffer;
  id?: string | number | null;
}

/**
 * How the archive stores its tiles: a plain `tiles` table (GDAL, mb-util's flat form); map + images joined on
 * `tile_id` (Mekan, mb-util, node-mbtiles); or map + images keyed by (zoom_level, tile_id) (tippecanoe, tile-join).
 */
export type MBTilesLayout = 'tiles' | 'map/images' | 'map/images by zoom';

/**
 * How map rows find their image. tippecanoe's images index is (zoom_level, tile_id): joining on tile_id alone
 * would make SQLite scan (or skip-scan) it for every tile.
 */
function imagesJoin(layout: MBTilesLayout): string {
  return layout === 'map/images by zoom' ? 'images.zoom_level = map.zoom_level AND images.tile_id = map.tile_id' : 'images.tile_id = map.tile_id';
}

/** The statement that reads one tile of a layout, by (zoom_level, tile_column, TMS tile_row). */
export function tileQuery(layout: MBTilesLayout): string {
  if (layout === 'tiles') return 'SELECT tile_data AS data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?';
  return `SELECT images.tile_data AS data, images.tile_id AS id FROM map JOIN images ON ${imagesJoin(layout)} WHERE map.zoom_level = ? AND map.tile_column = ? AND map.tile_row = ?`;
}

/**
 * A range read of an archive of `layout` attached to another database as `schema`, in SQL pieces (for copying
 * inside SQLite): the FROM clause, the range condition (zoom, columns, TMS rows as `?`), the tile data and, for
 * Mekan's layout, the tile_id that may be an MD5 content hash (tippecanoe's are per-zoom FNV numbers: not reusable).
 */
export function attachedRange(layout: MBTilesLayout, schema: string): { from: string; where: string; columns: string; data: string; contentId?: { map: string; dataById: string } } {
  if (layout === 'tiles') {
    return { from: `${schema}.tiles AS tiles`, where: 'tiles.zoom_level = ? AND tiles.tile_column BETWEEN ? AND ? AND tiles.tile_row BETWEEN ? AND ?', columns: 'tiles.zoom_level, tiles.tile_column, tiles.tile_row', data: 'tiles.tile_data' };
  }
  return {
    from: `${schema}.map AS map JOIN ${schema}.images AS images ON ${imagesJoin(layout)}`,
    where: 'map.zoom_level = ? AND map.tile_column BETWEEN ? AND ? AND map.tile_row BETWEEN ? AND ?',
    columns: 'map.zoom_level, map.tile_column, map.tile_row',
    data: 'images.tile_data',
    // Where ids may be content hashes: the map table alone, and the data of an id (for the ids that are not).
    contentId: layout === 'map/images' ? { map: `${schema}.map AS map`, dataById: `SELECT images.tile_data FROM ${schema}.images AS images WHERE images.tile_id = map.tile_id` } : undefined,
  };
}

/** SQLite's plan for a tile query, one line per step (`SEARCH map USING INDEX map_index (…)`). */
export function tileQueryPlan(db: Database.Database, layout: MBTilesLayout): string[] {
  return (db.prepare(`EXPLAIN QUERY PLAN ${tileQuery(layout)}`).all(0, 0, 0) as { detail: string }[]).map((row) => row.detail);
}

export type MBTilesReaderOptions = TileHashOptions;

interface RangeRow {
  column: number;
  row: number;
  data: Buffer | null;
}

/** zoom, first column, last column, first TMS row, last TMS row. */
type RangeParameters = [number, number, number, number, number];

/** A tile_id that is itself a content hash can serve as the ETag without hashing the blob again. */
const CONTENT_HASH_ID = /^[0-9a-f]{32,64}$/i;

/** The tile_id our writer stores: MD5, as other MBTiles tools use for deduplicated archives. */
export function contentHash(data: Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

export function sniffFormat(data: Uint8Array | undefined): TileFormat {
  if (!data || data.length < 4) return 'pbf';
  if (data[0] === 0x89 && data[1] === 0x50 && data[2] === 0x4e && data[3] === 0x47) return 'png';
  if (data[0] === 0xff && data[1] === 0xd8) return 'jpg';
  if (data.length > 12 && data.toString().startsWith('RIFF') && Buffer.from(data.subarray(8, 12)).toString() === 'WEBP') return 'webp';
  return 'pbf';
}

/** An XYZ range as the index's columns: MBTiles counts rows from the south (TMS), so the XYZ bounds swap. */
export function rangeParameters({ z, minX, maxX, minY, maxY }: TileRange): RangeParameters {
  return [z, minX, maxX, flipRow(z, maxY), flipRow(z, minY)];
}

export class MBTilesReader implements TileArchiveReader {
  readonly path: string;
  readonly metadata: ArchiveMetadata;
  readonly warnings: string[] = [];
  readonly layout: MBTilesLayout;
  private readonly db: Database.Database;
  private readonly selectTile: Database.Statement<[number, number, number], TileRow>;
  private readonly selectRange: Database.Statement<RangeParameters, RangeRow>;
  private readonly sizesStatement: Database.Statement<RangeParameters, { column: number; row: number; bytes: number }>;
  private readonly measureStatement: Database.Statement<RangeParameters, { tiles: number; bytes: number | null }>;
  private readonly hashes: ArchiveTileHashes;

  constructor(path: string, options: MBTilesReaderOptions = {}) {
    this.path = path;
    this.hashes = new ArchiveTileHashes(options.tileHashes);
    this.db = openReadonlySqlite(path);
    try {
      const objects = tablesAndViews(this.db);
      if (!objects.has('tiles')) throw new InputError(path, 'not an MBTiles archive: it has no tiles table');
      const deduplicated = objects.has('map') && objects.has('images') && this.hasColumn('map', 'tile_id') && this.hasColumn('images', 'tile_id');
      this.layout = !deduplicated ? 'tiles' : this.hasColumn('images', 'zoom_level') && this.hasColumn('map', 'zoom_level') ? 'map/images by zoom' : 'map/images';
      this.selectTile = this.db.prepare(tileQuery(this.layout));
      // An archive without the usual indexes still serves, but every tile read walks a table: the operator should know.
      const scans = tileQueryPlan(this.db, this.layout).filter((step) => step.startsWith('SCAN'));
      if (scans.length > 0) this.warnings.push(`${path}: no index for tile lookups (${scans.join('; ')}); every tile read scans a table`);
      // Ranges go to the table that holds the (zoom_level, tile_column, tile_row) index: `map` in a deduplicated
      // archive (a range over the `tiles` view works too, but SQLite plans it as a scan of `images`), else `tiles`.
      const where = 'zoom_level = ? AND tile_column BETWEEN ? AND ? AND tile_row BETWEEN ? AND ?';
      const mapWhere = 'map.zoom_level = ? AND map.tile_column BETWEEN ? AND ? AND map.tile_row BETWEEN ? AND ?';
      const join = `JOIN images ON ${imagesJoin(this.layout)}`;
      this.selectRange = deduplicated
        ? this.db.prepare(`SELECT map.tile_column AS column, map.tile_row AS row, images.tile_data AS data FROM map ${join} WHERE ${mapWhere}`)
        : this.db.prepare(`SELECT tile_column AS column, tile_row AS row, tile_data AS data FROM tiles WHERE ${where}`);
      this.sizesStatement = deduplicated
        ? this.db.prepare(`SELECT map.tile_column AS column, map.tile_row AS row, LENGTH(images.tile_data) AS bytes FROM map ${join} WHERE ${mapWhere} AND LENGTH(images.tile_data) > 0`)
        : this.db.prepare(`SELECT tile_column AS column, tile_row AS row, LENGTH(tile_data) AS bytes FROM tiles WHERE ${where} AND LENGTH(tile_data) > 0`);
      this.measureStatement = deduplicated
        ? this.db.prepare(`SELECT COUNT(*) AS tiles, SUM(LENGTH(images.tile_data)) AS bytes FROM map ${join} WHERE ${mapWhere} AND LENGTH(images.tile_data) > 0`)
        : this.db.prepare(`SELECT COUNT(*) AS tiles, SUM(LENGTH(tile_data)) AS bytes FROM tiles WHERE ${where} AND LENGTH(tile_data) > 0`);
      if (!objects.has('metadata')) this.warnings.push(`${path}: no metadata table; zoom range and format are read from the tiles`);
      this.metadata = this.readMetadata(objects.has('metadata'));
    } catch (error) {
      this.db.close();
      if (error instanceof InputError) throw error;
      throw new InputError(path, `not a readable MBTiles archive: ${messageOf(error)}`);
    }
  }

  getTile(z: number, x: number, y: number): StoredTile | undefined {
    const row = this.selectTile.get(z, x, flipRow(z, y));
    if (!row || !row.data || row.data.length === 0) return undefined;
    const data = row.data;
    return { data, hash: this.hashOf(z, x, y, row.id, data), gzipped: isGzip(data) };
  }

  /**
   * A content-hash tile_id is the hash; otherwise the tile's bytes are hashed once and kept under what names
   * its content in this archive: the tile_id where tiles are deduplicated (one entry for all identical ocean tiles),
   * else its coordinates.
   */
  private hashOf(z: number, x: number, y: number, id: string | number | null | undefined, data: Buffer): string {
    if (id !== undefined && id !== null && typeof id === 'string' && CONTENT_HASH_ID.test(id)) return id;
    const key = id === undefined || id === null ? `${z}/${x}/${y}` : this.layout === 'map/images by zoom' ? `${z}:${id}` : `${id}`;
    return this.hashes.hashOf(key, data);
  }

  *readRange(range: TileRange): Generator<RangeTile> {
    const { z } = range;
    for (const row of this.selectRange.iterate(...rangeParameters(range))) {
      // An empty blob is no tile, as getTile says.
      if (row.data && row.data.length > 0) yield { x: row.column, y: flipRow(z, row.row), data: row.data };
    }
  }

  *tileSizesInRange(range: TileRange): Generator<RangeTileSize> {
    const { z } = range;
    // LENGTH() of a blob reads its cell's header only, never its overflow pages: this walks the index.
    for (const row of this.sizesStatement.iterate(...rangeParameters(range))) yield { x: row.column, y: flipRow(z, row.row), bytes: row.bytes };
  }

  /** SQLite's plan for the range read, one line per step: `SEARCH … USING INDEX`, never a `SCAN` of the tiles. */
  rangeQueryPlan(): string[] {
    return (this.db.prepare(`EXPLAIN QUERY PLAN ${this.selectRange.source}`).all(0, 0, 0, 0, 0) as { detail: string }[]).map((row) => row.detail);
  }

  measureRange(range: TileRange): RangeMeasure {
    const row = this.measureStatement.get(...rangeParameters(range));
    return { tiles: row?.tiles ?? 0, bytes: row?.bytes ?? 0 };
  }

  summarize(): ZoomSummary[] {
    const rows = this.db
      .prepare('SELECT zoom_level AS zoom, COUNT(*) AS tiles, SUM(LENGTH(tile_data)) AS bytes, MAX(LENGTH(tile_data)) AS maxBytes FROM tiles GROUP BY zoom_level ORDER BY zoom_level')
      .all() as ZoomSummary[];
    return rows.map((row) => ({ zoom: row.zoom, tiles: row.tiles, bytes: row.bytes ?? 0, maxBytes: row.maxBytes ?? 0 }));
  }

  *tiles(): IterableIterator<ArchiveTile> {
    const rows = this.db.prepare('SELECT zoom_level AS z, tile_column AS x, tile_row AS row, tile_data AS data FROM tiles').iterate() as IterableIterator<{ z: number; x: number; row: number; data: Buffer | null }>;
    for (const { z, x, row, data } of rows) if (data && data.length > 0) yield { z, x, y: flipRow(z, row), data };
  }

  close(): void {
    if (this.db.open) this.db.close();
    this.hashes.forget();
  }

  private hasColumn(table: string, column: string): boolean {
    return (this.db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).some((c) => c.name === column);
  }

  private readMetadata(hasMetadataTable: boolean): ArchiveMetadata {
    const rows = new Map<string, string>();
    if (hasMetadataTable) {
      // An oversized value is not even read: the database hands over its length only.
      const select = this.db.prepare('SELECT name, length(CAST(value AS BLOB)) AS size, CASE WHEN length(CAST(value AS BLOB)) > ? THEN NULL ELSE value END AS value FROM metadata');
      for (const row of select.all(MAX_METADATA_VALUE_BYTES) as { name: unknown; size: number | null; value: unknown }[]) {
        if (typeof row.name !== 'string') continue;
        if (row.size !== null && row.size > MAX_METADATA_VALUE_BYTES) {
          this.warnings.push(`${this.path}: metadata ${row.name.slice(0, 64)} is ${row.size} bytes, above the ${MAX_METADATA_VALUE_BYTES}-byte limit; ignored`);
          continue;
        }
        if (row.value !== null && row.value !== undefined) rows.set(row.name, String(row.value));
      }
    }
    const needsZooms = !rows.has('minzoom') || !rows.has('maxzoom');
    const zooms = needsZooms
      ? (this.db.prepare('SELECT MIN(zoom_level) AS min, MAX(zoom_level) AS max FROM tiles').get() as { min: number | null; max: number | null })
      : { min: 0, max: 0 };
    const warnings: string[] = [];
    const metadata = metadataFromRows(
      rows,
      {
        name: basename(this.path, extname(this.path)),
        minzoom: zooms.min ?? 0,
        maxzoom: zooms.max ?? 0,
        format: () => sniffFormat((this.db.prepare('SELECT tile_data AS data FROM tiles LIMIT 1').get() as TileRow | undefined)?.data),
      },
      warnings,
    );
    for (const warning of warnings) this.warnings.push(`${this.path}: ${warning}`);
    return metadata;
  }
}
