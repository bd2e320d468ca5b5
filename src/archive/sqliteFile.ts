// Opening an SQLite-based archive (MBTiles, GeoPackage) for reading, with the error that names the file.
import Database from 'better-sqlite3';
import { InputError, messageOf } from '../errors.js';

export function openReadonlySqlite(path: string): Database.Database {
  try {
    return new Database(path, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new InputError(path, `cannot open as SQLite: ${messageOf(error)}`);
  }
}

/** The names of the database's tables and views: what tells one archive layout from another. */
export function tablesAndViews(db: Database.Database): Set<string> {
  return new Set((db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table','view')").all() as { name: string }[]).map((r) => r.name));
}
