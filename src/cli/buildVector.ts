// `mekan build vector`: parses the flags into a build plan, runs the build with progress, prints the summary.
import { InputError } from '../errors.js';
import { parseBBox } from '../grid/bbox.js';
import { createProgress } from '../progress.js';
import { buildVectorTiles } from '../vector/build.js';
import { parseRank, quickPlan, type PlanOverrides } from '../vector/quickPlan.js';
import { formatSummary } from '../vector/summary.js';
import { formatBytes, parseCommandArgs, parseZoomOption, positiveInteger, type Command } from './command.js';

const usage = `Usage: mekan build vector INPUT… -o OUT.mbtiles [options]
       mekan build vector --recipe RECIPE.yaml -o OUT.mbtiles [options]

Vector layers (GeoJSON, GeoJSONSeq, Shapefile, GeoPackage, FlatGeobuf, CSV) to a vector-tile MBTiles archive.
Without a recipe each INPUT becomes one layer named after its file (a GeoPackage of several feature tables: a
layer a table, named after it; FILE.gpkg:TABLE picks one).
  -o, --output FILE        the archive to write (replaced only when the build succeeds)
  --minzoom Z              first zoom (default 0)
  --maxzoom Z              last zoom (default 14)
  --bbox W,S,E,N           only what lies in this box (degrees): features are clipped to it as they are read
  --layer NAME             layer name: once per INPUT, or once for all inputs in one layer
  --recipe FILE            JSON or YAML recipe: layers, sources, zooms, attributes, filters, ranks
  --name TEXT              tileset name (default: the output file name)
  --description TEXT
  --attribution TEXT
  --rank FIELD[:asc|desc] below the maxzoom, the point a map cell shows is the one with the largest FIELD
                           (desc, default) or smallest (asc); without it the one nearest the cell's centre.
                           A full tile also keeps the best-ranked features
  --max-tile-bytes N       size budget per gzipped tile (default 500000, as tippecanoe); fuller tiles are reduced
  --partition-zoom Z       zoom of the tiles the work is cut into (default maxzoom − 3, at most 10, and deeper,
                           after reading once more, when one of them would hold 100,000 features or more)
  --workers N              worker threads (default: one a core but one; a core each to tile 250,000+ features)
  --strict                 stop at the first bad feature instead of skipping it
  --quiet                  no progress, no summary`;

export const buildVectorCommand: Command = {
  summary: 'vector layers to a vector-tile archive',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('build vector', usage, argv, {
      output: { type: 'string', short: 'o' },
      minzoom: { type: 'string' },
      maxzoom: { type: 'string' },
      layer: { type: 'string', multiple: true },
      bbox: { type: 'string' },
      recipe: { type: 'string' },
      name: { type: 'string' },
      description: { type: 'string' },
      attribution: { type: 'string' },
      'max-tile-bytes': { type: 'string' },
      rank: { type: 'string' },
      'partition-zoom': { type: 'string' },
      workers: { type: 'string' },
      strict: { type: 'boolean' },
      quiet: { type: 'boolean' },
    });
    if (!values.output) throw new InputError('mekan build vector', 'missing -o OUT.mbtiles');
    const overrides: PlanOverrides = {
      output: values.output,
      name: values.name,
      description: values.description,
      attribution: values.attribution,
      minzoom: parseZoomOption('--minzoom', values.minzoom),
      maxzoom: parseZoomOption('--maxzoom', values.maxzoom),
      maxTileBytes: positiveInteger('--max-tile-bytes', values['max-tile-bytes'], 1024),
      partitionZoom: parseZoomOption('--partition-zoom', values['partition-zoom']),
      strict: values.strict,
      rank: parseRank(values.rank),
    };
    let plan;
    if (values.recipe) {
      if (positionals.length) throw new InputError('mekan build vector', 'give either INPUT files or --recipe, not both');
      if (values.layer?.length) throw new InputError('--layer', 'layer names come from the recipe');
      // Loaded only here: the recipe's schema and YAML libraries are a quick build's largest heap cost.
      const { loadRecipe } = await import('../vector/recipe.js');
      plan = loadRecipe(values.recipe, overrides);
    } else {
      plan = quickPlan(positionals, values.layer ?? [], overrides);
    }
    if (values.bbox !== undefined) plan.bbox = parseBBox(values.bbox, '--bbox');
    // Exit (not die) on Ctrl-C or SIGTERM, so that the build's exit handler removes its temp files.
    const stop = (signal: NodeJS.Signals) => {
      process.stderr.write(`\nmekan: build vector stopped by ${signal}; ${plan.output} is unchanged\n`);
      process.exit(130);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const progress = createProgress({ quiet: values.quiet });
    const summary = await buildVectorTiles(plan, { progress, workers: positiveInteger('--workers', values.workers, 1) });
    if (!values.quiet) process.stderr.write(formatSummary(summary, formatBytes).join('\n') + '\n');
    if (plan.bbox && summary.tilesWritten === 0) process.stderr.write(`mekan: warning: no feature lies in --bbox ${plan.bbox.join(',')}; ${plan.output} holds no tiles\n`);
  },
};
