// Hot tiles kept in memory, bounded in bytes: a hit skips the archive read (and its hashing) entirely.
import { LRUCache } from 'lru-cache';
import { tileCacheBounds, type CacheFigures, type StoredTile } from '../archive/types.js';
import type { Tileset } from './registry.js';

export class TileCache {
  private readonly cache: LRUCache<string, StoredTile> | undefined;
  /** A key prefix per tileset object: a reloaded archive is a new Tileset, so its tiles never meet the old ones'. */
  private readonly prefixes = new WeakMap<Tileset, string>();
  private tilesets = 0;
  hits = 0;
  misses = 0;

  /** `maxBytes` 0 keeps nothing. Tiles larger than a sixteenth of the budget are not kept (one would push out hundreds). */
  constructor(readonly maxBytes: number) {
    this.cache =
      maxBytes > 0
        ? new LRUCache<string, StoredTile>(tileCacheBounds(maxBytes))
        : undefined;
  }

  get enabled(): boolean {
    return this.cache !== undefined;
  }

  /** The key of tile z/x/y of `tileset`. */
  keyOf(tileset: Tileset, z: number, x: number, y: number): string {
    let prefix = this.prefixes.get(tileset);
    if (prefix === undefined) {
      prefix = `${++this.tilesets}/`;
      this.prefixes.set(tileset, prefix);
    }
    return `${prefix}${z}/${x}/${y}`;
  }

  get(key: string): StoredTile | undefined {
    const tile = this.cache?.get(key);
    if (tile === undefined) this.misses++;
    else this.hits++;
    return tile;
  }

  set(key: string, tile: StoredTile): void {
    this.cache?.set(key, tile);
  }

  stats(): CacheFigures {
    return { entries: this.cache?.size ?? 0, bytes: this.cache?.calculatedSize ?? 0, maxBytes: this.maxBytes, hits: this.hits, misses: this.misses };
  }
}
