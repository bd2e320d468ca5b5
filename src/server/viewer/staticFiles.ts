// Read-only static files from one folder: paths confined to it, kept in memory with a strong ETag and a gzip copy.
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { gzipSync } from 'node:zlib';

export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export interface StaticFile {
  body: Buffer;
  /** The same bytes gzip-compressed, when that is smaller. */
  gzipped?: Buffer;
  contentType: string;
  etag: string;
}

/**
 * A folder served read-only. `get` takes a path relative to the folder, already URL-decoded, and returns
 * undefined for anything that is not a regular file inside it with a known type: `..`, absolute paths,
 * NUL bytes, symlinks leading out and unknown extensions all end there.
 */
export class StaticFolder {
  private readonly root: string;
  private readonly cache = new Map<string, { signature: string; file: StaticFile }>();

  constructor(root: string) {
    this.root = realpathSync(root);
  }

  /** The absolute path of `relativePath` when it stays inside the folder, else undefined. */
  resolveInside(relativePath: string): string | undefined {
    if (relativePath.length === 0 || relativePath.length > 255 || relativePath.includes('\0') || relativePath.includes('\\')) return undefined;
    const candidate = resolve(this.root, relativePath);
    const rel = relative(this.root, candidate);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return undefined;
    let real: string;
    try {
      real = realpathSync(candidate);
    } catch {
      return undefined;
    }
    return real.startsWith(this.root + sep) ? real : undefined;
  }

  get(relativePath: string): StaticFile | undefined {
    const path = this.resolveInside(relativePath);
    if (!path) return undefined;
    const contentType = CONTENT_TYPES[extname(path).toLowerCase()];
    if (!contentType) return undefined;
    let signature: string;
    try {
      const stats = statSync(path);
      if (!stats.isFile()) return undefined;
      signature = `${stats.ino}:${stats.size}:${stats.mtimeMs}`;
    } catch {
      return undefined;
    }
    const cached = this.cache.get(path);
    if (cached && cached.signature === signature) return cached.file;
    const body = readFileSync(path);
    const compressed = contentType.startsWith('image/png') ? undefined : gzipSync(body, { level: 6 });
    const file: StaticFile = {
      body,
      gzipped: compressed && compressed.length < body.length ? compressed : undefined,
      contentType,
      etag: `"${createHash('sha1').update(body).digest('hex')}"`,
    };
    this.cache.set(path, { signature, file });
    return file;
  }
}
