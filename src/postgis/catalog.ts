// Reads the database's catalogue at startup: which tables, views and tile functions to publish, with their columns,
// SRIDs and extents. Every identifier later put into SQL comes from here, never from a request.
import { escapeIdentifier } from 'pg';
import type { PostgresFunctionOptions, PostgresOptions, PostgresTableOptions } from '../config/serverOptions.js';
import { messageOf } from '../errors.js';
import type { BBox } from '../grid/webMercator.js';
import { MAX_LATITUDE } from '../grid/webMercator.js';
import { columnOf, isIntegerType, type FunctionLayer, type LayerColumn, type PostgisLayer, type TableLayer } from './layers.js';

/** Runs one catalogue query (parameterised). */
export type CatalogQuery = <R>(text: string, values?: unknown[]) => Promise<R[]>;

export interface Catalogue {
  layers: PostgisLayer[];
  /** Tables or functions named in the configuration that cannot be served, each with the reason. */
  problems: string[];
}

/** Live tilesets reach as deep as clients zoom by default; ST_AsMVT cuts any zoom. */
const DEFAULT_MAXZOOM = 22;

interface RelationRow {
  oid: string;
  schema: string;
  table: string;
  geometry: string;
  srid: number;
}

interface ColumnRow {
  oid: string;
  name: string;
  type: string;
}

const RELATIONS = `
SELECT c.oid::text AS oid, n.nspname AS schema, c.relname AS table, a.attname AS geometry, GREATEST(postgis_typmod_srid(a.atttypmod), 0) AS srid
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE a.atttypid = 'geometry'::regtype AND a.attnum > 0 AND NOT a.attisdropped
  AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
  AND has_table_privilege(c.oid, 'SELECT') AND has_column_privilege(c.oid, a.attnum, 'SELECT')
  AND ($1::oid[] IS NULL OR c.oid = ANY($1::oid[]))
ORDER BY n.nspname, c.relname, a.attnum`;

const COLUMNS = `
SELECT a.attrelid::text AS oid, a.attname AS name, t.typname AS type
FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped AND has_column_privilege(a.attrelid, a.attnum, 'SELECT')
ORDER BY a.attrelid, a.attnum`;

const PRIMARY_KEYS = `
SELECT i.indrelid::text AS oid, a.attname AS name
FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
WHERE i.indisprimary AND i.indnatts = 1 AND i.indrelid = ANY($1::oid[])`;

const FUNCTIONS = `
SELECT n.nspname AS schema, p.proname AS function, p.pronargs = 4 AS "takesQuery"
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE p.prorettype = 'bytea'::regtype AND p.prokind = 'f'
  AND array_to_string(p.proargtypes::regtype[], ',') IN ('integer,integer,integer,json', 'integer,integer,integer')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
  AND has_function_privilege(p.oid, 'EXECUTE')
  AND ($1::text IS NULL OR (n.nspname = $1 AND p.proname = $2))
ORDER BY 1, 2`;

export async function readCatalogue(query: CatalogQuery, options: PostgresOptions): Promise<Catalogue> {
  const problems: string[] = [];
  const layers: PostgisLayer[] = [];
  const explicit = Object.entries(options.tables);
  // Relations named in the configuration, resolved by the database's own name lookup (quoted: names are taken as written).
  const namedOids = new Map<string, string>();
  for (const [id, table] of explicit) {
    const rows = await query<{ oid: string | null }>('SELECT to_regclass($1)::oid::text AS oid', [`${escapeIdentifier(table.schema ?? 'public')}.${escapeIdentifier(table.table)}`]);
    if (rows[0]?.oid) namedOids.set(id, rows[0].oid);
    else problems.push(`postgres.tables.${id}: no table or view ${table.schema ?? 'public'}.${table.table} (or the role cannot see it)`);
  }
  const relations = await query<RelationRow>(RELATIONS, [options.autoPublish ? null : [...namedOids.values()]]);
  const oids = [...new Set(relations.map((row) => row.oid))];
  const columns = await query<ColumnRow>(COLUMNS, [oids]);
  const keys = await query<{ oid: string; name: string }>(PRIMARY_KEYS, [oids]);
  const columnsOf = new Map<string, ColumnRow[]>();
  for (const column of columns) columnsOf.set(column.oid, [...(columnsOf.get(column.oid) ?? []), column]);
  const keyOf = new Map(keys.map((key) => [key.oid, key.name]));

  for (const [id, table] of explicit) {
    const oid = namedOids.get(id);
    if (oid === undefined) continue;
    const geometries = relations.filter((row) => row.oid === oid);
    const relation = table.geometryColumn ? geometries.find((row) => row.geometry === table.geometryColumn) : geometries[0];
    if (!relation) {
      problems.push(`postgres.tables.${id}: ${table.table} has no geometry column${table.geometryColumn ? ` "${table.geometryColumn}"` : ''} the role can read`);
      continue;
    }
    try {
      layers.push(await tableLayer(query, id, relation, columnsOf.get(oid) ?? [], keyOf.get(oid), table));
    } catch (error) {
      problems.push(`postgres.tables.${id}: ${messageOf(error)}`);
    }
  }
  if (options.autoPublish) {
    const taken = new Set(layers.map((layer) => layer.id));
    for (const relation of relations) {
      const first = relations.find((row) => row.oid === relation.oid) === relation;
      const id = first ? `${relation.schema}.${relation.table}` : `${relation.schema}.${relation.table}.${relation.geometry}`;
      if (taken.has(id) || namedOids.has(id)) continue;
      try {
        layers.push(await tableLayer(query, id, relation, columnsOf.get(relation.oid) ?? [], keyOf.get(relation.oid), { table: relation.table }));
        taken.add(id);
      } catch (error) {
        problems.push(`${id}: ${messageOf(error)}; not published`);
      }
    }
  }
  layers.push(...(await functionLayers(query, options, problems)));
  return { layers, problems };
}

async function tableLayer(query: CatalogQuery, id: string, relation: RelationRow, columnRows: ColumnRow[], primaryKey: string | undefined, table: PostgresTableOptions): Promise<TableLayer> {
  const source = `${escapeIdentifier(relation.schema)}.${escapeIdentifier(relation.table)}`;
  const geometry = escapeIdentifier(relation.geometry);
  let srid = relation.srid;
  if (srid === 0) {
    // A view or an unconstrained column: the SRID of its data decides.
    const rows = await query<{ srid: number }>(`SELECT ST_SRID(${geometry}) AS srid FROM ${source} WHERE ${geometry} IS NOT NULL LIMIT 1`);
    srid = rows[0]?.srid ?? 0;
    if (srid === 0) throw new Error(`geometry column "${relation.geometry}" has no SRID`);
  }
  const typeOf = new Map(columnRows.map((column) => [column.name, column.type]));
  const requireColumn = (name: string, role: string) => {
    if (!typeOf.has(name)) throw new Error(`no column "${name}" (${role}) in ${relation.schema}.${relation.table} the role can read`);
  };
  let idColumn = table.idColumn ?? (primaryKey && isIntegerType(typeOf.get(primaryKey) ?? '') ? primaryKey : undefined);
  if (table.idColumn) {
    requireColumn(table.idColumn, 'idColumn');
    if (!isIntegerType(typeOf.get(table.idColumn)!)) throw new Error(`idColumn "${table.idColumn}" is ${typeOf.get(table.idColumn)}, not an integer type (MVT feature ids are integers)`);
  }
  if (table.timeColumn) requireColumn(table.timeColumn, 'timeColumn');
  for (const name of table.properties ?? []) requireColumn(name, 'properties');
  const wanted = table.properties ?? columnRows.map((column) => column.name).filter((name) => name !== idColumn);
  const columns = wanted.filter((name) => name !== relation.geometry).flatMap((name) => columnOf(name, typeOf.get(name)!) ?? []);
  if (idColumn === undefined && !table.idColumn) idColumn = undefined;
  const bounds = await extentOf(query, source, relation, srid);
  const minzoom = table.minzoom ?? 0;
  const maxzoom = table.maxzoom ?? DEFAULT_MAXZOOM;
  if (minzoom > maxzoom) throw new Error(`minzoom ${minzoom} is above maxzoom ${maxzoom}`);
  return {
    kind: 'table',
    id,
    schema: relation.schema,
    table: relation.table,
    geometryColumn: relation.geometry,
    srid,
    idColumn,
    columns: columns satisfies LayerColumn[],
    timeColumn: table.timeColumn,
    layer: table.layer ?? relation.table,
    minzoom,
    maxzoom,
    simplify: table.simplify ?? 0,
    filters: (table.filters ?? []).map((filter) => ({ minzoom: filter.minzoom ?? 0, maxzoom: filter.maxzoom ?? 30, where: filter.where })),
    bounds,
    safeArea: srid === 4326 ? undefined : safeAreaOf(srid, bounds),
  };
}

/** The estimated extent (from ANALYZE statistics) when there is one, else the exact one; in WGS 84. */
async function extentOf(query: CatalogQuery, source: string, relation: RelationRow, srid: number): Promise<BBox | undefined> {
  const toWgs84 = (box: string) => `SELECT ST_XMin(e) AS w, ST_YMin(e) AS s, ST_XMax(e) AS e, ST_YMax(e) AS n FROM (SELECT ST_Transform(ST_SetSRID((${box})::geometry, ${srid}), 4326) AS e) AS x WHERE e IS NOT NULL`;
  let rows: { w: number; s: number; e: number; n: number }[] = [];
  try {
    rows = await query(toWgs84('SELECT ST_EstimatedExtent($1, $2, $3)'), [relation.schema, relation.table, relation.geometry]);
  } catch {
    // Views have no statistics.
  }
  if (rows.length === 0) rows = await query(toWgs84(`SELECT ST_Extent(${escapeIdentifier(relation.geometry)}) FROM ${source}`));
  const row = rows[0];
  if (!row) return undefined;
  const clamp = (value: number, limit: number) => Math.max(-limit, Math.min(limit, value));
  return [clamp(row.w, 180), clamp(row.s, MAX_LATITUDE), clamp(row.e, 180), clamp(row.n, MAX_LATITUDE)];
}

/** Web Mercator holds the whole world but the poles; a local projection holds its data's surroundings. */
function safeAreaOf(srid: number, bounds: BBox | undefined): BBox {
  const world: BBox = [-180, -MAX_LATITUDE, 180, MAX_LATITUDE];
  if (srid === 3857 || !bounds) return world;
  const padX = Math.max(2, (bounds[2] - bounds[0]) / 2);
  const padY = Math.max(2, (bounds[3] - bounds[1]) / 2);
  return [Math.max(-180, bounds[0] - padX), Math.max(-MAX_LATITUDE, bounds[1] - padY), Math.min(180, bounds[2] + padX), Math.min(MAX_LATITUDE, bounds[3] + padY)];
}

async function functionLayers(query: CatalogQuery, options: PostgresOptions, problems: string[]): Promise<FunctionLayer[]> {
  const layers: FunctionLayer[] = [];
  const toLayer = (id: string, row: { schema: string; function: string; takesQuery: boolean }, entry: Partial<PostgresFunctionOptions> = {}): FunctionLayer => ({
    kind: 'function',
    id,
    schema: row.schema,
    function: row.function,
    takesQuery: row.takesQuery,
    layer: entry.layer ?? row.function,
    minzoom: entry.minzoom ?? 0,
    maxzoom: entry.maxzoom ?? DEFAULT_MAXZOOM,
  });
  for (const [id, entry] of Object.entries(options.functions)) {
    const rows = await query<{ schema: string; function: string; takesQuery: boolean }>(FUNCTIONS, [entry.schema ?? 'public', entry.function]);
    if (rows[0]) layers.push(toLayer(id, rows[0], entry));
    else problems.push(`postgres.functions.${id}: no function ${entry.schema ?? 'public'}.${entry.function}(z integer, x integer, y integer[, query_params json]) returning bytea that the role may execute`);
  }
  if (options.autoPublish) {
    const named = new Set(layers.map((layer) => `${layer.schema}.${layer.function}`));
    for (const row of await query<{ schema: string; function: string; takesQuery: boolean }>(FUNCTIONS, [null, null])) {
      if (!named.has(`${row.schema}.${row.function}`)) layers.push(toLayer(`${row.schema}.${row.function}`, row));
    }
  }
  return layers;
}
