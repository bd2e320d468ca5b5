// A display range for imagery that is not 8-bit: the 2nd and 98th percentile of a spread-out sample of the data.
import type { GeoTIFFImage } from 'geotiff';
import { InputError } from '../errors.js';
import type { RasterSource } from './types.js';

const SAMPLE_WINDOWS = 4; // per side: 16 windows spread over the image
const WINDOW_SIZE = 256;

/**
 * Reads at most 16 windows of 256×256 (never the whole file) and returns the 2–98 % cumulative cut over the colour
 * bands together, so that the bands keep their balance. Nodata values are left out.
 */
export async function sampleValueRange(image: GeoTIFFImage, source: RasterSource): Promise<[number, number]> {
  const values: number[] = [];
  const { width, height } = source;
  const size = Math.min(WINDOW_SIZE, width, height);
  for (let i = 0; i < SAMPLE_WINDOWS; i++) {
    for (let j = 0; j < SAMPLE_WINDOWS; j++) {
      const x0 = Math.round(((width - size) * (i + 0.5)) / SAMPLE_WINDOWS);
      const y0 = Math.round(((height - size) * (j + 0.5)) / SAMPLE_WINDOWS);
      const window = [x0, y0, Math.min(width, x0 + size), Math.min(height, y0 + size)];
      const data = await image.readRasters({ window, samples: source.colorBands, interleave: true });
      // A stride keeps the sample at about 4k values per window.
      const stride = Math.max(1, Math.floor(data.length / 4096));
      for (let k = 0; k < data.length; k += stride) {
        const value = Number(data[k]);
        if (Number.isFinite(value) && value !== source.nodata) values.push(value);
      }
    }
  }
  if (values.length === 0) throw new InputError(source.path, 'no valid pixel values found to derive a display range; give --rescale MIN,MAX');
  values.sort((a, b) => a - b);
  const low = values[Math.floor(values.length * 0.02)];
  const high = values[Math.min(values.length - 1, Math.floor(values.length * 0.98))];
  return high > low ? [low, high] : [low, low + 1];
}
