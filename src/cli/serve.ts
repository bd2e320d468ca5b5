// `mekan serve [PATH…]`: serves the archives of the given files and folders (default: the bundled basemap).
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { ARCHIVE_EXTENSIONS } from '../archive/open.js';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigFile } from '../config/schema.js';
import { serverOptionsFrom } from '../config/serverOptions.js';
import { InputError } from '../errors.js';
import { parseCommandArgs, type Command } from './command.js';

const usage = `Usage: mekan serve [PATH…] [--config FILE] [--host H] [--port P] [--public-url URL] [--workers N] [--trust-proxy] [--quiet] [--postgres URL]

Serves every .mbtiles and .pmtiles archive in the given files and folders, and remote .pmtiles by URL
(https://…/x.pmtiles on any object store or CDN answering Range requests); a tileset's id is its file name without
extension. Archives added, replaced or removed in a served folder are picked up within two seconds.
Without PATH and without paths in the configuration: the project's build/ and data/ folders.

  --config FILE      JSON or YAML configuration (paths, tilesets, cacheControl, cors, trustProxy, log…)
  --host H           address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)
  --port P           port (default 8080; 0 picks a free one)
  --public-url URL   base URL clients reach this server under (behind a proxy with a path prefix)
  --workers N        N processes sharing the port (default 1)
  --trust-proxy      build URLs from X-Forwarded-Proto/Host/Prefix (only behind a proxy that sets them)
  --quiet            no per-request log lines
  --postgres URL     also serve a PostGIS database (postgres://USER@HOST:PORT/DB; password from PGPASSWORD
                     or the URL): every table and view with a geometry column the role can read becomes
                     the live tileset and OGC API – Features collection "schema.table"; the configuration's
                     postgres: section names tables, zooms, filters, pool size, timeouts and the tile cache`;

/** The folder holding package.json, from this compiled file (dist/src/cli/serve.js). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** The project's build/ (made if missing, so that an archive built into it later is picked up) and data/. */
export function defaultServePaths(): string[] {
  const root = packageRoot();
  try {
    mkdirSync(join(root, 'build'), { recursive: true });
  } catch {
    // A read-only install: serve what exists.
  }
  return ['build', 'data'].map((name) => join(root, name)).filter((path) => existsSync(path));
}

/** What `mekan serve` looked in and what to run, when it found no archive there (the viewer says the same). */
function nothingToServe(paths: string[], defaults: boolean): string {
  const folder = paths.find((path) => existsSync(path) && statSync(path).isDirectory()) ?? 'build';
  return [
    `mekan: nothing to serve yet: no ${ARCHIVE_EXTENSIONS.join(' or ')} archive in ${paths.join(', ') || '(no path)'}.`,
    ...(defaults ? ['  The bundled basemap and imagery: stop this and run `npm start` (builds them into build/, then serves them).'] : []),
    `  Your own data: mekan build vector DATA.geojson -o ${join(folder, 'NAME.mbtiles')} (or mekan build raster IMAGE.tif -o …);`,
    `  archives written into a served folder are picked up within two seconds.`,
    '',
  ].join('\n');
}

export const serveCommand: Command = {
  summary: 'serve tile archives: tiles, TileJSON, catalog, health, metrics',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('serve', usage, argv, {
      config: { type: 'string', short: 'c' },
      host: { type: 'string' },
      port: { type: 'string', short: 'p' },
      'public-url': { type: 'string' },
      workers: { type: 'string', short: 'w' },
      quiet: { type: 'boolean', short: 'q' },
      'trust-proxy': { type: 'boolean' },
      postgres: { type: 'string' },
    });
    // A mistyped path is an error now, not a log line from a server that then shows nothing.
    for (const path of positionals) if (!existsSync(path)) throw new InputError(path, 'no such file or folder');
    const config = values.config ? loadConfigFile(values.config) : {};
    const options = serverOptionsFrom(
      { paths: positionals, host: values.host, port: values.port, publicUrl: values['public-url'], workers: values.workers, quiet: values.quiet, trustProxy: values['trust-proxy'], postgres: values.postgres },
      config,
    );
    // A database alone is something to serve; the bundled basemap is added only when nothing else is named.
    if (options.paths.length === 0 && !options.postgres && !Object.values(options.tilesets).some((tileset) => tileset.path)) {
      options.paths = defaultServePaths();
      if (options.paths.length === 0) throw new InputError('mekan serve', 'nothing to serve: give PATH… or --config (no build/ or data/ folder in the project)');
    }
    const { runServer } = await import('../server/run.js');
    const defaults = positionals.length === 0 && !values.config;
    await runServer(options, (url, served, tilesets) => {
      process.stdout.write(`Mekan listening on ${url} (${served.workers > 1 ? `${served.workers} workers` : 'one process'})\n`);
      if (tilesets === 0) process.stderr.write(nothingToServe(served.paths, defaults));
    });
  },
};
