// GET /packages/estimate (tiles and bytes of an offline extract, from the index) and GET /packages/{tileset}.mbtiles (the extract).
//
// A download is built into a temp file and then streamed: an MBTiles file is an SQLite database, complete only once
// its last page is written (page 1 carries the page count, the index pages change to the end), so its bytes cannot
// go out while it is made. The work yields to the event loop between slices and stops when the client goes away.
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'koa';
import { createArchive } from '../../archive/open.js';
import { InputError } from '../../errors.js';
import { parseBBox } from '../../grid/bbox.js';
import { MAX_ZOOM } from '../../grid/webMercator.js';
import { estimateExtract, type Estimate } from '../../packages/estimate.js';
import { extractTiles } from '../../packages/extract.js';
import type { Region } from '../../packages/ranges.js';
import { STYLES_DIR } from '../assets.js';
import type { RouteModule, ServerContext } from '../module.js';
import type { Tileset } from '../registry.js';
import { templateTilesets } from '../styles/resolveStyle.js';
import { StyleLibrary } from '../styles/styleLibrary.js';

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
  const region: Region = { bbox: parseBBox(single(ctx, 'bbox'), 'bbox'), minzoom: zoomParameter(ctx, 'minzoom'), maxzoom: zoomParameter(ctx, 'maxzoom') };
  if (region.minzoom !== undefined && region.maxzoom !== undefined && region.minzoom > region.maxzoom) throw new InputError('minzoom', `${region.minzoom} is above maxzoom ${region.maxzoom}`);
  return region;
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
  const libraries = new Map<string, StyleLibrary>();
  return {
    name: 'packages',
    register(router, context) {
      const dir = stylesDir ?? context.options.stylesDir ?? STYLES_DIR;
      const styles = () => {
        let library = libraries.get(dir);
        if (!library) libraries.set(dir, (library = new StyleLibrary(dir)));
        return library;
      };
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
        const estimate = await estimateExtract(tileset.archive, region);
        enforceCaps(context, `extract of "${tileset.id}"`, estimate);

        const abort = new AbortController();
        const gone = () => abort.abort(new Error('client disconnected'));
        // The response's close (not the request's, which fires once a GET's empty body is read) means the client left.
        ctx.res.once('close', gone);
        if (ctx.res.destroyed || ctx.req.socket.destroyed) gone();
        const folder = mkdtempSync(join(tmpdir(), 'mekan-package-'));
        const output = join(folder, `${tileset.id}.mbtiles`);
        try {
          await extractTiles({ sources: [tileset.archive], region, output: createArchive(output), signal: abort.signal });
        } catch (error) {
          rmSync(folder, { recursive: true, force: true });
          if (abort.signal.aborted) {
            context.logger.info({ tileset: tileset.id, url: ctx.url }, `download of ${tileset.id} stopped: the client went away`);
            ctx.respond = false;
            return;
          }
          throw error;
        } finally {
          ctx.res.off('close', gone);
        }
        const stream = createReadStream(output);
        // The file goes as soon as it is sent or the client leaves (Linux keeps an open file readable once unlinked).
        stream.once('open', () => rmSync(folder, { recursive: true, force: true }));
        stream.once('close', () => rmSync(folder, { recursive: true, force: true }));
        ctx.set('Content-Disposition', `attachment; filename="${encodeURIComponent(tileset.id)}.mbtiles"`);
        ctx.set('Cache-Control', tileset.private ? 'private, no-store' : 'no-store');
        ctx.set('X-Mekan-Tiles', String(estimate.tiles));
        ctx.type = 'application/vnd.sqlite3';
        ctx.length = statSync(output).size;
        ctx.body = stream;
      });
    },
  };
}

export const packagesModule = createPackagesModule();
