// .shp records to GeoJSON geometries: points, multipoints, polylines and polygons (Z/M variants read as 2D).
// Polygon rings are grouped as the format defines them: clockwise rings are outer, counter-clockwise rings are
// holes of the smallest outer ring that contains them.
import type { Geometry, Position } from 'geojson';
import { BlockReader } from './blockReader.js';

export class ShpError extends Error {}

export interface ShpHeader {
  shapeType: number;
  bounds: [number, number, number, number];
}

export function readShpHeader(reader: BlockReader): ShpHeader {
  const header = reader.take(100);
  if (!header || header.readInt32BE(0) !== 9994) throw new ShpError('not a Shapefile (bad .shp header)');
  return { shapeType: header.readInt32LE(32), bounds: [header.readDoubleLE(36), header.readDoubleLE(44), header.readDoubleLE(52), header.readDoubleLE(60)] };
}

/**
 * Reads the records of a .shp in order. With the .shx index each record is read at the offset the index gives, as
 * GDAL does: some files (Natural Earth's among them) carry record lengths that do not match the gaps between
 * records. Without an index the records are read back to back, and a record whose number is not the expected one
 * is searched for a little further on.
 */
export class ShpRecords {
  private recordNumber = 0;

  constructor(
    private readonly shapes: BlockReader,
    private readonly index: BlockReader | undefined,
    private readonly shapeType: number,
  ) {
    index?.seek(100);
  }

  /** The next record's geometry (null for a null shape), undefined at the end, ShpError when the file is damaged there. */
  next(): Geometry | null | undefined {
    this.recordNumber++;
    if (this.index) {
      if (this.index.position >= this.index.size) return undefined;
      const entry = this.index.take(8);
      if (!entry) throw new ShpError('the .shx index ends inside an entry (truncated .shx)');
      this.shapes.seek(entry.readInt32BE(0) * 2);
    } else if (this.shapes.position >= this.shapes.size) {
      return undefined;
    } else {
      this.findRecordHeader();
    }
    const head = this.shapes.take(8);
    if (!head) throw new ShpError('the file ends inside a record header (truncated .shp)');
    const content = this.shapes.take(head.readInt32BE(4) * 2);
    if (!content) throw new ShpError('the file ends inside this record (truncated .shp)');
    return parseShape(content);
  }

  /** Moves to the header of the expected record when the previous record's length was wrong. */
  private findRecordHeader(): void {
    const start = this.shapes.position;
    const limit = Math.min(this.shapes.size - 12, start + (1 << 20));
    for (let at = start; at <= limit; at += 2) {
      this.shapes.seek(at);
      const head = this.shapes.take(12);
      if (!head) break;
      const type = head.readInt32LE(8);
      if (head.readInt32BE(0) === this.recordNumber && head.readInt32BE(4) >= 2 && (type === 0 || type === this.shapeType)) {
        this.shapes.seek(at);
        return;
      }
    }
    this.shapes.seek(start);
  }
}

function parseShape(content: Buffer): Geometry | null {
  if (content.length < 4) throw new ShpError('record too short');
  const type = content.readInt32LE(0);
  switch (type) {
    case 0:
      return null;
    case 1:
    case 11:
    case 21:
      need(content, 20);
      return { type: 'Point', coordinates: [content.readDoubleLE(4), content.readDoubleLE(12)] };
    case 8:
    case 18:
    case 28: {
      need(content, 40);
      const points = readPoints(content, 40, content.readInt32LE(36));
      return points.length === 1 ? { type: 'Point', coordinates: points[0] } : { type: 'MultiPoint', coordinates: points };
    }
    case 3:
    case 13:
    case 23: {
      const parts = readParts(content);
      return parts.length === 1 ? { type: 'LineString', coordinates: parts[0] } : { type: 'MultiLineString', coordinates: parts };
    }
    case 5:
    case 15:
    case 25:
      return assemblePolygon(readParts(content));
    default:
      throw new ShpError(`unsupported shape type ${type}`);
  }
}

function need(content: Buffer, length: number): void {
  if (content.length < length) throw new ShpError('record too short for its shape');
}

function readPoints(content: Buffer, offset: number, count: number): Position[] {
  need(content, offset + count * 16);
  const points = new Array<Position>(count);
  for (let i = 0; i < count; i++, offset += 16) points[i] = [content.readDoubleLE(offset), content.readDoubleLE(offset + 8)];
  return points;
}

function readParts(content: Buffer): Position[][] {
  need(content, 44);
  const partCount = content.readInt32LE(36);
  const pointCount = content.readInt32LE(40);
  need(content, 44 + partCount * 4);
  const points = readPoints(content, 44 + partCount * 4, pointCount);
  const parts: Position[][] = [];
  for (let i = 0; i < partCount; i++) {
    const start = content.readInt32LE(44 + i * 4);
    const end = i + 1 < partCount ? content.readInt32LE(48 + i * 4) : pointCount;
    if (start < 0 || end > pointCount || start > end) throw new ShpError('part index out of range');
    parts.push(points.slice(start, end));
  }
  return parts;
}

/** Twice the ring's area, positive when it runs clockwise (with y up), as the format's outer rings do. */
function clockwiseArea(ring: Position[]): number {
  let sum = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) sum += (ring[i][0] - ring[j][0]) * (ring[i][1] + ring[j][1]);
  return sum;
}

type Box = [number, number, number, number];

function ringBox(ring: Position[]): Box {
  const box: Box = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of ring) {
    if (x < box[0]) box[0] = x;
    if (y < box[1]) box[1] = y;
    if (x > box[2]) box[2] = x;
    if (y > box[3]) box[3] = y;
  }
  return box;
}

/**
 * Point-in-ring tests against one ring. Large rings (a continent with its lakes as holes) get their edges sorted
 * into horizontal bands once, so each test scans only the edges that cross its band rather than the whole ring.
 */
class RingLocator {
  private bands: Int32Array[] | undefined;
  private bandTop = 0;
  private bandHeight = 0;

  constructor(private readonly ring: Position[], readonly box: Box) {}

  contains([x, y]: Position): boolean {
    const ring = this.ring;
    if (ring.length < 256) return crossings(ring, x, y, undefined);
    this.bands ??= this.buildBands();
    const band = Math.floor((y - this.bandTop) / this.bandHeight);
    if (band < 0 || band >= this.bands.length) return false;
    return crossings(ring, x, y, this.bands[band]);
  }

  private buildBands(): Int32Array[] {
    const ring = this.ring;
    const count = Math.max(1, Math.ceil(Math.sqrt(ring.length)));
    this.bandTop = this.box[1];
    this.bandHeight = (this.box[3] - this.box[1]) / count || 1;
    const lists: number[][] = Array.from({ length: count }, () => []);
    const bandOf = (y: number) => Math.min(count - 1, Math.max(0, Math.floor((y - this.bandTop) / this.bandHeight)));
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const low = bandOf(Math.min(ring[i][1], ring[j][1]));
      const high = bandOf(Math.max(ring[i][1], ring[j][1]));
      for (let band = low; band <= high; band++) lists[band].push(i);
    }
    return lists.map((list) => Int32Array.from(list));
  }
}

/** A hole may touch its outer ring at a vertex, so a vertex on the boundary cannot decide; three spread vertices do. */
function insideRing(locator: RingLocator, hole: Position[]): boolean {
  const step = Math.max(1, Math.floor(hole.length / 3));
  for (let i = 0; i < hole.length - 1 && i < 3 * step; i += step) if (locator.contains(hole[i])) return true;
  return false;
}

/** Even-odd crossing test over all edges, or over the edges (given by their end index) of one band. */
function crossings(ring: Position[], x: number, y: number, edges: Int32Array | undefined): boolean {
  let inside = false;
  const count = edges ? edges.length : ring.length;
  for (let k = 0; k < count; k++) {
    const i = edges ? edges[k] : k;
    const j = i === 0 ? ring.length - 1 : i - 1;
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function assemblePolygon(rings: Position[][]): Geometry | null {
  if (rings.length === 0) return null;
  const outers: { rings: Position[][]; locator: RingLocator; area: number }[] = [];
  const holes: Position[][] = [];
  for (const ring of rings) {
    const area = clockwiseArea(ring);
    if (area > 0) outers.push({ rings: [ring], locator: new RingLocator(ring, ringBox(ring)), area });
    else holes.push(ring);
  }
  // Smallest first, so that the first outer ring found around a hole is the innermost one.
  const candidates = outers.length > 1 ? [...outers].sort((a, b) => a.area - b.area) : outers;
  // A file with only counter-clockwise rings wrote them the other way round; take them as outers.
  if (outers.length === 0) return rings.length === 1 ? { type: 'Polygon', coordinates: rings } : { type: 'MultiPolygon', coordinates: rings.map((ring) => [ring]) };
  for (const hole of holes) {
    if (outers.length === 1) {
      outers[0].rings.push(hole);
      continue;
    }
    const box = ringBox(hole);
    const owner = candidates.find(({ locator: { box: b }, locator }) =>
      box[0] >= b[0] && box[1] >= b[1] && box[2] <= b[2] && box[3] <= b[3] && insideRing(locator, hole));
    if (owner) owner.rings.push(hole);
    else outers.push({ rings: [hole], locator: new RingLocator(hole, box), area: 0 });
  }
  return outers.length === 1 ? { type: 'Polygon', coordinates: outers[0].rings } : { type: 'MultiPolygon', coordinates: outers.map((outer) => outer.rings) };
}
