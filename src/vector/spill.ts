// Partition spill: features written once, compactly, into sequential run files with an index of which byte
// ranges belong to which partition tile, read back by the worker that cuts the partition.
// A record: header (u32 length, u16 layer, u8 kind, u8 minzoom, u32 props bytes, u32 structure words, u32 coords),
// the attributes as JSON, the part structure (u32), then the projected coordinates (f64) — 8-byte aligned.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
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

/** Loads a partition's segments (from one or more runs, in order) into one buffer and indexes its records. */
export function indexSpill(segments: SpillSegment[]): SpillIndex {
  const total = segments.reduce((n, segment) => n + segment.length, 0);
  // A fresh buffer (not from Node's pool) so that Float64Array views are 8-byte aligned.
  const bytes = Buffer.from(new ArrayBuffer(total));
  let at = 0;
  const byRun = new Map<string, SpillSegment[]>();
  for (const segment of segments) byRun.set(segment.run, [...(byRun.get(segment.run) ?? []), segment]);
  const placed = new Map<SpillSegment, number>();
  for (const segment of segments) {
    placed.set(segment, at);
    at += segment.length;
  }
  for (const [run, runSegments] of byRun) {
    const descriptor = openSync(run, 'r');
    try {
      for (const segment of runSegments) readSync(descriptor, bytes, placed.get(segment) as number, segment.length, segment.offset);
    } finally {
      closeSync(descriptor);
    }
  }
  const offsets: number[] = [];
  const layers: number[] = [];
  for (let record = 0; record < bytes.length; record += bytes.readUInt32LE(record)) {
    offsets.push(record);
    layers.push(bytes.readUInt16LE(record + 4));
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

/** A byte range of a run file that holds records of one partition. */
export interface SpillSegment {
  run: string;
  offset: number;
  length: number;
}

/**
 * Buffers records per partition; when the buffers pass a limit they are written out as one run file, partition
 * after partition, so memory stays bounded, writes are few and sequential, and no file stays open.
 */
export class PartitionSpill {
  private buffers = new Map<string, Buffer[]>();
  private readonly segments = new Map<string, SpillSegment[]>();
  private buffered = 0;
  private runs = 0;

  constructor(
    private readonly folder: string,
    /** Run files are named after this, so several spills can share a folder. */
    private readonly name: string,
    // 2 MiB: records are many small buffers among the reader's short-lived geometry, and the malloc arena keeps
    // its high-water mark; 8 MiB cost ~8 MB of peak RSS on the world Natural Earth build, for no speed.
    private readonly memoryLimit = 2 * 1024 * 1024,
  ) {}

  add(key: string, record: Buffer): void {
    let chunks = this.buffers.get(key);
    if (!chunks) this.buffers.set(key, (chunks = []));
    chunks.push(record);
    this.buffered += record.length;
    if (this.buffered >= this.memoryLimit) this.writeRun();
  }

  /** Writes out what is buffered; returns every partition's segments. */
  finish(): Map<string, SpillSegment[]> {
    this.writeRun();
    return this.segments;
  }

  private writeRun(): void {
    if (this.buffered === 0) return;
    const run = join(this.folder, `${this.name}-${this.runs++}.spill`);
    const descriptor = openSync(run, 'w');
    try {
      let offset = 0;
      // In slices of about a megabyte: concatenating the whole run would hold it twice in memory, and
      // writing record by record would cost a system call each.
      let slice: Buffer[] = [];
      let sliceBytes = 0;
      const flush = () => {
        if (sliceBytes) writeSync(descriptor, Buffer.concat(slice, sliceBytes));
        slice = [];
        sliceBytes = 0;
      };
      for (const [key, records] of this.buffers) {
        const start = offset;
        for (const record of records) {
          slice.push(record);
          sliceBytes += record.length;
          offset += record.length;
          if (sliceBytes >= 1 << 20) flush();
        }
        let list = this.segments.get(key);
        if (!list) this.segments.set(key, (list = []));
        list.push({ run, offset: start, length: offset - start });
      }
      flush();
    } finally {
      closeSync(descriptor);
    }
    this.buffers = new Map();
    this.buffered = 0;
  }
}
