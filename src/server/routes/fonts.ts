// GET /fonts/{fontstack}/{start}-{end}.pbf: glyph ranges, a comma-separated stack combined font by font.
import { join } from 'node:path';
import { STYLES_DIR } from '../assets.js';
import { FontLibrary, parseGlyphRange } from '../glyphs/fontLibrary.js';
import type { RouteModule } from '../module.js';
import { sendAsset } from './sendAsset.js';

export function createFontsModule(fontsDir = join(STYLES_DIR, 'fonts')): RouteModule {
  let library: FontLibrary | undefined;
  // Read the folder on first use so that servers without glyph requests never scan it.
  const fonts = () => (library ??= new FontLibrary(fontsDir));
  return {
    name: 'fonts',
    register(router, context) {
      router.get('/fonts/:fontstack/:range', (ctx) => {
        const { start } = parseGlyphRange(ctx.params.range);
        sendAsset(ctx, fonts().glyphs(ctx.params.fontstack, start), 'application/x-protobuf', context.options.cacheControl);
      });
    },
    catalog() {
      return { fonts: fonts().names() };
    },
  };
}

export const fontsModule = createFontsModule();
