// Samples a source window (RGBA, or grey+alpha) at fractional pixel positions (nearest, bilinear, cubic, lanczos)
// into an RGBA tile, weighting by alpha (premultiplied) so that nodata never bleeds colour into valid pixels.
import type { SourceWindow } from './windowReader.js';
import { TILE_SIZE, type Resampling } from './types.js';

/** Kernel half-width in source pixels at scale 1. */
export function kernelRadius(resampling: Resampling): number {
  switch (resampling) {
    case 'nearest':
      return 0.5;
    case 'bilinear':
      return 1;
    case 'cubic':
      return 2;
    case 'lanczos':
      return 3;
  }
}

function weight(resampling: Resampling, t: number): number {
  const x = Math.abs(t);
  switch (resampling) {
    case 'bilinear':
      return x < 1 ? 1 - x : 0;
    case 'cubic': {
      // Keys' cubic convolution with a = -0.5, as GDAL's `cubic`.
      const a = -0.5;
      if (x < 1) return (a + 2) * x * x * x - (a + 3) * x * x + 1;
      if (x < 2) return a * x * x * x - 5 * a * x * x + 8 * a * x - 4 * a;
      return 0;
    }
    case 'lanczos': {
      if (x === 0) return 1;
      if (x >= 3) return 0;
      const px = Math.PI * x;
      return (3 * Math.sin(px) * Math.sin(px / 3)) / (px * px);
    }
    default:
      return x < 0.5 ? 1 : 0;
  }
}

/**
 * Fills `tile` (RGBA 256×256, premultiplied-free) from `window` for every pixel whose centre maps inside the image
 * (`coords` from tilePixelMap). `scale` ≥ 1 widens the kernel when the tile is coarser than the source.
 * Pixels mapping outside the image stay untouched (transparent). Returns how many pixels got any data.
 */
export function resampleInto(
  tile: Uint8Array,
  coords: Float64Array,
  window: SourceWindow,
  imageWidth: number,
  imageHeight: number,
  resampling: Resampling,
  scale: number,
): number {
  const { x0, y0, width, height, pixels: rgba, channels: ch } = window;
  // A grey+alpha window (r = g = b): one channel is computed and copied; its green and blue read the grey.
  const grey = ch === 2;
  const G = grey ? 0 : 1;
  const B = grey ? 0 : 2;
  const A = ch - 1;
  let covered = 0;
  if (resampling === 'nearest' || (resampling === 'bilinear' && scale <= 1)) {
    for (let p = 0; p < TILE_SIZE * TILE_SIZE; p++) {
      const sx = coords[p * 2];
      const sy = coords[p * 2 + 1];
      if (!(sx >= 0 && sy >= 0 && sx < imageWidth && sy < imageHeight)) continue;
      const o = p * 4;
      if (resampling === 'nearest') {
        const i = ((Math.floor(sy) - y0) * width + (Math.floor(sx) - x0)) * ch;
        if (rgba[i + A] === 0) continue;
        tile[o] = rgba[i];
        tile[o + 1] = rgba[i + G];
        tile[o + 2] = rgba[i + B];
        tile[o + 3] = rgba[i + A];
        covered++;
        continue;
      }
      // Bilinear between the four nearest pixel centres; taps beyond the image edge repeat the edge.
      const u = sx - 0.5;
      const v = sy - 0.5;
      // sx, sy ≥ 0 here, so u, v ≥ -0.5: truncation is floor except on (-0.5, 0).
      const ui = u < 0 ? -1 : u | 0;
      const vi = v < 0 ? -1 : v | 0;
      const fx = u - ui;
      const fy = v - vi;
      const xa = (ui < 0 ? 0 : ui) - x0;
      const xb = (ui + 1 >= imageWidth ? imageWidth - 1 : ui + 1) - x0;
      const ya = (vi < 0 ? 0 : vi) - y0;
      const yb = (vi + 1 >= imageHeight ? imageHeight - 1 : vi + 1) - y0;
      const i00 = (ya * width + xa) * ch;
      const i10 = (ya * width + xb) * ch;
      const i01 = (yb * width + xa) * ch;
      const i11 = (yb * width + xb) * ch;
      const a00 = rgba[i00 + A];
      const a10 = rgba[i10 + A];
      const a01 = rgba[i01 + A];
      const a11 = rgba[i11 + A];
      if (a00 === 255 && a10 === 255 && a01 === 255 && a11 === 255) {
        // The common case inside the data: no alpha weighting needed.
        const w00 = (1 - fx) * (1 - fy);
        const w10 = fx * (1 - fy);
        const w01 = (1 - fx) * fy;
        const w11 = fx * fy;
        const r = (rgba[i00] * w00 + rgba[i10] * w10 + rgba[i01] * w01 + rgba[i11] * w11 + 0.5) | 0;
        tile[o] = r;
        if (grey) {
          tile[o + 1] = r;
          tile[o + 2] = r;
        } else {
          tile[o + 1] = (rgba[i00 + 1] * w00 + rgba[i10 + 1] * w10 + rgba[i01 + 1] * w01 + rgba[i11 + 1] * w11 + 0.5) | 0;
          tile[o + 2] = (rgba[i00 + 2] * w00 + rgba[i10 + 2] * w10 + rgba[i01 + 2] * w01 + rgba[i11 + 2] * w11 + 0.5) | 0;
        }
        tile[o + 3] = 255;
        covered++;
        continue;
      }
      const w00 = (1 - fx) * (1 - fy) * a00;
      const w10 = fx * (1 - fy) * a10;
      const w01 = (1 - fx) * fy * a01;
      const w11 = fx * fy * a11;
      const alpha = w00 + w10 + w01 + w11;
      if (alpha < 0.5) continue;
      tile[o] = (rgba[i00] * w00 + rgba[i10] * w10 + rgba[i01] * w01 + rgba[i11] * w11) / alpha + 0.5;
      tile[o + 1] = (rgba[i00 + G] * w00 + rgba[i10 + G] * w10 + rgba[i01 + G] * w01 + rgba[i11 + G] * w11) / alpha + 0.5;
      tile[o + 2] = (rgba[i00 + B] * w00 + rgba[i10 + B] * w10 + rgba[i01 + B] * w01 + rgba[i11 + B] * w11) / alpha + 0.5;
      tile[o + 3] = alpha + 0.5;
      covered++;
    }
    return covered;
  }

  // General separable kernel, widened by `scale` when downsampling so that every source pixel contributes.
  const radius = kernelRadius(resampling) * scale;
  const taps = Math.ceil(radius) * 2 + 1;
  const wx = new Float64Array(taps);
  const wy = new Float64Array(taps);
  const xs = new Int32Array(taps);
  const ys = new Int32Array(taps);
  for (let p = 0; p < TILE_SIZE * TILE_SIZE; p++) {
    const sx = coords[p * 2];
    const sy = coords[p * 2 + 1];
    if (!(sx >= 0 && sy >= 0 && sx < imageWidth && sy < imageHeight)) continue;
    const u = sx - 0.5;
    const v = sy - 0.5;
    const firstX = Math.floor(u - radius) + 1;
    const firstY = Math.floor(v - radius) + 1;
    let nx = 0;
    let ny = 0;
    for (let k = 0; k < taps; k++) {
      const col = firstX + k;
      const w = weight(resampling, (col - u) / scale);
      if (w !== 0) {
        wx[nx] = w;
        xs[nx++] = Math.min(imageWidth - 1, Math.max(0, col)) - x0;
      }
      const row = firstY + k;
      const h = weight(resampling, (row - v) / scale);
      if (h !== 0) {
        wy[ny] = h;
        ys[ny++] = Math.min(imageHeight - 1, Math.max(0, row)) - y0;
      }
    }
    let r = 0;
    let g = 0;
    let b = 0;
    let a = 0;
    let total = 0;
    for (let j = 0; j < ny; j++) {
      const rowStart = ys[j] * width;
      for (let i = 0; i < nx; i++) {
        const w = wx[i] * wy[j];
        const s = (rowStart + xs[i]) * ch;
        const wa = w * rgba[s + A];
        r += rgba[s] * wa;
        g += rgba[s + G] * wa;
        b += rgba[s + B] * wa;
        a += wa;
        total += w;
      }
    }
    const alpha = a / total;
    if (!(alpha >= 0.5)) continue;
    const o = p * 4;
    tile[o] = clampByte(r / a);
    tile[o + 1] = clampByte(g / a);
    tile[o + 2] = clampByte(b / a);
    tile[o + 3] = clampByte(alpha);
    covered++;
  }
  void height;
  return covered;
}

function clampByte(value: number): number {
  return value <= 0 ? 0 : value >= 255 ? 255 : value + 0.5;
}

/** Draws `top` over `bottom` (both straight-alpha RGBA): where the later source is transparent the earlier shows. */
export function compositeOver(bottom: Uint8Array, top: Uint8Array): void {
  for (let o = 0; o < bottom.length; o += 4) {
    const ta = top[o + 3];
    if (ta === 0) continue;
    const ba = bottom[o + 3];
    if (ta === 255 || ba === 0) {
      bottom[o] = top[o];
      bottom[o + 1] = top[o + 1];
      bottom[o + 2] = top[o + 2];
      bottom[o + 3] = ta;
      continue;
    }
    const t = ta / 255;
    const b = (ba / 255) * (1 - t);
    const out = t + b;
    for (let c = 0; c < 3; c++) bottom[o + c] = (top[o + c] * t + bottom[o + c] * b) / out + 0.5;
    bottom[o + 3] = out * 255 + 0.5;
  }
}
