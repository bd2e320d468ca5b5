// `mekan convert IN OUT`: MBTiles ↔ PMTiles by the files' extensions, with progress and a one-line summary.
import { existsSync } from 'node:fs';
import { convertArchive } from '../archive/convert.js';
import { isArchiveUrl } from '../archive/open.js';
import { InputError } from '../errors.js';
import { parseCommandArgs, type Command } from './command.js';

const usage = `Usage: mekan convert IN OUT [--quiet]

Copies every tile and the metadata of IN into OUT, the format of each chosen by its extension
(.mbtiles or .pmtiles; IN may also be an https:// URL of a .pmtiles). Streams: memory holds the
index of the tiles, never their bytes. OUT is replaced only when the copy is complete.
  --quiet   no progress, no summary`;

export const convertCommand: Command = {
  summary: 'MBTiles ↔ PMTiles, by the extensions of IN and OUT',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('convert', usage, argv, { quiet: { type: 'boolean' } });
    if (positionals.length !== 2) throw new InputError('mekan convert', 'expected IN and OUT');
    const [input, output] = positionals;
    if (!isArchiveUrl(input) && !existsSync(input)) throw new InputError(input, 'no such file');
    const started = Date.now();
    const progress = values.quiet || !process.stderr.isTTY ? undefined : (tiles: number) => {
      if (tiles % 10_000 === 0) process.stderr.write(`\r${tiles.toLocaleString('en')} tiles`);
    };
    const summary = await convertArchive(input, output, progress);
    if (progress) process.stderr.write('\r');
    if (!values.quiet) {
      process.stderr.write(`${output}: ${summary.tiles.toLocaleString('en')} ${summary.format} tiles (${summary.uniqueTiles.toLocaleString('en')} distinct) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    }
  },
};
