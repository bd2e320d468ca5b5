// Which of an RGBA tile's channels an encoder keeps, and copying just those out of it.

/**
 * RGBA channel indexes kept per pixel, in output order: [0] grey, [0, 3] grey+alpha, [0, 1, 2] RGB, [0, 1, 2, 3]
 * RGBA. Grey reads the red channel: single-band imagery has r = g = b.
 */
export type KeptChannels = readonly [0] | readonly [0, 3] | readonly [0, 1, 2] | readonly [0, 1, 2, 3];

/** Opaque tiles drop alpha, grey tiles two colour channels: smaller files and less to compress. */
export function keptChannels(grey: boolean, opaque: boolean): KeptChannels {
  if (grey) return opaque ? [0] : [0, 3];
  return opaque ? [0, 1, 2] : [0, 1, 2, 3];
}

/** Copies the kept channels of `pixels` RGBA pixels, from pixel `first` on, into `out` (pixels × kept bytes). */
export function pickChannels<Out extends Uint8Array>(rgba: Uint8Array, kept: KeptChannels, first: number, pixels: number, out: Out): Out {
  const from = first * 4;
  const bpp = kept.length;
  if (bpp === 4) out.set(rgba.subarray(from, from + pixels * 4));
  else if (bpp === 1) for (let p = 0, i = from; p < pixels; p++, i += 4) out[p] = rgba[i];
  else {
    for (let p = 0, i = from, o = 0; p < pixels; p++, i += 4) {
      for (let c = 0; c < bpp; c++) out[o++] = rgba[i + kept[c]];
    }
  }
  return out;
}
