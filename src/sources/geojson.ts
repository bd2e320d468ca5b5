// GeoJSON reader: a FeatureCollection streamed feature by feature, or a single Feature or Geometry document.
// A 2008-style `crs` member is honoured before `features` (GDAL and QGIS write it there) and, when it is among
// the last 64 KiB of the file, after them too.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
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
  const members = header && header.crs === undefined ? { ...header, crs: trailingCrs(path) } : header;
  const crs = documentCrs(members ?? document, path, options);
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

const TAIL_BYTES = 64 * 1024;

/**
 * A top-level `crs` member written after the features array, found in the file's tail: the member's object must
 * be followed only by other balanced members and the collection's closing brace (so a `crs` attribute inside
 * the last feature does not count).
 */
function trailingCrs(path: string): unknown {
  const descriptor = openSync(path, 'r');
  let tail: string;
  try {
    const size = fstatSync(descriptor).size;
    const length = Math.min(size, TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    readSync(descriptor, buffer, 0, length, size - length);
    tail = buffer.toString('utf8');
  } finally {
    closeSync(descriptor);
  }
  const key = tail.lastIndexOf('"crs"');
  if (key <= 0 || tail[key - 1] === '\\') return undefined;
  const valueStart = /^"crs"\s*:\s*\{/.exec(tail.slice(key));
  if (!valueStart) return undefined;
  const open = key + valueStart[0].length - 1;
  const close = balancedEnd(tail, open);
  const after = tail.slice(close).trimEnd();
  if (close === -1 || balancedEnd(`{${after}`, 0) !== after.length + 1) return undefined;
  try {
    return JSON.parse(tail.slice(open, close));
  } catch {
    return undefined;
  }
}

/** The index just past the object or array opening at `start`, or -1 when it does not close in `text`. */
function balancedEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const character = text[i];
    if (inString) {
      if (character === '\\') i++;
      else if (character === '"') inString = false;
    } else if (character === '"') {
      inString = true;
    } else if (character === '{' || character === '[') {
      depth++;
    } else if (character === '}' || character === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
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
  let object: { type?: unknown; id?: unknown; geometry?: unknown; properties?: unknown };
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
  return gate(object.geometry, object.properties, where, object.id);
}

function* singleDocument(document: unknown, path: string, gate: FeatureGate): Generator<SourceFeature> {
  const object = (document ?? {}) as { type?: unknown; id?: unknown; geometry?: unknown; properties?: unknown; features?: unknown };
  if (object.type === 'Feature') {
    const feature = gate(object.geometry, object.properties, 'feature 1', object.id);
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
