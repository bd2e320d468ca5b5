// Sequential reads of fixed-size pieces from a file through a large window, for the binary formats' record streams.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const WINDOW_BYTES = 1 << 20;

export class BlockReader {
  private readonly descriptor: number;
  readonly size: number;
  private buffer = Buffer.alloc(0);
  private window = Buffer.alloc(0);
  /** File offset of window[0]. */
  private windowStart = 0;
  /** File offset of the next byte to take. */
  position = 0;

  constructor(path: string) {
    this.descriptor = openSync(path, 'r');
    this.size = fstatSync(this.descriptor).size;
  }

  /** The next `length` bytes (a view valid until the next call), or undefined when the file ends first. */
  take(length: number): Buffer | undefined {
    if (this.position + length > this.size) return undefined;
    const offset = this.position - this.windowStart;
    if (offset < 0 || offset + length > this.window.length) {
      // One buffer refilled in place (views are only valid until the next call): a fresh megabyte a refill
      // piled up in the reading worker's malloc arena until a collection freed them.
      if (this.buffer.length < length) this.buffer = Buffer.allocUnsafeSlow(Math.max(WINDOW_BYTES, length));
      const read = readSync(this.descriptor, this.buffer, 0, Math.min(this.buffer.length, this.size - this.position), this.position);
      this.window = this.buffer.subarray(0, read);
      this.windowStart = this.position;
      if (read < length) return undefined;
    }
    const start = this.position - this.windowStart;
    this.position += length;
    return this.window.subarray(start, start + length);
  }

  seek(position: number): void {
    this.position = position;
  }

  close(): void {
    closeSync(this.descriptor);
  }
}
