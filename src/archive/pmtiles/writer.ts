// Writes PMTiles v3: tiles in any order go to a side file as they come; finish() lays them out clustered in
// Hilbert order with deduplicated contents, run-length entries and leaf directories. Memory holds the index
// (about 40 bytes a tile and 100 a distinct content), never the tile bytes.
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Compression, zxyToTileId } from 'pmtiles';
import { InputError, messageOf } from '../../errors.js';
import { contentHash } from '../mbtiles/reader.js';
import { commitTemp, discardTemp, tempPathFor } from '../tempFile.js';
import type { ArchiveMetadata, TileArchiveWriter } from '../types.js';
import { isGzip } from '../types.js';
import { metadataToJson } from './metadata.js';
import { FIRST_FETCH_BYTES, HEADER_BYTES, headerToBytes, INTERNAL_COMPRESSION, serializeDirectory, TILE_TYPES, type EntryColumns } from './spec.js';

/** Growable typed columns: a plain array of objects would cost several times the memory. */
class Column<T extends Float64Array | Uint32Array> {
  values: T;
  size = 0;
  constructor(private readonly make: (length: number) => T) {
    this.values = make(1024);
  }
  push(value: number): void {
    if (this.size === this.values.length) {
      const grown = this.make(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.size++] = value;
  }
}

const floats = (n: number) => new Float64Array(n);
const uints = (n: number) => new Uint32Array(n);
const COPY_BUFFER_BYTES = 4 << 20;

export class PMTilesWriter implements TileArchiveWriter {
  readonly path: string;
  private readonly tempPath: string;
  private readonly dataPath: string;
  private readonly dataFd: number;
  private dataBytes = 0;
  /** Per tile put: its Hilbert id and which content it shows. */
  private readonly tileIds = new Column(floats);
  private readonly contentOf = new Column(uints);
  /** Per distinct content: where it lies in the side file and how long it is. */
  private readonly contentOffset = new Column(floats);
  private readonly contentLength = new Column(uints);
  private readonly contentByHash = new Map<string, number>();
  private metadata: ArchiveMetadata | undefined;
  /** Decided by the first vector tile: gzip when it came gzipped (ours always do), none otherwise. */
  private vectorCompression: Compression | undefined;
  private done = false;

  constructor(path: string) {
    this.path = path;
    this.tempPath = tempPathFor(path);
    this.dataPath = `${this.tempPath}-data`;
    try {
      this.dataFd = openSync(this.dataPath, 'w+');
    } catch (error) {
      throw new InputError(path, `cannot create the archive: ${messageOf(error)}`);
    }
  }

  get uniqueTiles(): number {
    return this.contentOffset.size;
  }

  get tilesWritten(): number {
    return this.tileIds.size;
  }

  putTile(z: number, x: number, y: number, data: Buffer): void {
    if (this.done) throw new Error(`${this.path}: putTile after finish/abort`);
    data = this.storedForm(data);
    const hash = contentHash(data);
    let content = this.contentByHash.get(hash);
    if (content === undefined) {
      content = this.contentOffset.size;
      this.contentByHash.set(hash, content);
      this.contentOffset.push(this.dataBytes);
      this.contentLength.push(data.length);
      try {
        writeSync(this.dataFd, data, 0, data.length, this.dataBytes);
      } catch (error) {
        throw new InputError(this.path, `writing tiles failed: ${messageOf(error)}`);
      }
      this.dataBytes += data.length;
    }
    this.tileIds.push(zxyToTileId(z, x, y));
    this.contentOf.push(content);
  }

  setMetadata(metadata: ArchiveMetadata): void {
    this.metadata = metadata;
  }

  finish(): void {
    if (this.done) return;
    try {
      if (!this.metadata) throw new Error('finish() without metadata');
      this.write(this.metadata);
      this.done = true;
      closeSync(this.dataFd);
      rmSync(this.dataPath, { force: true });
      commitTemp(this.tempPath, this.path);
    } catch (error) {
      this.abort();
      throw new InputError(this.path, `could not complete the archive: ${messageOf(error)}`);
    }
  }

  abort(): void {
    if (!this.done) {
      this.done = true;
      closeSync(this.dataFd);
    }
    rmSync(this.dataPath, { force: true });
    discardTemp(this.tempPath);
  }

  /** One tile compression for the whole archive (PMTiles has a single field), so vector tiles are made to agree. */
  private storedForm(data: Buffer): Buffer {
    if (this.metadata?.format !== undefined && this.metadata.format !== 'pbf') return data;
    const gzipped = isGzip(data);
    this.vectorCompression ??= gzipped ? Compression.Gzip : Compression.None;
    if (this.vectorCompression === Compression.Gzip && !gzipped) return gzipSync(data);
    if (this.vectorCompression === Compression.None && gzipped) return gunzipSync(data);
    return data;
  }

  private write(metadata: ArchiveMetadata): void {
    const order = this.hilbertOrder();
    const { entries, count, placement, addressed, dataLength } = this.layOut(order);
    const { root, leaves } = buildDirectories(entries, count);
    const json = gzipSync(JSON.stringify(metadataToJson(metadata)));
    const bounds = metadata.bounds ?? [-180, -85.0511287, 180, 85.0511287];
    const center = metadata.center ?? [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, metadata.minzoom];
    const rootOffset = HEADER_BYTES;
    const jsonOffset = rootOffset + root.length;
    const leafOffset = jsonOffset + json.length;
    const tileDataOffset = leafOffset + leaves.length;
    const header = headerToBytes({
      rootDirectoryOffset: rootOffset,
      rootDirectoryLength: root.length,
      jsonMetadataOffset: jsonOffset,
      jsonMetadataLength: json.length,
      leafDirectoryOffset: leafOffset,
      leafDirectoryLength: leaves.length,
      tileDataOffset,
      tileDataLength: dataLength,
      numAddressedTiles: addressed,
      numTileEntries: count,
      numTileContents: placement.length,
      clustered: true,
      internalCompression: INTERNAL_COMPRESSION,
      tileCompression: metadata.format === 'pbf' ? (this.vectorCompression ?? Compression.Gzip) : Compression.None,
      tileType: TILE_TYPES[metadata.format],
      minZoom: metadata.minzoom,
      maxZoom: metadata.maxzoom,
      minLon: bounds[0],
      minLat: bounds[1],
      maxLon: bounds[2],
      maxLat: bounds[3],
      centerZoom: Math.round(center[2]),
      centerLon: center[0],
      centerLat: center[1],
    });
    const fd = openSync(this.tempPath, 'w');
    try {
      let position = 0;
      for (const part of [header, root, json, leaves]) position += writeSync(fd, part, 0, part.length, position);
      this.copyContents(fd, placement, position);
    } finally {
      closeSync(fd);
    }
  }

  /** Indexes of the tiles put, by Hilbert id; of a tile put twice, the last one wins (as MBTiles' INSERT OR REPLACE). */
  private hilbertOrder(): Uint32Array {
    const ids = this.tileIds.values;
    const order = new Uint32Array(this.tileIds.size);
    for (let i = 0; i < order.length; i++) order[i] = i;
    order.sort((a, b) => ids[a] - ids[b] || a - b);
    return order;
  }

  /**
   * Clustered layout: contents in the order their first tile comes; a repeat points back. Consecutive ids
   * showing the same content become one entry with a run length (oceans at high zoom).
   */
  private layOut(order: Uint32Array) {
    const ids = this.tileIds.values;
    const contentOf = this.contentOf.values;
    const finalOffset = new Float64Array(this.contentOffset.size).fill(-1);
    const placement: number[] = [];
    const entries: EntryColumns = { tileId: new Float64Array(order.length), offset: new Float64Array(order.length), length: new Uint32Array(order.length), runLength: new Uint32Array(order.length) };
    let count = 0;
    let addressed = 0;
    let dataLength = 0;
    for (let k = 0; k < order.length; k++) {
      const i = order[k];
      if (k + 1 < order.length && ids[order[k + 1]] === ids[i]) continue;
      const content = contentOf[i];
      if (finalOffset[content] < 0) {
        finalOffset[content] = dataLength;
        dataLength += this.contentLength.values[content];
        placement.push(content);
      }
      addressed++;
      const last = count - 1;
      if (count > 0 && entries.offset[last] === finalOffset[content] && entries.tileId[last] + entries.runLength[last] === ids[i]) {
        entries.runLength[last]++;
        continue;
      }
      entries.tileId[count] = ids[i];
      entries.offset[count] = finalOffset[content];
      entries.length[count] = this.contentLength.values[content];
      entries.runLength[count] = 1;
      count++;
    }
    return { entries, count, placement, addressed, dataLength };
  }

  /** Copies the contents from the side file in their final order, through one reused buffer. */
  private copyContents(fd: number, placement: number[], start: number): void {
    let buffer = Buffer.alloc(COPY_BUFFER_BYTES);
    let filled = 0;
    let position = start;
    const flush = () => {
      position += writeSync(fd, buffer, 0, filled, position);
      filled = 0;
    };
    for (const content of placement) {
      const length = this.contentLength.values[content];
      if (filled + length > buffer.length) flush();
      if (length > buffer.length) buffer = Buffer.alloc(length);
      readSync(this.dataFd, buffer, filled, length, this.contentOffset.values[content]);
      filled += length;
    }
    flush();
  }
}

/**
 * The root alone when it fits the first 16 KiB; otherwise leaves of 4,096 entries (doubled until the root of
 * pointers fits), as go-pmtiles and tippecanoe do, so that a tile costs at most one leaf fetch.
 */
function buildDirectories(entries: EntryColumns, count: number): { root: Buffer; leaves: Buffer } {
  const rootBudget = FIRST_FETCH_BYTES - HEADER_BYTES;
  if (count < 16_384) {
    const root = serializeDirectory(entries, 0, count);
    if (root.length <= rootBudget) return { root, leaves: Buffer.alloc(0) };
  }
  for (let leafSize = 4096; ; leafSize *= 2) {
    const leafParts: Buffer[] = [];
    const pointerCount = Math.ceil(count / leafSize);
    const pointers: EntryColumns = { tileId: new Float64Array(pointerCount), offset: new Float64Array(pointerCount), length: new Uint32Array(pointerCount), runLength: new Uint32Array(pointerCount) };
    let offset = 0;
    for (let p = 0; p < pointerCount; p++) {
      const start = p * leafSize;
      const leaf = serializeDirectory(entries, start, Math.min(count, start + leafSize));
      leafParts.push(leaf);
      pointers.tileId[p] = entries.tileId[start];
      pointers.offset[p] = offset;
      pointers.length[p] = leaf.length;
      pointers.runLength[p] = 0;
      offset += leaf.length;
    }
    const root = serializeDirectory(pointers, 0, pointerCount);
    if (root.length <= rootBudget) return { root, leaves: Buffer.concat(leafParts) };
  }
}
