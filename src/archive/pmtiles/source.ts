// Where a PMTiles archive's bytes come from: a local file, or any HTTP server or object store answering Range requests.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { EtagMismatch, type RangeResponse, type Source } from 'pmtiles';
import { messageOf } from '../../errors.js';
import { ArchiveUnavailableError } from '../types.js';

/** A source that also counts what it asked for: upstream requests per tile is the figure remote serving lives by. */
export interface CountingSource extends Source {
  readonly requests: number;
  readonly bytes: number;
  close(): void;
}

/**
 * A local file read synchronously (as SQLite reads MBTiles): a page-cache hit costs microseconds, less than a
 * round trip through libuv's thread pool. The descriptor stays on the file it opened, so a file renamed over it
 * keeps serving the old version until the registry swaps readers.
 */
export class LocalFileSource implements CountingSource {
  requests = 0;
  bytes = 0;
  private readonly fd: number;
  readonly size: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
    this.size = fstatSync(this.fd).size;
  }

  getKey(): string {
    return this.path;
  }

  getBytes(offset: number, length: number): Promise<RangeResponse> {
    try {
      return Promise.resolve({ data: this.readSync(offset, length) });
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  readSync(offset: number, length: number): ArrayBuffer {
    const bytes = this.readBuffer(offset, length);
    const memory = bytes.buffer as ArrayBuffer; // readBuffer's own, never shared
    return bytes.length === memory.byteLength ? memory : memory.slice(0, bytes.length);
  }

  /** `length` bytes from `offset` (fewer at the end of the file) in memory of their own: a tile kept in a cache holds only its bytes. */
  readBuffer(offset: number, length: number): Buffer {
    const wanted = Math.max(0, Math.min(length, this.size - offset));
    const buffer = Buffer.allocUnsafeSlow(wanted);
    let done = 0;
    while (done < wanted) {
      const read = readSync(this.fd, buffer, done, wanted - done, offset + done);
      if (read === 0) break;
      done += read;
    }
    this.requests++;
    this.bytes += done;
    return done === wanted ? buffer : buffer.subarray(0, done);
  }

  close(): void {
    closeSync(this.fd);
  }
}

export interface HttpSourceOptions {
  /** An upstream slower than this answers 504: a tile request must not hang on a stalled object store. */
  timeoutMs: number;
}

/** HTTP(S) Range requests with a time limit; the upstream's ETag pins the version (a changed archive → EtagMismatch → re-read). */
export class HttpRangeSource implements CountingSource {
  requests = 0;
  bytes = 0;

  constructor(
    readonly url: string,
    private readonly options: HttpSourceOptions,
  ) {}

  getKey(): string {
    return this.url;
  }

  async getBytes(offset: number, length: number, signal?: AbortSignal, etag?: string): Promise<RangeResponse> {
    this.requests++;
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    let response: Response;
    try {
      response = await fetch(this.url, {
        headers: { Range: `bytes=${offset}-${offset + length - 1}` },
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      throw this.unavailable(error, timeout);
    }
    try {
      if (response.status === 416 && etag) throw new EtagMismatch(`${this.url} changed (416 for a range of the version read before)`);
      if (response.status === 200 && length < Number(response.headers.get('content-length') ?? Infinity)) {
        throw new ArchiveUnavailableError(`${this.url} does not answer Range requests (200 with the whole file)`, 'failed');
      }
      if (response.status !== 206 && response.status !== 200) throw new ArchiveUnavailableError(`${this.url} answered ${response.status} ${response.statusText}`, 'failed');
      const responseEtag = strongEtag(response.headers.get('etag'));
      if (etag && responseEtag && responseEtag !== etag) throw new EtagMismatch(`${this.url} changed (ETag ${responseEtag}, read ${etag} before)`);
      const data = await response.arrayBuffer();
      this.bytes += data.byteLength;
      return { data, etag: responseEtag, cacheControl: response.headers.get('cache-control') ?? undefined, expires: response.headers.get('expires') ?? undefined };
    } catch (error) {
      await response.body?.cancel().catch(() => undefined);
      if (error instanceof EtagMismatch || error instanceof ArchiveUnavailableError) throw error;
      throw this.unavailable(error, timeout);
    }
  }

  close(): void {}

  private unavailable(error: unknown, timeout: AbortSignal): ArchiveUnavailableError {
    if (timeout.aborted) return new ArchiveUnavailableError(`${this.url} did not answer within ${this.options.timeoutMs} ms`, 'timeout');
    const cause = (error as { cause?: unknown }).cause;
    return new ArchiveUnavailableError(`${this.url}: ${messageOf(error)}${cause ? ` (${messageOf(cause)})` : ''}`, 'failed');
  }
}

/** A weak ETag (W/…) does not promise the same bytes at the same offsets: not usable to pin a version. */
function strongEtag(value: string | null): string | undefined {
  return value && !value.startsWith('W/') ? value : undefined;
}
