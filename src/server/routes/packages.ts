// GET /packages/estimate (tiles and bytes of an offline extract, from the index) and GET /packages/{tileset}.mbtiles
// (the extract, streamed as it is read: src/packages/streamExtract.ts lays the SQLite file out from the index, then
// its pages go out as the client takes them). At most `packages.maxConcurrent` downloads run at once; beyond, 503.
import { Readable } from 'node:stream';
import type { Context } from 'koa';
import { InputError, messageOf } from '../../errors.js';
import { parseBBox } from '../../grid/bbox.js';
import { MAX_ZOOM } from '../../grid/webMercator.js';
import { estimateExtract, type Estimate } from '../../packages/estimate.js';
import { planStreamedExtract } from '../../packages/streamExtract.js';
import { zoomsInOrder, type Region } from '../../packages/ranges.js';
import { libraryPerFolder, STYLES_DIR } from '../assets.js';
import type { RouteModule, ServerContext } from '../module.js';
import type { Tileset } from '../registry.js';
import { templateTilesets } from '../styles/resolveStyle.js';
import { StyleLibrary } from '../styles/styleLibrary.js';

/** What a refused download is told to wait: a download of a city box takes seconds. */
const RETRY_AFTER_SECONDS = 5;

function single(ctx: Context, name: string): string | undefined {
  const value = ctx.query[name];
  if (Array.isArray(value)) throw new InputError(ctx.path, `give ${name} once`);
  return value;
}

function zoomParameter(ctx: Context, name: string): number | undefined {
  const text = single(ctx, name);
  if (text === undefined) return undefined;
  const zoom = Number(text);
  if (!/^\d{1,2}$/.test(text) || zoom > MAX_ZOOM) throw new InputError(`${name}=${text}`, `expected an integer zoom 0..${MAX_ZOOM}`);
  return zoom;
}

/** The box and zooms of a request; 400 naming the parameter for anything malformed. */
function regionOf(ctx: Context): Region {
  return zoomsInOrder({ bbox: parseBBox(single(ctx, 'bbox'), 'bbox'), minzoom: zoomParameter(ctx, 'minzoom'), maxzoom: zoomParameter(ctx, 'maxzoom') }, '');
}

/** A tileset the request may see: a private one without its token is as unknown as a missing one (404). */
function tilesetOf(context: ServerContext, id: string): Tileset {
  const tileset = context.registry.get(id);
  if (!tileset) throw new InputError(`tileset "${id}"`, 'not found', 404);
  return tileset;
}

function estimateJson(estimate: Estimate): Record<string, unknown> {
  return { tiles: estimate.tiles, bytes: estimate.bytes, bbox: estimate.bbox.map((v) => +v.toFixed(7)), minzoom: estimate.minzoom, maxzoom: estimate.maxzoom };
}

/** 413 when the estimate is above a cap, naming the cap and the estimate. */
function enforceCaps(context: ServerContext, what: string, estimate: { tiles: number; bytes: number }): void {
  const { maxTiles, maxBytes } = context.options.packages;
  const over = estimate.tiles > maxTiles ? `${maxTiles} tiles (packages.maxTiles)` : estimate.bytes > maxBytes ? `${maxBytes} bytes (packages.maxBytes)` : undefined;
  if (over) throw new InputError(what, `the extract holds ${estimate.tiles} tiles and ${estimate.bytes} bytes, above this server's cap of ${over}; ask for a smaller box or a lower maxzoom`, 413);
}

export function createPackagesModule(stylesDir?: string): RouteModule {
  const libraries = libraryPerFolder((dir) => new StyleLibrary(dir));
  return {
    name: 'packages',
    register(router, context) {
      /** Downloads under way on this server. */
      let downloads = 0;
      const dir = stylesDir ?? context.options.stylesDir ?? STYLES_DIR;
      const styles = () => libraries(dir);
      router.get('/packages/estimate', async (ctx) => {
        const tilesetId = single(ctx, 'tileset');
        const styleId = single(ctx, 'style');
        if ((tilesetId === undefined) === (styleId === undefined)) throw new InputError(ctx.path, 'give tileset=ID or style=ID');
        const region = regionOf(ctx);
        let body: Record<string, unknown>;
        if (tilesetId !== undefined) {
          body = estimateJson(await estimateExtract(tilesetOf(context, tilesetId).archive, region));
        } else {
          // A whole package: every tileset the style draws (a hidden one answers as an absent one: tilesetOf's 404).
          const ids = templateTilesets(styles().template(styleId!));
          const tilesets: Record<string, unknown> = {};
          let tiles = 0;
          let bytes = 0;
          for (const id of ids) {
            const estimate = await estimateExtract(tilesetOf(context, id).archive, region);
            tilesets[id] = estimateJson(estimate);
            tiles += estimate.tiles;
            bytes += estimate.bytes;
          }
          body = { tiles, bytes, tilesets };
        }
        const { maxTiles, maxBytes } = context.options.packages;
        ctx.set('Cache-Control', 'no-cache');
        ctx.body = { ...body, caps: { maxTiles, maxBytes } };
      });

      router.get('/packages/:file', async (ctx) => {
        const match = /^(.+)\.mbtiles$/.exec(ctx.params.file);
        if (!match) throw new InputError(ctx.path, 'not found', 404);
        const tileset = tilesetOf(context, match[1]);
        const region = regionOf(ctx);
        const { maxConcurrent } = context.options.packages;
        if (downloads >= maxConcurrent) {
          ctx.set('Retry-After', String(RETRY_AFTER_SECONDS));
          throw new InputError(ctx.path, `${downloads} downloads are under way, this server's limit (packages.maxConcurrent ${maxConcurrent}); try again in a few seconds`, 503);
        }
        // The slot is held until the response is over: sent, failed or left by its client. It is given back before
        // the download's last log line, so whoever reads the log may count on the slot being free.
        downloads++;
        let held = true;
        const release = () => {
          if (held) downloads--;
          held = false;
        };
        ctx.res.once('close', release);
        const estimate = await estimateExtract(tileset.archive, region);
        enforceCaps(context, `extract of "${tileset.id}"`, estimate);

        const abort = new AbortController();
        const gone = () => abort.abort(new Error('client disconnected'));
        // The response's close (not the request's, which fires once a GET's empty body is read) means the client left.
        ctx.res.once('close', gone);
        if (ctx.res.destroyed || ctx.req.socket.destroyed) gone();
        const stopped = () => context.logger.info({ tileset: tileset.id, url: ctx.url }, `download of ${tileset.id} stopped: the client went away`);
        let extract;
        try {
          extract = await planStreamedExtract(tileset.archive, region, abort.signal);
        } catch (error) {
          if (!abort.signal.aborted) throw error;
          release();
          stopped();
          ctx.respond = false;
          return;
        }
        const { logger } = context;
        const chunks = extract.chunks(abort.signal);
        const file = { tiles: extract.tiles, bytes: extract.bytes };
        async function* sent(): AsyncGenerator<Buffer> {
          let ended = false;
          try {
            yield* chunks;
            ended = true;
            release();
            logger.info({ tileset: tileset.id, url: ctx.url, ...file }, `download of ${tileset.id} finished: ${file.tiles} tiles, ${file.bytes} bytes`);
          } catch (error) {
            if (abort.signal.aborted) return;
            ended = true;
            release();
            // Headers are gone: the client sees the body cut short (less than its Content-Length), never a wrong file.
            logger.error({ err: error, tileset: tileset.id, url: ctx.url }, `download of ${tileset.id} failed: ${messageOf(error)}`);
            throw error;
          } finally {
            // Neither sent nor failed: the stream was dropped (or aborted) because the client left.
            if (!ended) {
              release();
              stopped();
            }
          }
        }
        ctx.set('Content-Disposition', `attachment; filename="${encodeURIComponent(tileset.id)}.mbtiles"`);
        ctx.set('Cache-Control', tileset.private ? 'private, no-store' : 'no-store');
        ctx.set('X-Mekan-Tiles', String(extract.tiles));
        ctx.type = 'application/vnd.sqlite3';
        ctx.length = extract.bytes;
        ctx.body = Readable.from(sent(), { objectMode: false });
      });
    },
  };
}

export const packagesModule = createPackagesModule();
