// Partition spill files: features written once, compactly, into one file per partition tile, read back by a worker.
// A record: header (u32 length, u16 layer, u8 kind, u8 minzoom, u32 props bytes, u32 structure words, u32 coords),
// the attributes as JSON, the part structure (u32), then the projected coordinates (f64) — 8-byte aligned.
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PropertyValue } from '../sources/types.js';
import type { ProjectedGeometry } from './geometry.js';

export interface SpilledFeature {
  layer: number;
  /** First zoom at which this feature shows (from the layer's zoomField); 0 when none. */
  minzoom: number;
  properties: Record<string, PropertyValue>;
  geometry: ProjectedGeometry;
}

const HEADER = 20;
const align = (n: number, to: number) => Math.ceil(n / to) * to;

export function encodeRecord(layer: number, minzoom: number, propertiesJson: Buffer, geometry: ProjectedGeometry): Buffer {
  const structure: number[] = [];
  const arrays: Float64Array[] = [];
  if (geometry.kind === 1) {
    arrays.push(geometry.points);
  } else if (geometry.kind === 2) {
    structure.push(geometry.lines.length);
    for (const line of geometry.lines) {
      structure.push(line.length / 2);
      arrays.push(line);
    }
  } else {
    structure.push(geometry.polygons.length);
    for (const polygon of geometry.polygons) {
      structure.push(polygon.length);
      for (const ring of polygon) {
        structure.push(ring.length / 2);
        arrays.push(ring);
      }
    }
  }
  const coordCount = arrays.reduce((n, a) => n + a.length, 0);
  const structureAt = align(HEADER + propertiesJson.length, 4);
  const coordsAt = align(structureAt + structure.length * 4, 8);
  const length = coordsAt + coordCount * 8;
  const record = Buffer.alloc(length);
  record.writeUInt32LE(length, 0);
  record.writeUInt16LE(layer, 4);
  record.writeUInt8(geometry.kind, 6);
  record.writeUInt8(minzoom, 7);
  record.writeUInt32LE(propertiesJson.length, 8);
  record.writeUInt32LE(structure.length, 12);
  record.writeUInt32LE(coordCount, 16);
  propertiesJson.copy(record, HEADER);
  for (let i = 0; i < structure.length; i++) record.writeUInt32LE(structure[i], structureAt + 4 * i);
  let at = coordsAt;
  for (const array of arrays) {
    Buffer.from(array.buffer, array.byteOffset, array.byteLength).copy(record, at);
    at += array.byteLength;
  }
  return record;
}

/** A spill file in memory: its bytes and where each record starts, so records can be decoded one at a time. */
export interface SpillIndex {
  bytes: Buffer;
  offsets: number[];
  layers: number[];
}

export function indexSpill(path: string): SpillIndex {
  const file = readFileSync(path);
  // Float64Array views need 8-byte alignment of the underlying buffer.
  const bytes = file.byteOffset % 8 === 0 ? file : Buffer.from(Uint8Array.prototype.slice.call(file));
  const offsets: number[] = [];
  const layers: number[] = [];
  for (let at = 0; at < bytes.length; at += bytes.readUInt32LE(at)) {
    offsets.push(at);
    layers.push(bytes.readUInt16LE(at + 4));
  }
  return { bytes, offsets, layers };
}

/** One record; the coordinate arrays are views into the spill's bytes. */
export function decodeRecord(bytes: Buffer, at: number): SpilledFeature {
  const layer = bytes.readUInt16LE(at + 4);
  const kind = bytes.readUInt8(at + 6);
  const minzoom = bytes.readUInt8(at + 7);
  const propsLength = bytes.readUInt32LE(at + 8);
  const structureLength = bytes.readUInt32LE(at + 12);
  const coordCount = bytes.readUInt32LE(at + 16);
  const properties = JSON.parse(bytes.toString('utf8', at + HEADER, at + HEADER + propsLength)) as Record<string, PropertyValue>;
  const structureAt = at + align(HEADER + propsLength, 4);
  const coordsAt = at + align(HEADER + propsLength + structureLength * 4, 8);
  const structure = (i: number) => bytes.readUInt32LE(structureAt + 4 * i);
  let coordAt = bytes.byteOffset + coordsAt;
  const take = (points: number) => {
    const array = new Float64Array(bytes.buffer, coordAt, points * 2);
    coordAt += points * 16;
    return array;
  };
  let geometry: ProjectedGeometry;
  if (kind === 1) {
    geometry = { kind: 1, points: take(coordCount / 2) };
  } else if (kind === 2) {
    const lines: Float64Array[] = [];
    for (let i = 0, n = structure(0); i < n; i++) lines.push(take(structure(1 + i)));
    geometry = { kind: 2, lines };
  } else {
    const polygons: Float64Array[][] = [];
    let s = 1;
    for (let p = 0, n = structure(0); p < n; p++) {
      const rings: Float64Array[] = [];
      for (let r = 0, m = structure(s++); r < m; r++) rings.push(take(structure(s++)));
      polygons.push(rings);
    }
    geometry = { kind: 3, polygons };
  }
  return { layer, minzoom, properties, geometry };
}

export interface SpillFile {
  key: string;
  path: string;
  bytes: number;
  records: number;
}

/**
 * Buffers records per partition and appends them to the partition's file when the buffers grow past a
 * limit, so memory stays bounded however many partitions there are and no file stays open.
 */
export class PartitionSpill {
  private readonly buffers = new Map<string, { chunks: Buffer[]; bytes: number }>();
  private readonly files = new Map<string, SpillFile>();
  private buffered = 0;

  constructor(
    private readonly folder: string,
    private readonly memoryLimit = 16 * 1024 * 1024,
  ) {}

  add(key: string, record: Buffer): void {
    let buffer = this.buffers.get(key);
    if (!buffer) this.buffers.set(key, (buffer = { chunks: [], bytes: 0 }));
    buffer.chunks.push(record);
    buffer.bytes += record.length;
    this.buffered += record.length;
    let file = this.files.get(key);
    if (!file) this.files.set(key, (file = { key, path: join(this.folder, `${key.replace(/\//g, '-')}.spill`), bytes: 0, records: 0 }));
    file.bytes += record.length;
    file.records++;
    if (this.buffered > this.memoryLimit) this.flushLargest();
  }

  /** Writes out everything and lists the partitions' files. */
  finish(): SpillFile[] {
    for (const key of [...this.buffers.keys()]) this.flush(key);
    return [...this.files.values()];
  }

  private flushLargest(): void {
    // Write the biggest buffers first until half the limit is free: few large appends, not many small ones.
    const keys = [...this.buffers.entries()].sort((a, b) => b[1].bytes - a[1].bytes).map(([key]) => key);
    for (const key of keys) {
      if (this.buffered <= this.memoryLimit / 2) break;
      this.flush(key);
    }
  }

  private flush(key: string): void {
    const buffer = this.buffers.get(key);
    const file = this.files.get(key);
    if (!buffer || !file) return;
    appendFileSync(file.path, Buffer.concat(buffer.chunks));
    this.buffered -= buffer.bytes;
    this.buffers.delete(key);
  }
}
