// MBTiles 1.3 metadata table ↔ ArchiveMetadata.
import { boundedText, wellFormedVectorLayers } from '../metadataLimits.js';
import type { ArchiveMetadata, LayerStats } from '../types.js';
import { parseTileFormat } from '../types.js';
import type { BBox } from '../../grid/webMercator.js';

const KNOWN_KEYS = new Set(['name', 'format', 'bounds', 'center', 'minzoom', 'maxzoom', 'attribution', 'description', 'version', 'type', 'json', 'tile_matrix_set', 'crs_bounds']);

function parseNumbers(value: string | undefined, count: number): number[] | undefined {
  if (!value) return undefined;
  const numbers = value.split(',').map((part) => Number(part.trim()));
  return numbers.length === count && numbers.every(Number.isFinite) ? numbers : undefined;
}

function parseZoom(value: string | undefined): number | undefined {
  const zoom = value === undefined ? NaN : Number(value);
  return Number.isInteger(zoom) && zoom >= 0 && zoom <= 30 ? zoom : undefined;
}

/**
 * Reads the metadata rows; zoom range and format fall back to what the tiles say (`fallback`). What cannot be
 * served as it is (a malformed `vector_layers`, an overlong text) is repaired and said in `warnings`.
 */
export function metadataFromRows(
  rows: Map<string, string>,
  fallback: { name: string; minzoom: number; maxzoom: number; format: () => ArchiveMetadata['format'] },
  warnings: string[] = [],
): ArchiveMetadata {
  let json: Record<string, unknown> = {};
  const rawJson = rows.get('json');
  if (rawJson) {
    try {
      const parsed: unknown = JSON.parse(rawJson);
      if (parsed && typeof parsed === 'object') json = parsed as Record<string, unknown>;
    } catch {
      // A broken `json` row loses only the layer list; the tiles still serve.
      warnings.push('metadata json is not valid JSON; its layer list is ignored');
    }
  }
  const extra: Record<string, unknown> = {};
  for (const [key, value] of rows) if (!KNOWN_KEYS.has(key)) extra[key] = value;
  for (const [key, value] of Object.entries(json)) if (key !== 'vector_layers' && key !== 'mekan_layer_stats') extra[key] = value;

  const bounds = parseNumbers(rows.get('bounds'), 4) as BBox | undefined;
  const center = parseNumbers(rows.get('center'), 3) as [number, number, number] | undefined;
  const minzoom = parseZoom(rows.get('minzoom')) ?? fallback.minzoom;
  const maxzoom = parseZoom(rows.get('maxzoom')) ?? fallback.maxzoom;
  const metadata: ArchiveMetadata = {
    name: boundedText(rows.get('name'), 'name', warnings) || fallback.name,
    format: parseTileFormat(rows.get('format')) ?? fallback.format(),
    minzoom: Math.min(minzoom, maxzoom),
    maxzoom: Math.max(minzoom, maxzoom),
    bounds,
    center: center ?? (bounds ? [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, minzoom] : undefined),
    attribution: boundedText(rows.get('attribution'), 'attribution', warnings),
    description: boundedText(rows.get('description'), 'description', warnings),
    version: boundedText(rows.get('version'), 'version', warnings),
    type: boundedText(rows.get('type'), 'type', warnings),
    extra,
  };
  const tileMatrixSet = rows.get('tile_matrix_set');
  if (tileMatrixSet) metadata.tileMatrixSet = tileMatrixSet;
  const crsBounds = parseNumbers(rows.get('crs_bounds'), 4) as BBox | undefined;
  if (crsBounds) metadata.crsBounds = crsBounds;
  const vectorLayers = wellFormedVectorLayers(json.vector_layers, warnings);
  if (vectorLayers) metadata.vector_layers = vectorLayers;
  if (Array.isArray(json.mekan_layer_stats)) metadata.layerStats = json.mekan_layer_stats as LayerStats[];
  return metadata;
}

/** Metadata rows to write. */
export function metadataToRows(metadata: ArchiveMetadata): [string, string][] {
  const rows: [string, string][] = [
    ['name', metadata.name],
    ['format', metadata.format],
    ['minzoom', String(metadata.minzoom)],
    ['maxzoom', String(metadata.maxzoom)],
  ];
  if (metadata.bounds) rows.push(['bounds', metadata.bounds.map((v) => round(v, 7)).join(',')]);
  if (metadata.center) rows.push(['center', metadata.center.map((v) => round(v, 7)).join(',')]);
  // Archives in a grid other than WebMercatorQuad (GeoPackage) say which one, and their extent in its CRS.
  if (metadata.tileMatrixSet) rows.push(['tile_matrix_set', metadata.tileMatrixSet]);
  if (metadata.crsBounds) rows.push(['crs_bounds', metadata.crsBounds.map((v) => round(v, 7)).join(',')]);
  for (const key of ['attribution', 'description', 'version', 'type'] as const) {
    const value = metadata[key];
    if (value !== undefined) rows.push([key, value]);
  }
  const json: Record<string, unknown> = {};
  if (metadata.vector_layers) json.vector_layers = metadata.vector_layers;
  if (metadata.layerStats) json.mekan_layer_stats = metadata.layerStats;
  for (const [key, value] of Object.entries(metadata.extra ?? {})) json[key] = value;
  if (Object.keys(json).length > 0) rows.push(['json', JSON.stringify(json)]);
  return rows;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
