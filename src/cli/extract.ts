// `mekan extract ARCHIVE… --bbox W,S,E,N [--minzoom Z] [--maxzoom Z] -o OUT`: the tiles inside a box, into a new archive.
import { existsSync } from 'node:fs';
import { createArchive, openArchive } from '../archive/open.js';
import type { TileArchiveReader } from '../archive/types.js';
import { InputError } from '../errors.js';
import { parseBBox } from '../grid/bbox.js';
import { extractTiles, type ExtractSummary } from '../packages/extract.js';
import { zoomsInOrder } from '../packages/ranges.js';
import { formatBytes, parseCommandArgs, parseZoomOption, type Command } from './command.js';

const usage = `Usage: mekan extract ARCHIVE… --bbox W,S,E,N [--minzoom Z] [--maxzoom Z] -o OUT

Copies the tiles that intersect the box at each zoom into a new archive (deduplicated), with the new bounds,
zooms and centre; vector_layers and attribution are kept. Several archives of one tile format are combined
as \`mekan merge\` combines them. Tiles are read by range from each archive's index.

  --bbox W,S,E,N   the box in degrees (WGS 84), e.g. 49.7,40.3,50.1,40.5
  --minzoom Z      first zoom to take (default: the archives' first)
  --maxzoom Z      last zoom to take (default: the archives' last)
  -o, --output OUT the new archive (.mbtiles); written beside, renamed into place when complete`;

/** Opens every input (an input error names the first that fails; those opened are closed). */
export function openInputs(paths: string[], command: string): TileArchiveReader[] {
  if (paths.length === 0) throw new InputError(`mekan ${command}`, 'expected at least one ARCHIVE');
  const archives: TileArchiveReader[] = [];
  try {
    for (const path of paths) {
      if (!existsSync(path)) throw new InputError(path, 'no such file');
      archives.push(openArchive(path));
    }
  } catch (error) {
    for (const archive of archives) archive.close();
    throw error;
  }
  return archives;
}

export function requireOutput(output: string | undefined, inputs: string[], command: string): string {
  if (!output) throw new InputError(`mekan ${command}`, 'expected -o OUT');
  if (inputs.includes(output)) throw new InputError(output, 'the output is also an input');
  return output;
}

/** The closing summary line, for extract and merge. */
export function summaryLine(verb: string, summary: ExtractSummary, output: string, seconds: number): string {
  const rate = seconds > 0 ? Math.round(summary.tiles / seconds) : summary.tiles;
  const combined = summary.combined ? `, ${summary.combined} combined from several archives` : '';
  return `${verb} ${summary.tiles} tiles (${summary.uniqueTiles} distinct, ${formatBytes(summary.bytes)}${combined}) at zooms ${summary.minzoom}–${summary.maxzoom} within ${summary.bbox.map((v) => +v.toFixed(6)).join(',')} → ${output} in ${seconds.toFixed(2)} s (${rate} tiles/s)\n`;
}

export const extractCommand: Command = {
  summary: 'the tiles that intersect a box, into a new archive',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('extract', usage, argv, {
      bbox: { type: 'string', short: 'b' },
      minzoom: { type: 'string', short: 'z' },
      maxzoom: { type: 'string', short: 'Z' },
      output: { type: 'string', short: 'o' },
    });
    const output = requireOutput(values.output, positionals, 'extract');
    const region = zoomsInOrder({ bbox: parseBBox(values.bbox, '--bbox'), minzoom: parseZoomOption('--minzoom', values.minzoom), maxzoom: parseZoomOption('--maxzoom', values.maxzoom) }, '--');
    const sources = openInputs(positionals, 'extract');
    const started = performance.now();
    try {
      const summary = await extractTiles({ sources, region, output: createArchive(output) });
      process.stdout.write(summaryLine('extracted', summary, output, (performance.now() - started) / 1000));
    } finally {
      for (const source of sources) source.close();
    }
  },
};
