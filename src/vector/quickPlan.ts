// The quick command-line form of a vector build: one layer per input file. Kept apart from the recipe reader so
// that a quick build does not load the schema and YAML libraries (zod and yaml: ~5 MB of heap in the main thread).
import { existsSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { listGeoPackageTables } from '../sources/geoPackageTables.js';
import { GEOPACKAGE_TABLE } from '../sources/open.js';
import { DEFAULT_BUFFER, DEFAULT_MAX_TILE_BYTES, DEFAULT_MAXZOOM, DEFAULT_MINZOOM, DEFAULT_TOLERANCE, type BuildPlan, type LayerPlan, type RankRule } from './plan.js';

/** Settings the command line can give beside (and over) a recipe. */
export interface PlanOverrides {
  output: string;
  name?: string;
  description?: string;
  attribution?: string;
  minzoom?: number;
  maxzoom?: number;
  maxTileBytes?: number;
  /** Zoom of the partition tiles; by default maxzoom − 3 (at most 10), deeper when the data is crowded (see build.ts). */
  partitionZoom?: number;
  strict?: boolean;
  /** `--rank FIELD[:asc|desc]`: which points a low zoom shows first, and what a full tile keeps (every layer; a recipe layer's own rank wins). */
  rank?: RankRule;
}

/**
 * The quick form: one layer per input file, named after the file (or `--layer`, one name per input). A GeoPackage
 * with several feature tables, named without `:TABLE`, gives one layer per table, named after the table.
 */
export function quickPlan(inputs: string[], layerNames: string[], overrides: PlanOverrides): BuildPlan {
  if (inputs.length === 0) throw new InputError('mekan build vector', 'expected at least one INPUT file (or --recipe FILE)');
  if (layerNames.length > 0 && layerNames.length !== inputs.length) {
    // One --layer for several inputs merges them into that one layer.
    if (layerNames.length !== 1) throw new InputError('--layer', `give one name per input (${inputs.length}) or a single name for all`);
  }
  const minzoom = overrides.minzoom ?? DEFAULT_MINZOOM;
  const maxzoom = overrides.maxzoom ?? DEFAULT_MAXZOOM;
  checkZoomRange('mekan build vector', '--', minzoom, maxzoom);
  const byId = new Map<string, LayerPlan>();
  const add = (id: string, source: string) => {
    const known = byId.get(id);
    if (known) known.sources.push(resolve(source));
    else byId.set(id, { id, sources: [resolve(source)], minzoom, maxzoom, attributes: {}, tolerance: DEFAULT_TOLERANCE, rank: overrides.rank });
  };
  inputs.forEach((input, index) => {
    const tables = severalGeoPackageTables(input);
    if (!tables) return add(layerNames.length === 1 ? layerNames[0] : (layerNames[index] ?? layerNameOf(input)), input);
    if (layerNames.length > 1) {
      throw new InputError(input, `has ${tables.length} feature tables (${tables.join(', ')}): name one as ${input}:TABLE, or give no --layer for a layer a table`);
    }
    for (const table of tables) add(layerNames.length === 1 ? layerNames[0] : layerNameOf(`${input}:${table}`), `${input}:${table}`);
  });
  return {
    output: overrides.output,
    name: overrides.name ?? basename(overrides.output, extname(overrides.output)),
    description: overrides.description,
    attribution: overrides.attribution,
    minzoom,
    maxzoom,
    maxTileBytes: overrides.maxTileBytes ?? DEFAULT_MAX_TILE_BYTES,
    partitionZoom: overrides.partitionZoom,
    buffer: DEFAULT_BUFFER,
    strict: overrides.strict ?? false,
    layers: [...byId.values()],
  };
}

/** A file's layer name: its base name without extension(s), or a GeoPackage table's name, made safe for a layer id. */
export function layerNameOf(path: string): string {
  const table = GEOPACKAGE_TABLE.exec(path)?.[2];
  const name = table ?? basename(path).replace(/\.(geojsonl|geojsons|geojsonseq|ndjson|geojson|json|shp|gpkg|fgb|csv)$/i, '').replace(/\.[^.]*$/, '');
  return name.replace(/[^A-Za-z0-9_.-]+/g, '_') || 'layer';
}

/** The feature tables of a GeoPackage named without a table, when it has more than one (else undefined). */
export function severalGeoPackageTables(input: string): string[] | undefined {
  if (!/\.gpkg$/i.test(input) || !existsSync(input)) return undefined;
  let tables: string[];
  try {
    tables = listGeoPackageTables(input);
  } catch {
    return undefined; // not readable: the build reports it with the file's name when it opens it
  }
  return tables.length > 1 ? tables : undefined;
}

export function checkZoomRange(subject: string, prefix: string, minzoom: number, maxzoom: number): void {
  if (minzoom > maxzoom) throw new InputError(subject, `${prefix}minzoom (${minzoom}) is above ${prefix}maxzoom (${maxzoom})`);
  // geojson-vt keeps coordinates in 32-bit integers up to zoom 19 and refuses zooms above 24.
  if (maxzoom > 19) throw new InputError(subject, `${prefix}maxzoom ${maxzoom} is deeper than vector tiles need (at most 19)`);
}

/** `FIELD`, `FIELD:desc` (larger first, the default: population) or `FIELD:asc` (smaller first: scalerank). */
export function parseRank(value: string | undefined): RankRule | undefined {
  if (value === undefined) return undefined;
  const match = /^(.+?)(?::(asc|desc))?$/.exec(value);
  if (!match || match[1].includes(':')) throw new InputError('--rank', `expected FIELD, FIELD:asc or FIELD:desc, got '${value}'`);
  return { field: match[1], order: (match[2] as 'asc' | 'desc' | undefined) ?? 'desc' };
}
