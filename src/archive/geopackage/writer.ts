// Writes an OGC GeoPackage tile pyramid in any tile matrix set of src/grid, into a temp file renamed into place by
// finish(). Tiles are stored one row each (GeoPackage has no shared-blob layout that GDAL and QGIS read).
import Database from 'better-sqlite3';
import { epsgWkt } from '../../crs/resolve.js';
import { gridExtent, type TileGrid } from '../../grid/tileMatrixSets.js';
import { metadataToRows } from '../mbtiles/metadata.js';
import { SqliteTempWriter } from '../sqliteTempWriter.js';
import type { ArchiveMetadata } from '../types.js';
import { GPKG_APPLICATION_ID, GPKG_USER_VERSION, METADATA_TABLE, REQUIRED_SPATIAL_REF_SYS, SCHEMA, TILES_TABLE, WEBP_EXTENSION } from './schema.js';

type PendingTile = [z: number, x: number, y: number, data: Buffer];

export class GeoPackageWriter extends SqliteTempWriter<PendingTile> {
  private readonly insert: Database.Statement;

  constructor(
    path: string,
    private readonly grid: TileGrid,
  ) {
    super(path, 'GeoPackage', (db) => {
      db.pragma(`application_id = ${GPKG_APPLICATION_ID}`);
      db.pragma(`user_version = ${GPKG_USER_VERSION}`);
      db.exec(SCHEMA);
    });
    // Rows count from the top in GeoPackage, as XYZ y does: no flip.
    this.insert = this.db.prepare(`INSERT OR REPLACE INTO ${TILES_TABLE} (zoom_level, tile_column, tile_row, tile_data) VALUES (?, ?, ?, ?)`);
  }

  /** GeoPackage keeps every tile: no deduplication. */
  get uniqueTiles(): number {
    return this.tilesWritten;
  }

  protected pendingTile(z: number, x: number, y: number, data: Buffer): PendingTile {
    return [z, x, y, data];
  }

  protected insertTiles(tiles: PendingTile[]): void {
    for (const tile of tiles) this.insert.run(...tile);
  }

  protected insertMetadata(metadata: ArchiveMetadata): void {
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
}
