// GET /ogc/collections/{id}/items[/{featureId}]: OGC API – Features Part 1 (Core, GeoJSON) over live tilesets' tables.
import type { Router } from '@koa/router';
import type { Context } from 'koa';
import type { FeaturePage, FeatureQuery, FeatureReader } from '../../archive/types.js';
import { ArchiveUnavailableError } from '../../archive/types.js';
import { InputError } from '../../errors.js';
import type { ServerContext } from '../module.js';
import { withToken } from '../access.js';
import type { Tileset } from '../registry.js';

/** pg_featureserv's defaults: a small first page, and a cap that keeps one answer bounded. */
export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 10_000;
const MAX_OFFSET = 1_000_000_000;
const GEOJSON = 'application/geo+json';

function one(ctx: Context, name: string): string | undefined {
  const value = ctx.query[name];
  if (Array.isArray(value)) throw new InputError(ctx.path, `parameter "${name}" given more than once`);
  return value;
}

function integer(ctx: Context, name: string, min: number, max: number, fallback: number): number {
  const text = one(ctx, name);
  if (text === undefined) return fallback;
  if (!/^\d{1,10}$/.test(text) || Number(text) < min) throw new InputError(ctx.path, `${name} must be an integer of at least ${min}, got "${text}"`);
  // Clients ask for more than the cap routinely; OGC API – Features says to answer with at most the cap.
  return Math.min(Number(text), max);
}

function bboxOf(ctx: Context): FeatureQuery['bbox'] {
  const text = one(ctx, 'bbox');
  if (text === undefined) return undefined;
  const crs = one(ctx, 'bbox-crs');
  if (crs !== undefined && crs !== 'http://www.opengis.net/def/crs/OGC/1.3/CRS84') throw new InputError(ctx.path, `bbox-crs "${crs}" is not offered (only CRS84)`);
  const parts = text.split(',').map((part) => Number(part));
  if (parts.length !== 4 || parts.some((part) => !Number.isFinite(part))) throw new InputError(ctx.path, `bbox must be four numbers "west,south,east,north", got "${text}"`);
  const [west, south, east, north] = parts;
  if (west < -180 || east > 180 || south < -90 || north > 90 || west > east || south > north) throw new InputError(ctx.path, `bbox ${text} is not a WGS 84 box west,south,east,north`);
  return [west, south, east, north];
}

/** An instant, or an interval `start/end` with `..` (or nothing) for an open end; each an RFC 3339 date or date-time. */
function datetimeOf(ctx: Context): FeatureQuery['datetime'] {
  const text = one(ctx, 'datetime');
  if (text === undefined) return undefined;
  const parts = text.split('/');
  if (parts.length > 2) throw new InputError(ctx.path, `datetime must be an instant or an interval start/end, got "${text}"`);
  const instant = (value: string): string | undefined => {
    if (value === '' || value === '..') return undefined;
    if (!/^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})?)?$/.test(value) || Number.isNaN(Date.parse(value))) {
      throw new InputError(ctx.path, `datetime "${value}" is not an RFC 3339 date or date-time`);
    }
    return value;
  };
  if (parts.length === 1) {
    const at = instant(parts[0]);
    if (at === undefined) throw new InputError(ctx.path, 'datetime must name an instant or an interval');
    return { start: at, end: at };
  }
  return { start: instant(parts[0]), end: instant(parts[1]) };
}

function propertiesOf(ctx: Context, features: FeatureReader): string[] | undefined {
  const text = one(ctx, 'properties');
  if (text === undefined) return undefined;
  const names = text.split(',').filter(Boolean);
  const unknown = names.find((name) => !features.properties.includes(name));
  if (unknown !== undefined) throw new InputError(ctx.path, `no property "${unknown}" (offered: ${features.properties.join(', ')})`);
  return names;
}

function requireGeoJson(ctx: Context): void {
  const f = one(ctx, 'f');
  if (f !== undefined && f !== 'json' && f !== 'geojson') throw new InputError(ctx.path, `format "${f}" is not offered here (only f=json)`, 406);
}

function featuresOf(ctx: Context, context: ServerContext): { tileset: Tileset; features: FeatureReader } {
  const tileset = context.registry.get(ctx.params.id);
  if (!tileset) throw new InputError(ctx.path, `no collection "${ctx.params.id}"`, 404);
  const features = tileset.archive.features;
  if (!features) throw new InputError(ctx.path, `collection "${tileset.id}" has tiles only, no items (only live PostGIS tables have)`, 404);
  return { tileset, features };
}

/** A Feature as GeoJSON text: the geometry is the database's own GeoJSON, spliced in rather than parsed and written again. */
function featureJson(feature: FeaturePage['features'][number], links?: object[]): string {
  const id = feature.id === null ? '' : `"id":${JSON.stringify(feature.id)},`;
  return `{"type":"Feature",${id}"geometry":${feature.geometry ?? 'null'},"properties":${JSON.stringify(feature.properties)}${links ? `,"links":${JSON.stringify(links)}` : ''}}`;
}

/** The database's failures keep their meaning (503/504, logged with the source); they are not a 500. */
async function fromSource<T>(context: ServerContext, tileset: Tileset, ctx: Context, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof ArchiveUnavailableError)) throw error;
    const status = error.kind === 'timeout' ? 504 : 503;
    context.logger.error({ tileset: tileset.id, path: tileset.path, url: ctx.url, status, reason: error.message }, `features of ${tileset.id} failed: ${error.message}`);
    ctx.set('Retry-After', '5');
    throw new InputError(ctx.path, status === 504 ? 'the database took too long' : 'the database is unavailable for now', status);
  }
}

export function registerFeatureRoutes(router: Router, context: ServerContext): void {
  router.get('/ogc/collections/:id/items', async (ctx) => {
    requireGeoJson(ctx);
    const { tileset, features } = featuresOf(ctx, context);
    const query: FeatureQuery = {
      limit: integer(ctx, 'limit', 1, MAX_LIMIT, DEFAULT_LIMIT),
      offset: integer(ctx, 'offset', 0, MAX_OFFSET, 0),
      bbox: bboxOf(ctx),
      datetime: datetimeOf(ctx),
      properties: propertiesOf(ctx, features),
    };
    const page = await fromSource(context, tileset, ctx, () => features.items(query));
    const base = context.publicUrl(ctx.req);
    const collectionUrl = `${base}/ogc/collections/${encodeURIComponent(tileset.id)}`;
    const link = (params: URLSearchParams) => {
      const url = `${collectionUrl}/items${params.size ? `?${params}` : ''}`;
      return tileset.private ? withToken(url) : url;
    };
    const params = new URLSearchParams(ctx.querystring);
    const links: object[] = [
      { href: link(params), rel: 'self', type: GEOJSON, title: 'This page' },
      { href: tileset.private ? withToken(collectionUrl) : collectionUrl, rel: 'collection', type: 'application/json', title: 'The collection' },
    ];
    if (page.more) {
      params.set('offset', String(query.offset + query.limit));
      params.set('limit', String(query.limit));
      links.push({ href: link(params), rel: 'next', type: GEOJSON, title: 'Next page' });
    }
    ctx.set('Cache-Control', 'no-cache');
    ctx.type = GEOJSON;
    ctx.body = `{"type":"FeatureCollection","features":[${page.features.map((feature) => featureJson(feature)).join(',')}],"numberReturned":${page.features.length},"timeStamp":"${new Date().toISOString()}","links":${JSON.stringify(links)}}`;
  });

  router.get('/ogc/collections/:id/items/:featureId', async (ctx) => {
    requireGeoJson(ctx);
    const { tileset, features } = featuresOf(ctx, context);
    const feature = await fromSource(context, tileset, ctx, () => features.item(ctx.params.featureId));
    if (!feature) throw new InputError(ctx.path, `no feature "${ctx.params.featureId}" in collection "${tileset.id}"`, 404);
    const collectionUrl = `${context.publicUrl(ctx.req)}/ogc/collections/${encodeURIComponent(tileset.id)}`;
    const own = (url: string) => (tileset.private ? withToken(url) : url);
    ctx.set('Cache-Control', 'no-cache');
    ctx.type = GEOJSON;
    ctx.body = featureJson(feature, [
      { href: own(`${collectionUrl}/items/${encodeURIComponent(ctx.params.featureId)}`), rel: 'self', type: GEOJSON },
      { href: own(collectionUrl), rel: 'collection', type: 'application/json' },
    ]);
  });
}
