// GeoJSON reader: a FeatureCollection streamed feature by feature, or a single Feature or Geometry document.
// A 2008-style `crs` member is honoured when it precedes `features` (GDAL and QGIS write it there); a `crs`
// after the features array is not seen, and those features are taken as WGS 84.
import { basename, extname } from 'node:path';
import { InputError } from '../errors.js';
import { resolveCrs, resolveEpsg, type ResolvedCrs } from '../crs/resolve.js';
import { fileChunks } from './chunks.js';
import { FeatureArrayScanner, stripBom } from './featureArrayScanner.js';
import { decodeUtf8 } from './utf8.js';
import { featureGate, type FeatureGate } from './validate.js';
import type { FeatureProblem, FeatureSource, OpenSourceOptions, SourceFeature } from './types.js';

export async function openGeoJson(path: string, options: OpenSourceOptions = {}): Promise<FeatureSource> {
  const { header, document } = await readHeader(path);
  const crs = documentCrs(header ?? document, path, options);
  return {
    path,
    layerName: basename(path, extname(path)),
    crsLabel: crs.label,
    features: (onProblem) => readFeatures(path, crs, onProblem),
  };
}

/** The CRS a GeoJSON object names in its `crs` member, else the assumed one, else WGS 84 (RFC 7946). */
export function documentCrs(object: unknown, path: string, options: OpenSourceOptions): ResolvedCrs {
  const member = object !== null && typeof object === 'object' ? (object as { crs?: unknown }).crs : undefined;
  if (member !== undefined && member !== null) return resolveCrs(crsName(member, path), path);
  if (options.assumeCrs) return resolveCrs(options.assumeCrs, path);
  return resolveEpsg(4326, path);
}

function crsName(member: unknown, path: string): string {
  const { type, properties } = member as { type?: unknown; properties?: { name?: unknown; code?: unknown } };
  if (type === 'name' && typeof properties?.name === 'string') return properties.name;
  if (type === 'EPSG' && properties?.code !== undefined) return `EPSG:${String(properties.code)}`;
  throw new InputError(path, `cannot resolve the CRS member ${JSON.stringify(member).slice(0, 120)}`);
}

/** Reads only as far as the `features` array (or the whole document when there is none). */
async function readHeader(path: string): Promise<{ header?: Record<string, unknown>; document?: unknown }> {
  const scanner = new FeatureArrayScanner();
  for await (const chunk of fileChunks(path)) {
    scanner.push(chunk, () => undefined);
    if (scanner.foundFeatures) return { header: scanner.header };
  }
  return { document: parseDocument(scanner.wholeDocument(), path) };
}

function parseDocument(bytes: Buffer, path: string): unknown {
  const text = decodeUtf8(bytes);
  if (text === undefined) throw new InputError(path, 'not valid UTF-8 text (GeoJSON must be UTF-8)');
  if (text.trim() === '') throw new InputError(path, 'the file is empty');
  try {
    return JSON.parse(stripBom(text));
  } catch (error) {
    throw new InputError(path, `not valid JSON (truncated or not GeoJSON): ${(error as Error).message}`);
  }
}

async function* readFeatures(path: string, crs: ResolvedCrs, onProblem: (problem: FeatureProblem) => void): AsyncGenerator<SourceFeature> {
  const gate = featureGate(path, crs, onProblem);
  const scanner = new FeatureArrayScanner();
  const ready: SourceFeature[] = [];
  let index = 0;
  const take = (bytes: Buffer) => {
    index++;
    const feature = parseFeature(bytes, `feature ${index}`, path, gate, onProblem);
    if (feature) ready.push(feature);
  };
  for await (const chunk of fileChunks(path)) {
    scanner.push(chunk, take);
    for (const feature of ready) yield feature;
    ready.length = 0;
  }
  if (!scanner.foundFeatures) {
    yield* singleDocument(parseDocument(scanner.wholeDocument(), path), path, gate);
    return;
  }
  if (scanner.insideFeature) {
    onProblem({ file: path, where: `feature ${scanner.featuresStarted}`, reason: 'the file ends inside this feature (truncated file)' });
  } else if (!scanner.arrayClosed) {
    onProblem({ file: path, where: `after feature ${scanner.featuresStarted}`, reason: 'the file ends before the features array closes (truncated file)' });
  }
}

function parseFeature(bytes: Buffer, where: string, path: string, gate: FeatureGate, onProblem: (problem: FeatureProblem) => void): SourceFeature | undefined {
  const text = decodeUtf8(bytes);
  if (text === undefined) {
    onProblem({ file: path, where, reason: 'not valid UTF-8 (wrong text encoding)' });
    return undefined;
  }
  let object: { type?: unknown; geometry?: unknown; properties?: unknown };
  try {
    object = JSON.parse(text) as typeof object;
  } catch (error) {
    onProblem({ file: path, where, reason: `invalid JSON: ${(error as Error).message}` });
    return undefined;
  }
  if (object.type !== 'Feature') {
    onProblem({ file: path, where, reason: `not a GeoJSON Feature (type ${JSON.stringify(object.type)})` });
    return undefined;
  }
  return gate(object.geometry, object.properties, where);
}

function* singleDocument(document: unknown, path: string, gate: FeatureGate): Generator<SourceFeature> {
  const object = (document ?? {}) as { type?: unknown; geometry?: unknown; properties?: unknown; features?: unknown };
  if (object.type === 'Feature') {
    const feature = gate(object.geometry, object.properties, 'feature 1');
    if (feature) yield feature;
  } else if (object.type === 'FeatureCollection') {
    if (object.features !== undefined) throw new InputError(path, 'the "features" member is not an array');
  } else if (typeof object.type === 'string' && object.type !== '') {
    // A bare Geometry: one feature without attributes (an unknown type is reported by the gate).
    const feature = gate(object, {}, 'geometry');
    if (feature) yield feature;
  } else {
    throw new InputError(path, 'not a GeoJSON FeatureCollection, Feature or Geometry');
  }
}
