// Reads GeoPackage tile pyramids (ours and GDAL's), naming the tile matrix set of src/grid their matrices match.
import Database from 'better-sqlite3';
import { basename, extname } from 'node:path';
import { InputError, messageOf } from '../../errors.js';
import { TILE_GRIDS, gridExtent, isWebMercator, type TileGrid } from '../../grid/tileMatrixSets.js';
import { mercatorToLonLat, type BBox } from '../../grid/webMercator.js';
import { metadataFromRows } from '../mbtiles/metadata.js';
import { sniffFormat } from '../mbtiles/reader.js';
import { openReadonlySqlite, tablesAndViews } from '../sqliteFile.js';
import { ArchiveTileHashes, type TileHashOptions } from '../tileHashes.js';
import type { ArchiveMetadata, ArchiveTile, StoredTile, TileArchiveReader, ZoomSummary } from '../types.js';
import { isGzip } from '../types.js';
import { METADATA_TABLE } from './schema.js';

interface MatrixRow {
  zoom: number;
  width: number;
  height: number;
  tileWidth: number;
  tileHeight: number;
  pixelX: number;
  pixelY: number;
}

interface Contents {
  table: string;
  srsId: number;
  identifier: string | null;
  description: string | null;
  minX: number | null;
  minY: number | null;
  maxX: number | null;
  maxY: number | null;
}

/** Relative tolerance on cell sizes and origins: the registry prints 15 digits, GDAL writes full doubles. */
const TOLERANCE = 1e-9;

function close(a: number, b: number, scale: number): boolean {
  return Math.abs(a - b) <= TOLERANCE * Math.max(Math.abs(scale), 1);
}

export class GeoPackageReader implements TileArchiveReader {
  readonly path: string;
  readonly metadata: ArchiveMetadata;
  readonly warnings: string[] = [];
  readonly grid: TileGrid;
  private readonly db: Database.Database;
  private readonly table: string;
  private readonly selectTile: Database.Statement<[number, number, number], { data: Buffer | null }>;
  private readonly hashes: ArchiveTileHashes;

  constructor(path: string, options: TileHashOptions = {}) {
    this.path = path;
    this.hashes = new ArchiveTileHashes(options.tileHashes);
    this.db = openReadonlySqlite(path);
    try {
      const objects = tablesAndViews(this.db);
      if (!objects.has('gpkg_contents') || !objects.has('gpkg_tile_matrix')) throw new InputError(path, 'not a GeoPackage with tiles (no gpkg_contents or gpkg_tile_matrix table)');
      const pyramids = this.db
        .prepare("SELECT table_name AS 'table', srs_id AS srsId, identifier, description, min_x AS minX, min_y AS minY, max_x AS maxX, max_y AS maxY FROM gpkg_contents WHERE data_type = 'tiles' ORDER BY table_name")
        .all() as Contents[];
      if (pyramids.length === 0) throw new InputError(path, 'a GeoPackage without tiles (its feature tables are inputs of `mekan build vector`, not a tileset)');
      const contents = pyramids[0];
      if (pyramids.length > 1) this.warnings.push(`${path}: ${pyramids.length} tile tables; serving "${contents.table}" only`);
      this.table = contents.table;
      const quoted = `"${contents.table.replace(/"/g, '""')}"`;
      const tms = this.db.prepare('SELECT srs_id AS srsId, min_x AS minX, max_y AS maxY FROM gpkg_tile_matrix_set WHERE table_name = ?').get(contents.table) as { srsId: number; minX: number; maxY: number } | undefined;
      if (!tms) throw new InputError(path, `tile table "${contents.table}" has no gpkg_tile_matrix_set row`);
      const matrices = this.db
        .prepare('SELECT zoom_level AS zoom, matrix_width AS width, matrix_height AS height, tile_width AS tileWidth, tile_height AS tileHeight, pixel_x_size AS pixelX, pixel_y_size AS pixelY FROM gpkg_tile_matrix WHERE table_name = ? ORDER BY zoom_level')
        .all(contents.table) as MatrixRow[];
      this.grid = matchGrid(path, tms, matrices);
      this.selectTile = this.db.prepare(`SELECT tile_data AS data FROM ${quoted} WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?`);
      this.metadata = this.readMetadata(objects.has(METADATA_TABLE), contents, quoted);
    } catch (error) {
      this.db.close();
      if (error instanceof InputError) throw error;
      throw new InputError(path, `not a readable GeoPackage: ${messageOf(error)}`);
    }
  }

  getTile(z: number, x: number, y: number): StoredTile | undefined {
    const row = this.selectTile.get(z, x, y);
    if (!row || !row.data || row.data.length === 0) return undefined;
    // GeoPackage stores no content ids: the bytes are hashed once per tile and kept under its coordinates.
    return { data: row.data, hash: this.hashes.hashOf(`${z}/${x}/${y}`, row.data), gzipped: isGzip(row.data) };
  }

  summarize(): ZoomSummary[] {
    const rows = this.db
      .prepare(`SELECT zoom_level AS zoom, COUNT(*) AS tiles, SUM(LENGTH(tile_data)) AS bytes, MAX(LENGTH(tile_data)) AS maxBytes FROM "${this.table.replace(/"/g, '""')}" GROUP BY zoom_level ORDER BY zoom_level`)
      .all() as ZoomSummary[];
    return rows.map((row) => ({ zoom: row.zoom, tiles: row.tiles, bytes: row.bytes ?? 0, maxBytes: row.maxBytes ?? 0 }));
  }

  *tiles(): IterableIterator<ArchiveTile> {
    const rows = this.db.prepare(`SELECT zoom_level AS z, tile_column AS x, tile_row AS y, tile_data AS data FROM "${this.table.replace(/"/g, '""')}"`).iterate() as IterableIterator<{ z: number; x: number; y: number; data: Buffer | null }>;
    for (const { z, x, y, data } of rows) if (data && data.length > 0) yield { z, x, y, data };
  }

  close(): void {
    if (this.db.open) this.db.close();
    this.hashes.forget();
  }

  private readMetadata(hasOwnTable: boolean, contents: Contents, quoted: string): ArchiveMetadata {
    const rows = new Map<string, string>();
    if (hasOwnTable) {
      for (const row of this.db.prepare(`SELECT name, value FROM ${METADATA_TABLE}`).all() as { name: string; value: unknown }[]) {
        if (typeof row.name === 'string' && row.value !== null && row.value !== undefined) rows.set(row.name, String(row.value));
      }
    }
    const zooms = this.db.prepare(`SELECT MIN(zoom_level) AS min, MAX(zoom_level) AS max FROM ${quoted}`).get() as { min: number | null; max: number | null };
    if (!rows.has('description') && contents.description) rows.set('description', contents.description);
    const metadata = metadataFromRows(rows, {
      name: contents.identifier || basename(this.path, extname(this.path)),
      minzoom: zooms.min ?? this.grid.firstLevel,
      maxzoom: zooms.max ?? this.grid.firstLevel,
      format: () => sniffFormat((this.db.prepare(`SELECT tile_data AS data FROM ${quoted} LIMIT 1`).get() as { data: Buffer } | undefined)?.data),
    });
    metadata.tileMatrixSet = this.grid.id;
    const { minX, minY, maxX, maxY } = contents;
    const crsBounds: BBox = minX !== null && minY !== null && maxX !== null && maxY !== null && minX < maxX && minY < maxY ? [minX, minY, maxX, maxY] : gridExtent(this.grid);
    metadata.crsBounds ??= crsBounds;
    // Lon/lat bounds of a file another tool wrote, where no projection library is needed to find them.
    if (!metadata.bounds && isWebMercator(this.grid)) metadata.bounds = [...mercatorToLonLat(crsBounds[0], crsBounds[1]), ...mercatorToLonLat(crsBounds[2], crsBounds[3])];
    if (!metadata.bounds && this.grid.epsg === 4326) metadata.bounds = crsBounds;
    return metadata;
  }
}

/** The tile matrix set whose CRS, origin, cell sizes and matrix sizes every stored zoom level matches. */
function matchGrid(path: string, tms: { srsId: number; minX: number; maxY: number }, matrices: MatrixRow[]): TileGrid {
  if (matrices.length === 0) throw new InputError(path, 'no gpkg_tile_matrix rows');
  for (const grid of Object.values(TILE_GRIDS)) {
    if (grid.epsg !== tms.srsId) continue;
    const fits = matrices.every((row) => {
      const m = grid.matrix(row.zoom);
      return (
        m !== undefined &&
        row.width === m.matrixWidth &&
        row.height === m.matrixHeight &&
        row.tileWidth === m.tileWidth &&
        row.tileHeight === m.tileHeight &&
        close(row.pixelX, m.cellSize, m.cellSize) &&
        close(row.pixelY, m.cellSize, m.cellSize) &&
        close(tms.minX, m.pointOfOrigin[0], m.cellSize * 256) &&
        close(tms.maxY, m.pointOfOrigin[1], m.cellSize * 256)
      );
    });
    if (fits) return grid;
  }
  throw new InputError(path, `its tile matrices (EPSG:${tms.srsId}, zoom levels ${matrices[0].zoom}–${matrices.at(-1)!.zoom}) match none of the served tile matrix sets (${Object.keys(TILE_GRIDS).join(', ')})`);
}
