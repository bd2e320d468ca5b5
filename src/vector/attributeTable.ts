// One partition layer's attributes, each distinct key and value stored once, as tippecanoe's string pool does:
// a feature keeps only where its (key, value) index pairs lie. Parsed attribute objects were most of a tiling
// worker's heap (Natural Earth's admin-1 lines carry ~430 bytes of attributes for a handful of vertices).
import type { PropertyValue } from '../sources/types.js';

/** What a feature carries through geojson-vt (as its `tags`): its attributes' place in the table, and facts. */
export interface FeatureTags {
  /** Index into the table's pair pool of the feature's first key index; pairs are (key, value). */
  start: number;
  /** Number of pairs. */
  count: number;
  /** First zoom at which the feature shows. */
  minzoom: number;
  /** A single point's exact projected position (geojson-vt hands back only rounded tile coordinates). */
  point?: [number, number];
}

type Scalar = string | number | boolean;

export class AttributeTable {
  readonly keys: string[] = [];
  readonly values: Scalar[] = [];
  private pairs = new Uint32Array(1024);
  private used = 0;
  private readonly keyIndex = new Map<string, number>();
  // One table a value type, so that "1" and 1 stay apart.
  private readonly stringIndex = new Map<string, number>();
  private readonly numberIndex = new Map<number, number>();
  private readonly booleanIndex: [number, number] = [-1, -1];

  /** Stores a feature's attributes (null and undefined are left out, as a vector tile cannot hold them). */
  add(properties: Record<string, PropertyValue>, minzoom = 0, point?: [number, number]): FeatureTags {
    const start = this.used;
    for (const key in properties) {
      const value = properties[key];
      if (value === null || value === undefined) continue;
      if (this.used + 2 > this.pairs.length) this.grow();
      this.pairs[this.used++] = this.keyOf(key);
      this.pairs[this.used++] = this.valueOf(value);
    }
    return { start, count: (this.used - start) / 2, minzoom, point };
  }

  keyAt(tags: FeatureTags, pair: number): number {
    return this.pairs[tags.start + 2 * pair];
  }

  valueAt(tags: FeatureTags, pair: number): number {
    return this.pairs[tags.start + 2 * pair + 1];
  }

  /** A feature's value of one attribute, or undefined when it has none. */
  get(tags: FeatureTags, key: string): Scalar | undefined {
    const wanted = this.keyIndex.get(key);
    if (wanted === undefined) return undefined;
    for (let pair = 0; pair < tags.count; pair++) if (this.keyAt(tags, pair) === wanted) return this.values[this.valueAt(tags, pair)];
    return undefined;
  }

  private keyOf(key: string): number {
    let index = this.keyIndex.get(key);
    if (index === undefined) {
      index = this.keys.push(key) - 1;
      this.keyIndex.set(key, index);
    }
    return index;
  }

  private valueOf(value: Scalar): number {
    if (typeof value === 'boolean') {
      const slot = value ? 1 : 0;
      if (this.booleanIndex[slot] < 0) this.booleanIndex[slot] = this.values.push(value) - 1;
      return this.booleanIndex[slot];
    }
    const table = (typeof value === 'string' ? this.stringIndex : this.numberIndex) as Map<Scalar, number>;
    let index = table.get(value);
    if (index === undefined) {
      index = this.values.push(value) - 1;
      table.set(value, index);
    }
    return index;
  }

  private grow(): void {
    const larger = new Uint32Array(this.pairs.length * 2);
    larger.set(this.pairs);
    this.pairs = larger;
  }
}
