// Reads PMTiles v3, local or remote, with the `pmtiles` package's tile ids and directory search over our sources and
// directory cache.
import { basename, extname } from 'node:path';
import { LRUCache } from 'lru-cache';
import { Compression, EtagMismatch, findTile, tileIdToZxy, zxyToTileId, type Entry, type Header } from 'pmtiles';
import { InputError, messageOf } from '../../errors.js';
import { contentHash } from '../mbtiles/reader.js';
import type { ArchiveMetadata, ArchiveTile, MaybePromise, StoredTile, TileArchiveReader, ZoomSummary } from '../types.js';
import { ArchiveUnavailableError, isGzip } from '../types.js';
import { ArchiveTileHashes, type TileHashOptions } from '../tileHashes.js';
import { decodeDirectory, decompressInternal, DirectoryCache, parseHeader } from './cache.js';
import { metadataFromJson } from './metadata.js';
import { HttpRangeSource, LocalFileSource, type CountingSource } from './source.js';
import { deserializeDirectory, FIRST_FETCH_BYTES } from './spec.js';

export interface LocalOptions extends TileHashOptions {
  /** Headers and directories kept per archive. */
  cacheEntries?: number;
}

export interface RemoteOptions extends LocalOptions {
  timeoutMs?: number;
}

export const DEFAULT_UPSTREAM_TIMEOUT_MS = 10_000;
const DEFAULT_CACHE_ENTRIES = 256;

/** Directories nest at most this deep below the root (spec: clients may refuse deeper archives). */
const MAX_LEAF_DEPTH = 3;

export class PMTilesReader implements TileArchiveReader {
  readonly warnings: string[] = [];
  private readonly hashes: ArchiveTileHashes;
  /**
   * A local file's directories, decoded once, by their offset in the file, and the one walk its tiles take in turn:
   * read without a promise (see readLocalTile).
   */
  private readonly local: LocalReading | undefined;

  private constructor(
    readonly path: string,
    readonly source: CountingSource,
    readonly cache: DirectoryCache,
    readonly header: Header,
    readonly metadata: ArchiveMetadata,
    options: TileHashOptions,
  ) {
    this.hashes = new ArchiveTileHashes(options.tileHashes, contentHash);
    if (source instanceof LocalFileSource) this.local = { source, directories: new LRUCache({ max: cache.maxEntries }), walk: new TileWalk(path, header) };
  }

  /** A local file, opened synchronously like an MBTiles (header and metadata read now). */
  static openFile(path: string, options: LocalOptions = {}): PMTilesReader {
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
      return new PMTilesReader(path, source, new DirectoryCache(options.cacheEntries ?? DEFAULT_CACHE_ENTRIES), header, metadata, options);
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
      return new PMTilesReader(url, source, cache, header, metadataFromJson(parseJson(json.data, header), header, name), options);
    } catch (error) {
      if (error instanceof ArchiveUnavailableError) throw error;
      throw new InputError(url, `not a readable PMTiles archive: ${messageOf(error)}`);
    }
  }

  /** Upstream range requests and bytes so far (header, directories, tiles). */
  get upstream(): { requests: number; bytes: number } {
    return { requests: this.source.requests, bytes: this.source.bytes };
  }

  /**
   * A local file answers at once (see readLocalTile); a remote one with a promise. An upstream that changed since its
   * header was read (new ETag) is read anew, once, as the `pmtiles` package does.
   */
  getTile(z: number, x: number, y: number): MaybePromise<StoredTile | undefined> {
    if (this.local) return this.readLocalTile(this.local, z, x, y);
    return this.readTile(z, x, y).catch(async (error: unknown) => {
      if (!(error instanceof EtagMismatch)) throw error;
      await this.cache.invalidate(this.source);
      return this.readTile(z, x, y);
    });
  }

  /**
   * A local file, synchronously, as SQLite reads an MBTiles: nothing is waited for (a page-cache read costs
   * microseconds), so the server's tile path takes no promise or microtask per tile. The file's version is the one its
   * descriptor opened: the header read at open stays right. One walk object serves every tile: each runs to its end
   * before the next starts.
   */
  private readLocalTile({ source, directories, walk }: LocalReading, z: number, x: number, y: number): StoredTile | undefined {
    const header = this.header;
    walk.start(z, x, y);
    while (!walk.done) {
      let directory = directories.get(walk.offset);
      if (directory === undefined) {
        directory = decodeDirectory(source.readSync(walk.offset, walk.length), header.internalCompression);
        directories.set(walk.offset, directory);
      }
      walk.enter(directory);
    }
    const entry = walk.entry;
    return entry && this.storedTile(header, entry, source.readBuffer(header.tileDataOffset + entry.offset, entry.length));
  }

  /** A remote archive: the same walk over the shared directory cache, each directory and the tile awaited. */
  private async readTile(z: number, x: number, y: number): Promise<StoredTile | undefined> {
    const header = await this.cache.getHeader(this.source);
    const walk = new TileWalk(this.path, header).start(z, x, y);
    while (!walk.done) walk.enter(await this.cache.getDirectory(this.source, walk.offset, walk.length, header));
    const entry = walk.entry;
    if (!entry) return undefined;
    // Tiles go out as stored (gzip passes through to clients that accept it): no decompression here.
    const response = await this.source.getBytes(header.tileDataOffset + entry.offset, entry.length, undefined, header.etag);
    return this.storedTile(header, entry, Buffer.from(response.data));
  }

  /** The tile read at `entry`; none when it came back empty (a file cut short). */
  private storedTile(header: Header, entry: Entry, data: Buffer): StoredTile | undefined {
    if (data.length === 0) return undefined;
    return { data, hash: this.hashOf(header, entry, data), gzipped: isGzip(data) };
  }

  /**
   * A content hash, as our MBTiles ids are, so the same tile has the same ETag from every replica and from either
   * format. Every tile sharing one stored content (a deduplicated ocean run) shares its entry's offset: hashed once,
   * kept under the archive version (the upstream's ETag) and that offset.
   */
  private hashOf(header: Header, entry: Entry, data: Buffer): string {
    return this.hashes.hashOf(`${header.etag ?? ''}|${entry.offset}+${entry.length}`, data);
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
    this.hashes.forget();
  }

  /** Tile entries in order, descending into leaves as they come (not through the serving cache). */
  private async *entries(offset = this.header.rootDirectoryOffset, length = this.header.rootDirectoryLength, depth = 0): AsyncGenerator<Entry> {
    if (depth > MAX_LEAF_DEPTH) throw new InputError(this.path, `PMTiles directories nest deeper than ${MAX_LEAF_DEPTH} levels`);
    const response = await this.source.getBytes(offset, length, undefined, this.header.etag);
    for (const entry of deserializeDirectory(decompressInternal(response.data, this.header.internalCompression))) {
      if (entry.runLength === 0) yield* this.entries(this.header.leafDirectoryOffset + entry.offset, entry.length, depth + 1);
      else yield entry;
    }
  }
}

interface LocalReading {
  source: LocalFileSource;
  directories: LRUCache<number, Entry[]>;
  walk: TileWalk;
}

/**
 * The root, then leaves, to a tile's entry (the `pmtiles` package's PMTiles.getZxy does the same walk but does not
 * say which entry it found: the entry's offset is what names the tile's content in this archive version). One walk
 * for the local file read synchronously and the remote one awaited: it names the directory it needs (`offset`,
 * `length`) and its reader hands that over (`enter`) until the walk is `done`, on the tile's `entry` (undefined when
 * the archive has no such tile). A state object, reused on the local path, rather than a generator: that path is a
 * hot one, and a generator with its step objects cost it 2–5% (about 130 ns a tile, getTile over world NE z0–8).
 */
class TileWalk {
  offset = 0;
  length = 0;
  done = false;
  entry: Entry | undefined;
  private depth = 0;
  private tileId = 0;

  constructor(
    private readonly path: string,
    private readonly header: Header,
  ) {}

  /** From the root, toward tile z/x/y. */
  start(z: number, x: number, y: number): this {
    const header = this.header;
    this.offset = header.rootDirectoryOffset;
    this.length = header.rootDirectoryLength;
    this.entry = undefined;
    this.depth = 0;
    this.done = z < header.minZoom || z > header.maxZoom;
    if (!this.done) this.tileId = zxyToTileId(z, x, y);
    return this;
  }

  /** The directory at `offset`: the tile's entry, a leaf to read next, or no tile. */
  enter(directory: Entry[]): void {
    const entry = findTile(directory, this.tileId);
    if (!entry || entry.runLength > 0) {
      this.done = true;
      this.entry = entry && entry.length > 0 ? entry : undefined;
      return;
    }
    if (++this.depth > MAX_LEAF_DEPTH) throw new InputError(this.path, `PMTiles directories nest deeper than ${MAX_LEAF_DEPTH} levels`);
    this.offset = this.header.leafDirectoryOffset + entry.offset;
    this.length = entry.length;
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
