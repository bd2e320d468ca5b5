// Opening a GeoPackage and listing its feature tables, without the reader's CRS machinery (proj4 and the EPSG
// database): build planning lists tables in the main thread, which never reads features.
import Database from 'better-sqlite3';
import { InputError, messageOf } from '../errors.js';

export interface FeatureTable {
  table: string;
  geometryColumn: string;
  srsId: number;
}

export function openDatabase(path: string): Database.Database {
  try {
    const database = new Database(path, { readonly: true, fileMustExist: true });
    database.prepare('SELECT 1 FROM gpkg_contents LIMIT 1').get();
    return database;
  } catch (error) {
    throw new InputError(path, `not a readable GeoPackage: ${messageOf(error)}`);
  }
}

export function featureTables(database: Database.Database): FeatureTable[] {
  return database
    .prepare(
      `SELECT c.table_name AS "table", g.column_name AS geometryColumn, g.srs_id AS srsId
       FROM gpkg_contents c JOIN gpkg_geometry_columns g ON g.table_name = c.table_name
       WHERE c.data_type = 'features' ORDER BY c.rowid`,
    )
    .all() as FeatureTable[];
}

/** The feature tables of a GeoPackage, in gpkg_contents order. */
export function listGeoPackageTables(path: string): string[] {
  const database = openDatabase(path);
  try {
    return featureTables(database).map((entry) => entry.table);
  } finally {
    database.close();
  }
}
