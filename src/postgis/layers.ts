// What the catalogue says a published table or function is: names, types and extents read from the database at startup.
import type { FieldType } from '../archive/types.js';
import type { BBox } from '../grid/webMercator.js';

/** An attribute column as it goes into tiles and features; `cast` turns types MVT cannot carry into ones it can. */
export interface LayerColumn {
  name: string;
  field: FieldType;
  cast?: 'float8' | 'text';
}

export interface ZoomFilter {
  minzoom: number;
  maxzoom: number;
  where: string;
}

export interface TableLayer {
  kind: 'table';
  /** The tileset id: `schema.table` when published automatically, the configuration's key otherwise. */
  id: string;
  schema: string;
  table: string;
  geometryColumn: string;
  srid: number;
  /** Integer column carried as the MVT feature id and the OGC feature id. */
  idColumn?: string;
  columns: LayerColumn[];
  timeColumn?: string;
  /** MVT layer name. */
  layer: string;
  minzoom: number;
  maxzoom: number;
  /** Tolerance in pixels of a 256-pixel tile; 0 for none. */
  simplify: number;
  filters: ZoomFilter[];
  /** WGS 84 extent of the data at startup. */
  bounds?: BBox;
  /**
   * WGS 84 area where the table's SRID can be projected to and from (projections such as UTM fold over far from
   * their zone): query envelopes are clipped to it before they are transformed. Absent for EPSG:4326.
   */
  safeArea?: BBox;
}

export interface FunctionLayer {
  kind: 'function';
  id: string;
  schema: string;
  function: string;
  /** Whether it takes the fourth `query_params json` argument (Martin's form) or only z, x, y. */
  takesQuery: boolean;
  layer: string;
  minzoom: number;
  maxzoom: number;
}

export type PostgisLayer = TableLayer | FunctionLayer;

const INTEGER_TYPES = new Set(['int2', 'int4', 'int8']);
const NUMBER_TYPES = new Set(['int2', 'int4', 'int8', 'float4', 'float8', 'oid']);
const TEXT_TYPES = new Set(['text', 'varchar', 'bpchar', 'name', 'citext']);
/** Columns that are not attributes: other geometries, rasters and raw bytes. */
const SKIPPED_TYPES = new Set(['geometry', 'geography', 'raster', 'bytea', 'box2d', 'box3d', 'tsvector']);

export function isIntegerType(type: string): boolean {
  return INTEGER_TYPES.has(type);
}

/** How a column of a PostgreSQL type goes into a tile; undefined when it does not. */
export function columnOf(name: string, type: string): LayerColumn | undefined {
  if (SKIPPED_TYPES.has(type)) return undefined;
  if (NUMBER_TYPES.has(type)) return { name, field: 'Number' };
  if (type === 'numeric') return { name, field: 'Number', cast: 'float8' };
  if (type === 'bool') return { name, field: 'Boolean' };
  if (TEXT_TYPES.has(type)) return { name, field: 'String' };
  return { name, field: 'String', cast: 'text' };
}
