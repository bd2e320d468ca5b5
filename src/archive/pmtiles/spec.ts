// PMTiles v3 on disk: the 127-byte header and directories, written here because the `pmtiles` npm package only reads.
// (It exports bytesToHeader, zxyToTileId, tileIdToZxy and findTile, which the reader uses; it has no serialisers.)
import { gzipSync } from 'node:zlib';
import { Compression, readVarint, TileType, type Entry } from 'pmtiles';
import type { TileFormat } from '../types.js';

export const HEADER_BYTES = 127;
/** Clients fetch the first 16 KiB in one request: header and root directory must fit in it (spec §3). */
export const FIRST_FETCH_BYTES = 16_384;

export const TILE_TYPES: Record<TileFormat, TileType> = { pbf: TileType.Mvt, png: TileType.Png, jpg: TileType.Jpeg, webp: TileType.Webp };

export function formatOfTileType(type: TileType): TileFormat | undefined {
  for (const [format, value] of Object.entries(TILE_TYPES)) if (value === type) return format as TileFormat;
  return undefined;
}

/** What the writer knows at the end; offsets and lengths in bytes from the start of the file. */
export interface HeaderFields {
  rootDirectoryOffset: number;
  rootDirectoryLength: number;
  jsonMetadataOffset: number;
  jsonMetadataLength: number;
  leafDirectoryOffset: number;
  leafDirectoryLength: number;
  tileDataOffset: number;
  tileDataLength: number;
  numAddressedTiles: number;
  numTileEntries: number;
  numTileContents: number;
  clustered: boolean;
  internalCompression: Compression;
  tileCompression: Compression;
  tileType: TileType;
  minZoom: number;
  maxZoom: number;
  minLon: number;
  minLat: number;
  maxLon: number;
  maxLat: number;
  centerZoom: number;
  centerLon: number;
  centerLat: number;
}

export function headerToBytes(header: HeaderFields): Buffer {
  const bytes = Buffer.alloc(HEADER_BYTES);
  bytes.write('PMTiles', 0, 'latin1');
  bytes.writeUInt8(3, 7);
  const u64 = [
    header.rootDirectoryOffset,
    header.rootDirectoryLength,
    header.jsonMetadataOffset,
    header.jsonMetadataLength,
    header.leafDirectoryOffset,
    header.leafDirectoryLength,
    header.tileDataOffset,
    header.tileDataLength,
    header.numAddressedTiles,
    header.numTileEntries,
    header.numTileContents,
  ];
  u64.forEach((value, i) => bytes.writeBigUInt64LE(BigInt(value), 8 + i * 8));
  bytes.writeUInt8(header.clustered ? 1 : 0, 96);
  bytes.writeUInt8(header.internalCompression, 97);
  bytes.writeUInt8(header.tileCompression, 98);
  bytes.writeUInt8(header.tileType, 99);
  bytes.writeUInt8(header.minZoom, 100);
  bytes.writeUInt8(header.maxZoom, 101);
  const e7 = (degrees: number) => Math.round(degrees * 1e7);
  bytes.writeInt32LE(e7(header.minLon), 102);
  bytes.writeInt32LE(e7(header.minLat), 106);
  bytes.writeInt32LE(e7(header.maxLon), 110);
  bytes.writeInt32LE(e7(header.maxLat), 114);
  bytes.writeUInt8(header.centerZoom, 118);
  bytes.writeInt32LE(e7(header.centerLon), 119);
  bytes.writeInt32LE(e7(header.centerLat), 123);
  return bytes;
}

/**
 * Directory entries as parallel arrays (one object per entry would cost ~80 bytes each: a national archive
 * has tens of millions). A run length of 0 marks a pointer to a leaf directory.
 */
export interface EntryColumns {
  tileId: Float64Array;
  offset: Float64Array;
  length: Uint32Array;
  runLength: Uint32Array;
}

class VarintBuffer {
  private bytes = Buffer.alloc(1024);
  private size = 0;

  push(value: number): void {
    if (this.size + 10 > this.bytes.length) {
      const grown = Buffer.alloc(this.bytes.length * 2);
      this.bytes.copy(grown, 0, 0, this.size);
      this.bytes = grown;
    }
    // Values reach 2^53 (tile ids, offsets): division, not 32-bit shifts.
    while (value >= 0x80) {
      this.bytes[this.size++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.bytes[this.size++] = value;
  }

  result(): Buffer {
    return this.bytes.subarray(0, this.size);
  }
}

/** Entries [start, end) as a gzip-compressed directory (spec §4: ids delta-coded, offsets 0 when contiguous). */
export function serializeDirectory(entries: EntryColumns, start: number, end: number): Buffer {
  const out = new VarintBuffer();
  out.push(end - start);
  let lastId = 0;
  for (let i = start; i < end; i++) {
    out.push(entries.tileId[i] - lastId);
    lastId = entries.tileId[i];
  }
  for (let i = start; i < end; i++) out.push(entries.runLength[i]);
  for (let i = start; i < end; i++) out.push(entries.length[i]);
  for (let i = start; i < end; i++) {
    const contiguous = i > start && entries.offset[i] === entries.offset[i - 1] + entries.length[i - 1];
    out.push(contiguous ? 0 : entries.offset[i] + 1);
  }
  return gzipSync(out.result());
}

export const INTERNAL_COMPRESSION = Compression.Gzip;

/** A decompressed directory back to entries (the `pmtiles` package has this but does not export it). */
export function deserializeDirectory(bytes: Uint8Array): Entry[] {
  const p = { buf: bytes, pos: 0 };
  const count = readVarint(p);
  const entries: Entry[] = new Array<Entry>(count);
  let lastId = 0;
  for (let i = 0; i < count; i++) {
    lastId += readVarint(p);
    entries[i] = { tileId: lastId, offset: 0, length: 0, runLength: 1 };
  }
  for (let i = 0; i < count; i++) entries[i].runLength = readVarint(p);
  for (let i = 0; i < count; i++) entries[i].length = readVarint(p);
  for (let i = 0; i < count; i++) {
    const value = readVarint(p);
    entries[i].offset = value === 0 && i > 0 ? entries[i - 1].offset + entries[i - 1].length : value - 1;
  }
  if (p.pos > bytes.length) throw new Error('directory is truncated');
  return entries;
}
