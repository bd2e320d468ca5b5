// A small PNG encoder for tiles: grey, grey+alpha, RGB or RGBA, the Up filter on every row, zlib level 4.
// Imagery compresses much better filtered than sharp's unfiltered fast path, at less CPU than its adaptive filtering.
// Level 4 measured 3× faster than 6 on CBERS tiles for 6 % more bytes: deflate was half the build's CPU at 6.
import { crc32, deflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const COLOUR_TYPES: Record<number, number> = { 1: 0, 2: 4, 3: 2, 4: 6 };

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** `pixels`: rows of width×channels bytes, channels 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA). */
// Synchronous on purpose: zlib's async form hops to libuv's pool once per 16 KiB, which costs more than it overlaps.
export function encodePng(pixels: Uint8Array, width: number, height: number, channels: 1 | 2 | 3 | 4, level = 4): Buffer {
  const stride = width * channels;
  const filtered = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    const out = y * (stride + 1);
    // Up (2): each byte minus the byte above; the first row has nothing above, which is the None filter's result.
    filtered[out] = 2;
    if (y === 0) filtered.set(pixels.subarray(0, stride), 1);
    else for (let i = 0; i < stride; i++) filtered[out + 1 + i] = pixels[row + i] - pixels[row - stride + i];
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;
  header[9] = COLOUR_TYPES[channels];
  return Buffer.concat([SIGNATURE, chunk('IHDR', header), chunk('IDAT', deflateSync(filtered, { level })), chunk('IEND', Buffer.alloc(0))]);
}
