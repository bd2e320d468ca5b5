// What the server runs with, built from command-line flags over the configuration file over defaults.
import { resolve } from 'node:path';
import { InputError } from '../errors.js';
import { isPackageDir, packageFolders } from '../packages/layout.js';
import type { z } from 'zod';
import type { postgresFunctionSchema, postgresTableSchema, ServeConfig } from './schema.js';
import { configSchema } from './schema.js';

/** Tiles change only when an archive is rebuilt; an hour keeps browsers and CDNs useful without stale maps for long. */
export const DEFAULT_CACHE_CONTROL = 'public, max-age=3600';
export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = '127.0.0.1';
/** Hot tiles kept per process: the tiles a city's users pan over at the busy zooms fit in tens of MB. */
export const DEFAULT_TILE_CACHE_MB = 64;
/** ETags of tiles from archives without content-hash ids: ~250 bytes each, so 16 MB remembers ~65,000 tiles. */
export const DEFAULT_ETAG_CACHE_MB = 16;
/** One download at most this large by default: a city at z0–16 holds about 100,000 vector tiles; a country's imagery is far above. */
export const DEFAULT_PACKAGE_CAPS = { maxTiles: 500_000, maxBytes: 2 * 1024 ** 3, maxConcurrent: 4 };

export interface TilesetOptions {
  /** The archive; absent when the entry only sets options for a tileset found in a served folder. */
  path?: string;
  cacheControl?: string;
  /** Seen only by requests that carry one of `tokens`. */
  private?: boolean;
  tokens?: string[];
  tokensEnv?: string;
}

export type PostgresTableOptions = z.infer<typeof postgresTableSchema>;
export type PostgresFunctionOptions = z.infer<typeof postgresFunctionSchema>;

/** A PostGIS database whose tables (and tile functions) are served as live tilesets and feature collections. */
export interface PostgresOptions {
  /** Connection URL, password included when one was given (never logged: see `postgresLabel`). */
  url: string;
  poolSize: number;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  retryIntervalMs: number;
  /** Requests that wait for a busy pool at most; more are refused with 503 at once. */
  queueSize: number;
  /** Tables created after start: the catalogue is read again every `intervalMs` (0: never) and on a catalogue request when older than `onRequestMs`. */
  rediscover: { intervalMs: number; onRequestMs: number };
  cache: { maxBytes: number; ttlMs: number };
  autoPublish: boolean;
  tables: Record<string, PostgresTableOptions>;
  functions: Record<string, PostgresFunctionOptions>;
}

/** A short pool keeps the database's connection count predictable across workers; Martin's default is 20 a process. */
export const DEFAULT_POSTGRES_POOL = 20;
/** Requests waiting for a connection beyond the pool's: 64 clients on a pool of 20 wait; a flood beyond this is refused. */
export const DEFAULT_POSTGRES_QUEUE = 1024;
/** An edit shows on the map within this long; a warm tile is served from memory meanwhile. */
export const DEFAULT_POSTGRES_TTL_SECONDS = 5;

export interface ServerOptions {
  /** Archive files and folders of archives; ids are file names without extension. */
  paths: string[];
  /** Explicit tilesets and per-tileset options, by id. */
  tilesets: Record<string, TilesetOptions>;
  host: string;
  port: number;
  /** Base URL without trailing slash, e.g. `https://tiles.example.az/basemap`; from each request when absent. */
  publicUrl?: string;
  workers: number;
  trustProxy: boolean;
  /** `['*']` any origin; `[]` no CORS headers; otherwise the allowed origins. */
  corsOrigins: string[];
  cacheControl: string;
  /** `sampleRate`: the share of successful requests logged (errors always are). */
  log: { level: string; requests: boolean; sampleRate: number };
  cache: { tilesMb: number; etagsMb: number };
  /** How often served files and folders are checked for changes. */
  reloadIntervalMs: number;
  /** Caps on one offline download (tiles, stored bytes). */
  packages: { maxTiles: number; maxBytes: number; maxConcurrent: number };
  /** Remote archives: a slower upstream answers 504; headers and directories cached per archive. */
  remote: { timeoutMs: number; cacheEntries: number };
  /** Styles (templates and sprites) and glyph ranges to serve; the bundled ones when absent, an offline package's when serving one. */
  stylesDir?: string;
  fontsDir?: string;
  postgres?: PostgresOptions;
}

/** Flags as the CLI parsed them (strings), all optional. */
export interface ServeFlags {
  paths?: string[];
  host?: string;
  port?: string;
  publicUrl?: string;
  workers?: string;
  quiet?: boolean;
  trustProxy?: boolean;
  /** `--postgres URL`: overrides the configuration's `postgres.url`. */
  postgres?: string;
}

function integerFlag(flag: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) throw new InputError(flag, `expected an integer ${min}..${max}, got "${value}"`);
  return number;
}

export function normalizePublicUrl(url: string, subject: string): string {
  const parsed = configSchema.shape.publicUrl.safeParse(url);
  if (!parsed.success) throw new InputError(subject, `expected an absolute http(s) URL, got "${url}"`);
  return url.replace(/\/+$/, '');
}

/** A private tileset's tokens from the file and the environment; a private tileset without any is a configuration error. */
function resolveTokens(tilesets: Record<string, TilesetOptions>, env: NodeJS.ProcessEnv): Record<string, TilesetOptions> {
  const resolved: Record<string, TilesetOptions> = {};
  for (const [id, entry] of Object.entries(tilesets)) {
    if (!entry.private) {
      resolved[id] = entry;
      continue;
    }
    const fromEnv = entry.tokensEnv ? (env[entry.tokensEnv] ?? '').split(',').map((token) => token.trim()).filter(Boolean) : [];
    const tokens = [...(entry.tokens ?? []), ...fromEnv];
    if (tokens.length === 0) {
      throw new InputError(`tilesets.${id}`, `private but without tokens${entry.tokensEnv ? ` (environment variable ${entry.tokensEnv} is empty or unset)` : ''}`);
    }
    if (tokens.some((token) => !/^[\x21-\x7e]{16,}$/.test(token))) throw new InputError(`tilesets.${id}`, 'a token is at least 16 printable ASCII characters without spaces');
    resolved[id] = { ...entry, tokens };
  }
  return resolved;
}

/**
 * An offline package folder (`mekan package -o DIR`) among the paths is served as it is: its tiles/ as tilesets,
 * its styles and fonts instead of the bundled ones. One package at a time, since styles would collide.
 */
function withPackage(paths: string[]): { paths: string[]; stylesDir?: string; fontsDir?: string } {
  const packages = paths.filter(isPackageDir);
  if (packages.length === 0) return { paths };
  if (packages.length > 1) throw new InputError(packages[1], `serve one offline package at a time (also given: ${packages[0]})`);
  const folders = packageFolders(packages[0]);
  return { paths: paths.map((path) => (path === packages[0] ? folders.tiles : path)), stylesDir: folders.styles, fontsDir: folders.fonts };
}

/** The database settings from `--postgres` over the file's `postgres:` section; the password from `passwordEnv` when the URL has none. */
function postgresOptions(flag: string | undefined, config: ServeConfig['postgres'], env: NodeJS.ProcessEnv): PostgresOptions | undefined {
  const rawUrl = flag ?? config?.url;
  if (rawUrl === undefined) return undefined;
  const subject = flag ? '--postgres' : 'postgres.url';
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new InputError(subject, 'expected a postgres://USER@HOST:PORT/DATABASE URL');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw new InputError(subject, 'expected a postgres://USER@HOST:PORT/DATABASE URL');
  if (config?.passwordEnv && !url.password) {
    const password = env[config.passwordEnv];
    if (!password) throw new InputError('postgres.passwordEnv', `environment variable ${config.passwordEnv} is empty or unset`);
    url.password = password;
  }
  const tables = config?.tables ?? {};
  const functions = config?.functions ?? {};
  return {
    url: url.toString(),
    poolSize: config?.poolSize ?? DEFAULT_POSTGRES_POOL,
    statementTimeoutMs: config?.statementTimeoutMs ?? 5000,
    connectTimeoutMs: config?.connectTimeoutMs ?? 3000,
    retryIntervalMs: config?.retryIntervalMs ?? 5000,
    queueSize: config?.queueSize ?? DEFAULT_POSTGRES_QUEUE,
    rediscover: {
      intervalMs: Math.round((config?.rediscover?.intervalSeconds ?? 60) * 1000),
      onRequestMs: Math.round((config?.rediscover?.onRequestSeconds ?? 5) * 1000),
    },
    cache: { maxBytes: Math.round((config?.cache?.maxMb ?? 64) * 1024 * 1024), ttlMs: Math.round((config?.cache?.ttlSeconds ?? DEFAULT_POSTGRES_TTL_SECONDS) * 1000) },
    autoPublish: config?.autoPublish ?? (Object.keys(tables).length === 0 && Object.keys(functions).length === 0),
    tables,
    functions,
  };
}

/** Flags win over the configuration file, which wins over defaults. */
export function serverOptionsFrom(flags: ServeFlags, config: ServeConfig = {}, env: NodeJS.ProcessEnv = process.env): ServerOptions {
  const publicUrl = flags.publicUrl ?? config.publicUrl;
  const served = withPackage([...(flags.paths ?? []).map((path) => (/^https?:\/\//i.test(path) ? path : resolve(path))), ...(config.paths ?? [])]);
  return {
    paths: served.paths,
    stylesDir: served.stylesDir,
    fontsDir: served.fontsDir,
    tilesets: resolveTokens(config.tilesets ?? {}, env),
    host: flags.host ?? config.host ?? DEFAULT_HOST,
    port: integerFlag('--port', flags.port, 0, 65535) ?? config.port ?? DEFAULT_PORT,
    publicUrl: publicUrl === undefined ? undefined : normalizePublicUrl(publicUrl, flags.publicUrl ? '--public-url' : 'publicUrl'),
    workers: integerFlag('--workers', flags.workers, 1, 64) ?? config.workers ?? 1,
    trustProxy: flags.trustProxy || (config.trustProxy ?? false),
    corsOrigins: config.cors?.origins ?? ['*'],
    cacheControl: config.cacheControl ?? DEFAULT_CACHE_CONTROL,
    log: { level: config.log?.level ?? 'info', requests: flags.quiet ? false : (config.log?.requests ?? true), sampleRate: config.log?.sampleRate ?? 1 },
    cache: { tilesMb: config.cache?.tilesMb ?? DEFAULT_TILE_CACHE_MB, etagsMb: config.cache?.etagsMb ?? DEFAULT_ETAG_CACHE_MB },
    reloadIntervalMs: 500,
    packages: { ...DEFAULT_PACKAGE_CAPS, ...config.packages },
    remote: { timeoutMs: config.remote?.timeoutMs ?? 10_000, cacheEntries: config.remote?.cacheEntries ?? 256 },
    postgres: postgresOptions(flags.postgres, config.postgres, env),
  };
}
