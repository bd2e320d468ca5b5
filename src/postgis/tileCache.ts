// Live tiles kept in memory for a short time: a byte budget (least recently used go first), a TTL so that edits
// show, and one database query for many simultaneous requests of the same tile.
import type { MaybePromise, StoredTile } from '../archive/types.js';

interface Entry {
  tile: StoredTile | undefined;
  expires: number;
  bytes: number;
}

export interface TileCacheStats {
  entries: number;
  bytes: number;
  maxBytes: number;
  hits: number;
  misses: number;
}

/** Map bookkeeping per entry, roughly: key string, entry object, StoredTile object and hash. */
const ENTRY_OVERHEAD = 200;

export class TileCache {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<StoredTile | undefined>>();
  private bytes = 0;
  private hits = 0;
  private misses = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The tile from memory (synchronously) while fresh; otherwise `load` runs once for everyone asking meanwhile. */
  get(key: string, load: () => Promise<StoredTile | undefined>): MaybePromise<StoredTile | undefined> {
    const entry = this.entries.get(key);
    if (entry !== undefined) {
      if (entry.expires > this.now()) {
        this.hits++;
        // Most recently used goes last: eviction takes from the front.
        this.entries.delete(key);
        this.entries.set(key, entry);
        return entry.tile;
      }
      this.drop(key, entry);
    }
    const pending = this.pending.get(key);
    if (pending !== undefined) {
      this.hits++;
      return pending;
    }
    this.misses++;
    const loading = load().then(
      (tile) => {
        this.pending.delete(key);
        this.put(key, tile);
        return tile;
      },
      (error: unknown) => {
        this.pending.delete(key);
        throw error;
      },
    );
    this.pending.set(key, loading);
    return loading;
  }

  stats(): TileCacheStats {
    return { entries: this.entries.size, bytes: this.bytes, maxBytes: this.maxBytes, hits: this.hits, misses: this.misses };
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  private put(key: string, tile: StoredTile | undefined): void {
    if (this.ttlMs <= 0) return;
    const bytes = (tile?.data.length ?? 0) + key.length * 2 + ENTRY_OVERHEAD;
    if (bytes > this.maxBytes) return;
    const previous = this.entries.get(key);
    if (previous) this.drop(key, previous);
    this.entries.set(key, { tile, expires: this.now() + this.ttlMs, bytes });
    this.bytes += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.drop(oldest, entry);
    }
  }

  private drop(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.bytes -= entry.bytes;
  }
}
