// A PostGIS database as a source of live tilesets: reads its catalogue (again and again while the database is
// down, so that the server starts anyway and picks the tables up when it comes back) and publishes readers.
import type { Logger } from 'pino';
import type { CacheFigures, TileArchiveReader } from '../archive/types.js';
import type { PostgresOptions } from '../config/serverOptions.js';
import { messageOf } from '../errors.js';
import { readCatalogue } from './catalog.js';
import { Database } from './database.js';
import { FunctionReader, TableReader } from './readers.js';
import { TileCache } from './tileCache.js';

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
  /** The catalogue read running now, shared by everyone who asks meanwhile. */
  private reading: Promise<void> | undefined;
  /** When the catalogue was last read (ms); 0 until it first was. */
  private readAt = 0;
  /** When a catalogue request last started a read (ms): a read that fails is not retried by every request. */
  private askedAt = 0;
  /** Readers by tileset id with the layer they were made for: an unchanged layer keeps its reader (and its statements). */
  private readers = new Map<string, { layer: string; tileset: PublishedTileset }>();

  constructor(
    private readonly options: PostgresOptions,
    private readonly logger: Logger,
    private readonly publish: (tilesets: PublishedTileset[]) => void,
  ) {
    // Back after an outage or a restart: tables may have come or gone meanwhile. Logged before the statement that
    // found it back is answered, so that the line comes first.
    this.database = new Database(options, logger, () => {
      if (this.readAt === 0 || this.closed) return;
      this.logger.info({ source: this.label }, `postgres ${this.label} answers again; reading its catalogue again`);
      void this.rediscover('the database is back');
    });
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
        this.discover().then(
          () => {
            this.scheduleRediscovery();
            resolve();
          },
          (error: unknown) => {
            if (this.closed) return resolve();
            this.logger.warn(
              { source: this.label, reason: messageOf(error) },
              `postgres ${this.label} is unavailable (${messageOf(error)}); serving without its tables, trying again in ${this.options.retryIntervalMs / 1000} s`,
            );
            this.timer = setTimeout(attempt, this.options.retryIntervalMs);
            this.timer.unref();
          },
        );
      };
      attempt();
    });
    return this.ready;
  }

  /**
   * A catalogue request (/catalog.json, /ogc/collections) starts a new read of the catalogue when the last one is
   * older than `rediscover.onRequestMs`, and is answered at once from what is published now: a read is an extent
   * query per table, which a listing must not wait for (a table created a moment ago is listed once the read has
   * published it; its log line says `added`). Bounded, so that a flood of catalogue requests is not a flood of
   * catalogue queries; never on a database that is down (the retry loop has it).
   */
  freshen(): void {
    if (this.readAt === 0 || this.reading !== undefined || !this.database.reachable) return;
    const now = Date.now();
    if (now - Math.max(this.readAt, this.askedAt) < this.options.rediscover.onRequestMs) return;
    this.askedAt = now;
    void this.rediscover('a catalogue request');
  }

  stats(): CacheFigures {
    return this.cache.stats();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.database.end();
  }

  private scheduleRediscovery(): void {
    const every = this.options.rediscover.intervalMs;
    if (every <= 0 || this.closed) return;
    this.timer = setInterval(() => void this.rediscover('the periodic check'), every);
    this.timer.unref();
  }

  /** Reads the catalogue again (once at a time); a failure keeps what is published and is logged. */
  private rediscover(reason: string): Promise<void> {
    if (this.readAt === 0 || this.closed) return Promise.resolve();
    this.reading ??= this.discover()
      .catch((error: unknown) => {
        this.logger.warn({ source: this.label, reason: messageOf(error) }, `postgres ${this.label}: reading the catalogue again (${reason}) failed: ${messageOf(error)}; keeping the tilesets published`);
      })
      .finally(() => {
        this.reading = undefined;
      });
    return this.reading;
  }

  private async discover(): Promise<void> {
    const catalogue = await readCatalogue((text, values) => this.database.query(this.label, text, values), this.options);
    if (this.closed) return;
    const first = this.readAt === 0;
    this.readAt = Date.now();
    const cacheControl = `public, max-age=${Math.max(0, Math.round(this.options.cache.ttlMs / 1000))}`;
    const readers = new Map<string, { layer: string; tileset: PublishedTileset }>();
    for (const layer of catalogue.layers) {
      const described = JSON.stringify(layer);
      const known = this.readers.get(layer.id);
      if (known?.layer === described) {
        readers.set(layer.id, known);
        continue;
      }
      const path = `${this.label}#${layer.id}`;
      const archive = layer.kind === 'table' ? new TableReader(layer, path, this.database, this.cache) : new FunctionReader(layer, path, this.database, this.cache);
      readers.set(layer.id, { layer: described, tileset: { id: layer.id, archive, cacheControl } });
    }
    const previous = this.readers;
    const changed = first || readers.size !== previous.size || [...readers].some(([id, entry]) => previous.get(id) !== entry);
    this.readers = readers;
    if (!changed) return;
    // Problems are logged when the catalogue says something new, not on every periodic read.
    for (const problem of catalogue.problems) this.logger.warn({ source: this.label }, `postgres ${this.label}: ${problem}`);
    const tilesets = [...readers.values()].map(({ tileset }) => tileset);
    this.publish(tilesets);
    const ids = tilesets.map((tileset) => tileset.id);
    const added = first ? [] : ids.filter((id) => !previous.has(id));
    this.logger.info(
      { source: this.label, tilesets: ids, ...(first ? {} : { added }) },
      `postgres ${this.label}: serving ${ids.length} live tileset${ids.length === 1 ? '' : 's'}${ids.length ? ` (${ids.join(', ')})` : ''}`,
    );
  }
}
