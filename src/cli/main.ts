// The `mekan` command: dispatches to one module per subcommand and turns input errors into one line.
import { isInputError, messageOf } from '../errors.js';
import type { Command } from './command.js';

/** Subcommands, loaded on demand so that `mekan inspect` does not load the server or the builders. */
const commands: Record<string, () => Promise<Command>> = {
  inspect: async () => (await import('./inspect.js')).inspectCommand,
  'build vector': async () => (await import('./buildVector.js')).buildVectorCommand,
  'build raster': async () => (await import('./buildRaster.js')).buildRasterCommand,
  serve: async () => (await import('./serve.js')).serveCommand,
};

function help(): string {
  return [
    'Usage: mekan COMMAND [options]   (mekan COMMAND --help for details)',
    '',
    'Commands:',
    ...Object.keys(commands).map((name) => `  ${name}`),
  ].join('\n');
}

async function main(argv: string[]): Promise<void> {
  // Two-word commands (`build vector`) first, then one-word ones.
  const two = argv.slice(0, 2).join(' ');
  const name = commands[two] ? two : argv[0];
  const rest = commands[two] ? argv.slice(2) : argv.slice(1);
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help() + '\n');
    return;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`mekan: unknown command "${argv.join(' ')}"\n${help()}\n`);
    process.exitCode = 2;
    return;
  }
  await (await load()).run(rest);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`mekan: ${isInputError(error) ? error.message : messageOf(error)}\n`);
  if (!isInputError(error) && process.env.MEKAN_DEBUG) console.error(error);
  process.exitCode = 1;
});
