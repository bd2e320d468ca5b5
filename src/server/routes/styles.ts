// GET /styles/{style}/style.json[?lang=az|en|ru] and /styles/{style}/sprite[@2x].{png,json}; styles in /catalog.json.
import { InputError } from '../../errors.js';
import { withToken } from '../access.js';
import { libraryPerFolder, STYLES_DIR } from '../assets.js';
import type { RouteModule, ServerContext } from '../module.js';
import { LANGUAGES, parseLanguage } from '../styles/languages.js';
import { resolveStyle, templateTilesets } from '../styles/resolveStyle.js';
import { StyleLibrary } from '../styles/styleLibrary.js';
import { sendAsset } from './sendAsset.js';

export function createStylesModule(stylesDir?: string): RouteModule {
  const libraries = libraryPerFolder((dir) => new StyleLibrary(dir));
  const libraryFor = (context: ServerContext) => libraries(stylesDir ?? context.options.stylesDir ?? STYLES_DIR);
  return {
    name: 'styles',
    register(router, context) {
      const styles = () => libraryFor(context);
      // Read the templates now: a broken one stops the server at start with its file named, not a request later.
      styles();
      // A style over a tileset that is not served would open blank: say so once, at start (the catalog leaves it
      // out until the tileset appears). With nothing served at all, the CLI's "nothing to serve" says it better.
      if (context.registry.count() > 0) {
        for (const id of styles().ids()) {
          const missing = templateTilesets(styles().template(id)).filter((tileset) => !context.registry.has(tileset));
          if (missing.length) context.logger.warn({ style: id, missing }, `style ${id} left out of the catalog: it draws tileset${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, not served`);
        }
      }
      // A style over a private tileset the request may not see answers exactly as when that tileset is not
      // served at all (the styles are bundled and documented, so a 404 would say "it exists and is private").
      // A style is served by URL exactly when the catalog lists it: every tileset it draws is served and visible
      // to this request (a private one without its token is not, and answers word for word as an absent one).
      const drawable = (id: string) => {
        const template = styles().template(id);
        const missing = templateTilesets(template).filter((tileset) => context.registry.get(tileset) === undefined);
        if (missing.length) throw new InputError(`style "${id}"`, `not served: it draws tileset${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, not served`, 404);
        return template;
      };
      router.get('/styles/:style/style.json', (ctx) => {
        const template = drawable(ctx.params.style);
        const language = parseLanguage(ctx.query.lang);
        const resolved = resolveStyle(template, context.publicUrl(ctx.req), language, `styles/${encodeURIComponent(ctx.params.style)}`);
        // A style drawing a private tileset the request sees links with the request's URL token (sources, sprite).
        const shown = templateTilesets(template).filter((id) => context.registry.get(id)?.private);
        if (shown.length > 0) {
          for (const source of Object.values(resolved.sources)) {
            const id = /\/tiles\/([^/?]+)\.json$/.exec(source.url ?? '')?.[1];
            if (id !== undefined && shown.includes(decodeURIComponent(id))) source.url = withToken(source.url!);
          }
          if (resolved.sprite) resolved.sprite = withToken(resolved.sprite);
        }
        // no-cache with an ETag: clients revalidate cheaply and see a changed template at once.
        sendAsset(ctx, Buffer.from(JSON.stringify(resolved)), 'application/json; charset=utf-8', 'no-cache');
      });
      router.get('/styles/:style/:file', (ctx) => {
        drawable(ctx.params.style);
        const sprite = styles().sprite(ctx.params.style, ctx.params.file);
        sendAsset(ctx, sprite.body, sprite.contentType, context.options.cacheControl);
      });
    },
    catalog(baseUrl, context) {
      const styles = () => libraryFor(context);
      return {
        styles: styles()
          .ids()
          // Only styles that draw: every tileset they name is served and visible to this request (as by URL).
          .filter((id) => templateTilesets(styles().template(id)).every((tileset) => context.registry.get(tileset) !== undefined))
          .map((id) => {
            const template = styles().template(id);
            const tilesets = templateTilesets(template);
            const url = `${baseUrl}/styles/${encodeURIComponent(id)}/style.json`;
            // A style that draws a private tileset is itself private: its links carry the request's token.
            const link = tilesets.some((tileset) => context.registry.get(tileset)?.private) ? withToken : (plain: string) => plain;
            return {
              id,
              name: template.name ?? id,
              url: link(url),
              languages: Object.fromEntries(LANGUAGES.map((language) => [language, link(`${url}?lang=${language}`)])),
              tilesets,
              // Kept for clients that read it: styles with a missing tileset are no longer listed.
              available: true,
            };
          }),
      };
    },
  };
}

export const stylesModule = createStylesModule();
