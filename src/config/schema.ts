// The serve configuration file (JSON or YAML): its schema, and reading it with errors that name the key and the file.
import { dirname, isAbsolute, resolve } from 'node:path';
import { readStructuredFile } from '../structuredFile.js';
import { z } from 'zod';
import { InputError } from '../errors.js';

/**
 * One tileset entry. With `path` it adds an archive under that id; without, its options apply to the
 * tileset of that id found in a served folder. A private tileset is seen only by requests that carry one
 * of its tokens (listed here, or comma-separated in the environment variable `tokensEnv`).
 */
export const tilesetEntrySchema = z
  .object({
    path: z.string().min(1).optional(),
    cacheControl: z.string().min(1).optional(),
    private: z.boolean().optional(),
    tokens: z.array(z.string().regex(/^[\x21-\x7e]{16,}$/, 'a token is at least 16 printable ASCII characters without spaces')).optional(),
    tokensEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'the name of an environment variable').optional(),
  })
  .strict();

const identifier = z.string().min(1).max(63);
const zoom = z.number().int().min(0).max(30);

/**
 * A PostGIS table published as a tileset and an OGC API – Features collection. Column names must exist in
 * the table (checked at startup); `filters` and `where` are SQL written by the operator, never by a request.
 */
export const postgresTableSchema = z
  .object({
    schema: identifier.optional(),
    table: identifier,
    geometryColumn: identifier.optional(),
    /** An integer column: the features' ids in tiles and in /items/{featureId}. */
    idColumn: identifier.optional(),
    /** Attribute columns in tiles and features (default: every column the role can read). */
    properties: z.array(identifier).optional(),
    /** A timestamp or date column that `datetime` filters on. */
    timeColumn: identifier.optional(),
    /** MVT layer name (default: the table's name). */
    layer: z.string().min(1).max(200).optional(),
    minzoom: zoom.optional(),
    maxzoom: zoom.optional(),
    /** Douglas–Peucker tolerance in tile pixels (of 256) before encoding; 0 or absent: none. */
    simplify: z.number().min(0).max(64).optional(),
    /** Conditions by zoom band: a tile at zoom z uses the `where` of every band holding z. */
    filters: z.array(z.object({ minzoom: zoom.optional(), maxzoom: zoom.optional(), where: z.string().min(1) }).strict()).optional(),
  })
  .strict();

/** A SQL function `(z integer, x integer, y integer, query_params json) → bytea` published as a tileset, as Martin does. */
export const postgresFunctionSchema = z
  .object({ schema: identifier.optional(), function: identifier, minzoom: zoom.optional(), maxzoom: zoom.optional(), layer: z.string().min(1).optional() })
  .strict();

export const postgresSchema = z
  .object({
    /** `postgres://USER@HOST:PORT/DB`; keep the password out of the file (see passwordEnv). */
    url: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL'),
    /** Environment variable holding the password. */
    passwordEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'the name of an environment variable').optional(),
    poolSize: z.number().int().min(1).max(500).optional(),
    statementTimeoutMs: z.number().int().min(1).optional(),
    connectTimeoutMs: z.number().int().min(1).optional(),
    /** How often a database that is down is tried again. */
    retryIntervalMs: z.number().int().min(10).optional(),
    /** Requests that may wait for a busy pool (each at most statementTimeoutMs); more get 503 at once. */
    queueSize: z.number().int().min(0).max(1_000_000).optional(),
    /** Tables and views created after start: read the catalogue again every intervalSeconds (0: never) and on a catalogue request (/catalog.json, /ogc/collections) when it is older than onRequestSeconds. */
    rediscover: z.object({ intervalSeconds: z.number().min(0).optional(), onRequestSeconds: z.number().min(0).optional() }).strict().optional(),
    cache: z.object({ maxMb: z.number().min(0).optional(), ttlSeconds: z.number().min(0).optional() }).strict().optional(),
    /** Publish every table and view with a geometry column the role can read (default: when no tables or functions are named). */
    autoPublish: z.boolean().optional(),
    tables: z.record(z.string().regex(/^[^/\\?#,]+$/, 'a tileset id may not contain / \\ ? # or ,'), postgresTableSchema).optional(),
    functions: z.record(z.string().regex(/^[^/\\?#,]+$/, 'a tileset id may not contain / \\ ? # or ,'), postgresFunctionSchema).optional(),
  })
  .strict();

export const configSchema = z
  .object({
    /** Files and folders to serve, relative to the configuration file. */
    paths: z.array(z.string().min(1)).optional(),
    tilesets: z.record(z.string().regex(/^[^/\\?#]+$/, 'a tileset id may not contain / \\ ? or #'), tilesetEntrySchema).optional(),
    host: z.string().min(1).optional(),
    port: z.number().int().min(0).max(65535).optional(),
    /** Base URL the public reaches this server under, e.g. https://tiles.example.az/basemap */
    publicUrl: z.url({ protocol: /^https?$/ }).optional(),
    workers: z.number().int().min(1).max(64).optional(),
    /** Honour X-Forwarded-Proto/Host/Prefix (only behind a proxy that sets them). */
    trustProxy: z.boolean().optional(),
    cors: z
      .object({
        /** `["*"]` (the default) for any origin, `[]` to send no CORS headers, or a list of origins. */
        origins: z.array(z.string().min(1)),
      })
      .strict()
      .optional(),
    /** Caps on offline downloads (GET /packages/…): larger extracts are refused with 413 before any work, more at once with 503. */
    packages: z
      .object({
        maxTiles: z.number().int().min(1).optional(),
        maxBytes: z.number().int().min(1).optional(),
        /** Downloads served at once; more are answered 503 with Retry-After. */
        maxConcurrent: z.number().int().min(1).max(1000).optional(),
      })
      .strict()
      .optional(),
    /** Remote archives (`https://…/x.pmtiles` in paths or tilesets): time limit and directory cache per archive. */
    remote: z
      .object({
        timeoutMs: z.number().int().min(100).max(600_000).optional(),
        cacheEntries: z.number().int().min(4).max(100_000).optional(),
      })
      .strict()
      .optional(),
    /** Default Cache-Control of tiles; per tileset in `tilesets.ID.cacheControl`. */
    cacheControl: z.string().min(1).optional(),
    /** Live tilesets and feature collections from a PostGIS database. */
    postgres: postgresSchema.optional(),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
        requests: z.boolean().optional(),
        /** The share of successful tile and route requests logged (0 < rate ≤ 1); errors are always logged. */
        sampleRate: z.number().gt(0).max(1).optional(),
      })
      .strict()
      .optional(),
    /** Memory per process for hot tiles and for the ETags of archives that store no content hashes, in MB (0: none). */
    cache: z
      .object({
        tilesMb: z.number().min(0).max(65536).optional(),
        etagsMb: z.number().min(0).max(65536).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type ServeConfig = z.infer<typeof configSchema>;

/** The key a zod issue is about, as `tilesets.ortho.path` (the file's root when empty). */
function keyOf(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(top level)' : path.map((part) => (typeof part === 'number' ? `[${part}]` : String(part))).join('.').replace(/\.\[/g, '[');
}

/** Validates parsed file content; errors name the file and the key. */
export function validateConfig(content: unknown, file: string): ServeConfig {
  const result = configSchema.safeParse(content ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  let path: readonly PropertyKey[] = issue.path;
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    path = [...issue.path, issue.keys[0]];
    message = 'unknown key';
  }
  throw new InputError(file, `${keyOf(path)}: ${message}`);
}

/** Reads a JSON or YAML configuration file; relative paths in it become relative to its folder. */
export function loadConfigFile(file: string): ServeConfig {
  const content = readStructuredFile(file, 'configuration');
  const config = validateConfig(content, file);
  const base = dirname(resolve(file));
  // A URL (a remote PMTiles) is not a path relative to the file.
  const absolute = (path: string) => (isAbsolute(path) || /^https?:\/\//i.test(path) ? path : resolve(base, path));
  return {
    ...config,
    paths: config.paths?.map(absolute),
    tilesets: config.tilesets
      ? Object.fromEntries(Object.entries(config.tilesets).map(([id, entry]) => [id, { ...entry, path: entry.path ? absolute(entry.path) : undefined }]))
      : undefined,
  };
}
