// Partition spill: features written once, compactly, into sequential run files with an index of which byte
// ranges belong to which partition tile, read back by the worker that cuts the partition.
// A record: header (u32 length, u16 layer, u8 kind, u8 minzoom, u32 props bytes, u32 structure words, u32 coords,
// f64 feature id or -1), the attributes as JSON, the part structure (u32), then the projected coordinates (f64),
// and for a weighed line or polygon (kind + WEIGHED) each part's size (f64) and each point's weight (f32), 8-byte
// aligned.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { PropertyValue } from '../sources/types.js';
import type { ProjectedGeometry, Shape } from './geometry.js';

/** A feature's attributes as spilled: JSON, and its tile feature id if it has one. */
export interface SpilledAttributes {
  json: Buffer;
  id?: number;
}

export interface SpilledFeature {
  layer: number;
  /** The vector tile feature id, when the source gave one. */
  id?: number;
  /** First zoom at which this feature shows (from the layer's zoomField); 0 when none. */
  minzoom: number;
  properties: Record<string, PropertyValue>;
  geometry: ProjectedGeometry;
}

const HEADER = 28;
/** Added to the kind byte when the record carries its lines' or rings' shape (weights and sizes). */
const WEIGHED = 0x10;
const align = (n: number, to: number) => Math.ceil(n / to) * to;

/**
 * Where records are encoded: one buffer for the thread, with typed views for the coordinates, sizes and weights
 * (records are 8-byte aligned in it). A record a buffer of its own cost an allocation, a zero-fill and a Buffer
 * view for each of its arrays: for every piece of every feature in every band. A larger record gets a buffer
 * of its own, so that the thread keeps none larger into the tiling phase.
 */
const ENCODING_BYTES = 1 << 18;
const encoding = encodingBuffer(ENCODING_BYTES);

function encodingBuffer(bytes: number) {
  const buffer = new ArrayBuffer(bytes);
  return { bytes: Buffer.from(buffer), f64: new Float64Array(buffer), f32: new Float32Array(buffer) };
}

/**
 * One record, encoded into the thread's encoding buffer: the view returned is valid until the next call (hand
 * it to PartitionSpill.add, which copies it, at once).
 */
export function encodeRecord(layer: number, minzoom: number, attributes: SpilledAttributes, geometry: ProjectedGeometry): Buffer {
  const propertiesJson = attributes.json;
  // Counts first, so the record is written in one pass without gathering its arrays.
  let structureLength = 0;
  let coordCount = 0;
  let parts = 0;
  let weighed = false;
  if (geometry.kind === 1) {
    coordCount = geometry.points.length;
  } else if (geometry.kind === 2) {
    structureLength = 1 + geometry.lines.length;
    for (const line of geometry.lines) coordCount += line.length;
    parts = geometry.lines.length;
    weighed = geometry.shape !== undefined && geometry.shape.length > 0;
  } else {
    structureLength = 1;
    for (const polygon of geometry.polygons) {
      structureLength += 1 + polygon.length;
      for (const ring of polygon) coordCount += ring.length;
      parts += polygon.length;
    }
    weighed = geometry.shape !== undefined && geometry.shape.some((polygon) => polygon.length > 0);
  }
  const structureAt = align(HEADER + propertiesJson.length, 4);
  const structureEnd = structureAt + structureLength * 4;
  const coordsAt = align(structureEnd, 8);
  const sizesAt = coordsAt + coordCount * 8;
  const weightsAt = sizesAt + (weighed ? parts * 8 : 0);
  const end = weightsAt + (weighed ? (coordCount / 2) * 4 : 0);
  const length = align(end, 8);
  const { bytes, f64, f32 } = length <= ENCODING_BYTES ? encoding : encodingBuffer(length);
  bytes.writeUInt32LE(length, 0);
  bytes.writeUInt16LE(layer, 4);
  bytes.writeUInt8(geometry.kind + (weighed ? WEIGHED : 0), 6);
  bytes.writeUInt8(minzoom, 7);
  bytes.writeUInt32LE(propertiesJson.length, 8);
  bytes.writeUInt32LE(structureLength, 12);
  bytes.writeUInt32LE(coordCount, 16);
  bytes.writeDoubleLE(attributes.id ?? -1, 20);
  propertiesJson.copy(bytes, HEADER);
  // The padding is zeroed: a record's bytes depend on it alone, not on what the buffer held before.
  bytes.fill(0, HEADER + propertiesJson.length, structureAt);
  bytes.fill(0, structureEnd, coordsAt);
  bytes.fill(0, end, length);
  let structureNext = structureAt;
  const structure = (value: number) => {
    bytes.writeUInt32LE(value, structureNext);
    structureNext += 4;
  };
  let coordNext = coordsAt / 8;
  let partNext = sizesAt / 8;
  let weightNext = weightsAt / 4;
  const part = (flat: Float64Array, shape: Shape | undefined) => {
    f64.set(flat, coordNext);
    coordNext += flat.length;
    if (!weighed || !shape) return;
    f64[partNext++] = shape.size;
    f32.set(shape.weights, weightNext);
    weightNext += shape.weights.length;
  };
  if (geometry.kind === 1) {
    part(geometry.points, undefined);
  } else if (geometry.kind === 2) {
    structure(geometry.lines.length);
    geometry.lines.forEach((line, i) => {
      structure(line.length / 2);
      part(line, geometry.shape?.[i]);
    });
  } else {
    structure(geometry.polygons.length);
    geometry.polygons.forEach((polygon, p) => {
      structure(polygon.length);
      polygon.forEach((ring, r) => {
        structure(ring.length / 2);
        part(ring, geometry.shape?.[p][r]);
      });
    });
  }
  return bytes.subarray(0, length);
}

const READ_BUFFER_BYTES = 1 << 20;
/** The buffer a finished reader hands back, for the next one on this thread (a cut runs one reader at a time). */
let spareBuffer: Buffer | undefined;

/**
 * Reads a partition's records back in order, segment after segment, through one buffer refilled in place: a
 * partition's spill is never in memory whole (the largest of the world Natural Earth build is 6 MB, allocated
 * and freed once a partition in the tiling worker). A record is valid until the next call.
 */
export class SpillReader {
  private bytes: Buffer;
  private start = 0;
  private end = 0;
  private segment = -1;
  private descriptor: number | undefined;
  private openRun: string | undefined;
  private position = 0;
  private segmentEnd = 0;

  constructor(private readonly segments: SpillSegment[]) {
    // A fresh ArrayBuffer (not Node's pool) so that the Float64Array views of records are 8-byte aligned.
    this.bytes = spareBuffer ?? Buffer.from(new ArrayBuffer(READ_BUFFER_BYTES));
    spareBuffer = undefined;
  }

  /** The next record, or undefined after the last. */
  next(): SpilledFeature | undefined {
    for (;;) {
      const available = this.end - this.start;
      if (available >= 4) {
        const length = this.bytes.readUInt32LE(this.start);
        if (available >= length) {
          const record = decodeRecord(this.bytes, this.start);
          this.start += length;
          return record;
        }
      }
      if (this.position < this.segmentEnd) this.refill();
      else if (available > 0) throw new Error(`spill segment of ${this.segments[this.segment].run} ends inside a record`);
      else if (!this.openNextSegment()) return undefined;
    }
  }

  close(): void {
    if (this.descriptor !== undefined) closeSync(this.descriptor);
    this.descriptor = undefined;
    spareBuffer = this.bytes;
  }

  private openNextSegment(): boolean {
    if (++this.segment >= this.segments.length) return false;
    const segment = this.segments[this.segment];
    if (segment.run !== this.openRun) {
      if (this.descriptor !== undefined) closeSync(this.descriptor);
      this.descriptor = openSync(segment.run, 'r');
      this.openRun = segment.run;
    }
    this.position = segment.offset;
    this.segmentEnd = segment.offset + segment.length;
    this.start = this.end = 0;
    return true;
  }

  /** Moves the partial record to the front (records are 8-byte multiples, so alignment holds) and reads on. */
  private refill(): void {
    const partial = this.end - this.start;
    const needed = partial >= 4 ? this.bytes.readUInt32LE(this.start) : 0;
    if (needed > this.bytes.length) {
      const larger = Buffer.from(new ArrayBuffer(needed));
      this.bytes.copy(larger, 0, this.start, this.end);
      this.bytes = larger;
    } else {
      this.bytes.copy(this.bytes, 0, this.start, this.end);
    }
    this.start = 0;
    this.end = partial;
    const want = Math.min(this.bytes.length - this.end, this.segmentEnd - this.position);
    const read = readSync(this.descriptor as number, this.bytes, this.end, want, this.position);
    if (read === 0) throw new Error(`spill file ${this.openRun} is shorter than its index says`);
    this.end += read;
    this.position += read;
  }
}

/** One record; the coordinate arrays are views into the spill's bytes. */
export function decodeRecord(bytes: Buffer, at: number): SpilledFeature {
  const layer = bytes.readUInt16LE(at + 4);
  const kindByte = bytes.readUInt8(at + 6);
  const kind = kindByte & ~WEIGHED;
  const weighed = (kindByte & WEIGHED) !== 0;
  const minzoom = bytes.readUInt8(at + 7);
  const propsLength = bytes.readUInt32LE(at + 8);
  const structureLength = bytes.readUInt32LE(at + 12);
  const coordCount = bytes.readUInt32LE(at + 16);
  const id = bytes.readDoubleLE(at + 20);
  const properties = JSON.parse(bytes.toString('utf8', at + HEADER, at + HEADER + propsLength)) as Record<string, PropertyValue>;
  const structureAt = at + align(HEADER + propsLength, 4);
  const coordsAt = at + align(HEADER + propsLength + structureLength * 4, 8);
  const structure = (i: number) => bytes.readUInt32LE(structureAt + 4 * i);
  let coordAt = bytes.byteOffset + coordsAt;
  const parts: Float64Array[] = [];
  const take = (points: number) => {
    const array = new Float64Array(bytes.buffer, coordAt, points * 2);
    coordAt += points * 16;
    parts.push(array);
    return array;
  };
  let geometry: ProjectedGeometry;
  if (kind === 1) {
    geometry = { kind: 1, points: take(coordCount / 2) };
  } else if (kind === 2) {
    const lines: Float64Array[] = [];
    for (let i = 0, n = structure(0); i < n; i++) lines.push(take(structure(1 + i)));
    geometry = { kind: 2, lines };
    if (weighed) geometry.shape = readShapes(bytes, coordAt, parts);
  } else {
    const polygons: Float64Array[][] = [];
    let s = 1;
    for (let p = 0, n = structure(0); p < n; p++) {
      const rings: Float64Array[] = [];
      for (let r = 0, m = structure(s++); r < m; r++) rings.push(take(structure(s++)));
      polygons.push(rings);
    }
    geometry = { kind: 3, polygons };
    if (weighed) {
      const shapes = readShapes(bytes, coordAt, parts);
      let next = 0;
      geometry.shape = polygons.map((rings) => rings.map(() => shapes[next++]));
    }
  }
  return id >= 0 ? { layer, id, minzoom, properties, geometry } : { layer, minzoom, properties, geometry };
}

/** The sizes (f64, one a part) and then weights (f32, one a point) that follow a weighed record's coordinates. */
function readShapes(bytes: Buffer, sizesAt: number, parts: Float64Array[]): Shape[] {
  let weightAt = sizesAt + parts.length * 8;
  return parts.map((part, i) => {
    const points = part.length / 2;
    const weights = new Float32Array(bytes.buffer, weightAt, points);
    weightAt += points * 4;
    return { weights, size: new Float64Array(bytes.buffer, sizesAt + 8 * i, 1)[0] };
  });
}

/** A byte range of a run file that holds records of one partition, all of one layer. */
export interface SpillSegment {
  run: string;
  offset: number;
  length: number;
  layer: number;
  records: number;
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
    /** The layer whose records this spill holds; run files are named after it, so layers share a folder. */
    private readonly layer: number,
    // 2 MiB: records are many small buffers among the reader's short-lived geometry, and the malloc arena keeps
    // its high-water mark; 8 MiB cost ~8 MB of peak RSS on the world Natural Earth build, for no speed.
    private readonly memoryLimit = 2 * 1024 * 1024,
  ) {}

  /** Keeps a record (copied when it lies in the encoding buffer) for the partition `key`. */
  add(key: string, record: Buffer): void {
    // A copy at its size, from Node's pool when small: many records share one allocation.
    if (record.buffer === encoding.bytes.buffer) record = Buffer.from(record);
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
    const run = join(this.folder, `layer${this.layer}-${this.runs++}.spill`);
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
        list.push({ run, offset: start, length: offset - start, layer: this.layer, records: records.length });
      }
      flush();
    } finally {
      closeSync(descriptor);
    }
    this.buffers = new Map();
    this.buffered = 0;
  }
}
