// CSV reader: points from longitude/latitude columns or any geometry from a WKT column, the other columns as attributes.
// Columns are found by their usual names (lon/lng/long/longitude/x, lat/latitude/y; wkt/geometry/geom/the_geom/wkt_geom)
// unless named in the options. Column types come from a GDAL-style .csvt beside the file when there is one
// (String, Integer, Real, Integer(Boolean)…); otherwise a value that reads wholly as a decimal number becomes a
// number. An empty value is null. The delimiter is the comma, or the semicolon or tab that the header line uses
// instead; in a semicolon file (what spreadsheets export in decimal-comma locales) `49,86` reads as 49.86.
import { closeSync, createReadStream, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { InputError, messageOf } from '../errors.js';
import { resolveCrs, resolveEpsg, type ResolvedCrs } from '../crs/resolve.js';
import { codePageLabel } from './shapefileEncoding.js';
import { hasReplacementCharacter } from './utf8.js';
import { featureGate } from './validate.js';
import { parseWkt, WktError } from './wkt.js';
import type { FeatureProblem, FeatureSource, OpenSourceOptions, PropertyValue, SourceFeature } from './types.js';

const LON_NAMES = ['lon', 'lng', 'long', 'longitude', 'x'];
const LAT_NAMES = ['lat', 'latitude', 'y'];
const WKT_NAMES = ['wkt', 'geometry', 'geom', 'the_geom', 'wkt_geom', 'shape'];
const DECIMAL = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const DECIMAL_COMMA = /^[-+]?\d*,\d+$/;

/** How a file writes its values: the delimiter, and whether numbers may use a decimal comma. */
interface CsvDialect {
  delimiter: string;
  decimalComma: boolean;
}

type GeometryColumns = { lon: string; lat: string } | { wkt: string };

type ColumnType = 'string' | 'number' | 'boolean' | 'guess';

/** Column types from `file.csvt` (one line of quoted GDAL type names), or none. */
function declaredTypes(path: string): ColumnType[] {
  const csvt = path.replace(/\.csv$/i, '') + '.csvt';
  if (!existsSync(csvt)) return [];
  return readFileSync(csvt, 'utf8').split(/[\r\n]/)[0].split(',').map((name) => {
    const type = name.trim().replace(/^"|"$/g, '').toLowerCase();
    if (type === 'integer(boolean)') return 'boolean';
    if (/^(integer|integer64|real|integer\(int16\)|real\(float32\))/.test(type)) return 'number';
    if (/^(string|date|time|datetime|json|wkt)/.test(type)) return 'string';
    return 'guess';
  });
}

export async function openCsv(path: string, options: OpenSourceOptions = {}): Promise<FeatureSource> {
  const encoding = options.encoding ? codePageLabel(options.encoding) : 'utf-8';
  const dialect = sniffDialect(path);
  const header = await headerRow(path, encoding, dialect);
  const columns = geometryColumns(header, path, options);
  const crs = options.assumeCrs ? resolveCrs(options.assumeCrs, path) : resolveEpsg(4326, path);
  return {
    path,
    layerName: basename(path, extname(path)),
    crsLabel: crs.label,
    features: (onProblem) => readFeatures(path, encoding, dialect, columns, crs, onProblem),
  };
}

/** The delimiter the header line uses most: comma, semicolon or tab (quoted text left out of the count). */
function sniffDialect(path: string): CsvDialect {
  const descriptor = openSync(path, 'r');
  let head: string;
  try {
    const bytes = Buffer.alloc(64 * 1024);
    head = bytes.toString('latin1', 0, readSync(descriptor, bytes, 0, bytes.length, 0));
  } finally {
    closeSync(descriptor);
  }
  const line = head.split(/\r?\n/)[0].replace(/"[^"]*"/g, '');
  const count = (character: string) => line.split(character).length - 1;
  const [delimiter] = [',', ';', '\t'].sort((a, b) => count(b) - count(a));
  // A semicolon is what decimal-comma locales use instead of the comma; a tab says nothing about decimals.
  return count(delimiter) > 0 ? { delimiter, decimalComma: delimiter === ';' } : { delimiter: ',', decimalComma: false };
}

function text(path: string, encoding: string): Readable {
  if (encoding === 'utf-8') return createReadStream(path, { highWaterMark: 1 << 20 });
  const decoder = new TextDecoder(encoding);
  return Readable.from(
    (async function* () {
      for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) yield decoder.decode(chunk as Buffer, { stream: true });
      yield decoder.decode();
    })(),
  );
}

function parser(dialect: CsvDialect): ReturnType<typeof parse> {
  return parse({ bom: true, delimiter: dialect.delimiter, relax_column_count: true, skip_empty_lines: true, relax_quotes: false });
}

async function headerRow(path: string, encoding: string, dialect: CsvDialect): Promise<string[]> {
  const rows = text(path, encoding).pipe(parser(dialect));
  try {
    for await (const row of rows) return (row as string[]).map((name) => name.trim());
  } catch (error) {
    throw new InputError(path, `cannot read the CSV header: ${messageOf(error)}`);
  } finally {
    rows.destroy();
  }
  throw new InputError(path, 'the CSV file is empty');
}

function geometryColumns(header: string[], path: string, options: OpenSourceOptions): GeometryColumns {
  const find = (names: string[]) => header.find((column) => names.includes(column.toLowerCase()));
  const named = (column: string | undefined) => {
    if (column !== undefined && !header.includes(column)) throw new InputError(path, `no column "${column}"; the columns are ${header.join(', ')}`);
    return column;
  };
  const wktOption = named(options.wktColumn);
  if (wktOption) return { wkt: wktOption };
  const lon = named(options.lonColumn) ?? find(LON_NAMES);
  const lat = named(options.latColumn) ?? find(LAT_NAMES);
  if (lon && lat) return { lon, lat };
  const wkt = find(WKT_NAMES);
  if (wkt) return { wkt };
  throw new InputError(path, `no geometry columns: expected longitude/latitude (${LON_NAMES.join('/')}, ${LAT_NAMES.join('/')}) or WKT (${WKT_NAMES.join('/')}); the columns are ${header.join(', ')}`);
}

/** A number as the file writes it (`49.86`, or `49,86` in a decimal-comma file), else NaN. */
function numberOf(value: string, dialect: CsvDialect): number {
  return Number(dialect.decimalComma && DECIMAL_COMMA.test(value) ? value.replace(',', '.') : value);
}

function typedValue(value: string | undefined, type: ColumnType | undefined, dialect: CsvDialect): PropertyValue {
  if (value === undefined || value === '') return null;
  switch (type) {
    case 'string':
      return value;
    case 'boolean':
      return /^(1|true|t|yes|y)$/i.test(value.trim()) ? true : /^(0|false|f|no|n)$/i.test(value.trim()) ? false : value;
    case 'number': {
      const number = numberOf(value, dialect);
      return Number.isFinite(number) ? number : value;
    }
    default:
      return DECIMAL.test(value) || (dialect.decimalComma && DECIMAL_COMMA.test(value)) ? numberOf(value, dialect) : value;
  }
}

async function* readFeatures(path: string, encoding: string, dialect: CsvDialect, columns: GeometryColumns, crs: ResolvedCrs, onProblem: (problem: FeatureProblem) => void): AsyncGenerator<SourceFeature> {
  const gate = featureGate(path, crs, onProblem);
  const types = declaredTypes(path);
  const rows = text(path, encoding).pipe(parser(dialect));
  let header: string[] | undefined;
  let geometryIndexes: number[] = [];
  let rowNumber = 0;
  try {
    for await (const row of rows as AsyncIterable<string[]>) {
      if (!header) {
        header = row.map((name) => name.trim());
        geometryIndexes = ('wkt' in columns ? [columns.wkt] : [columns.lon, columns.lat]).map((name) => header!.indexOf(name));
        continue;
      }
      rowNumber++;
      const where = `row ${rowNumber}`;
      if (encoding === 'utf-8' && row.some(hasReplacementCharacter)) {
        onProblem({ file: path, where, reason: 'not valid UTF-8 (wrong text encoding; name the encoding)' });
        continue;
      }
      let geometry: unknown = null;
      if (geometryIndexes.length === 1) {
        const wkt = row[geometryIndexes[0]]?.trim();
        if (wkt) {
          try {
            geometry = parseWkt(wkt);
          } catch (error) {
            if (!(error instanceof WktError)) throw error;
            onProblem({ file: path, where, reason: `invalid WKT: ${error.message}` });
            continue;
          }
        }
      } else {
        const [lon, lat] = geometryIndexes.map((index) => row[index]?.trim() ?? '');
        if (lon !== '' || lat !== '') geometry = { type: 'Point', coordinates: [lon === '' ? NaN : numberOf(lon, dialect), lat === '' ? NaN : numberOf(lat, dialect)] };
      }
      const properties: Record<string, PropertyValue> = {};
      for (let i = 0; i < header.length; i++) if (!geometryIndexes.includes(i)) properties[header[i]] = typedValue(row[i], types[i], dialect);
      const feature = gate(geometry, properties, where);
      if (feature) yield feature;
    }
  } catch (error) {
    if (!String((error as { code?: unknown }).code ?? '').startsWith('CSV_')) throw error;
    // csv-parse stops at the first malformed record (an unclosed quote, usually a truncated file).
    onProblem({ file: path, where: `row ${rowNumber + 1}`, reason: `cannot parse the CSV from here on (truncated or malformed): ${messageOf(error)}` });
  } finally {
    rows.destroy();
  }
}
