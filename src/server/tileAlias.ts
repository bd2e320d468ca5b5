// Serves a tile asked for under another URL shape (OGC API – Tiles, WMTS KVP) through the tile route itself,
// so status codes, Content-Encoding, ETag/304, CORS and metrics stay decided in one place.
import type { Context } from 'koa';
import type { FastPath } from './module.js';
import type { Tileset } from './registry.js';
import { answerErrorsWith, type TileErrorBody } from './routes/tiles.js';

/**
 * Rewrites the request to `/tiles/{id}/{z}/{x}/{y}.{ext}` and hands it to the tile fast path, which answers
 * completely (including 400 for malformed coordinates). Coordinates are passed as the client wrote them.
 * `errorBody` writes its error answers as the asking protocol defines them (WMTS XML, OGC API JSON).
 */
export function answerWithTileRoute(ctx: Context, tiles: FastPath, tileset: Tileset, z: string, x: string, y: string, errorBody?: TileErrorBody): void {
  if (errorBody) answerErrorsWith(ctx.req, errorBody);
  const original = ctx.req.url;
  ctx.req.url = `/tiles/${encodeURIComponent(tileset.id)}/${encodeURIComponent(z)}/${encodeURIComponent(x)}/${encodeURIComponent(y)}.${tileset.extensions[0]}`;
  let answered: boolean;
  try {
    answered = tiles(ctx.req, ctx.res);
  } finally {
    ctx.req.url = original;
  }
  if (!answered) throw new Error(`the tile route declined /tiles/${tileset.id}/${z}/${x}/${y}`);
  // The fast path has written the whole answer to the raw response; Koa must not touch it. (If it threw
  // instead, Koa still owns the response and answers 500.)
  ctx.respond = false;
}
