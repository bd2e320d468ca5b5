// Live tiles kept in memory for a short time (lru-cache: a byte budget, least recently used go first, and a TTL so
// that edits show), and one database query for many simultaneous requests of the same tile.
import { LRUCache } from 'lru-cache';
import { tileCacheBounds, type CacheFigures, type MaybePromise, type StoredTile } from '../archive/types.js';
import { compressedLiveTile } from './liveTile.js';

/** lru-cache holds no `undefined`: an empty tile (204) is kept as this, so that it too is not asked for again. */
const EMPTY: StoredTile = { data: Buffer.alloc(0), hash: '', gzipped: false };

export class TileCache {
  /** Absent when the TTL or the budget is 0: every request reaches the database (still one query per tile at a time). */
  private readonly entries: LRUCache<string, StoredTile> | undefined;
  private readonly pending = new Map<string, Promise<StoredTile | undefined>>();
  /** Keys whose compression is queued: a burst of hits in one turn queues one, not one a hit. */
  private readonly compressing = new Set<string>();
  private hits = 0;
  private misses = 0;

  constructor(
    private readonly maxBytes: number,
    ttlMs: number,
  ) {
    this.entries =
      ttlMs > 0 && maxBytes > 0
        ? new LRUCache<string, StoredTile>({
            ...tileCacheBounds(maxBytes),
            ttl: ttlMs,
            // Expired entries are dropped when met (get) or pushed out by the budget; no timer per entry.
            ttlAutopurge: false,
          })
        : undefined;
  }

  /** The tile from memory (synchronously) while fresh; otherwise `load` runs once for everyone asking meanwhile. */
  get(key: string, load: () => Promise<StoredTile | undefined>): MaybePromise<StoredTile | undefined> {
    const entry = this.entries?.get(key);
    if (entry !== undefined) {
      this.hits++;
      if (entry === EMPTY) return undefined;
      // A tile asked for again is worth keeping gzipped (about half the bytes for every later answer): compressed on
      // the next turn of the event loop, after this answer is written. A tile asked for once never is: compressing
      // every miss of a cold cache made the server's CPU per tile 2.41× the bare server's (bench/postgis).
      if (!entry.gzipped && !this.compressing.has(key)) {
        this.compressing.add(key);
        setImmediate(() => this.compress(key, entry));
      }
      return entry;
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
        // Kept as PostGIS made it, and so answered: gzip would hold the answer up (the server's CPU per cold tile was
        // 0.94–1.01 ms with it, 0.60–0.91 ms without; bench/postgis, loaded machine).
        this.entries?.set(key, tile ?? EMPTY);
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

  /** Replaces a plain entry by its gzipped form, unless it expired, was pushed out, replaced or compressed meanwhile. */
  private compress(key: string, plain: StoredTile): void {
    this.compressing.delete(key);
    if (this.entries?.peek(key) !== plain) return;
    // Its TTL still counts from the read: an edit shows no later for the compression.
    this.entries.set(key, compressedLiveTile(plain), { noUpdateTTL: true });
  }

  stats(): CacheFigures {
    return { entries: this.entries?.size ?? 0, bytes: this.entries?.calculatedSize ?? 0, maxBytes: this.maxBytes, hits: this.hits, misses: this.misses };
  }

  clear(): void {
    this.entries?.clear();
  }
}
