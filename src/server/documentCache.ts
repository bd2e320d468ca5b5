// Documents derived from a tileset's metadata (TileJSON, OGC API, WMTS layers), serialised once per archive version.
//
// A tileset object is replaced as a whole when its archive changes, so it keys the cache (a WeakMap lets a
// retired version's documents go with it). The base URL comes from the request (Host, forwarded headers) and
// any client may send a new one, so it is not part of the key: a document is built once with a placeholder
// base and the request's base is spliced into the stored bytes. (Keyed by base URL, 600 Host names made a
// 1 MiB TileJSON be serialised 600 times: the tile median beside them went from 1.4 ms to 339 ms.) The token
// links carry stays in the key, so a private tileset's token-bearing links are never shown to another client.
import { randomBytes } from 'node:crypto';
import { LruCache } from './glyphs/lruCache.js';
import { linkToken } from './access.js';

/** Stands for the base URL while a document is built: a well-formed URL no metadata can contain (random per process). */
const BASE_PLACEHOLDER = `http://base-${randomBytes(12).toString('hex')}.invalid`;
/** Link tokens a private tileset's documents are kept for at once (a token holder sends one; a few tokens per tileset). */
const PER_TILESET = 16;

/** A serialised document cut at each place its base URL goes. */
class BaseTemplate {
  private readonly texts: string[];
  private bytes: Buffer[] | undefined;

  constructor(text: string) {
    this.texts = text.split(BASE_PLACEHOLDER);
  }

  /** The document under `escapedBase` (the base URL already escaped for the document's syntax), as bytes to send. */
  render(escapedBase: string): Buffer {
    const segments = (this.bytes ??= this.texts.map((segment) => Buffer.from(segment)));
    if (segments.length === 1) return segments[0];
    const base = Buffer.from(escapedBase);
    return Buffer.concat(segments.flatMap((segment, i) => (i === 0 ? [segment] : [base, segment])));
  }

  /** The same as text, for a piece of a larger document. */
  renderText(escapedBase: string): string {
    return this.texts.join(escapedBase);
  }
}

const documents = new WeakMap<object, LruCache<string, BaseTemplate>>();

function cachedTemplate(tileset: { readonly private?: boolean }, kind: string, serialise: (base: string) => string): BaseTemplate {
  let cache = documents.get(tileset);
  if (!cache) {
    cache = new LruCache<string, BaseTemplate>(PER_TILESET);
    documents.set(tileset, cache);
  }
  // Only a private tileset's links carry the token; public ones must not be rebuilt for every token sent.
  const key = `${kind}\n${tileset.private ? (linkToken() ?? '') : ''}`;
  let template = cache.get(key);
  if (!template) {
    template = new BaseTemplate(serialise(BASE_PLACEHOLDER));
    cache.set(key, template);
  }
  return template;
}

/** The JSON bytes of `build(base)` for this tileset version under `baseUrl` (and, private tilesets, the link token): built on first use only. */
export function cachedJson(tileset: { readonly private?: boolean }, kind: string, baseUrl: string, build: (base: string) => unknown): Buffer {
  return cachedTemplate(tileset, kind, (base) => JSON.stringify(build(base))).render(JSON.stringify(baseUrl).slice(1, -1));
}

/** The same for a piece of XML (a WMTS layer); `escapeXml` is the document's escaping, applied to the base URL spliced in. */
export function cachedXml(tileset: { readonly private?: boolean }, kind: string, baseUrl: string, build: (base: string) => string, escapeXml: (text: string) => string): string {
  return cachedTemplate(tileset, kind, build).renderText(escapeXml(baseUrl));
}
