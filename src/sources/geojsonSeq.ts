// GeoJSONSeq / newline-delimited GeoJSON reader: one Feature (or Geometry) per line, RFC 8142 record separators tolerated.
import { basename, extname } from 'node:path';
import { resolveCrs, resolveEpsg, type ResolvedCrs } from '../crs/resolve.js';
import { fileChunks } from './chunks.js';
import { decodeUtf8 } from './utf8.js';
import { featureGate, type FeatureGate } from './validate.js';
import type { FeatureProblem, FeatureSource, OpenSourceOptions, SourceFeature } from './types.js';

const NEWLINE = 0x0a;

export async function openGeoJsonSeq(path: string, options: OpenSourceOptions = {}): Promise<FeatureSource> {
  // RFC 8142 has no CRS member: coordinates are WGS 84 unless the caller says otherwise.
  const crs = options.assumeCrs ? resolveCrs(options.assumeCrs, path) : resolveEpsg(4326, path);
  return {
    path,
    layerName: basename(path, extname(path)),
    crsLabel: crs.label,
    features: (onProblem) => readFeatures(path, crs, onProblem),
  };
}

/** Splits byte chunks into lines (without the newline), keeping a partial last line for the next chunk. */
export async function* fileLines(path: string): AsyncGenerator<Buffer> {
  let carry: Buffer | undefined;
  for await (const chunk of fileChunks(path)) {
    let start = 0;
    let end = chunk.indexOf(NEWLINE, start);
    while (end !== -1) {
      const piece = chunk.subarray(start, end);
      if (carry) {
        yield Buffer.concat([carry, piece]);
        carry = undefined;
      } else {
        yield piece;
      }
      start = end + 1;
      end = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) carry = carry ? Buffer.concat([carry, chunk.subarray(start)]) : Buffer.from(chunk.subarray(start));
  }
  if (carry) yield carry;
}

async function* readFeatures(path: string, crs: ResolvedCrs, onProblem: (problem: FeatureProblem) => void): AsyncGenerator<SourceFeature> {
  const gate = featureGate(path, crs, onProblem);
  let lineNumber = 0;
  for await (const line of fileLines(path)) {
    lineNumber++;
    const feature = parseLine(line, `line ${lineNumber}`, path, gate, onProblem);
    if (feature) yield feature;
  }
}

function parseLine(bytes: Buffer, where: string, path: string, gate: FeatureGate, onProblem: (problem: FeatureProblem) => void): SourceFeature | undefined {
  const decoded = decodeUtf8(bytes);
  if (decoded === undefined) {
    onProblem({ file: path, where, reason: 'not valid UTF-8 (wrong text encoding)' });
    return undefined;
  }
  // Record separators (0x1E), a byte-order mark and whitespace around the record carry nothing.
  let text = decoded.trim();
  while (text.charCodeAt(0) === 0x1e) text = text.slice(1).trim();
  if (text === '') return undefined;
  let object: { type?: unknown; id?: unknown; geometry?: unknown; properties?: unknown };
  try {
    object = JSON.parse(text) as typeof object;
  } catch (error) {
    onProblem({ file: path, where, reason: `invalid JSON (truncated line?): ${(error as Error).message}` });
    return undefined;
  }
  if (object === null || typeof object !== 'object') {
    onProblem({ file: path, where, reason: 'not a GeoJSON Feature' });
    return undefined;
  }
  if (object.type === 'Feature') return gate(object.geometry, object.properties, where, object.id);
  if (object.type === 'FeatureCollection') {
    onProblem({ file: path, where, reason: 'a FeatureCollection inside a GeoJSONSeq file (expected one Feature per line)' });
    return undefined;
  }
  return gate(object, {}, where);
}
