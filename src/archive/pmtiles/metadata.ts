// ArchiveMetadata ↔ the PMTiles JSON metadata, through the MBTiles rows so that both formats read and write alike.
import type { Header } from 'pmtiles';
import type { ArchiveMetadata } from '../types.js';
import { metadataFromRows, metadataToRows } from '../mbtiles/metadata.js';
import { formatOfTileType } from './spec.js';

const SCALAR_KEYS = new Set(['name', 'format', 'attribution', 'description', 'version', 'type']);

/** The JSON object to store: MBTiles rows with numbers as numbers and the `json` row spread at the top (as tippecanoe writes). */
export function metadataToJson(metadata: ArchiveMetadata): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  for (const [name, value] of metadataToRows(metadata)) {
    if (name === 'json') Object.assign(json, JSON.parse(value) as Record<string, unknown>);
    else if (name === 'minzoom' || name === 'maxzoom') json[name] = Number(value);
    else if (name === 'bounds' || name === 'center') json[name] = value.split(',').map(Number);
    else json[name] = value;
  }
  return json;
}

/** Reads the stored JSON; zooms, bounds, center and format fall back to the header (other writers keep them only there). */
export function metadataFromJson(stored: unknown, header: Header, fallbackName: string): ArchiveMetadata {
  const json = stored && typeof stored === 'object' && !Array.isArray(stored) ? (stored as Record<string, unknown>) : {};
  const rows = new Map<string, string>();
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) {
    if (SCALAR_KEYS.has(key) && typeof value === 'string') rows.set(key, value);
    else if ((key === 'minzoom' || key === 'maxzoom') && (typeof value === 'number' || typeof value === 'string')) rows.set(key, String(value));
    else if ((key === 'bounds' || key === 'center') && (Array.isArray(value) || typeof value === 'string')) rows.set(key, Array.isArray(value) ? value.join(',') : value);
    else rest[key] = value;
  }
  if (Object.keys(rest).length > 0) rows.set('json', JSON.stringify(rest));
  if (!rows.has('bounds') && header.minLon < header.maxLon) rows.set('bounds', [header.minLon, header.minLat, header.maxLon, header.maxLat].join(','));
  if (!rows.has('center') && header.minLon < header.maxLon) rows.set('center', [header.centerLon, header.centerLat, header.centerZoom].join(','));
  return metadataFromRows(rows, {
    name: fallbackName,
    minzoom: header.minZoom,
    maxzoom: header.maxZoom,
    format: () => formatOfTileType(header.tileType) ?? 'pbf',
  });
}
