// Writes an OGC GeoPackage tile pyramid in any tile matrix set of src/grid, into a temp file renamed into place by
// finish(). Tiles are stored one row each (GeoPackage has no shared-blob layout that GDAL and QGIS read).
import Database from 'better-sqlite3';
import { epsgWkt } from '../../crs/resolve.js';
import { InputError, messageOf } from '../../errors.js';
import { gridExtent, type TileGrid } from '../../grid/tileMatrixSets.js';
import { metadataToRows } from '../mbtiles/metadata.js';
import { commitTemp, discardTemp, tempPathFor } from '../tempFile.js';
import type { ArchiveMetadata, TileArchiveWriter } from '../types.js';
import { GPKG_APPLICATION_ID, GPKG_USER_VERSION, METADATA_TABLE, REQUIRED_SPATIAL_REF_SYS, SCHEMA, TILES_TABLE, WEBP_EXTENSION } from './schema.js';

const BATCH_SIZE = 2000;

export class GeoPackageWriter implements TileArchiveWriter {
  readonly path: string;
  readonly tempPath: string;
  private readonly db: Database.Database;
  private readonly writeBatch: (tiles: [number, number, number, Buffer][]) => void;
  private pending: [number, number, number, Buffer][] = [];
  private metadata: ArchiveMetadata | undefined;
  private written = 0;
  private done = false;

  constructor(
    path: string,
    private readonly grid: TileGrid,
  ) {
    this.path = path;
    this.tempPath = tempPathFor(path);
    try {
      this.db = new Database(this.tempPath);
      // The temp file is thrown away on any failure, so durability per transaction buys nothing.
      this.db.pragma('journal_mode = OFF');
      this.db.pragma('synchronous = OFF');
      this.db.pragma(`application_id = ${GPKG_APPLICATION_ID}`);
      this.db.pragma(`user_version = ${GPKG_USER_VERSION}`);
      this.db.exec(SCHEMA);
    } catch (error) {
      discardTemp(this.tempPath);
      throw new InputError(path, `cannot create the GeoPackage: ${messageOf(error)}`);
    }
    // Rows count from the top in GeoPackage, as XYZ y does: no flip.
    const insert = this.db.prepare(`INSERT OR REPLACE INTO ${TILES_TABLE} (zoom_level, tile_column, tile_row, tile_data) VALUES (?, ?, ?, ?)`);
    this.writeBatch = this.db.transaction((tiles: [number, number, number, Buffer][]) => {
      for (const tile of tiles) insert.run(...tile);
    });
  }

  /** GeoPackage keeps every tile: no deduplication. */
  get uniqueTiles(): number {
    return this.written;
  }

  get tilesWritten(): number {
    return this.written;
  }

  putTile(z: number, x: number, y: number, data: Buffer): void {
    if (this.done) throw new Error(`${this.path}: putTile after finish/abort`);
    this.pending.push([z, x, y, data]);
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
      this.db.transaction(() => this.writeTables(this.metadata!))();
      this.db.close();
      this.done = true;
      commitTemp(this.tempPath, this.path);
    } catch (error) {
      this.abort();
      throw new InputError(this.path, `could not complete the GeoPackage: ${messageOf(error)}`);
    }
  }

  abort(): void {
    this.done = true;
    if (this.db.open) this.db.close();
    discardTemp(this.tempPath);
  }

  private writeTables(metadata: ArchiveMetadata): void {
    const { grid, db } = this;
    const srs = db.prepare('INSERT OR REPLACE INTO gpkg_spatial_ref_sys (srs_name, srs_id, organization, organization_coordsys_id, definition) VALUES (?, ?, ?, ?, ?)');
    for (const row of REQUIRED_SPATIAL_REF_SYS) srs.run(...row);
    for (const code of new Set([4326, grid.epsg])) {
      const crs = epsgWkt(code);
      if (!crs) throw new Error(`no WKT for EPSG:${code}`);
      srs.run(crs.name, code, 'EPSG', code, crs.wkt);
    }
    const extent = gridExtent(grid);
    const data = metadata.crsBounds ?? extent;
    db.prepare('INSERT INTO gpkg_contents (table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
      TILES_TABLE, 'tiles', metadata.name, metadata.description ?? '', ...data, grid.epsg,
    );
    db.prepare('INSERT INTO gpkg_tile_matrix_set (table_name, srs_id, min_x, min_y, max_x, max_y) VALUES (?, ?, ?, ?, ?, ?)').run(TILES_TABLE, grid.epsg, ...extent);
    const matrix = db.prepare('INSERT INTO gpkg_tile_matrix (table_name, zoom_level, matrix_width, matrix_height, tile_width, tile_height, pixel_x_size, pixel_y_size) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    for (let level = metadata.minzoom; level <= metadata.maxzoom; level++) {
      const m = grid.matrix(level);
      if (!m) throw new Error(`${grid.id} has no tile matrix ${level}`);
      matrix.run(TILES_TABLE, level, m.matrixWidth, m.matrixHeight, m.tileWidth, m.tileHeight, m.cellSize, m.cellSize);
    }
    if (metadata.format === 'webp') db.prepare('INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) VALUES (?, ?, ?, ?, ?)').run(TILES_TABLE, 'tile_data', ...WEBP_EXTENSION);
    const insert = db.prepare(`INSERT OR REPLACE INTO ${METADATA_TABLE} (name, value) VALUES (?, ?)`);
    for (const [name, value] of metadataToRows({ ...metadata, tileMatrixSet: grid.id })) insert.run(name, value);
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    try {
      this.writeBatch(batch);
    } catch (error) {
      throw new InputError(this.path, `writing tiles failed: ${messageOf(error)}`);
    }
  }
}
