// `mekan package --style STYLE [--bbox W,S,E,N] [--minzoom Z] [--maxzoom Z] [PATH…] -o DIR|FILE.zip`: an offline package.
import { InputError } from '../errors.js';
import { parseBBox } from '../grid/bbox.js';
import { writePackage } from '../packages/package.js';
import { zoomsInOrder } from '../packages/ranges.js';
import { formatBytes, parseCommandArgs, parseZoomOption, type Command } from './command.js';
import { defaultServePaths } from './serve.js';

const usage = `Usage: mekan package --style STYLE [--bbox W,S,E,N] [--minzoom Z] [--maxzoom Z] [PATH…] -o DIR|FILE.zip

Writes a self-contained offline package for MapLibre GL JS, MapLibre Native and GIS apps:
  tiles/ID.mbtiles              the extract of every tileset the style draws (the box, the zooms)
  styles/STYLE/style.json       the style with URLs relative to itself (\`mekan serve DIR\` serves the package as it is)
  style.native.json             the style for MapLibre Native: mbtiles:// sources, glyphs and sprites as files
  fonts/…                       only the glyph ranges the labels inside the box need, plus 0-255
  styles/STYLE/sprite[@2x].*    the sprites at 1x and 2x
  manifest.json                 every file with its size and SHA-256

  --style STYLE    a bundled style id (standard, grey, dark, imagery) or a style.json using mekan:// URLs
  --bbox W,S,E,N   the region in degrees (default: the archives' bounds)
  --minzoom Z, --maxzoom Z   zooms to take (default: the archives' own)
  PATH…            archive files and folders, as \`mekan serve\` takes them (default: build/ and data/)
  -o, --output     a new folder, or FILE.zip`;

export const packageCommand: Command = {
  summary: 'an offline package: extracts, style, glyphs, sprites and a manifest',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('package', usage, argv, {
      style: { type: 'string', short: 's' },
      bbox: { type: 'string', short: 'b' },
      minzoom: { type: 'string', short: 'z' },
      maxzoom: { type: 'string', short: 'Z' },
      output: { type: 'string', short: 'o' },
    });
    if (!values.style) throw new InputError('mekan package', 'expected --style STYLE');
    if (!values.output) throw new InputError('mekan package', 'expected -o DIR or -o FILE.zip');
    const region = zoomsInOrder(
      {
        bbox: values.bbox === undefined ? undefined : parseBBox(values.bbox, '--bbox'),
        minzoom: parseZoomOption('--minzoom', values.minzoom),
        maxzoom: parseZoomOption('--maxzoom', values.maxzoom),
      },
      '--',
    );
    const paths = positionals.length ? positionals : defaultServePaths();
    const started = performance.now();
    const summary = await writePackage({ style: values.style, paths, region, output: values.output, onStage: (line) => process.stderr.write(`${line}\n`) });
    const seconds = (performance.now() - started) / 1000;
    const tiles = summary.tilesets.reduce((sum, tileset) => sum + tileset.summary.tiles, 0);
    const lines = [
      `packaged style ${summary.style} → ${summary.output} (${summary.files} files, ${formatBytes(summary.bytes)}) in ${seconds.toFixed(2)} s (${Math.round(tiles / Math.max(seconds, 1e-9))} tiles/s)`,
      ...summary.tilesets.map(({ id, summary: s }) => `  ${id}: ${s.tiles} tiles at zooms ${s.minzoom}–${s.maxzoom}, ${formatBytes(s.bytes)}`),
      `  glyphs: ${summary.fontstacks} font stacks, ranges ${summary.glyphRanges.map((start) => `${start}-${start + 255}`).join(' ')}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  },
};
