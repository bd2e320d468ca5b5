// Well-known text to GeoJSON geometry: the seven OGC types, Z/M/ZM (reduced to 2D), EMPTY, and an EWKT `SRID=n;` prefix.
import type { Geometry, Position } from 'geojson';

export class WktError extends Error {}

type Nested = Position | Nested[];

const TYPES: Record<string, Geometry['type']> = {
  POINT: 'Point',
  LINESTRING: 'LineString',
  POLYGON: 'Polygon',
  MULTIPOINT: 'MultiPoint',
  MULTILINESTRING: 'MultiLineString',
  MULTIPOLYGON: 'MultiPolygon',
  GEOMETRYCOLLECTION: 'GeometryCollection',
};

/** The geometry, or null for an EMPTY one; malformed text throws WktError. */
export function parseWkt(text: string): Geometry | null {
  const parser = new WktParser(text.replace(/^\s*SRID=\d+;/i, ''));
  const geometry = parser.geometry();
  parser.end();
  return geometry;
}

class WktParser {
  private index = 0;

  constructor(private readonly text: string) {}

  geometry(): Geometry | null {
    const word = this.word().toUpperCase();
    const type = TYPES[word];
    if (!type) throw new WktError(`unknown geometry type "${word}"`);
    let next = this.peekWord().toUpperCase();
    if (next === 'Z' || next === 'M' || next === 'ZM') {
      this.word();
      next = this.peekWord().toUpperCase();
    }
    if (next === 'EMPTY') {
      this.word();
      return null;
    }
    if (type === 'GeometryCollection') {
      this.expect('(');
      const geometries: Geometry[] = [];
      do {
        const part = this.geometry();
        if (part) geometries.push(part);
      } while (this.separator());
      return { type, geometries };
    }
    const body = this.list();
    switch (type) {
      case 'Point':
        return { type, coordinates: body[0] as Position };
      case 'MultiPoint':
        // Both MULTIPOINT (1 2, 3 4) and MULTIPOINT ((1 2), (3 4)) are in use.
        return { type, coordinates: body.map((point) => (typeof point[0] === 'number' ? point : point[0]) as Position) };
      case 'LineString':
        return { type, coordinates: body as Position[] };
      case 'Polygon':
      case 'MultiLineString':
        return { type, coordinates: body as Position[][] } as Geometry;
      default:
        return { type: 'MultiPolygon', coordinates: body as Position[][][] };
    }
  }

  end(): void {
    this.skipSpace();
    if (this.index < this.text.length) throw new WktError(`unexpected text after the geometry at character ${this.index + 1}`);
  }

  /** A parenthesised, comma-separated list of positions or of further lists. */
  private list(): Nested[] {
    this.expect('(');
    const items: Nested[] = [];
    do {
      this.skipSpace();
      items.push(this.text[this.index] === '(' ? this.list() : this.position());
    } while (this.separator());
    return items;
  }

  private position(): Position {
    const position: number[] = [];
    for (;;) {
      this.skipSpace();
      const match = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|^(?:nan|inf|-inf)/i.exec(this.text.slice(this.index, this.index + 40));
      if (!match) break;
      position.push(Number(match[0]));
      this.index += match[0].length;
    }
    if (position.length < 2) throw new WktError(`expected a position of at least two numbers at character ${this.index + 1}`);
    return position.slice(0, 2);
  }

  /** After a list item: true at a comma, false at the closing parenthesis. */
  private separator(): boolean {
    this.skipSpace();
    const character = this.text[this.index++];
    if (character === ',') return true;
    if (character === ')') return false;
    throw new WktError(character === undefined ? 'the text ends before the geometry closes' : `unexpected "${character}" at character ${this.index}`);
  }

  private expect(character: string): void {
    this.skipSpace();
    if (this.text[this.index] !== character) throw new WktError(`expected "${character}" at character ${this.index + 1}`);
    this.index++;
  }

  private word(): string {
    const word = this.peekWord();
    this.index += word.length;
    return word;
  }

  private peekWord(): string {
    this.skipSpace();
    return /^[A-Za-z]*/.exec(this.text.slice(this.index))?.[0] ?? '';
  }

  private skipSpace(): void {
    while (this.index < this.text.length && /\s/.test(this.text[this.index])) this.index++;
  }
}
