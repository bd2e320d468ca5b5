// Well-known binary to GeoJSON geometry: the seven OGC types, ISO and EWKB Z/M flags (reduced to 2D), either byte order.
import type { Geometry, Position } from 'geojson';

export class WkbError extends Error {}

const TYPE_NAMES = ['', 'Point', 'LineString', 'Polygon', 'MultiPoint', 'MultiLineString', 'MultiPolygon', 'GeometryCollection'] as const;

/** Reads one geometry from `bytes` starting at `offset`; an empty Point (NaN coordinates) comes back as null. */
export function parseWkb(bytes: Uint8Array, offset = 0): Geometry | null {
  const reader = new WkbReader(bytes, offset);
  return reader.geometry();
}

class WkbReader {
  private readonly view: DataView;
  private offset: number;

  constructor(bytes: Uint8Array, offset: number) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.offset = offset;
  }

  geometry(): Geometry | null {
    const view = this.view;
    if (this.offset + 5 > view.byteLength) throw new WkbError('geometry is cut short');
    const little = view.getUint8(this.offset) === 1;
    const rawType = view.getUint32(this.offset + 1, little);
    this.offset += 5;
    // EWKB carries Z/M/SRID as high bits; ISO WKB adds 1000 (Z), 2000 (M), 3000 (ZM) to the type.
    let dimensions = 2 + (rawType & 0x80000000 ? 1 : 0) + (rawType & 0x40000000 ? 1 : 0);
    if (rawType & 0x20000000) this.offset += 4;
    let type = rawType & 0x0fffffff;
    if (type >= 1000) {
      const flavour = Math.floor(type / 1000);
      dimensions = flavour === 3 ? 4 : 3;
      type %= 1000;
    }
    const name = TYPE_NAMES[type];
    if (!name) throw new WkbError(`unsupported WKB geometry type ${rawType}`);
    switch (name) {
      case 'Point': {
        const position = this.position(little, dimensions);
        return Number.isNaN(position[0]) && Number.isNaN(position[1]) ? null : { type: name, coordinates: position };
      }
      case 'LineString':
        return { type: name, coordinates: this.positions(little, dimensions) };
      case 'Polygon':
        return { type: name, coordinates: this.rings(little, dimensions) };
      case 'MultiPoint':
        return { type: name, coordinates: this.parts(little, (part) => (part?.type === 'Point' ? [part.coordinates] : [])).flat() };
      case 'MultiLineString':
        return { type: name, coordinates: this.parts(little, (part) => (part?.type === 'LineString' ? [part.coordinates] : [])).flat() };
      case 'MultiPolygon':
        return { type: name, coordinates: this.parts(little, (part) => (part?.type === 'Polygon' ? [part.coordinates] : [])).flat() };
      case 'GeometryCollection':
        return { type: name, geometries: this.parts(little, (part) => (part ? [part] : [])).flat() };
    }
  }

  private count(little: boolean, bytesEach: number): number {
    if (this.offset + 4 > this.view.byteLength) throw new WkbError('geometry is cut short');
    const count = this.view.getUint32(this.offset, little);
    this.offset += 4;
    if (this.offset + count * bytesEach > this.view.byteLength) throw new WkbError('geometry is cut short');
    return count;
  }

  private position(little: boolean, dimensions: number): Position {
    if (this.offset + dimensions * 8 > this.view.byteLength) throw new WkbError('geometry is cut short');
    const position = [this.view.getFloat64(this.offset, little), this.view.getFloat64(this.offset + 8, little)];
    this.offset += dimensions * 8;
    return position;
  }

  private positions(little: boolean, dimensions: number): Position[] {
    const count = this.count(little, dimensions * 8);
    const result = new Array<Position>(count);
    for (let i = 0; i < count; i++) result[i] = this.position(little, dimensions);
    return result;
  }

  private rings(little: boolean, dimensions: number): Position[][] {
    const count = this.count(little, 4);
    const result = new Array<Position[]>(count);
    for (let i = 0; i < count; i++) result[i] = this.positions(little, dimensions);
    return result;
  }

  /** Parts of a multi-geometry, each a full WKB geometry with its own byte order. */
  private parts<T>(little: boolean, take: (part: Geometry | null) => T[]): T[][] {
    const count = this.count(little, 5);
    const result = new Array<T[]>(count);
    for (let i = 0; i < count; i++) result[i] = take(this.geometry());
    return result;
  }
}
