// Interleaved GeoTIFF sample values to the 8-bit pixels the raster build works on: RGBA, or grey+alpha.
import type { RasterSource } from './types.js';

/** Bytes a pixel: 4 (RGBA) or 2 (grey, alpha). */
export type PixelChannels = 2 | 4;

/** A single-band source's pixels are grey+alpha, half the memory of RGBA; any other source's are RGBA. */
export function pixelChannels(source: RasterSource): PixelChannels {
  return source.colorBands.length === 1 ? 2 : 4;
}

/** Where a pixel's samples are in interleaved values: `stride` values a pixel; colour bands, then alpha, at `offsets`. */
export interface SampleLayout {
  stride: number;
  offsets: number[];
}

/**
 * Interleaved sample values → 8-bit pixels as `pixelChannels` says: grey+alpha, or RGBA; rescaled to 8 bits,
 * nodata and alpha to transparency. Without a layout the values hold just the colour bands and alpha, in that order.
 */
export function toPixels(values: ArrayLike<number>, pixels: number, source: RasterSource, layout?: SampleLayout): Uint8Array {
  const channels = pixelChannels(source);
  const rgba = new Uint8Array(pixels * channels);
  const colors = source.colorBands.length;
  const hasAlpha = source.alphaBand !== undefined;
  const stride = layout?.stride ?? colors + (hasAlpha ? 1 : 0);
  const at = layout?.offsets ?? [...Array(colors + (hasAlpha ? 1 : 0)).keys()];
  const [c0, c1 = 0, c2 = 0] = at;
  const alphaAt = hasAlpha ? at[colors] : 0;
  const alphaScale = 255 / source.alphaMax;
  const nodata = source.nodata;
  const nodataIsNaN = nodata !== undefined && Number.isNaN(nodata);
  const [low, high] = source.rescale ?? [0, 255];
  const gain = 255 / (high - low);
  const identity = source.rescale === undefined;
  const ycbcr = source.ycbcr === true;
  const clamp = (v: number): number => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));
  const level = (v: number): number => {
    if (identity) return v;
    const scaled = (v - low) * gain;
    return scaled <= 0 ? 0 : scaled >= 255 ? 255 : Math.round(scaled);
  };
  for (let p = 0, i = 0, o = 0; p < pixels; p++, i += stride, o += channels) {
    let alpha = hasAlpha ? Math.round(values[i + alphaAt] * alphaScale) : 255;
    if (nodata !== undefined) {
      let allNodata = true;
      for (let c = 0; c < colors; c++) {
        const v = values[i + at[c]];
        if (!(nodataIsNaN ? Number.isNaN(v) : v === nodata)) {
          allNodata = false;
          break;
        }
      }
      if (allNodata) alpha = 0;
    }
    if (alpha === 0) continue;
    if (channels === 2) {
      rgba[o] = level(values[i + c0]);
      rgba[o + 1] = alpha;
      continue;
    }
    if (ycbcr) {
      // JFIF's YCbCr → RGB, as libjpeg and GDAL convert.
      const y = values[i + c0];
      const cb = values[i + c1] - 128;
      const cr = values[i + c2] - 128;
      rgba[o] = clamp(y + 1.402 * cr);
      rgba[o + 1] = clamp(y - 0.344136 * cb - 0.714136 * cr);
      rgba[o + 2] = clamp(y + 1.772 * cb);
    } else {
      rgba[o] = level(values[i + c0]);
      rgba[o + 1] = level(values[i + c1]);
      rgba[o + 2] = level(values[i + c2]);
    }
    rgba[o + 3] = alpha;
  }
  return rgba;
}
