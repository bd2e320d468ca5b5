// What every subcommand module exports, and the shared argument parsing and reporting.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InputError } from '../errors.js';

export interface Command {
  /** One line for `mekan --help`. */
  summary: string;
  usage: string;
  run(argv: string[]): Promise<void>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with `--help` built in and unknown flags reported as input errors. */
export function parseCommandArgs<O extends Options>(command: string, usage: string, argv: string[], options: O) {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new InputError(`mekan ${command}`, (error as Error).message.split('\n')[0]);
  }
  if (parsed.values.help) {
    process.stdout.write(usage.trimEnd() + '\n');
    process.exit(0);
  }
  return parsed as unknown as { values: { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : O[K]['multiple'] extends true ? string[] : string }; positionals: string[] };
}

/** A zoom option: an integer 0..30 or an input error naming the flag. */
export function parseZoomOption(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const zoom = Number(value);
  if (!Number.isInteger(zoom) || zoom < 0 || zoom > 30) throw new InputError(flag, `expected an integer zoom 0..30, got "${value}"`);
  return zoom;
}

/** An integer option of at least `minimum`, or an input error naming the flag. */
export function positiveInteger(flag: string, value: string | undefined, minimum = 1): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < minimum) throw new InputError(flag, `expected an integer of at least ${minimum}, got "${value}"`);
  return number;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}
