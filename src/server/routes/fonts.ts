// GET /fonts/{fontstack}/{start}-{end}.pbf: glyph ranges, a comma-separated stack combined font by font.
import { join } from 'node:path';
import { STYLES_DIR } from '../assets.js';
import { FontLibrary, parseGlyphRange } from '../glyphs/fontLibrary.js';
import type { RouteModule, ServerContext } from '../module.js';
import { sendAsset } from './sendAsset.js';

export function createFontsModule(fontsDir?: string): RouteModule {
  // One library per folder (the module serves every app of a process; an offline package brings its own fonts),
  // read on first use so that servers without glyph requests never scan it.
  const libraries = new Map<string, FontLibrary>();
  const fonts = (context: ServerContext) => {
    const dir = fontsDir ?? context.options.fontsDir ?? join(STYLES_DIR, 'fonts');
    let library = libraries.get(dir);
    if (!library) libraries.set(dir, (library = new FontLibrary(dir)));
    return library;
  };
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
