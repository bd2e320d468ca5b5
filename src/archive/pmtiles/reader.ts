// Reads PMTiles v3, local or remote, through the `pmtiles` package's PMTiles class (tile lookup, leaf descent,
// ETag-change retry) over our sources and directory cache.
import { basename, extname } from 'node:path';
import { Compression, PMTiles, tileIdToZxy, type Entry, type Header } from 'pmtiles';
import { InputError, messageOf } from '../../errors.js';
import { contentHash } from '../mbtiles/reader.js';
import type { ArchiveMetadata, ArchiveTile, StoredTile, TileArchiveReader, ZoomSummary } from '../types.js';
import { ArchiveUnavailableError, isGzip } from '../types.js';
import { decompressInternal, DirectoryCache, parseHeader } from './cache.js';
import { metadataFromJson } from './metadata.js';
import { HttpRangeSource, LocalFileSource, type CountingSource } from './source.js';
import { deserializeDirectory, FIRST_FETCH_BYTES } from './spec.js';

export interface RemoteOptions {
  timeoutMs?: number;
  /** Headers and directories kept per archive. */
  cacheEntries?: number;
}

export const DEFAULT_UPSTREAM_TIMEOUT_MS = 10_000;
const DEFAULT_CACHE_ENTRIES = 256;

/** Tiles are served as stored (gzip passes through to clients that accept it): no decompression here. */
const asStored = (data: ArrayBuffer) => Promise.resolve(data);

export class PMTilesReader implements TileArchiveReader {
  readonly warnings: string[] = [];
  private readonly pmtiles: PMTiles;

  private constructor(
    readonly path: string,
    readonly source: CountingSource,
    readonly cache: DirectoryCache,
    readonly header: Header,
    readonly metadata: ArchiveMetadata,
  ) {
    this.pmtiles = new PMTiles(source, cache, asStored);
  }

  /** A local file, opened synchronously like an MBTiles (header and metadata read now). */
  static openFile(path: string, cacheEntries = DEFAULT_CACHE_ENTRIES): PMTilesReader {
    let source: LocalFileSource;
    try {
      source = new LocalFileSource(path);
    } catch (error) {
      throw new InputError(path, `cannot open: ${messageOf(error)}`);
    }
    try {
      const header = parseHeader(source.readSync(0, FIRST_FETCH_BYTES));
      checkHeader(header);
      const json = source.readSync(header.jsonMetadataOffset, header.jsonMetadataLength);
      const metadata = metadataFromJson(parseJson(json, header), header, basename(path, extname(path)));
      return new PMTilesReader(path, source, new DirectoryCache(cacheEntries), header, metadata);
    } catch (error) {
      source.close();
      throw new InputError(path, `not a readable PMTiles archive: ${messageOf(error)}`);
    }
  }

  /** An archive on any HTTP server, object store or CDN that answers Range requests. */
  static async openUrl(url: string, options: RemoteOptions = {}): Promise<PMTilesReader> {
    const source = new HttpRangeSource(url, { timeoutMs: options.timeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS });
    const cache = new DirectoryCache(options.cacheEntries ?? DEFAULT_CACHE_ENTRIES);
    try {
      const header = await cache.getHeader(source);
      checkHeader(header);
      const json = await source.getBytes(header.jsonMetadataOffset, header.jsonMetadataLength, undefined, header.etag);
      const name = basename(new URL(url).pathname, extname(new URL(url).pathname)) || 'remote';
      return new PMTilesReader(url, source, cache, header, metadataFromJson(parseJson(json.data, header), header, name));
    } catch (error) {
      if (error instanceof ArchiveUnavailableError) throw error;
      throw new InputError(url, `not a readable PMTiles archive: ${messageOf(error)}`);
    }
  }

  /** Upstream range requests and bytes so far (header, directories, tiles). */
  get upstream(): { requests: number; bytes: number } {
    return { requests: this.source.requests, bytes: this.source.bytes };
  }

  getTile(z: number, x: number, y: number): Promise<StoredTile | undefined> {
    return this.pmtiles.getZxy(z, x, y).then((response) => {
      if (!response || response.data.byteLength === 0) return undefined;
      const data = Buffer.from(response.data);
      // A content hash, as our MBTiles ids are: the same tile has the same ETag from every replica and either format.
      return { data, hash: contentHash(data), gzipped: isGzip(data) };
    });
  }

  async summarize(): Promise<ZoomSummary[]> {
    const zooms = new Map<number, ZoomSummary>();
    for await (const entry of this.entries()) {
      for (let id = entry.tileId, left = entry.runLength; left > 0; ) {
        const zoom = tileIdToZxy(id)[0];
        const count = Math.min(left, firstTileId(zoom + 1) - id);
        const summary = zooms.get(zoom) ?? { zoom, tiles: 0, bytes: 0, maxBytes: 0 };
        summary.tiles += count;
        summary.bytes += count * entry.length;
        summary.maxBytes = Math.max(summary.maxBytes, entry.length);
        zooms.set(zoom, summary);
        id += count;
        left -= count;
      }
    }
    return [...zooms.values()].sort((a, b) => a.zoom - b.zoom);
  }

  /** Every tile in Hilbert order; a run of repeated tiles is read once. Memory: one directory a level. */
  async *tiles(): AsyncGenerator<ArchiveTile> {
    for await (const entry of this.entries()) {
      const response = await this.source.getBytes(this.header.tileDataOffset + entry.offset, entry.length, undefined, this.header.etag);
      const data = Buffer.from(response.data);
      for (let k = 0; k < entry.runLength; k++) {
        const [z, x, y] = tileIdToZxy(entry.tileId + k);
        yield { z, x, y, data };
      }
    }
  }

  close(): void {
    this.source.close();
  }

  /** Tile entries in order, descending into leaves as they come (not through the serving cache). */
  private async *entries(offset = this.header.rootDirectoryOffset, length = this.header.rootDirectoryLength, depth = 0): AsyncGenerator<Entry> {
    if (depth > 3) throw new InputError(this.path, 'PMTiles directories nest deeper than 3 levels');
    const response = await this.source.getBytes(offset, length, undefined, this.header.etag);
    for (const entry of deserializeDirectory(decompressInternal(response.data, this.header.internalCompression))) {
      if (entry.runLength === 0) yield* this.entries(this.header.leafDirectoryOffset + entry.offset, entry.length, depth + 1);
      else yield entry;
    }
  }
}

/** The first Hilbert id of a zoom: (4^z − 1) / 3. */
function firstTileId(zoom: number): number {
  return (4 ** zoom - 1) / 3;
}

/** Tiles go out as stored, with gzip as the only Content-Encoding we speak: other tile compressions cannot be served. */
function checkHeader(header: Header): void {
  if (header.tileCompression !== Compression.None && header.tileCompression !== Compression.Gzip && header.tileCompression !== Compression.Unknown) {
    throw new Error(`tile compression ${Compression[header.tileCompression]} is not supported (gzip or none)`);
  }
}

function parseJson(bytes: ArrayBuffer, header: Header): unknown {
  if (bytes.byteLength === 0) return {};
  try {
    return JSON.parse(Buffer.from(decompressInternal(bytes, header.internalCompression)).toString('utf8'));
  } catch (error) {
    throw new Error(`metadata is not JSON: ${messageOf(error)}`, { cause: error });
  }
}
