// GET /fonts/{fontstack}/{start}-{end}.pbf: glyph ranges, a comma-separated stack combined font by font.
import { join } from 'node:path';
import { libraryPerFolder, STYLES_DIR } from '../assets.js';
import { FontLibrary, parseGlyphRange } from '../glyphs/fontLibrary.js';
import type { RouteModule, ServerContext } from '../module.js';
import { sendAsset } from './sendAsset.js';

export function createFontsModule(fontsDir?: string): RouteModule {
  // Read on first use, so that servers without glyph requests never scan the folder.
  const libraries = libraryPerFolder((dir) => new FontLibrary(dir));
  const fonts = (context: ServerContext) => libraries(fontsDir ?? context.options.fontsDir ?? join(STYLES_DIR, 'fonts'));
  return {
    name: 'fonts',
    register(router, context) {
      router.get('/fonts/:fontstack/:range', (ctx) => {
        const { start } = parseGlyphRange(ctx.params.range);
        sendAsset(ctx, fonts(context).glyphs(ctx.params.fontstack, start), 'application/x-protobuf', context.options.cacheControl);
      });
    },
    catalog(_baseUrl, context) {
      return { fonts: fonts(context).names() };
    },
  };
}

export const fontsModule = createFontsModule();
