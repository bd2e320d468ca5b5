// Reads a build recipe (JSON or YAML), validates it with errors naming the key, and turns it into a BuildPlan.
import { basename, dirname, extname, resolve } from 'node:path';
import { readStructuredFile } from '../structuredFile.js';
import { z } from 'zod';
import { InputError } from '../errors.js';
import { checkZoomRange, severalGeoPackageTables, type PlanOverrides } from './quickPlan.js';
import { MAX_ZOOM } from '../grid/webMercator.js';
import { compileFilter, FilterSyntaxError } from './filter.js';
import {
  DEFAULT_BUFFER,
  DEFAULT_MAX_TILE_BYTES,
  DEFAULT_MAXZOOM,
  DEFAULT_MINZOOM,
  DEFAULT_TOLERANCE,
  type BuildPlan,
  type LayerPlan,
} from './plan.js';

const zoom = z.number().int().min(0).max(MAX_ZOOM);
const layerId = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a layer id uses letters, digits, "_", "-" or "."');

const layerSchema = z.strictObject({
  id: layerId,
  description: z.string().optional(),
  sources: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  minzoom: zoom.optional(),
  maxzoom: zoom.optional(),
  attributes: z
    .strictObject({
      keep: z.array(z.string()).optional(),
      drop: z.array(z.string()).optional(),
      rename: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
  filter: z.array(z.unknown()).optional(),
  simplification: z.number().min(0).max(4096).optional(),
  rank: z.strictObject({ field: z.string().min(1), order: z.enum(['asc', 'desc']).default('desc') }).optional(),
  zoomField: z.string().min(1).optional(),
});

const recipeSchema = z.strictObject({
  name: z.string().min(1).optional(),
  description: z.string().optional(),
  attribution: z.string().optional(),
  /** Where a client opens the archive (MBTiles `center`: lon, lat, zoom); by default the middle of the data. */
  center: z.tuple([z.number().min(-180).max(180), z.number().min(-85.0511).max(85.0511), zoom]).optional(),
  minzoom: zoom.optional(),
  maxzoom: zoom.optional(),
  maxTileBytes: z.number().int().min(1024).optional(),
  partitionZoom: zoom.optional(),
  buffer: z.number().int().min(0).max(4096).optional(),
  layers: z.array(layerSchema).min(1),
});

export type Recipe = z.infer<typeof recipeSchema>;

export function loadRecipe(path: string, overrides: PlanOverrides): BuildPlan {
  const raw = readStructuredFile(path, 'recipe');
  return recipeToPlan(raw, path, overrides);
}

/** Validates a parsed recipe; source paths are taken relative to the recipe file. */
export function recipeToPlan(raw: unknown, recipePath: string, overrides: PlanOverrides): BuildPlan {
  const parsed = recipeSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(recipePath, `${keyPath(issue.path) || '(top level)'}: ${issue.message}`);
  }
  const recipe = parsed.data;
  const minzoom = overrides.minzoom ?? recipe.minzoom ?? DEFAULT_MINZOOM;
  const maxzoom = overrides.maxzoom ?? recipe.maxzoom ?? DEFAULT_MAXZOOM;
  checkZoomRange(recipePath, '', minzoom, maxzoom);
  const seen = new Set<string>();
  const folder = dirname(resolve(recipePath));
  const layers = recipe.layers.map((layer, index): LayerPlan => {
    const at = `layers[${index}]`;
    if (seen.has(layer.id)) throw new InputError(recipePath, `${at}.id: layer "${layer.id}" is defined twice`);
    seen.add(layer.id);
    const layerMin = Math.max(minzoom, layer.minzoom ?? minzoom);
    const layerMax = Math.min(maxzoom, layer.maxzoom ?? maxzoom);
    checkZoomRange(recipePath, `${at}.`, layerMin, layerMax);
    if (layer.filter) {
      try {
        compileFilter(layer.filter);
      } catch (error) {
        if (error instanceof FilterSyntaxError) throw new InputError(recipePath, `${at}.filter${error.path}: ${error.message}`);
        throw error;
      }
    }
    const sources = (Array.isArray(layer.sources) ? layer.sources : [layer.sources]).map((source) => resolve(folder, source));
    for (const source of sources) {
      // Reading the first table of several would drop the others without a word.
      const tables = severalGeoPackageTables(source);
      if (tables) throw new InputError(recipePath, `${at}.sources: ${source} has ${tables.length} feature tables (${tables.join(', ')}); name one as ${source}:TABLE`);
    }
    return {
      id: layer.id,
      description: layer.description,
      sources,
      minzoom: layerMin,
      maxzoom: layerMax,
      attributes: layer.attributes ?? {},
      filter: layer.filter,
      tolerance: layer.simplification ?? DEFAULT_TOLERANCE,
      rank: layer.rank ?? overrides.rank,
      zoomField: layer.zoomField,
    };
  });
  return {
    output: overrides.output,
    name: overrides.name ?? recipe.name ?? basename(recipePath, extname(recipePath)),
    description: overrides.description ?? recipe.description,
    attribution: overrides.attribution ?? recipe.attribution,
    center: recipe.center,
    minzoom,
    maxzoom,
    maxTileBytes: overrides.maxTileBytes ?? recipe.maxTileBytes ?? DEFAULT_MAX_TILE_BYTES,
    partitionZoom: overrides.partitionZoom ?? recipe.partitionZoom,
    buffer: recipe.buffer ?? DEFAULT_BUFFER,
    strict: overrides.strict ?? false,
    layers,
  };
}

function keyPath(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`)).join('');
}
