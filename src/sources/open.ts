// Opens any supported vector file as a FeatureSource, choosing the reader by extension (and, for .json, content).
// A GeoPackage table is named as `file.gpkg:table` (or with `options.table`); without one, the first feature table.
import { existsSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { InputError } from '../errors.js';
import type { FeatureSource, OpenSourceOptions } from './types.js';

type Opener = (path: string, options: OpenSourceOptions) => Promise<FeatureSource>;

const geoJson = async () => (await import('./geojson.js')).openGeoJson;
const geoJsonSeq = async () => (await import('./geojsonSeq.js')).openGeoJsonSeq;

/** Readers by extension, each loaded only when a file needs it. */
const readers: Record<string, () => Promise<Opener>> = {
  '.geojson': geoJson,
  '.json': geoJson,
  '.geojsonl': geoJsonSeq,
  '.geojsons': geoJsonSeq,
  '.geojsonseq': geoJsonSeq,
  '.ndjson': geoJsonSeq,
  '.jsonl': geoJsonSeq,
  '.jsonseq': geoJsonSeq,
  '.shp': async () => (await import('./shapefile.js')).openShapefile,
  '.gpkg': async () => (await import('./geopackage.js')).openGeoPackage,
  '.fgb': async () => (await import('./flatgeobuf.js')).openFlatGeobuf,
  '.csv': async () => (await import('./csv.js')).openCsv,
};

/** `file.gpkg:TABLE`: one table of a GeoPackage, as inputs and recipes name it. */
export const GEOPACKAGE_TABLE = /^(.+\.gpkg):([^:/\\]+)$/i;

/** File extensions openSource understands, for help texts. */
export const SOURCE_EXTENSIONS = Object.keys(readers);

export async function openSource(path: string, options: OpenSourceOptions = {}): Promise<FeatureSource> {
  let file = path;
  const table = GEOPACKAGE_TABLE.exec(path);
  if (table && !existsSync(path)) {
    file = table[1];
    options = { ...options, table: table[2] };
  }
  if (!existsSync(file)) throw new InputError(file, 'no such file');
  if (!statSync(file).isFile()) throw new InputError(file, 'not a file');
  let extension = extname(file).toLowerCase();
  // GDAL writes GeoJSONSeq with a record separator before every line; such a file may still be called .json.
  if (extension === '.json' && firstByte(file) === 0x1e) extension = '.geojsonseq';
  const reader = readers[extension];
  if (!reader) throw new InputError(file, `unknown vector format "${extension || '(no extension)'}"; expected one of ${SOURCE_EXTENSIONS.join(' ')}`);
  return (await reader())(file, options);
}

function firstByte(path: string): number | undefined {
  const descriptor = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(1);
    return readSync(descriptor, buffer, 0, 1, 0) === 1 ? buffer[0] : undefined;
  } finally {
    closeSync(descriptor);
  }
}
