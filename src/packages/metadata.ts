// The metadata of an extract or a merge: bounds, zooms and centre of what was taken; layers and attribution of every source.
import type { ArchiveMetadata, VectorLayer } from '../archive/types.js';
import { unionBBox } from '../grid/bbox.js';
import type { BBox } from '../grid/webMercator.js';

/** Keys of a source's `json` that describe its whole contents (feature counts, samples) and would be wrong for a part of it. */
const WHOLE_ARCHIVE_KEYS = new Set(['tilestats']);

/** `vector_layers` of several archives: one entry per id, fields combined, zooms widened, then clamped to the output's zooms. */
export function mergeVectorLayers(lists: (VectorLayer[] | undefined)[], minzoom: number, maxzoom: number): VectorLayer[] | undefined {
  if (lists.every((list) => list === undefined)) return undefined;
  const byId = new Map<string, VectorLayer>();
  for (const layer of lists.flatMap((list) => list ?? [])) {
    const seen = byId.get(layer.id);
    if (!seen) {
      byId.set(layer.id, { ...layer, fields: { ...layer.fields } });
      continue;
    }
    seen.fields = { ...layer.fields, ...seen.fields };
    if (layer.minzoom !== undefined) seen.minzoom = Math.min(seen.minzoom ?? layer.minzoom, layer.minzoom);
    if (layer.maxzoom !== undefined) seen.maxzoom = Math.max(seen.maxzoom ?? layer.maxzoom, layer.maxzoom);
    seen.description ??= layer.description;
  }
  return [...byId.values()].map((layer) => ({
    ...layer,
    ...(layer.minzoom !== undefined ? { minzoom: Math.min(Math.max(layer.minzoom, minzoom), maxzoom) } : {}),
    ...(layer.maxzoom !== undefined ? { maxzoom: Math.max(Math.min(layer.maxzoom, maxzoom), minzoom) } : {}),
  }));
}

/** Distinct attributions in source order, joined as MapLibre shows several: separated by a space-padded bar. */
function mergeAttribution(sources: ArchiveMetadata[]): string | undefined {
  const distinct = [...new Set(sources.map((source) => source.attribution?.trim()).filter((text): text is string => Boolean(text)))];
  return distinct.length ? distinct.join(' | ') : undefined;
}

/**
 * Metadata for an archive holding `bbox` at `minzoom..maxzoom` taken from `sources` (first source first): name,
 * description and other keys from the first that has them, layers and attribution from all, per-source counts dropped.
 */
export function outputMetadata(sources: ArchiveMetadata[], bbox: BBox, minzoom: number, maxzoom: number): ArchiveMetadata {
  const first = sources[0];
  const extra: Record<string, unknown> = {};
  for (const source of [...sources].reverse()) Object.assign(extra, source.extra ?? {});
  for (const key of WHOLE_ARCHIVE_KEYS) delete extra[key];
  const centreZoom = Math.min(Math.max(first.center?.[2] ?? minzoom, minzoom), maxzoom);
  const centre = first.center && first.center[0] >= bbox[0] && first.center[0] <= bbox[2] && first.center[1] >= bbox[1] && first.center[1] <= bbox[3] ? first.center : undefined;
  const metadata: ArchiveMetadata = {
    name: first.name,
    format: first.format,
    minzoom,
    maxzoom,
    bounds: bbox,
    center: [centre?.[0] ?? (bbox[0] + bbox[2]) / 2, centre?.[1] ?? (bbox[1] + bbox[3]) / 2, centreZoom],
    attribution: mergeAttribution(sources),
    description: sources.find((source) => source.description)?.description,
    version: first.version,
    type: sources.find((source) => source.type)?.type,
    extra,
  };
  const layers = mergeVectorLayers(sources.map((source) => source.vector_layers), minzoom, maxzoom);
  if (layers) metadata.vector_layers = layers;
  return metadata;
}

/** The union of the sources' bounds (the world when one has none). */
export function sourcesBounds(sources: ArchiveMetadata[], world: BBox): BBox {
  let bounds: BBox | undefined;
  for (const source of sources) {
    if (!source.bounds || source.bounds[0] >= source.bounds[2]) return world;
    bounds = bounds ? unionBBox(bounds, source.bounds) : source.bounds;
  }
  return bounds ?? world;
}
