// `mekan merge ARCHIVE… -o OUT`: several archives of one tile format into one.
import { createArchive } from '../archive/open.js';
import { extractTiles } from '../packages/extract.js';
import { openInputs, requireOutput, summaryLine } from './extract.js';
import { parseCommandArgs, type Command } from './command.js';

const usage = `Usage: mekan merge ARCHIVE… -o OUT

Combines archives of one tile format into one, e.g. a national archive from regional builds.
Where several archives hold a tile at the same z/x/y:
  vector tiles   their layers are combined into one tile; layers of the same name become one layer
                 holding the features of all (in the order the archives are given)
  raster tiles   the tile of the first archive given is taken (images are not blended)
Metadata: bounds, zooms and vector_layers cover all archives; attributions are joined; name and
description come from the first archive that has them.

  -o, --output OUT  the merged archive (.mbtiles); written beside, renamed into place when complete`;

export const mergeCommand: Command = {
  summary: 'several archives of one tile format into one',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('merge', usage, argv, { output: { type: 'string', short: 'o' } });
    const output = requireOutput(values.output, positionals, 'merge');
    const sources = openInputs(positionals, 'merge');
    const started = performance.now();
    try {
      const summary = await extractTiles({ sources, region: {}, output: createArchive(output) });
      process.stdout.write(summaryLine('merged', summary, output, (performance.now() - started) / 1000));
    } finally {
      for (const source of sources) source.close();
    }
  },
};
