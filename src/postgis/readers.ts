// A published table or function behind the archive interface the server reads: tiles (cached briefly) and features.
import { type ArchiveMetadata, type ArchiveTile, type FeaturePage, type FeatureQuery, type FeatureReader, type MaybePromise, type StoredTile, type TileArchiveReader, type VectorLayer } from '../archive/types.js';
import { InputError } from '../errors.js';
import { prepared, type Database, type PreparedStatement } from './database.js';
import type { FunctionLayer, LayerColumn, TableLayer } from './layers.js';
import { liveTile } from './liveTile.js';
import { featureSql, featuresSql, functionTileSql, simplifyTolerance, tableTileSql } from './sql.js';
import type { TileCache } from './tileCache.js';

/** Query strings of function sources longer than this are refused: they would only bloat the cache keys. */
const MAX_QUERY_LENGTH = 2048;

abstract class LiveReader implements TileArchiveReader {
  readonly warnings: readonly string[] = [];
  abstract readonly metadata: ArchiveMetadata;

  constructor(
    readonly id: string,
    readonly path: string,
    protected readonly database: Database,
    protected readonly cache: TileCache,
  ) {}

  abstract getTile(z: number, x: number, y: number, query?: string): MaybePromise<StoredTile | undefined>;

  /** A live source has no stored tiles to count or stream (extracts and packages read archives). */
  summarize() {
    return [];
  }

  tiles(): ArchiveTile[] {
    return [];
  }

  close(): void {
    // The pool belongs to the source, which ends it once.
  }
}

export class TableReader extends LiveReader {
  readonly metadata: ArchiveMetadata;
  readonly features: FeatureReader;
  /** One prepared statement a zoom (filters and simplification differ by zoom), built and named once. */
  private readonly statements: PreparedStatement[] = [];

  constructor(
    private readonly layer: TableLayer,
    path: string,
    database: Database,
    cache: TileCache,
  ) {
    super(layer.id, path, database, cache);
    const fields: VectorLayer['fields'] = Object.fromEntries(layer.columns.map((column) => [column.name, column.field]));
    this.metadata = {
      name: layer.id,
      format: 'pbf',
      minzoom: layer.minzoom,
      maxzoom: layer.maxzoom,
      bounds: layer.bounds,
      description: `PostGIS ${layer.schema}.${layer.table} (live)`,
      type: 'overlay',
      vector_layers: [{ id: layer.layer, minzoom: layer.minzoom, maxzoom: layer.maxzoom, fields }],
    };
    this.features = new TableFeatures(layer, database, this.path);
  }

  getTile(z: number, x: number, y: number): MaybePromise<StoredTile | undefined> {
    if (z < this.layer.minzoom || z > this.layer.maxzoom) return undefined;
    return this.cache.get(`${this.id}/${z}/${x}/${y}`, () => this.load(z, x, y));
  }

  private async load(z: number, x: number, y: number): Promise<StoredTile | undefined> {
    const statement = (this.statements[z] ??= prepared(tableTileSql(this.layer, z)));
    const values: unknown[] = [z, x, y, this.layer.layer];
    if (this.layer.simplify > 0) values.push(simplifyTolerance(this.layer.simplify, z));
    const mvt = await this.database.tile(this.path, statement, values);
    return mvt && liveTile(mvt);
  }
}

export class FunctionReader extends LiveReader {
  readonly metadata: ArchiveMetadata;
  private readonly statement: PreparedStatement;

  constructor(
    private readonly layer: FunctionLayer,
    path: string,
    database: Database,
    cache: TileCache,
  ) {
    super(layer.id, path, database, cache);
    this.statement = prepared(functionTileSql(layer));
    this.metadata = {
      name: layer.id,
      format: 'pbf',
      minzoom: layer.minzoom,
      maxzoom: layer.maxzoom,
      description: `PostGIS function ${layer.schema}.${layer.function} (live)`,
      type: 'overlay',
      vector_layers: [{ id: layer.layer, fields: {} }],
    };
  }

  getTile(z: number, x: number, y: number, query = ''): MaybePromise<StoredTile | undefined> {
    if (z < this.layer.minzoom || z > this.layer.maxzoom) return undefined;
    if (!this.layer.takesQuery) query = '';
    if (query.length > MAX_QUERY_LENGTH) throw new InputError(`/tiles/${this.id}`, `query string longer than ${MAX_QUERY_LENGTH} characters`, 414);
    return this.cache.get(`${this.id}/${z}/${x}/${y}?${query}`, () => this.load(z, x, y, query));
  }

  private async load(z: number, x: number, y: number, query: string): Promise<StoredTile | undefined> {
    const values: unknown[] = [z, x, y];
    // Martin's query_params: the request's query parameters as one JSON object of strings, bound as a parameter.
    if (this.layer.takesQuery) values.push(JSON.stringify(Object.fromEntries(new URLSearchParams(query))));
    const mvt = await this.database.tile(this.path, this.statement, values);
    return mvt && liveTile(mvt);
  }
}

interface FeatureRow {
  __id: string | number | null;
  __geometry: string | null;
  [column: string]: unknown;
}

class TableFeatures implements FeatureReader {
  readonly properties: readonly string[];
  readonly temporal: boolean;
  private readonly byName: Map<string, LayerColumn>;

  constructor(
    private readonly layer: TableLayer,
    private readonly database: Database,
    private readonly source: string,
  ) {
    this.properties = layer.columns.map((column) => column.name);
    this.temporal = layer.timeColumn !== undefined;
    this.byName = new Map(layer.columns.map((column) => [column.name, column]));
  }

  async items(query: FeatureQuery): Promise<FeaturePage> {
    const columns = query.properties ? query.properties.map((name) => this.byName.get(name)!) : this.layer.columns;
    const start = this.temporal && query.datetime?.start !== undefined;
    const end = this.temporal && query.datetime?.end !== undefined;
    const text = featuresSql(this.layer, { bbox: query.bbox !== undefined, start, end, columns });
    const values: unknown[] = [...(query.bbox ?? [])];
    if (start) values.push(query.datetime!.start);
    if (end) values.push(query.datetime!.end);
    // One row more than asked tells whether a next page exists.
    values.push(query.limit + 1, query.offset);
    const rows = await this.database.query<FeatureRow>(this.source, text, values);
    return { features: rows.slice(0, query.limit).map((row) => featureOf(row, columns)), more: rows.length > query.limit };
  }

  async item(id: string): Promise<FeaturePage['features'][number] | undefined> {
    const idColumn = this.layer.idColumn;
    // Ids are integers (MVT feature ids); anything else names no feature, and never reaches the database.
    if (idColumn === undefined || !/^-?\d{1,18}$/.test(id)) return undefined;
    const rows = await this.database.query<FeatureRow>(this.source, featureSql({ ...this.layer, idColumn }), [id], true);
    return rows[0] ? featureOf(rows[0], this.layer.columns) : undefined;
  }
}

function featureOf(row: FeatureRow, columns: LayerColumn[]): FeaturePage['features'][number] {
  const properties: Record<string, unknown> = {};
  for (const column of columns) properties[column.name] = row[column.name];
  const id = row.__id;
  // int8 ids arrive as strings (pg keeps 64-bit exact); small ones are plain JSON numbers.
  return { id: typeof id === 'string' && Number.isSafeInteger(Number(id)) ? Number(id) : id, geometry: row.__geometry, properties };
}
