// GET /tiles/{id}.json: TileJSON 3.0.0 with absolute tile URLs.
import { InputError } from '../../errors.js';
import { MAX_LATITUDE } from '../../grid/webMercator.js';
import { isWebMercator } from '../../grid/tileMatrixSets.js';
import { withToken } from '../access.js';
import { cachedJson } from '../documentCache.js';
import type { RouteModule } from '../module.js';
import type { Tileset } from '../registry.js';

/** The tile URL template of a tileset under a base URL, as TileJSON, WMTS and catalogs print it; a private one carries the request's token. */
export function tileUrlTemplate(baseUrl: string, tileset: Tileset): string {
  const url = `${baseUrl}/tiles/${encodeURIComponent(tileset.id)}/{z}/{x}/{y}.${tileset.extensions[0]}`;
  return tileset.private ? withToken(url) : url;
}

export function tileJsonUrl(baseUrl: string, tileset: Tileset): string {
  const url = `${baseUrl}/tiles/${encodeURIComponent(tileset.id)}.json`;
  return tileset.private ? withToken(url) : url;
}

export function tileJson(baseUrl: string, tileset: Tileset): Record<string, unknown> {
  const m = tileset.metadata;
  const bounds = m.bounds ?? [-180, -MAX_LATITUDE, 180, MAX_LATITUDE];
  const center = m.center ?? [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, m.minzoom];
  const json: Record<string, unknown> = {
    tilejson: '3.0.0',
    id: tileset.id,
    name: m.name,
    tiles: [tileUrlTemplate(baseUrl, tileset)],
    scheme: 'xyz',
    format: tileset.format,
    minzoom: m.minzoom,
    maxzoom: m.maxzoom,
    bounds,
    center: [center[0], center[1], Math.min(Math.max(Math.round(center[2]), m.minzoom), m.maxzoom)],
  };
  if (m.attribution) json.attribution = m.attribution;
  if (m.description) json.description = m.description;
  if (m.version) json.version = m.version;
  if (tileset.format === 'pbf') json.vector_layers = m.vector_layers ?? [];
  return json;
}

export const tileJsonModule: RouteModule = {
  name: 'tilejson',
  register(router, context) {
    router.get('/tiles/:file', (ctx) => {
      const file = ctx.params.file;
      if (!file.endsWith('.json')) throw new InputError(ctx.path, 'not found', 404);
      const id = file.slice(0, -'.json'.length);
      const tileset = context.registry.get(id);
      if (!tileset) throw new InputError(ctx.path, `no tileset "${id}"`, 404);
      // TileJSON has no CRS: its tiles are Web Mercator's. Another grid's tiles would land in the wrong place.
      if (!isWebMercator(tileset.grid)) throw new InputError(ctx.path, `tileset "${id}" is cut on ${tileset.grid.id}, which TileJSON cannot describe; read it through /wmts/1.0.0/WMTSCapabilities.xml or /ogc/collections/${id}`, 404);
      const baseUrl = context.publicUrl(ctx.req);
      ctx.set('Cache-Control', 'public, max-age=60');
      ctx.type = 'application/json; charset=utf-8';
      ctx.body = cachedJson(tileset, 'tilejson', baseUrl, (base) => tileJson(base, tileset));
    });
  },
};
