// GET /ogc/…: OGC API – Tiles 1.0 over the served tilesets (vector under /tiles, raster under /map/tiles).
import type { Router } from '@koa/router';
import type { Context } from 'koa';
import { InputError } from '../../errors.js';
import { cachedJson } from '../documentCache.js';
import type { RouteModule, ServerContext } from '../module.js';
import type { Tileset } from '../registry.js';
import { tilesFastPath } from '../routes/tiles.js';
import { answerWithTileRoute } from '../tileAlias.js';
import * as documents from './documents.js';
import { answerOgcErrors, ogcTileErrorBody } from './exceptions.js';
import { DEFAULT_LIMIT, MAX_LIMIT, registerFeatureRoutes } from './features.js';

const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']}');

/** Only JSON is offered; `?f=json` (or no `f`) asks for it, anything else cannot be served. */
function requireJson(ctx: Context): void {
  const f = ctx.query.f;
  if (f === undefined || f === 'json') return;
  throw new InputError(ctx.path, `format "${String(f)}" is not offered here (only f=json)`, 406);
}

function sendJson(ctx: Context, body: object | Buffer): void {
  requireJson(ctx);
  ctx.set('Cache-Control', 'public, max-age=60');
  ctx.type = 'application/json';
  ctx.body = body;
}

/** A document of one tileset, built once per archive version (see documentCache.ts). */
function tilesetDocument(tileset: Tileset, kind: string, baseUrl: string, build: (baseUrl: string, tileset: Tileset) => object): Buffer {
  return cachedJson(tileset, kind, baseUrl, (base) => build(base, tileset));
}

/** The tileset behind /collections/{id}/{tiles | map/tiles}; 404 when it is absent or of the other data type. */
function tilesetFor(ctx: Context, context: ServerContext, map: boolean): Tileset {
  const id = ctx.params.id;
  const tileset = context.registry.get(id);
  if (!tileset) throw new InputError(ctx.path, `no collection "${id}"`, 404);
  if ((documents.dataTypeOf(tileset) === 'map') !== map) {
    throw new InputError(ctx.path, `collection "${id}" has ${map ? 'vector' : 'map'} tiles, under /ogc/collections/${id}/${documents.tilesPathOf(tileset)}`, 404);
  }
  return tileset;
}

/** A tileset is cut on one tile matrix set: any other id, known or not, names no resource (404). */
function requireTileMatrixSet(ctx: Context, tileset: Tileset): void {
  const offered = documents.tileMatrixSetOf(tileset);
  if (ctx.params.tms !== offered) throw new InputError(ctx.path, `no tile matrix set "${ctx.params.tms}" for "${tileset.id}" (offered: ${offered})`, 404);
}

function registerTilesets(router: Router, context: ServerContext, prefix: string, map: boolean): void {
  const tiles = tilesFastPath(context);
  router.get(`/ogc/collections/:id/${prefix}`, (ctx) => {
    sendJson(ctx, tilesetDocument(tilesetFor(ctx, context, map), `ogc-${prefix}`, context.publicUrl(ctx.req), documents.tilesetList));
  });
  router.get(`/ogc/collections/:id/${prefix}/:tms`, (ctx) => {
    const tileset = tilesetFor(ctx, context, map);
    requireTileMatrixSet(ctx, tileset);
    sendJson(ctx, tilesetDocument(tileset, `ogc-${prefix}-tms`, context.publicUrl(ctx.req), documents.tilesetMetadata));
  });
  router.get(`/ogc/collections/:id/${prefix}/:tms/:tileMatrix/:tileRow/:tileCol`, (ctx) => {
    const tileset = tilesetFor(ctx, context, map);
    requireTileMatrixSet(ctx, tileset);
    // WebMercatorQuad rows count from the top, exactly as XYZ y does.
    answerWithTileRoute(ctx, tiles, tileset, ctx.params.tileMatrix, ctx.params.tileCol, ctx.params.tileRow, ogcTileErrorBody(ctx.path));
  });
}

export const ogcModule: RouteModule = {
  name: 'ogc',
  register(router, context) {
    const base = (ctx: Context) => context.publicUrl(ctx.req);
    // Registered first, so that it wraps every /ogc route below (features included).
    router.use('/ogc', answerOgcErrors);
    router.get('/ogc', (ctx) => sendJson(ctx, documents.landingPage(base(ctx))));
    router.get('/ogc/conformance', (ctx) => sendJson(ctx, documents.conformance()));
    router.get('/ogc/api', (ctx) => {
      sendJson(ctx, documents.apiDefinition(base(ctx), MAX_LIMIT, DEFAULT_LIMIT));
      ctx.type = 'application/vnd.oai.openapi+json;version=3.0';
    });
    router.get('/ogc/tileMatrixSets', (ctx) => sendJson(ctx, documents.tileMatrixSetList(base(ctx))));
    router.get('/ogc/tileMatrixSets/:tms', (ctx) => {
      const tms = documents.tileMatrixSetDocument(ctx.params.tms);
      if (!tms) throw new InputError(ctx.path, `no tile matrix set "${ctx.params.tms}"`, 404);
      sendJson(ctx, tms);
    });
    router.get('/ogc/collections', (ctx) => {
      context.registry.freshen();
      const baseUrl = base(ctx);
      // The list is the cached collection documents put side by side, not each rebuilt.
      const entries = context.registry.list().map((tileset) => tilesetDocument(tileset, 'ogc-collection', baseUrl, documents.collection));
      const head = JSON.stringify(documents.collections(baseUrl, [])).replace(/\]\}$/, '');
      sendJson(ctx, Buffer.concat([Buffer.from(head), ...entries.flatMap((entry, i) => (i === 0 ? [entry] : [COMMA, entry])), CLOSE]));
    });
    router.get('/ogc/collections/:id', (ctx) => {
      const tileset = context.registry.get(ctx.params.id);
      if (!tileset) throw new InputError(ctx.path, `no collection "${ctx.params.id}"`, 404);
      sendJson(ctx, tilesetDocument(tileset, 'ogc-collection', base(ctx), documents.collection));
    });
    registerFeatureRoutes(router, context);
    registerTilesets(router, context, 'tiles', false);
    registerTilesets(router, context, 'map/tiles', true);
    // Any other /ogc path names no resource: an OGC API exception too, not the server's generic 404.
    router.get('/ogc/*rest', (ctx) => {
      throw new InputError(ctx.path, 'no such resource', 404);
    });
  },
};
