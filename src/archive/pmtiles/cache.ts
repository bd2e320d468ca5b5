// Bounded cache of PMTiles headers and directories, shared by concurrent requests: once warm, a tile costs one range read.
// Ours rather than the package's SharedPromiseCache, which keeps a failed fetch's rejected promise for good (after an
// upstream blip, every tile under that directory would fail until a restart) and scans all entries to evict one.
import { gunzipSync } from 'node:zlib';
import { bytesToHeader, Compression, type Cache, type Entry, type Header, type Source } from 'pmtiles';
import { deserializeDirectory, FIRST_FETCH_BYTES, HEADER_BYTES } from './spec.js';

export class DirectoryCache implements Cache {
  private readonly values = new Map<string, Promise<Header | Entry[]>>();

  /** `maxEntries` headers and directories; a leaf holds up to a few thousand entries (~100 KB decoded). */
  constructor(readonly maxEntries: number) {}

  get size(): number {
    return this.values.size;
  }

  getHeader(source: Source): Promise<Header> {
    return this.remember(source.getKey(), () => this.readHeaderAndRoot(source)) as Promise<Header>;
  }

  getDirectory(source: Source, offset: number, length: number, header: Header): Promise<Entry[]> {
    // The request's abort signal is not passed on: the fetch is shared by every request waiting for this directory.
    return this.remember(directoryKey(source, header, offset, length), async () => {
      const response = await source.getBytes(offset, length, undefined, header.etag);
      return decodeDirectory(response.data, header.internalCompression);
    }) as Promise<Entry[]>;
  }

  invalidate(source: Source): Promise<void> {
    const key = source.getKey();
    for (const cached of [...this.values.keys()]) if (cached === key || cached.startsWith(`${key}|`)) this.values.delete(cached);
    return Promise.resolve();
  }

  /** Least recently used out first (a Map iterates in insertion order; a hit re-inserts). A failure is not kept. */
  private remember(key: string, load: () => Promise<Header | Entry[]>): Promise<Header | Entry[]> {
    const hit = this.values.get(key);
    if (hit) {
      this.values.delete(key);
      this.values.set(key, hit);
      return hit;
    }
    const loading = load();
    this.values.set(key, loading);
    loading.catch(() => {
      if (this.values.get(key) === loading) this.values.delete(key);
    });
    if (this.values.size > this.maxEntries) this.values.delete(this.values.keys().next().value!);
    return loading;
  }

  /** The first 16 KiB hold the header and the root directory (spec): one request for both. */
  private async readHeaderAndRoot(source: Source): Promise<Header> {
    const response = await source.getBytes(0, FIRST_FETCH_BYTES);
    const header = parseHeader(response.data, response.etag);
    const rootEnd = header.rootDirectoryOffset + header.rootDirectoryLength;
    if (rootEnd <= response.data.byteLength) {
      const root = decodeDirectory(response.data.slice(header.rootDirectoryOffset, rootEnd), header.internalCompression);
      this.remember(directoryKey(source, header, header.rootDirectoryOffset, header.rootDirectoryLength), () => Promise.resolve(root));
    }
    return header;
  }
}

function directoryKey(source: Source, header: Header, offset: number, length: number): string {
  return `${source.getKey()}|${header.etag ?? ''}|${offset}|${length}`;
}

/** The header, after checking it is one: a wrong file should be named as such, not fail later on a directory. */
export function parseHeader(bytes: ArrayBuffer, etag?: string): Header {
  const view = new Uint8Array(bytes);
  if (view.length < HEADER_BYTES || Buffer.from(view.subarray(0, 7)).toString('latin1') !== 'PMTiles') throw new Error('not a PMTiles archive (no PMTiles header)');
  if (view[7] !== 3) throw new Error(`PMTiles version ${view[7]} is not supported (only version 3)`);
  return bytesToHeader(bytes.slice(0, HEADER_BYTES), etag);
}

export function decompressInternal(data: ArrayBuffer, compression: Compression): Uint8Array {
  if (compression === Compression.None || compression === Compression.Unknown) return new Uint8Array(data);
  if (compression === Compression.Gzip) return gunzipSync(new Uint8Array(data));
  throw new Error(`internal compression ${Compression[compression]} is not supported (gzip or none)`);
}

/** A directory's entries; an empty one is refused (every directory of a valid archive holds at least one). */
export function decodeDirectory(data: ArrayBuffer, compression: Compression): Entry[] {
  const entries = deserializeDirectory(decompressInternal(data, compression));
  if (entries.length === 0) throw new Error('empty directory');
  return entries;
}
