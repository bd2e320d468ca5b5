// The connection pool, and the one place that turns a database failure into an answer a client understands:
// unreachable or refusing → 503, too slow → 504, a value the database rejects → the request's fault.
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Logger } from 'pino';
import type { PostgresOptions } from '../config/serverOptions.js';
import { ArchiveUnavailableError } from '../archive/types.js';
import { InputError, messageOf } from '../errors.js';

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

export class Database {
  readonly label: string;
  private readonly pool: pg.Pool;

  constructor(options: PostgresOptions, logger: Logger) {
    this.label = postgresLabel(options.url);
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize,
      // Waiting for a connection (from the pool or a database that does not answer) ends in a 503, never a hang.
      connectionTimeoutMillis: options.connectTimeoutMs,
      statement_timeout: options.statementTimeoutMs,
      query_timeout: options.statementTimeoutMs + 1000,
      application_name: 'mekan',
      idleTimeoutMillis: 30_000,
    });
    // An idle connection the server drops (restart, network) must not take the process down.
    this.pool.on('error', (error) => logger.warn({ source: this.label, reason: messageOf(error) }, `postgres ${this.label}: idle connection lost: ${messageOf(error)}`));
  }

  /**
   * Runs a parameterised statement; `name` makes it a prepared statement on each connection (planned once).
   * Failures become ArchiveUnavailableError (503 unavailable / 504 timeout) naming `source`, or InputError for a value
   * the database refused.
   */
  async query<R>(source: string, text: string, values: unknown[] = [], prepare = false): Promise<R[]> {
    try {
      const result = await this.pool.query<R & pg.QueryResultRow>(prepare ? { name: statementName(text), text, values } : { text, values });
      return result.rows;
    } catch (error) {
      throw failureOf(source, error);
    }
  }

  end(): Promise<void> {
    return this.pool.end();
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
