// GET / (the map viewer page) and its assets: the viewer's own files, MapLibre GL JS and OpenLayers (for tilesets in
// another grid, see static/grid.html) from the installed packages.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from 'koa';
import { InputError } from '../../errors.js';
import { acceptsGzip, matchesEtag } from '../encoding.js';
import type { RouteModule, ServerContext } from '../module.js';
import { StaticFolder, type StaticFile } from './staticFiles.js';

/** The package root (where package.json names mekan): static files live in the source tree, not in dist/. */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'mekan') return dir;
    if (dirname(dir) === dir) throw new Error(`no mekan package.json above ${from}`);
  }
}

export const VIEWER_STATIC_DIR = join(packageRoot(), 'src', 'server', 'viewer', 'static');
const packageDir = (name: string) => dirname(createRequire(import.meta.url).resolve(`${name}/package.json`));
export const MAPLIBRE_DIST_DIR = join(packageDir('maplibre-gl'), 'dist');
/** OpenLayers' full build (ol.js, a global `ol`) lives in dist/, its stylesheet at the package root. */
export const OPENLAYERS_DIR = packageDir('ol');

/**
 * MapLibre runs its workers from same-origin module URLs (blob: as a fallback), decodes images through
 * blob: URLs and fetches tiles, styles, glyphs and sprites with fetch; nothing else is needed.
 * The public URL's origin is allowed too, for servers reached under another name than the page.
 */
export function contentSecurityPolicy(publicOrigin: string): string {
  const self = publicOrigin ? `'self' ${publicOrigin}` : `'self'`;
  return [
    `default-src 'none'`,
    `script-src 'self'`,
    `worker-src 'self' blob:`,
    `child-src 'self' blob:`,
    `style-src 'self'`,
    `img-src ${self} data: blob:`,
    `connect-src ${self}`,
    `font-src 'self'`,
    `base-uri 'none'`,
    `form-action 'none'`,
    `frame-ancestors 'none'`,
  ].join('; ');
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '';
  }
}

function securityHeaders(ctx: Context, context: ServerContext): void {
  ctx.set('Content-Security-Policy', contentSecurityPolicy(originOf(context.publicUrl(ctx.req))));
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Referrer-Policy', 'strict-origin-when-cross-origin');
  ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
}

function sendFile(ctx: Context, file: StaticFile, cacheControl: string): void {
  ctx.set('Cache-Control', cacheControl);
  ctx.set('ETag', file.gzipped && acceptsGzip(ctx.get('Accept-Encoding')) ? file.etag.replace(/"$/, '-gzip"') : file.etag);
  if (file.gzipped) ctx.vary('Accept-Encoding');
  if (matchesEtag(ctx.get('If-None-Match') || undefined, ctx.response.get('ETag'))) {
    ctx.status = 304;
    return;
  }
  ctx.type = file.contentType;
  if (file.gzipped && acceptsGzip(ctx.get('Accept-Encoding'))) {
    ctx.set('Content-Encoding', 'gzip');
    ctx.body = file.gzipped;
  } else {
    ctx.body = file.body;
  }
}

export const viewerModule: RouteModule = {
  name: 'viewer',
  register(router, context) {
    const viewer = new StaticFolder(VIEWER_STATIC_DIR);
    const maplibre = new StaticFolder(MAPLIBRE_DIST_DIR);
    const openlayers = new StaticFolder(join(OPENLAYERS_DIR, 'dist'));
    const openlayersStyles = new StaticFolder(OPENLAYERS_DIR);
    const serve = (folder: StaticFolder, cacheControl: string, name = (ctx: Context) => ctx.params.file) => (ctx: Context) => {
      securityHeaders(ctx, context);
      const file = folder.get(name(ctx));
      if (!file) throw new InputError(ctx.path, 'not found', 404);
      sendFile(ctx, file, cacheControl);
    };
    router.get('/', (ctx) => {
      securityHeaders(ctx, context);
      sendFile(ctx, viewer.get('index.html')!, 'no-cache');
    });
    // The viewer's files change with the code: revalidate every time (cheap, ETag).
    router.get('/_/viewer/:file', serve(viewer, 'no-cache'));
    // MapLibre's files change only with the installed version.
    router.get('/_/maplibre-gl/:file', serve(maplibre, 'public, max-age=86400'));
    // OpenLayers, the same; only the page of a tileset in another grid loads it (1 MB).
    router.get('/_/ol/ol.css', serve(openlayersStyles, 'public, max-age=86400', () => 'ol.css'));
    router.get('/_/ol/:file', serve(openlayers, 'public, max-age=86400'));
  },
};
