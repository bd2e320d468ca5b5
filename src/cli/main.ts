// The `mekan` command: dispatches to one module per subcommand and turns input errors into one line.
import { readFileSync } from 'node:fs';
import { RASTER_BUILD_MALLOC, useBuildMalloc, VECTOR_BUILD_MALLOC, type BuildMalloc } from '../buildMalloc.js';
import { isInputError, messageOf } from '../errors.js';
import type { Command } from './command.js';
import { closest } from './suggest.js';

/**
 * Subcommands with their line for `mekan --help`, loaded on demand so that `mekan inspect` does not load
 * the server or the builders (loading all of them costs about 0.7 s, too much for a help text).
 * `malloc`: glibc's malloc is set for a build before the command loads (src/buildMalloc.ts); set once
 * the command had loaded, V8's own threads had made arenas of their own and the world build peaked 6 MB higher.
 */
const commands: Record<string, { summary: string; malloc?: BuildMalloc; load: () => Promise<Command> }> = {
  'build vector': { summary: 'vector layers (GeoJSON, Shapefile, GeoPackage, FlatGeobuf, CSV) to a vector-tile archive', malloc: VECTOR_BUILD_MALLOC, load: async () => (await import('./buildVector.js')).buildVectorCommand },
  'build raster': { summary: 'GeoTIFF imagery to a raster tile archive', malloc: RASTER_BUILD_MALLOC, load: async () => (await import('./buildRaster.js')).buildRasterCommand },
  serve: { summary: 'serve archives: map viewer, tiles, TileJSON, styles, WMTS, OGC API Tiles', load: async () => (await import('./serve.js')).serveCommand },
  convert: { summary: 'MBTiles ↔ PMTiles, by the extensions of IN and OUT', load: async () => (await import('./convert.js')).convertCommand },
  inspect: { summary: "an archive's metadata, zoom range, tile counts and sizes per zoom", load: async () => (await import('./inspect.js')).inspectCommand },
  extract: { summary: 'the tiles that intersect a box, into a new archive', load: async () => (await import('./extract.js')).extractCommand },
  package: { summary: 'an offline package: extracts, style, glyphs, sprites, manifest (folder or .zip)', load: async () => (await import('./package.js')).packageCommand },
  merge: { summary: 'several archives of one tile format into one (vector layers combined)', load: async () => (await import('./merge.js')).mergeCommand },
};

/** The commands starting with `prefix` (all of them for ''), one line each. */
function help(prefix = ''): string {
  const names = Object.keys(commands).filter((name) => name.startsWith(prefix));
  const width = Math.max(...names.map((name) => name.length));
  return [
    `Usage: mekan ${prefix ? `${prefix.trim()} ` : ''}COMMAND [options]`,
    '',
    ...names.map((name) => `  mekan ${name.padEnd(width)}   ${commands[name].summary}`),
    '',
    'mekan COMMAND --help (or mekan help COMMAND) for its options; mekan --version for the version.',
  ].join('\n');
}

function version(): string {
  const packageJson = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return `mekan ${packageJson.version} (Node ${process.versions.node})`;
}

/** The command named by the first one or two words of argv, and the arguments after it. */
function commandOf(argv: string[]): { name: string; rest: string[] } | undefined {
  const two = argv.slice(0, 2).join(' ');
  if (commands[two]) return { name: two, rest: argv.slice(2) };
  if (commands[argv[0]]) return { name: argv[0], rest: argv.slice(1) };
  return undefined;
}

async function main(argv: string[]): Promise<void> {
  const [first] = argv;
  if (first === undefined || first === '--help' || first === '-h') return void process.stdout.write(help() + '\n');
  if (first === '--version' || first === '-v' || first === 'version') return void process.stdout.write(version() + '\n');
  if (first === 'help') {
    if (argv.length === 1) return void process.stdout.write(help() + '\n');
    return main([...argv.slice(1), '--help']);
  }
  const command = commandOf(argv);
  if (command) {
    const entry = commands[command.name];
    if (entry.malloc) useBuildMalloc(entry.malloc);
    return (await entry.load()).run(command.rest);
  }
  // A group word alone (`mekan build`, `mekan build --help`) lists its commands.
  const group = Object.keys(commands).filter((name) => name.startsWith(`${first} `));
  if (group.length && (argv.length === 1 || argv[1] === '--help' || argv[1] === '-h')) return void process.stdout.write(help(`${first} `) + '\n');
  const typed = group.length ? argv.slice(0, 2).join(' ') : first;
  const guess = closest(typed, Object.keys(commands));
  process.stderr.write(`mekan: unknown command "${typed}"${guess ? ` (did you mean mekan ${guess}?)` : ''}; mekan --help lists the commands\n`);
  process.exitCode = 2;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  // One `mekan:` prefix, however the subject of the error was written.
  const message = (isInputError(error) ? error.message : messageOf(error)).replace(/^mekan /, '');
  process.stderr.write(`mekan: ${message}\n`);
  if (!isInputError(error) && process.env.MEKAN_DEBUG) console.error(error);
  process.exitCode = 1;
});
