// Reads source windows as 8-bit pixels, RGBA or (single-band sources) grey+alpha at half the memory, through an
// LRU cache of decoded chunks aligned to the files' own blocks, one budget for all the sources a thread reads.
import { fromFile, type GeoTIFF, type GeoTIFFImage } from 'geotiff';
import { InputError, isInputError, messageOf } from '../errors.js';
import { pixelChannels, toPixels, type PixelChannels, type SampleLayout } from './pixels.js';
import { RawBlocks } from './rawBlocks.js';
import type { RasterSource } from './types.js';

/** Decoded pixels kept per thread, over all its sources; a tile's window spans a few chunks. */
const CACHE_BYTES = 64 * 1024 * 1024;
const TARGET_CHUNK_PIXELS = 512 * 512;

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
    this.channels = pixelChannels(source);
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
    const pixels = toPixels(values, width * height, this.source, layout);
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
