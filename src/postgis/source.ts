// A PostGIS database as a source of live tilesets: reads its catalogue (again and again while the database is
// down, so that the server starts anyway and picks the tables up when it comes back) and publishes readers.
import type { Logger } from 'pino';
import type { TileArchiveReader } from '../archive/types.js';
import type { PostgresOptions } from '../config/serverOptions.js';
import { messageOf } from '../errors.js';
import { readCatalogue } from './catalog.js';
import { Database } from './database.js';
import { FunctionReader, TableReader } from './readers.js';
import { TileCache, type TileCacheStats } from './tileCache.js';

export interface PublishedTileset {
  id: string;
  archive: TileArchiveReader;
  cacheControl: string;
}

export class PostgisSource {
  readonly cache: TileCache;
  private readonly database: Database;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private ready: Promise<void> | undefined;

  constructor(
    private readonly options: PostgresOptions,
    private readonly logger: Logger,
    private readonly publish: (tilesets: PublishedTileset[]) => void,
  ) {
    this.database = new Database(options, logger);
    this.cache = new TileCache(options.cache.maxBytes, options.cache.ttlMs);
  }

  get label(): string {
    return this.database.label;
  }

  /** Reads the catalogue now; on failure logs a warning and tries again every `retryIntervalMs`. Resolves once published. */
  start(): Promise<void> {
    this.ready ??= new Promise((resolve) => {
      const attempt = () => {
        if (this.closed) return resolve();
        this.discover().then(resolve, (error: unknown) => {
          if (this.closed) return resolve();
          this.logger.warn(
            { source: this.label, reason: messageOf(error) },
            `postgres ${this.label} is unavailable (${messageOf(error)}); serving without its tables, trying again in ${this.options.retryIntervalMs / 1000} s`,
          );
          this.timer = setTimeout(attempt, this.options.retryIntervalMs);
          this.timer.unref();
        });
      };
      attempt();
    });
    return this.ready;
  }

  stats(): TileCacheStats {
    return this.cache.stats();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.database.end();
  }

  private async discover(): Promise<void> {
    const catalogue = await readCatalogue((text, values) => this.database.query(this.label, text, values), this.options);
    if (this.closed) return;
    for (const problem of catalogue.problems) this.logger.warn({ source: this.label }, `postgres ${this.label}: ${problem}`);
    const cacheControl = `public, max-age=${Math.max(0, Math.round(this.options.cache.ttlMs / 1000))}`;
    const tilesets = catalogue.layers.map((layer) => {
      const path = `${this.label}#${layer.id}`;
      const archive = layer.kind === 'table' ? new TableReader(layer, path, this.database, this.cache) : new FunctionReader(layer, path, this.database, this.cache);
      return { id: layer.id, archive, cacheControl };
    });
    this.publish(tilesets);
    this.logger.info(
      { source: this.label, tilesets: tilesets.map((tileset) => tileset.id) },
      `postgres ${this.label}: serving ${tilesets.length} live tileset${tilesets.length === 1 ? '' : 's'}${tilesets.length ? ` (${tilesets.map((tileset) => tileset.id).join(', ')})` : ''}`,
    );
  }
}
