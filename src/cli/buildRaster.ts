// `mekan build raster TIFF… -o OUT.mbtiles`: parses options, runs buildRaster, prints the summary.
import { InputError } from '../errors.js';
import { parseBBox } from '../grid/bbox.js';
import { createProgress, formatDuration } from '../progress.js';
import { buildRaster } from '../raster/buildRaster.js';
import { RASTER_FORMATS, RESAMPLINGS, type RasterTileFormat, type Resampling } from '../raster/types.js';
import { formatBytes, parseCommandArgs, parseZoomOption, positiveInteger, type Command } from './command.js';

const usage = `Usage: mekan build raster TIFF… -o OUT.mbtiles|OUT.gpkg [options]

Warps GeoTIFF imagery (any CRS) into 256 px tiles of a tile matrix set (default WebMercatorQuad) in a raster archive.
Several files form one mosaic: later files are drawn over earlier ones where they have data.
  -o, --output FILE       the archive to write (written to a temp file, renamed when complete)
  --format F              webp (default), jpeg or png; JPEG fills transparency with --background
  --quality Q             1..100 for webp/jpeg (default 85)
  --minzoom Z             default: the zoom at which the whole footprint fits one tile
  --maxzoom Z             default: the first zoom as fine as the source's pixels
  --resampling R          nearest, bilinear (default), cubic or lanczos
  --bbox W,S,E,N          only the tiles that touch this box (degrees)
  --bands 3,2,1           bands to show (1-based): 1 grey or 3 RGB (4: RGB + alpha); by default the file's
                          colour bands, and the build says which it shows when the file has more
  --alpha N               band N is transparency (with --bands 1: grey + alpha)
  --rescale MIN,MAX       stretch values MIN..MAX to 0..255 (default for 16-bit/float: 2–98 % of a sample)
  --nodata V              value shown transparent (default: the file's GDAL_NODATA)
  --srs CRS               CRS of the inputs (EPSG:n, WKT or proj4) when the files lack or misstate it
  --datum-transform EPSG:n  datum transformation to WGS 84 (default: the one PROJ/GDAL choose for the
                          data's area: area of use, then accuracy; the summary names it)
  --background R,G,B      JPEG background (default 255,255,255)
  --skip-bad              go on without inputs that cannot be read, and list them
  --name, --attribution, --description TEXT   archive metadata
  --type baselayer|overlay                   archive metadata (default baselayer)
  --tms ID                tile matrix set: WebMercatorQuad (default), WorldCRS84Quad, UTM38WGS84Quad or
                          UTM39WGS84Quad (OGC TMS 2.0 registry); any but WebMercatorQuad needs -o OUT.gpkg
  --workers N             warp threads (default: all cores)
  --quiet                 no progress, no summary`;

function numberList(flag: string, value: string | undefined, lengths: number[]): number[] | undefined {
  if (value === undefined) return undefined;
  const numbers = value.split(',').map((v) => Number(v.trim()));
  if (!lengths.includes(numbers.length) || numbers.some((n) => !Number.isFinite(n))) {
    throw new InputError(flag, `expected ${lengths.join(' or ')} comma-separated numbers, got "${value}"`);
  }
  return numbers;
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new InputError(flag, `expected one of ${allowed.join(', ')}, got "${value}"`);
  return value as T;
}

export const buildRasterCommand: Command = {
  summary: 'GeoTIFF imagery to a raster tile archive',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('build raster', usage, argv, {
      output: { type: 'string', short: 'o' },
      format: { type: 'string' },
      quality: { type: 'string' },
      minzoom: { type: 'string' },
      maxzoom: { type: 'string' },
      resampling: { type: 'string' },
      bands: { type: 'string' },
      alpha: { type: 'string' },
      bbox: { type: 'string' },
      rescale: { type: 'string' },
      nodata: { type: 'string' },
      srs: { type: 'string' },
      'datum-transform': { type: 'string' },
      background: { type: 'string' },
      'skip-bad': { type: 'boolean' },
      name: { type: 'string' },
      attribution: { type: 'string' },
      description: { type: 'string' },
      type: { type: 'string' },
      tms: { type: 'string' },
      workers: { type: 'string' },
      quiet: { type: 'boolean' },
    });
    if (positionals.length === 0) throw new InputError('mekan build raster', 'expected at least one GeoTIFF');
    if (!values.output) throw new InputError('mekan build raster', 'expected -o OUT.mbtiles');
    const format = values.format === 'jpg' ? 'jpeg' : oneOf<RasterTileFormat>('--format', values.format, RASTER_FORMATS);
    const quality = values.quality === undefined ? undefined : Number(values.quality);
    const workers = positiveInteger('--workers', values.workers);
    const nodata = values.nodata === undefined ? undefined : values.nodata.toLowerCase() === 'nan' ? NaN : Number(values.nodata);
    if (nodata !== undefined && !Number.isFinite(nodata) && !Number.isNaN(nodata)) throw new InputError('--nodata', `expected a number, got "${values.nodata}"`);
    const progress = createProgress({ quiet: values.quiet });
    const summary = await buildRaster({
      inputs: positionals,
      output: values.output,
      format,
      quality,
      minzoom: parseZoomOption('--minzoom', values.minzoom),
      maxzoom: parseZoomOption('--maxzoom', values.maxzoom),
      resampling: oneOf<Resampling>('--resampling', values.resampling, RESAMPLINGS),
      bands: numberList('--bands', values.bands, [1, 2, 3, 4]),
      alpha: positiveInteger('--alpha', values.alpha),
      bbox: values.bbox === undefined ? undefined : parseBBox(values.bbox, '--bbox'),
      rescale: numberList('--rescale', values.rescale, [2]) as [number, number] | undefined,
      nodata,
      srs: values.srs,
      datumTransform: values['datum-transform'],
      background: numberList('--background', values.background, [3]) as [number, number, number] | undefined,
      skipBad: values['skip-bad'],
      name: values.name,
      attribution: values.attribution,
      description: values.description,
      type: oneOf('--type', values.type, ['baselayer', 'overlay'] as const),
      tms: values.tms,
      workers,
      progress,
    });
    const lines = [`wrote ${summary.output}: z${summary.minzoom}–${summary.maxzoom} from ${summary.sources} source(s) in ${formatDuration(summary.seconds)}`];
    for (const [zoom, tiles] of Object.entries(summary.tilesPerZoom).sort((a, b) => Number(a[0]) - Number(b[0]))) {
      lines.push(`  z${zoom.padEnd(3)} ${String(tiles).padStart(9)} tiles`);
    }
    lines.push(
      `  ${summary.tilesWritten} tiles written, ${summary.uniqueTiles} unique, ${summary.emptySkipped} empty skipped, archive ${formatBytes(summary.archiveBytes)}`,
    );
    for (const datum of summary.datumTransforms) lines.push(`  datum: ${datum}`);
    for (const bad of summary.skipped) lines.push(`  skipped: ${bad.reason}`);
    if (!values.quiet) process.stderr.write(lines.join('\n') + '\n');
  },
};
