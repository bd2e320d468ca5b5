// What every subcommand module exports, and the shared argument parsing and reporting.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InputError } from '../errors.js';
import { closest } from './suggest.js';

export interface Command {
  /** One line for `mekan --help`. */
  summary: string;
  usage: string;
  run(argv: string[]): Promise<void>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with `--help` built in and unknown flags reported as input errors naming the closest flag. */
export function parseCommandArgs<O extends Options>(command: string, usage: string, argv: string[], options: O) {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: joinNegativeValues(argv, options), options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new InputError(command, optionProblem(error as Error & { code?: string }, options, argv) + `; see mekan ${command} --help`);
  }
  if (parsed.values.help) {
    process.stdout.write(usage.trimEnd() + '\n');
    process.exit(0);
  }
  return parsed as unknown as { values: { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : O[K]['multiple'] extends true ? string[] : string }; positionals: string[] };
}

/** `--bbox -52,-20,…` as `--bbox=-52,-20,…`: Node's parser takes a value starting with a dash for a flag, but west and south are negative. */
function joinNegativeValues(argv: string[], options: Options): string[] {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') return [...joined, ...argv.slice(i)];
    const name = argv[i].startsWith('--') ? argv[i].slice(2) : undefined;
    if (name && options[name]?.type === 'string' && /^-\d/.test(argv[i + 1] ?? '')) joined.push(`${argv[i]}=${argv[++i]}`);
    else joined.push(argv[i]);
  }
  return joined;
}

/** Node's parser text rewritten for a user: what was wrong with which flag, and the flag probably meant. */
function optionProblem(error: Error & { code?: string }, options: Options, argv: string[]): string {
  const flag = /'(-{1,2}[^' ]+)/.exec(error.message)?.[1] ?? '';
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const typed = typedFlag(flag, argv);
    const hint = optionHint(typed, { ...options, help: { type: 'boolean', short: 'h' } });
    return `unknown option ${typed}${hint ? ` (${hint})` : ''}`;
  }
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const name = /--([a-z-]+)/.exec(error.message)?.[1];
    const option = name ? options[name] : undefined;
    if (option?.type === 'boolean') return `--${name} takes no value`;
    const given = argv.find((arg) => arg === `--${name}` || (option?.short !== undefined && arg === `-${option.short}`));
    return `${given ?? `--${name}`} expects a value`;
  }
  return error.message.split('\n')[0];
}

/** The flag as the user typed it: Node names only the first letter of `-maxzoom` (a group of short flags). */
function typedFlag(flag: string, argv: string[]): string {
  if (flag.startsWith('--')) return flag;
  return argv.find((arg) => arg.startsWith(flag) && !arg.startsWith('--') && arg.length > 2)?.split('=')[0] ?? flag;
}

/**
 * What the user probably meant by an unknown flag, against every spelling the command accepts: a long name by
 * spelling (`--alfa` → `--alpha`), a long name typed with one dash (`-maxzoom`), a short one typed with two
 * (`--o` → `-o`), a short one in the wrong case (`-O`), and `--no-X` for a switch that is already off unless given.
 */
function optionHint(typed: string, options: Options): string | undefined {
  const longNames = Object.keys(options);
  const shorts = longNames.flatMap((name) => (options[name].short ? [options[name].short] : []));
  const name = typed.replace(/^-+/, '');
  if (typed.startsWith('--') && name.startsWith('no-')) {
    const negated = closest(name.slice(3), longNames);
    if (negated && options[negated].type === 'boolean') return `--${negated} is off unless given; leave it out`;
  }
  if (name.length === 1) {
    const short = shorts.find((letter) => letter === name) ?? shorts.find((letter) => letter.toLowerCase() === name.toLowerCase());
    if (short) return `did you mean -${short}?`;
    const long = longNames.find((long) => long === name);
    return long ? `did you mean --${long}?` : undefined;
  }
  const guess = closest(name, longNames);
  return guess ? `did you mean --${guess}?` : undefined;
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
