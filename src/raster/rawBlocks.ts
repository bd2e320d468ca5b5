// Direct block reads for uncompressed 8-bit pixel-interleaved GeoTIFFs (GDAL's default output).
import { closeSync, openSync, readSync } from 'node:fs';
import type { GeoTIFFImage } from 'geotiff';
import { InputError } from '../errors.js';

const COMPRESSION_NONE = 1;

/**
 * Blocks (strips or tiles) of an uncompressed file with 8-bit samples interleaved per pixel, read with one system
 * call per run of adjacent blocks and copied row by row. geotiff.js reads such a file block by block through async
 * reads and copies it sample by sample through a DataView: on the CBERS scene (one-row strips) that was a tenth of
 * the raster build's time.
 */
export class RawBlocks {
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
