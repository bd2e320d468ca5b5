// Documents derived from a tileset's metadata (TileJSON, OGC API), serialised once per archive version.
//
// A tileset object is replaced as a whole when its archive changes, so it keys the cache (a WeakMap lets a
// retired version's documents go with it). Within one version an answer still depends on the base URL
// (Host, forwarded headers) and the token links carry: those key a small LRU, so varying them costs a
// rebuild of one bounded document, never unbounded memory.
import { LruCache } from './glyphs/lruCache.js';
import { linkToken } from './access.js';

const PER_TILESET = 16;
const documents = new WeakMap<object, LruCache<string, Buffer>>();

/** The JSON bytes of `build()` for this tileset version, base URL and (private tilesets) link token: built on first use only. */
export function cachedJson(tileset: { readonly private?: boolean }, kind: string, baseUrl: string, build: () => unknown): Buffer {
  let cache = documents.get(tileset);
  if (!cache) {
    cache = new LruCache<string, Buffer>(PER_TILESET);
    documents.set(tileset, cache);
  }
  // Only a private tileset's links carry the token; public ones must not be rebuilt for every token sent.
  const key = `${kind}\n${baseUrl}\n${tileset.private ? (linkToken() ?? '') : ''}`;
  let bytes = cache.get(key);
  if (!bytes) {
    bytes = Buffer.from(JSON.stringify(build()));
    cache.set(key, bytes);
  }
  return bytes;
}
