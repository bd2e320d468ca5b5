// What an archive's metadata may carry into a server: bounded sizes and a well-formed `vector_layers` list.
//
// Metadata is written by whatever tool made the archive. A server copies it into TileJSON, OGC API and WMTS
// documents, so a 23 MB `json` row made every such request serialise 23 MB, and a `vector_layers` entry
// without `fields` made OGC answers fail. Both are caught here, once, when the archive is opened.
import type { VectorLayer } from './types.js';

/** A metadata value (the MBTiles `json` row, a description…) above this is not read at all. */
export const MAX_METADATA_VALUE_BYTES = 1 << 20;
/** Text fields copied into every document are trimmed to this many characters. */
export const MAX_METADATA_TEXT = 16 * 1024;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A text field as it may be served: trimmed to MAX_METADATA_TEXT characters (with a warning), or undefined. */
export function boundedText(value: string | undefined, name: string, warnings: string[]): string | undefined {
  if (value === undefined || value.length <= MAX_METADATA_TEXT) return value;
  warnings.push(`metadata ${name} is ${value.length} characters; trimmed to ${MAX_METADATA_TEXT}`);
  return value.slice(0, MAX_METADATA_TEXT);
}

/**
 * The `vector_layers` entries a document can be built from: an object with a string `id`; `fields` an object
 * of strings (missing or malformed → none); zooms and description kept only when of the right type.
 */
export function wellFormedVectorLayers(value: unknown, warnings: string[]): VectorLayer[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    warnings.push('metadata vector_layers is not a list; ignored');
    return undefined;
  }
  const layers: VectorLayer[] = [];
  const problems = new Set<string>();
  for (const entry of value as unknown[]) {
    if (!isRecord(entry) || typeof entry.id !== 'string' || entry.id === '') {
      problems.add('an entry without a string id was left out');
      continue;
    }
    const fields: Record<string, string> = {};
    if (isRecord(entry.fields)) {
      for (const [name, type] of Object.entries(entry.fields)) {
        if (typeof type !== 'string') problems.add(`layer "${entry.id}": field "${name}" has no type name; read as String`);
        fields[name] = typeof type === 'string' ? type : 'String';
      }
    } else problems.add(`layer "${entry.id}" has no fields object; read as no fields`);
    const layer: VectorLayer = { id: entry.id, fields };
    if (typeof entry.description === 'string') layer.description = entry.description;
    if (typeof entry.minzoom === 'number' && Number.isFinite(entry.minzoom)) layer.minzoom = entry.minzoom;
    if (typeof entry.maxzoom === 'number' && Number.isFinite(entry.maxzoom)) layer.maxzoom = entry.maxzoom;
    layers.push(layer);
  }
  for (const problem of [...problems].slice(0, 5)) warnings.push(`metadata vector_layers: ${problem}`);
  if (problems.size > 5) warnings.push(`metadata vector_layers: ${problems.size - 5} more problems`);
  return layers;
}
