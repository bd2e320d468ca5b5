// Reads source windows as 8-bit pixels, RGBA or (single-band sources) grey+alpha at half the memory, through an
// LRU cache of decoded chunks aligned to the files' own blocks, one budget for all the sources a thread reads.
import { closeSync, openSync, readSync } from 'node:fs';
import { fromFile, type GeoTIFF, type GeoTIFFImage } from 'geotiff';
import { InputError, isInputError, messageOf } from '../errors.js';
import type { RasterSource } from './types.js';

/** Decoded pixels kept per thread, over all its sources; a tile's window spans a few chunks. */
const CACHE_BYTES = 64 * 1024 * 1024;
const TARGET_CHUNK_PIXELS = 512 * 512;

/** Bytes a pixel: 4 (RGBA) or 2 (grey, alpha). */
export type PixelChannels = 2 | 4;

interface Chunk {
  x0: number;
  y0: number;
  width: number;
  height: number;
  pixels: Uint8Array;
}

/** A window of source pixels (RGBA, or grey+alpha) with its origin in source pixels. */
export interface SourceWindow {
  x0: number;
  y0: number;
  width: number;
  height: number;
  channels: PixelChannels;
  pixels: Uint8Array;
}

/**
 * The decoded chunks of every source this thread reads, least recently used first, under one budget: a
 * national mosaic is thousands of files, and a budget a file would let a worker keep gigabytes.
 */
class ChunkCache {
  private readonly chunks = new Map<string, Chunk>();
  private bytes = 0;

  constructor(private readonly budget: number) {}

  get(key: string): Chunk | undefined {
    const hit = this.chunks.get(key);
    if (hit) {
      // Map keeps insertion order: re-inserting makes this the most recently used.
      this.chunks.delete(key);
      this.chunks.set(key, hit);
    }
    return hit;
  }

  set(key: string, chunk: Chunk): void {
    this.chunks.set(key, chunk);
    this.bytes += chunk.pixels.length;
    for (const [oldKey, old] of this.chunks) {
      if (this.bytes <= this.budget) break;
      this.chunks.delete(oldKey);
      this.bytes -= old.pixels.length;
    }
  }

  /** Drops the chunks of a closed reader (keys start with its prefix). */
  forget(prefix: string): void {
    for (const [key, chunk] of this.chunks) {
      if (!key.startsWith(prefix)) continue;
      this.chunks.delete(key);
      this.bytes -= chunk.pixels.length;
    }
  }
}

const chunkCache = new ChunkCache(CACHE_BYTES);
let readersOpened = 0;

export class WindowReader {
  readonly source: RasterSource;
  private readonly tiff: GeoTIFF;
  private readonly image: GeoTIFFImage;
  private readonly mask: GeoTIFFImage | undefined;
  private readonly chunkWidth: number;
  private readonly chunkHeight: number;
  /** This reader's chunks in the thread's cache are keyed `prefix + chunk`. */
  private readonly cachePrefix = `${readersOpened++}:`;
  /** Set for uncompressed 8-bit pixel-interleaved files, whose blocks are read straight from the file. */
  private readonly rawBlocks: RawBlocks | undefined;
  private readonly channels: PixelChannels;

  private constructor(source: RasterSource, tiff: GeoTIFF, image: GeoTIFFImage, mask: GeoTIFFImage | undefined) {
    this.source = source;
    this.tiff = tiff;
    this.image = image;
    this.mask = mask;
    // Chunks are whole file blocks (tiles or strips), so no block is ever decoded twice while its chunk is cached.
    const blockWidth = image.getTileWidth();
    const blockHeight = image.getTileHeight();
    if (image.isTiled) {
      const perSide = Math.max(1, Math.round(Math.sqrt(TARGET_CHUNK_PIXELS) / Math.max(blockWidth, blockHeight)));
      this.chunkWidth = blockWidth * perSide;
      this.chunkHeight = blockHeight * perSide;
    } else {
      this.chunkWidth = source.width;
      const rows = Math.max(1, Math.ceil(TARGET_CHUNK_PIXELS / source.width));
      this.chunkHeight = Math.max(blockHeight, Math.ceil(rows / blockHeight) * blockHeight);
    }
    this.rawBlocks = RawBlocks.suits(image) ? new RawBlocks(source.path, image, source.nodata) : undefined;
    this.channels = source.colorBands.length === 1 ? 2 : 4;
  }

  static async open(source: RasterSource): Promise<WindowReader> {
    try {
      const tiff = await fromFile(source.path);
      const mask = source.maskImage === undefined ? undefined : await tiff.getImage(source.maskImage);
      return new WindowReader(source, tiff, await tiff.getImage(0), mask);
    } catch (error) {
      throw new InputError(source.path, `cannot reopen: ${messageOf(error)}`);
    }
  }

  async close(): Promise<void> {
    chunkCache.forget(this.cachePrefix);
    this.rawBlocks?.close();
    await this.tiff.close();
  }

  /** Pixels [x0, x1) × [y0, y1), clipped to the image by the caller. */
  async read(x0: number, y0: number, x1: number, y1: number): Promise<SourceWindow> {
    const width = x1 - x0;
    const height = y1 - y0;
    const channels = this.channels;
    const pixels = new Uint8Array(width * height * channels);
    const cx0 = Math.floor(x0 / this.chunkWidth);
    const cx1 = Math.floor((x1 - 1) / this.chunkWidth);
    const cy0 = Math.floor(y0 / this.chunkHeight);
    const cy1 = Math.floor((y1 - 1) / this.chunkHeight);
    for (let cy = cy0; cy <= cy1; cy++) {
      for (let cx = cx0; cx <= cx1; cx++) {
        const chunk = await this.chunk(cx, cy);
        const ix0 = Math.max(x0, chunk.x0);
        const ix1 = Math.min(x1, chunk.x0 + chunk.width);
        const iy0 = Math.max(y0, chunk.y0);
        const iy1 = Math.min(y1, chunk.y0 + chunk.height);
        const rowBytes = (ix1 - ix0) * channels;
        for (let y = iy0; y < iy1; y++) {
          const from = ((y - chunk.y0) * chunk.width + (ix0 - chunk.x0)) * channels;
          pixels.set(chunk.pixels.subarray(from, from + rowBytes), ((y - y0) * width + (ix0 - x0)) * channels);
        }
      }
    }
    return { x0, y0, width, height, channels, pixels };
  }

  private async chunk(cx: number, cy: number): Promise<Chunk> {
    const key = `${this.cachePrefix}${cx},${cy}`;
    const hit = chunkCache.get(key);
    if (hit) return hit;
    const x0 = cx * this.chunkWidth;
    const y0 = cy * this.chunkHeight;
    const width = Math.min(this.chunkWidth, this.source.width - x0);
    const height = Math.min(this.chunkHeight, this.source.height - y0);
    const chunk: Chunk = { x0, y0, width, height, pixels: await this.decode(x0, y0, width, height) };
    chunkCache.set(key, chunk);
    return chunk;
  }

  private async decode(x0: number, y0: number, width: number, height: number): Promise<Uint8Array> {
    const { colorBands, alphaBand } = this.source;
    const samples = alphaBand === undefined ? colorBands : [...colorBands, alphaBand];
    let values: ArrayLike<number>;
    let layout: SampleLayout | undefined;
    try {
      if (this.rawBlocks) {
        values = await this.rawBlocks.read(x0, y0, width, height);
        layout = { stride: this.rawBlocks.samplesPerPixel, offsets: samples };
      } else {
        values = (await this.image.readRasters({ window: [x0, y0, x0 + width, y0 + height], samples, interleave: true })) as unknown as ArrayLike<number>;
      }
    } catch (error) {
      if (isInputError(error)) throw error;
      throw new InputError(this.source.path, `cannot decode the pixels of rows ${y0}–${y0 + height - 1}: ${messageOf(error)}`);
    }
    if (values.length < width * height * (layout?.stride ?? samples.length)) throw new InputError(this.source.path, `truncated pixel data in rows ${y0}–${y0 + height - 1}`);
    const channels = this.channels;
    const pixels = toPixels(values, width * height, this.source, channels, layout);
    if (this.mask) {
      let mask: ArrayLike<number>;
      try {
        mask = (await this.mask.readRasters({ window: [x0, y0, x0 + width, y0 + height], samples: [0], interleave: true })) as unknown as ArrayLike<number>;
      } catch (error) {
        throw new InputError(this.source.path, `cannot decode the internal mask of rows ${y0}–${y0 + height - 1}: ${messageOf(error)}`);
      }
      const scale = 255 / (this.source.maskMax ?? 255);
      for (let p = 0, a = channels - 1; p < width * height; p++, a += channels) pixels[a] = Math.min(pixels[a], Math.round(mask[p] * scale));
    }
    return pixels;
  }
}

/** Where a pixel's samples are in interleaved values: `stride` values a pixel; colour bands, then alpha, at `offsets`. */
export interface SampleLayout {
  stride: number;
  offsets: number[];
}

/**
 * Interleaved sample values → 8-bit pixels: RGBA, or grey+alpha (`channels` 2, single-band sources only); rescaled
 * to 8 bits, nodata and alpha to transparency. Without a layout the values hold just the colour bands and alpha,
 * in that order.
 */
export function toPixels(values: ArrayLike<number>, pixels: number, source: RasterSource, channels: PixelChannels, layout?: SampleLayout): Uint8Array {
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
    if (colors === 1) {
      const g = level(values[i + c0]);
      rgba[o] = g;
      rgba[o + 1] = g;
      rgba[o + 2] = g;
    } else if (ycbcr) {
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

const COMPRESSION_NONE = 1;

/**
 * Blocks (strips or tiles) of an uncompressed file with 8-bit samples interleaved per pixel, read with one system
 * call per run of adjacent blocks and copied row by row. geotiff.js reads such a file block by block through async
 * reads and copies it sample by sample through a DataView: on the CBERS scene (one-row strips) that was a tenth of
 * the raster build's time.
 */
class RawBlocks {
  readonly samplesPerPixel: number;
  private readonly descriptor: number;
  private readonly blockWidth: number;
  private readonly blockHeight: number;
  private readonly blocksAcross: number;
  private offsets: ArrayLike<number> | undefined;
  private byteCounts: ArrayLike<number> | undefined;

  static suits(image: GeoTIFFImage): boolean {
    const directory = image.getFileDirectory();
    const samples = image.getSamplesPerPixel();
    if ((directory.getValue('Compression') ?? COMPRESSION_NONE) !== COMPRESSION_NONE) return false;
    if (samples > 1 && image.planarConfiguration !== 1) return false;
    for (let sample = 0; sample < samples; sample++) {
      if (image.getBitsPerSample(sample) !== 8 || image.getSampleFormat(sample) !== 1) return false;
    }
    return true;
  }

  constructor(
    private readonly path: string,
    private readonly image: GeoTIFFImage,
    /** What a block the file leaves out (byte count 0) reads as, like GDAL's sparse files: nodata, else 0. */
    private readonly fill = 0,
  ) {
    this.samplesPerPixel = image.getSamplesPerPixel();
    this.blockWidth = image.getTileWidth();
    this.blockHeight = image.getTileHeight();
    this.blocksAcross = Math.ceil(image.getWidth() / this.blockWidth);
    this.descriptor = openSync(path, 'r');
  }

  close(): void {
    closeSync(this.descriptor);
  }

  /** All samples of pixels [x0, x0 + width) × [y0, y0 + height), interleaved. */
  async read(x0: number, y0: number, width: number, height: number): Promise<Uint8Array> {
    const directory = this.image.getFileDirectory();
    const tiled = this.image.isTiled;
    this.offsets ??= (await directory.loadValue(tiled ? 'TileOffsets' : 'StripOffsets')) as ArrayLike<number>;
    this.byteCounts ??= (await directory.loadValue(tiled ? 'TileByteCounts' : 'StripByteCounts')) as ArrayLike<number>;
    const spp = this.samplesPerPixel;
    const out = new Uint8Array(width * height * spp);
    if (this.fill > 0 && this.fill <= 255) out.fill(this.fill);
    const bx0 = Math.floor(x0 / this.blockWidth);
    const bx1 = Math.floor((x0 + width - 1) / this.blockWidth);
    const by0 = Math.floor(y0 / this.blockHeight);
    const by1 = Math.floor((y0 + height - 1) / this.blockHeight);
    const blocks: { bx: number; by: number; offset: number; length: number }[] = [];
    for (let by = by0; by <= by1; by++) {
      for (let bx = bx0; bx <= bx1; bx++) {
        const index = by * this.blocksAcross + bx;
        blocks.push({ bx, by, offset: Number(this.offsets[index]), length: Number(this.byteCounts[index]) });
      }
    }
    blocks.sort((a, b) => a.offset - b.offset);
    // Runs of blocks that follow each other in the file (GDAL writes strips in order) are one read.
    for (let first = 0; first < blocks.length; ) {
      let last = first;
      while (last + 1 < blocks.length && blocks[last + 1].length > 0 && blocks[last + 1].offset === blocks[last].offset + blocks[last].length) last++;
      const runStart = blocks[first].offset;
      const runBytes = blocks[last].offset + blocks[last].length - runStart;
      const bytes = Buffer.allocUnsafe(runBytes);
      if (runBytes > 0 && readSync(this.descriptor, bytes, 0, runBytes, runStart) < runBytes) {
        throw new InputError(this.path, `truncated pixel data in rows ${y0}–${y0 + height - 1}`);
      }
      for (let b = first; b <= last; b++) {
        const block = blocks[b];
        if (block.length === 0) continue;
        this.copyBlock(bytes.subarray(block.offset - runStart, block.offset - runStart + block.length), block.bx, block.by, out, x0, y0, width, height);
      }
      first = last + 1;
    }
    return out;
  }

  private copyBlock(block: Uint8Array, bx: number, by: number, out: Uint8Array, x0: number, y0: number, width: number, height: number): void {
    const spp = this.samplesPerPixel;
    const left = bx * this.blockWidth;
    const top = by * this.blockHeight;
    const fromX = Math.max(x0, left);
    const toX = Math.min(x0 + width, left + this.blockWidth);
    const fromY = Math.max(y0, top);
    const toY = Math.min(y0 + height, top + this.blockHeight);
    const rowBytes = (toX - fromX) * spp;
    for (let y = fromY; y < toY; y++) {
      const from = ((y - top) * this.blockWidth + (fromX - left)) * spp;
      if (from + rowBytes > block.length) throw new InputError(this.path, `truncated pixel data in row ${y}`);
      out.set(block.subarray(from, from + rowBytes), ((y - y0) * width + (fromX - x0)) * spp);
    }
  }
}
