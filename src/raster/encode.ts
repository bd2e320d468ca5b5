// Encodes an RGBA tile with sharp: WebP or PNG keep transparency; JPEG flattens onto a background colour.
import sharp from 'sharp';
import { TILE_SIZE, type RasterTileFormat } from './types.js';
import type { Coverage } from './pyramid.js';

export interface EncodeOptions {
  format: RasterTileFormat;
  quality: number;
  background: [number, number, number];
}

export async function encodeTile(rgba: Uint8Array, coverage: Coverage, options: EncodeOptions): Promise<Buffer> {
  let image = sharp(rgba, { raw: { width: TILE_SIZE, height: TILE_SIZE, channels: 4 } });
  // An opaque tile needs no alpha channel: smaller files, faster decoding in the browser.
  if (coverage === 'opaque') image = image.removeAlpha();
  switch (options.format) {
    case 'webp':
      return image.webp({ quality: options.quality, effort: 2 }).toBuffer();
    case 'jpeg': {
      const [r, g, b] = options.background;
      return image.flatten({ background: { r, g, b } }).jpeg({ quality: options.quality, mozjpeg: false }).toBuffer();
    }
    case 'png':
      return image.png({ compressionLevel: 6, adaptiveFiltering: false }).toBuffer();
  }
}
