// Shapefile reader: geometry from .shp, attributes from .dbf in the encoding its .cpg names, CRS from its .prj.
// Without a .prj the coordinates are taken as WGS 84 only when the file's bounding box lies within longitude and
// latitude range; otherwise the file is refused (pass assumeCrs), since guessing a projection misplaces every tile.
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { basename, extname, join, dirname } from 'node:path';
import shapefile from 'shapefile';
import { InputError, messageOf } from '../errors.js';
import { resolveCrs, resolveEpsg, type ResolvedCrs } from '../crs/resolve.js';
import { shapefileEncoding } from './shapefileEncoding.js';
import { hasReplacementCharacter } from './utf8.js';
import { featureGate } from './validate.js';
import type { FeatureProblem, FeatureSource, OpenSourceOptions, SourceFeature } from './types.js';

export async function openShapefile(path: string, options: OpenSourceOptions = {}): Promise<FeatureSource> {
  const stem = join(dirname(path), basename(path, extname(path)));
  const sibling = (extension: string) => [extension, extension.toUpperCase()].map((ext) => stem + ext).find(existsSync) ?? stem + extension;
  const dbfPath = sibling('.dbf');
  const crs = shapefileCrs(path, sibling('.prj'), options);
  const { encoding } = shapefileEncoding(dbfPath, sibling('.cpg'), options.encoding);
  return {
    path,
    layerName: basename(path, extname(path)),
    crsLabel: crs.label,
    features: (onProblem) => readFeatures(path, existsSync(dbfPath) ? dbfPath : undefined, encoding, crs, onProblem),
  };
}

function shapefileCrs(path: string, prjPath: string, options: OpenSourceOptions): ResolvedCrs {
  if (existsSync(prjPath)) {
    const text = readFileSync(prjPath, 'utf8').trim();
    if (text) return resolveCrs(text, prjPath);
  }
  if (options.assumeCrs) return resolveCrs(options.assumeCrs, path);
  const [xmin, ymin, xmax, ymax] = headerBounds(path);
  if (xmin >= -180 && xmax <= 180 && ymin >= -90 && ymax <= 90) return resolveEpsg(4326, path);
  throw new InputError(path, `no .prj file and the coordinates (${xmin}, ${ymin} – ${xmax}, ${ymax}) are not longitude/latitude; add the .prj or name the CRS`);
}

/** The bounding box in the .shp header (bytes 36–67, little-endian doubles). */
function headerBounds(path: string): [number, number, number, number] {
  const descriptor = openSync(path, 'r');
  try {
    const header = Buffer.alloc(100);
    if (readSync(descriptor, header, 0, 100, 0) !== 100 || header.readInt32BE(0) !== 9994) throw new InputError(path, 'not a Shapefile (bad .shp header)');
    return [header.readDoubleLE(36), header.readDoubleLE(44), header.readDoubleLE(52), header.readDoubleLE(60)];
  } finally {
    closeSync(descriptor);
  }
}

async function* readFeatures(path: string, dbfPath: string | undefined, encoding: string, crs: ResolvedCrs, onProblem: (problem: FeatureProblem) => void): AsyncGenerator<SourceFeature> {
  const gate = featureGate(path, crs, onProblem);
  const checkUtf8 = encoding === 'utf-8';
  let source: Awaited<ReturnType<typeof shapefile.open>>;
  try {
    source = await shapefile.open(path, dbfPath, { encoding });
  } catch (error) {
    throw new InputError(path, `cannot read the Shapefile: ${messageOf(error)}`);
  }
  let record = 0;
  try {
    for (;;) {
      let result: { done: boolean; value: { geometry: unknown; properties: unknown } };
      try {
        result = await source.read();
      } catch (error) {
        // A record cut short or a .shp/.dbf mismatch: what came before stands, the rest cannot be trusted.
        onProblem({ file: path, where: `record ${record + 1}`, reason: `cannot read the record (truncated or damaged file): ${messageOf(error)}` });
        return;
      }
      if (result.done) return;
      record++;
      const where = `record ${record}`;
      const properties = result.value.properties as Record<string, unknown> | null;
      if (checkUtf8 && properties) {
        const bad = Object.keys(properties).find((key) => typeof properties[key] === 'string' && hasReplacementCharacter(properties[key] as string));
        if (bad !== undefined) {
          onProblem({ file: path, where, reason: `attribute ${bad} is not valid UTF-8 although the .cpg says so (wrong encoding)` });
          continue;
        }
      }
      const feature = gate(result.value.geometry, properties, where);
      if (feature) yield feature;
    }
  } finally {
    await source.cancel().catch(() => undefined);
  }
}
