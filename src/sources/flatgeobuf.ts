// FlatGeobuf reader: streamed through the flatgeobuf package's GeoJSON deserializer, CRS from the file header.
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { Readable } from 'node:stream';
import { deserialize } from 'flatgeobuf/lib/mjs/geojson.js';
import type { HeaderMeta } from 'flatgeobuf/lib/mjs/header-meta.js';
import { calcTreeSize } from 'flatgeobuf/lib/mjs/packedrtree.js';
import { InputError, messageOf } from '../errors.js';
import { resolveCrs, resolveEpsg, type ResolvedCrs } from '../crs/resolve.js';
import { featureGate } from './validate.js';
import type { FeatureProblem, FeatureSource, OpenSourceOptions, SourceFeature } from './types.js';

/** The file as a web stream for the deserializer, and a way to close it when reading stops early. */
function fileStream(path: string): { stream: ReadableStream; close: () => void } {
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  return { stream: Readable.toWeb(file) as ReadableStream, close: () => file.destroy() };
}

export async function openFlatGeobuf(path: string, options: OpenSourceOptions = {}): Promise<FeatureSource> {
  const header = await readHeader(path);
  const crs = headerCrs(header, path, options);
  return {
    path,
    layerName: basename(path, extname(path)),
    crsLabel: crs.label,
    features: (onProblem) => readFeatures(path, header, crs, onProblem),
  };
}

/** The deserializer reports the header just before the first feature; stop there. */
async function readHeader(path: string): Promise<HeaderMeta> {
  let header: HeaderMeta | undefined;
  const file = fileStream(path);
  const features = deserialize(file.stream, { headerMetaFn: (meta: HeaderMeta) => (header = meta) });
  try {
    await features.next();
  } catch (error) {
    if (!header) throw new InputError(path, `not a readable FlatGeobuf file: ${messageOf(error)}`);
  } finally {
    await features.return(undefined).catch(() => undefined);
    file.close();
  }
  if (!header) throw new InputError(path, 'not a readable FlatGeobuf file (no header)');
  return header;
}

function headerCrs(header: HeaderMeta, path: string, options: OpenSourceOptions): ResolvedCrs {
  const crs = header.crs;
  if (crs) {
    if ((crs.org ?? 'EPSG').toUpperCase() === 'EPSG' && crs.code > 0) return resolveEpsg(crs.code, path);
    if (crs.wkt) return resolveCrs(crs.wkt, path);
    if (crs.code_string) return resolveCrs(crs.code_string, path);
  }
  if (options.assumeCrs) return resolveCrs(options.assumeCrs, path);
  // FlatGeobuf without a CRS is, by the format's convention and GDAL's habit, longitude/latitude.
  return resolveEpsg(4326, path);
}

/**
 * How many size-prefixed features the file holds in full. The deserializer pads a short read with zeros and
 * decodes garbage from a truncated tail, so the framing is checked first, reading only the length prefixes.
 */
function completeFeatures(path: string, header: HeaderMeta): { count: number; truncated: boolean } {
  const descriptor = openSync(path, 'r');
  try {
    const size = fstatSync(descriptor).size;
    const window = Buffer.alloc(1 << 16);
    readSync(descriptor, window, 0, 12, 0);
    let next = 12 + window.readUInt32LE(8);
    if (header.indexNodeSize > 0 && header.featuresCount > 0) next += calcTreeSize(header.featuresCount, header.indexNodeSize);
    let windowStart = -1;
    let windowLength = 0;
    let count = 0;
    while (next < size) {
      if (next + 4 > size) return { count, truncated: true };
      if (windowStart < 0 || next + 4 > windowStart + windowLength) {
        windowLength = readSync(descriptor, window, 0, window.length, next);
        windowStart = next;
      }
      const end = next + 4 + window.readUInt32LE(next - windowStart);
      if (end > size) return { count, truncated: true };
      count++;
      next = end;
    }
    return { count, truncated: next > size };
  } finally {
    closeSync(descriptor);
  }
}

async function* readFeatures(path: string, header: HeaderMeta, crs: ResolvedCrs, onProblem: (problem: FeatureProblem) => void): AsyncGenerator<SourceFeature> {
  const gate = featureGate(path, crs, onProblem);
  const { count, truncated } = completeFeatures(path, header);
  const file = fileStream(path);
  const features = deserialize(file.stream);
  let index = 0;
  try {
    for (;;) {
      if (index === count) {
        if (truncated) onProblem({ file: path, where: `feature ${index + 1}`, reason: 'the file ends inside this feature (truncated file)' });
        return;
      }
      let next: IteratorResult<{ geometry?: unknown; properties?: unknown }>;
      try {
        next = await features.next();
      } catch (error) {
        onProblem({ file: path, where: `feature ${index + 1}`, reason: `cannot read the feature (truncated or damaged file): ${messageOf(error)}` });
        return;
      }
      if (next.done) return;
      index++;
      const feature = gate(next.value.geometry ?? null, next.value.properties, `feature ${index}`);
      if (feature) yield feature;
    }
  } finally {
    await features.return(undefined).catch(() => undefined);
    file.close();
  }
}
