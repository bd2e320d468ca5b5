// The SQL of tiles and features. Identifiers come only from the catalogue read at startup (quoted here);
// everything a request carries (z, x, y, bbox, limits, ids, query parameters) travels as a bound parameter.
import { escapeIdentifier, escapeLiteral } from 'pg';
import type { BBox } from '../grid/webMercator.js';
import type { FunctionLayer, LayerColumn, TableLayer } from './layers.js';

/** MVT extent and buffer, as Martin and pg_tileserv use them. */
export const TILE_EXTENT = 4096;
export const TILE_BUFFER = 64;
const WEB_MERCATOR_HALF = 20037508.342789244;

const q = escapeIdentifier;

function relation(layer: TableLayer): string {
  return `${q(layer.schema)}.${q(layer.table)}`;
}

function numberLiteral(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
  return String(value);
}

function envelopeLiteral(area: BBox): string {
  return `ST_MakeEnvelope(${area.map(numberLiteral).join(', ')}, 4326)`;
}

/**
 * A WGS 84 polygon expression turned into the table's SRID for an `&&` index condition: clipped first to the area
 * the SRID can represent and densified, so that a world-sized envelope does not fold over in a local projection.
 */
function toTableSrid(layer: TableLayer, wgs84: string): string {
  if (layer.srid === 4326) return wgs84;
  if (!layer.safeArea) return `ST_Transform(${wgs84}, ${numberLiteral(layer.srid)})`;
  return `ST_Transform(ST_Segmentize(ST_Intersection(${wgs84}, ${envelopeLiteral(layer.safeArea)}), 0.25), ${numberLiteral(layer.srid)})`;
}

/** The tile's envelope (with the MVT buffer) in the table's SRID, from parameters $1..$3. */
function tileEnvelopeInTableSrid(layer: TableLayer): string {
  const envelope = `ST_TileEnvelope($1, $2, $3, margin => ${numberLiteral(TILE_BUFFER / TILE_EXTENT)})`;
  if (layer.srid === 3857) return envelope;
  return toTableSrid(layer, `ST_Transform(${envelope}, 4326)`);
}

function selectColumn(column: LayerColumn): string {
  return column.cast ? `t.${q(column.name)}::${column.cast} AS ${q(column.name)}` : `t.${q(column.name)}`;
}

/** Douglas–Peucker tolerance in EPSG:3857 metres for `pixels` of a 256-pixel tile at zoom z. */
export function simplifyTolerance(pixels: number, z: number): number {
  return (pixels * 2 * WEB_MERCATOR_HALF) / (256 * 2 ** z);
}

/**
 * One tile of a table at zoom z: `$1..$3` = z, x, y, `$4` = layer name, `$5` = simplification tolerance (only with
 * `simplify`). The `&&` on the table's own geometry column, against a constant envelope, lets its GiST index answer.
 */
export function tableTileSql(layer: TableLayer, z: number): string {
  const geometry = `t.${q(layer.geometryColumn)}`;
  let projected = layer.srid === 3857 ? geometry : `ST_Transform(${geometry}, 3857)`;
  if (layer.simplify > 0) projected = `ST_Simplify(${projected}, $5, true)`;
  const columns = [
    `ST_AsMVTGeom(${projected}, ST_TileEnvelope($1, $2, $3), ${TILE_EXTENT}, ${TILE_BUFFER}, true) AS "__mvt_geom"`,
    ...(layer.idColumn ? [`t.${q(layer.idColumn)}`] : []),
    ...layer.columns.map(selectColumn),
  ];
  const conditions = [`${geometry} && ${tileEnvelopeInTableSrid(layer)}`, ...filtersAt(layer, z).map((where) => `(${where})`)];
  return [
    `SELECT ST_AsMVT(mvt, $4, ${TILE_EXTENT}, '__mvt_geom'${layer.idColumn ? `, ${escapeLiteral(layer.idColumn)}` : ''}) AS mvt FROM (`,
    `  SELECT ${columns.join(', ')}`,
    `  FROM ${relation(layer)} AS t`,
    `  WHERE ${conditions.join(' AND ')}`,
    `) AS mvt WHERE "__mvt_geom" IS NOT NULL`,
  ].join('\n');
}

/** The operator's conditions that apply at zoom z. */
export function filtersAt(layer: TableLayer, z: number): string[] {
  return layer.filters.filter((filter) => z >= filter.minzoom && z <= filter.maxzoom).map((filter) => filter.where);
}

/** A function source: `$1..$3` = z, x, y and `$4` = the request's query parameters as a JSON object. */
export function functionTileSql(layer: FunctionLayer): string {
  const args = layer.takesQuery ? '$1::integer, $2::integer, $3::integer, $4::json' : '$1::integer, $2::integer, $3::integer';
  return `SELECT ${q(layer.schema)}.${q(layer.function)}(${args}) AS mvt`;
}

export interface FeaturesSqlOptions {
  bbox: boolean;
  start: boolean;
  end: boolean;
  columns: LayerColumn[];
}

/** A page of features. Parameters in order: bbox ($ west, south, east, north), start, end, then limit and offset. */
export function featuresSql(layer: TableLayer, options: FeaturesSqlOptions): string {
  const conditions: string[] = [];
  let n = 0;
  const next = () => `$${++n}`;
  if (options.bbox) {
    const envelope = `ST_MakeEnvelope(${next()}, ${next()}, ${next()}, ${next()}, 4326)`;
    conditions.push(`t.${q(layer.geometryColumn)} && ${toTableSrid(layer, envelope)}`);
  }
  if (options.start && layer.timeColumn) conditions.push(`t.${q(layer.timeColumn)} >= ${next()}::timestamptz`);
  if (options.end && layer.timeColumn) conditions.push(`t.${q(layer.timeColumn)} <= ${next()}::timestamptz`);
  const limit = next();
  const offset = next();
  return [
    `SELECT ${featureColumns(layer, options.columns)}`,
    `FROM ${relation(layer)} AS t`,
    conditions.length ? `WHERE ${conditions.join(' AND ')}` : '',
    layer.idColumn ? `ORDER BY t.${q(layer.idColumn)}` : '',
    `LIMIT ${limit} OFFSET ${offset}`,
  ]
    .filter(Boolean)
    .join('\n');
}

/** One feature by id (`$1`). */
export function featureSql(layer: TableLayer & { idColumn: string }): string {
  return `SELECT ${featureColumns(layer, layer.columns)} FROM ${relation(layer)} AS t WHERE t.${q(layer.idColumn)} = $1`;
}

function featureColumns(layer: TableLayer, columns: LayerColumn[]): string {
  const geometry = layer.srid === 4326 ? `t.${q(layer.geometryColumn)}` : `ST_Transform(t.${q(layer.geometryColumn)}, 4326)`;
  return [
    layer.idColumn ? `t.${q(layer.idColumn)} AS "__id"` : 'NULL AS "__id"',
    `ST_AsGeoJSON(${geometry}, 7) AS "__geometry"`,
    ...columns.map(selectColumn),
  ].join(', ');
}
