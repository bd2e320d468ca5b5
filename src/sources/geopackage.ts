// GeoPackage reader: one feature table, read through better-sqlite3 (read-only), geometry from the GeoPackage blob's WKB.
// A file with several feature tables is read one table at a time: `file.gpkg:table` (or options.table) picks one,
// otherwise the first table listed in gpkg_contents is read; listGeoPackageTables (geoPackageTables.ts) names them all.
import { basename, extname } from 'node:path';
import { InputError, messageOf } from '../errors.js';
import type Database from 'better-sqlite3';
import { featureTables, openDatabase, type FeatureTable } from './geoPackageTables.js';
import { resolveCrs, resolveEpsg, type ResolvedCrs } from '../crs/resolve.js';
import { featureGate } from './validate.js';
import { parseWkb, WkbError } from './wkb.js';
import type { Geometry } from 'geojson';
import type { FeatureProblem, FeatureSource, OpenSourceOptions, SourceFeature } from './types.js';

interface ColumnInfo {
  name: string;
  type: string;
  pk: number;
}

export async function openGeoPackage(path: string, options: OpenSourceOptions = {}): Promise<FeatureSource> {
  const database = openDatabase(path);
  try {
    const tables = featureTables(database);
    if (tables.length === 0) throw new InputError(path, 'the GeoPackage has no feature tables');
    const chosen = options.table === undefined ? tables[0] : tables.find((entry) => entry.table === options.table);
    if (!chosen) throw new InputError(path, `no feature table "${options.table}"; the tables are ${tables.map((entry) => entry.table).join(', ')}`);
    const crs = tableCrs(database, chosen.srsId, `${path}:${chosen.table}`, options);
    const layerName = options.table === undefined && tables.length === 1 ? basename(path, extname(path)) : chosen.table;
    return {
      path,
      layerName,
      crsLabel: crs.label,
      features: (onProblem) => readFeatures(path, chosen, crs, onProblem),
    };
  } finally {
    database.close();
  }
}

function tableCrs(database: Database.Database, srsId: number, source: string, options: OpenSourceOptions): ResolvedCrs {
  const row = database
    .prepare('SELECT organization, organization_coordsys_id AS code, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?')
    .get(srsId) as { organization: string; code: number; definition: string } | undefined;
  if (row && row.organization?.toUpperCase() === 'EPSG' && row.code > 0) return resolveEpsg(row.code, source);
  if (row && row.definition && row.definition.trim().toLowerCase() !== 'undefined') return resolveCrs(row.definition, source);
  if (options.assumeCrs) return resolveCrs(options.assumeCrs, source);
  // srs_id 0 is "undefined geographic" in the GeoPackage standard: longitude/latitude, so WGS 84 is the fair reading.
  if (srsId === 0) return resolveEpsg(4326, source);
  throw new InputError(source, `the geometry column's CRS (srs_id ${srsId}) is undefined; name the CRS to use`);
}

/** The WKB inside a GeoPackage geometry blob, after its header; null for an empty geometry. */
export function geoPackageGeometry(blob: Uint8Array): Geometry | null {
  if (blob.length < 8 || blob[0] !== 0x47 || blob[1] !== 0x50) throw new WkbError('not a GeoPackage geometry blob (no GP magic)');
  const flags = blob[3];
  if (flags & 0x20) throw new WkbError('extended GeoPackage geometry types are not supported');
  if (flags & 0x10) return null;
  const envelope = (flags >> 1) & 0x07;
  const envelopeBytes = [0, 32, 48, 48, 64][envelope];
  if (envelopeBytes === undefined) throw new WkbError(`invalid envelope indicator ${envelope}`);
  return parseWkb(blob, 8 + envelopeBytes);
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

async function* readFeatures(path: string, table: FeatureTable, crs: ResolvedCrs, onProblem: (problem: FeatureProblem) => void): AsyncGenerator<SourceFeature> {
  const gate = featureGate(path, crs, onProblem);
  const database = openDatabase(path);
  let rows: IterableIterator<unknown[]> | undefined;
  try {
    const columns = database.prepare(`PRAGMA table_info(${quote(table.table)})`).all() as ColumnInfo[];
    // The integer primary key is the feature id (GDAL's FID), not an attribute.
    const idColumn = columns.find((column) => column.pk === 1 && /^INT/i.test(column.type))?.name;
    const attributes = columns.filter((column) => column.name !== table.geometryColumn && column.name !== idColumn);
    const booleans = new Set(attributes.filter((column) => /^BOOL/i.test(column.type)).map((column) => column.name));
    // The feature id is selected last so that reports can name it (`fid 12`), as GDAL and QGIS show it.
    const select = [table.geometryColumn, ...attributes.map((column) => column.name), ...(idColumn ? [idColumn] : [])].map(quote).join(', ');
    rows = database.prepare(`SELECT ${select} FROM ${quote(table.table)}${idColumn ? ` ORDER BY ${quote(idColumn)}` : ''}`).raw(true).iterate() as IterableIterator<unknown[]>;
    let rowNumber = 0;
    for (const row of rows) {
      rowNumber++;
      const where = idColumn ? `fid ${String(row[attributes.length + 1])}` : `row ${rowNumber}`;
      let geometry: Geometry | null = null;
      const blob = row[0];
      if (blob instanceof Uint8Array) {
        try {
          geometry = geoPackageGeometry(blob);
        } catch (error) {
          onProblem({ file: path, where, reason: `invalid geometry: ${messageOf(error)}` });
          continue;
        }
      }
      const properties: Record<string, unknown> = {};
      for (let i = 0; i < attributes.length; i++) {
        const name = attributes[i].name;
        const value = row[i + 1];
        if (value instanceof Uint8Array) continue; // binary attributes have no place in a vector tile
        properties[name] = booleans.has(name) && typeof value === 'number' ? value !== 0 : value;
      }
      const feature = gate(geometry, properties, where, idColumn ? row[attributes.length + 1] : undefined);
      if (feature) yield feature;
    }
  } finally {
    rows?.return?.();
    database.close();
  }
}
