// The connection pool, and the one place that turns a database failure into an answer a client understands:
// unreachable or refusing → 503, too slow → 504, a value the database rejects → the request's fault.
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Logger } from 'pino';
import type { PostgresOptions } from '../config/serverOptions.js';
import { ArchiveUnavailableError } from '../archive/types.js';
import { InputError, messageOf } from '../errors.js';
import { Admission } from './admission.js';

/** `postgres://user@host:port/db` without the password: what logs and tileset paths show. */
export function postgresLabel(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    return parsed.toString();
  } catch {
    return 'postgres';
  }
}

/** SQLSTATE classes of a value the request supplied that the database refused (a malformed id, a bad date). */
const DATA_EXCEPTION = /^22/;
/** query_canceled: the statement_timeout fired. */
const STATEMENT_TIMEOUT = '57014';

/** A statement prepared once per connection under a name derived from its text (see `statementName`). */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

export function prepared(text: string): PreparedStatement {
  return { name: statementName(text), text };
}

export class Database {
  readonly label: string;
  private readonly pool: pg.Pool;
  private readonly admission: Admission;
  /** Set by a failure that says the database is unreachable; the next success is a reconnection. */
  private down = false;

  constructor(
    options: PostgresOptions,
    logger: Logger,
    /** Called when the database answers again after it was unreachable (the source reads its catalogue again). */
    private readonly onReconnect: () => void = () => undefined,
  ) {
    this.label = postgresLabel(options.url);
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize,
      // Admission keeps the pool from ever queueing: this timer measures a connection to a database that does not answer.
      connectionTimeoutMillis: options.connectTimeoutMs,
      statement_timeout: options.statementTimeoutMs,
      query_timeout: options.statementTimeoutMs + 1000,
      application_name: 'mekan',
      idleTimeoutMillis: 30_000,
    });
    // A busy pool queues its requests; one that stays busy for a statement timeout is a database too slow to wait for.
    this.admission = new Admission(options.poolSize, options.queueSize, options.statementTimeoutMs);
    // An idle connection the server drops (restart, network) must not take the process down. It also says the
    // database went away: the next statement that succeeds is a reconnection (a restarted database may have other
    // tables), even when no request failed meanwhile.
    this.pool.on('error', (error) => {
      this.down = true;
      logger.warn({ source: this.label, reason: messageOf(error) }, `postgres ${this.label}: idle connection lost: ${messageOf(error)}`);
    });
  }

  /** False after a failure that said the database is unreachable, until a statement succeeds again. */
  get reachable(): boolean {
    return !this.down;
  }

  /**
   * Runs a parameterised statement; `prepare` makes it a prepared statement on each connection (planned once).
   * Failures become ArchiveUnavailableError (503 unavailable / 504 timeout) naming `source`, or InputError for a value
   * the database refused.
   */
  async query<R>(source: string, text: string, values: unknown[] = [], prepare = false): Promise<R[]> {
    const result = await this.run<R & pg.QueryResultRow>(source, prepare ? { name: statementName(text), text, values } : { text, values });
    return result.rows;
  }

  /** One tile from a prepared statement whose one column is the tile (bytea); undefined for an empty tile. */
  async tile(source: string, statement: PreparedStatement, values: unknown[]): Promise<Buffer | undefined> {
    // Text results (bytea as hex): pg 8 reads every binary-format field as a UTF-8 string, which would corrupt a tile.
    const result = await this.run<{ mvt: Buffer | null }>(source, { name: statement.name, text: statement.text, values });
    const data = result.rows[0]?.mvt;
    return data && data.length > 0 ? data : undefined;
  }

  end(): Promise<void> {
    return this.pool.end();
  }

  private async run<R extends pg.QueryResultRow>(source: string, config: pg.QueryConfig): Promise<pg.QueryResult<R>> {
    const waiting = this.admission.acquire();
    if (waiting !== undefined) {
      try {
        await waiting;
      } catch (error) {
        throw new ArchiveUnavailableError(`${source}: ${messageOf(error)}`, 'unavailable');
      }
    }
    try {
      const result = await this.pool.query<R>(config);
      if (this.down) {
        this.down = false;
        this.onReconnect();
      }
      return result;
    } catch (error) {
      const failure = failureOf(source, error);
      if (failure instanceof ArchiveUnavailableError && failure.kind === 'unavailable') this.down = true;
      throw failure;
    } finally {
      this.admission.release();
    }
  }
}

/** Prepared statements are named after their text, so that a changed statement never meets an old plan of the same name. */
function statementName(text: string): string {
  return `mekan_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
}

function failureOf(source: string, error: unknown): Error {
  const code = (error as { code?: unknown }).code;
  const message = messageOf(error);
  if (code === STATEMENT_TIMEOUT || /Query read timeout/i.test(message)) return new ArchiveUnavailableError(`${source}: query took too long (${message})`, 'timeout');
  if (typeof code === 'string' && DATA_EXCEPTION.test(code)) return new InputError(source, message, 400);
  return new ArchiveUnavailableError(`${source}: ${message}`, 'unavailable');
}
