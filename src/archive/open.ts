// Picks the archive implementation for a path or URL: the only place that knows which formats exist.
import { extname } from 'node:path';
import { InputError } from '../errors.js';
import type { TileArchiveReader, TileArchiveWriter } from './types.js';
import { MBTilesReader } from './mbtiles/reader.js';
import { MBTilesWriter } from './mbtiles/writer.js';
import { PMTilesReader, type RemoteOptions } from './pmtiles/reader.js';
import { PMTilesWriter } from './pmtiles/writer.js';

export const ARCHIVE_EXTENSIONS = ['.mbtiles', '.pmtiles'] as const;

export function isArchivePath(path: string): boolean {
  return (ARCHIVE_EXTENSIONS as readonly string[]).includes(extname(path).toLowerCase());
}

/** An http(s) URL: an archive read with Range requests (PMTiles on an object store or CDN), not a file. */
export function isArchiveUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

export function openArchive(path: string): TileArchiveReader {
  const extension = extname(path).toLowerCase();
  if (extension === '.mbtiles') return new MBTilesReader(path);
  if (extension === '.pmtiles') return PMTilesReader.openFile(path);
  throw new InputError(path, `unknown archive type (expected ${ARCHIVE_EXTENSIONS.join(', ')})`);
}

/** A remote archive by URL; only PMTiles is laid out for Range requests. */
export function openRemoteArchive(url: string, options: RemoteOptions = {}): Promise<TileArchiveReader> {
  if (extname(new URL(url).pathname).toLowerCase() !== '.pmtiles') {
    return Promise.reject(new InputError(url, 'a remote archive must be a .pmtiles file (MBTiles cannot be read over HTTP)'));
  }
  return PMTilesReader.openUrl(url, options);
}

export function createArchive(path: string): TileArchiveWriter {
  const extension = extname(path).toLowerCase();
  if (extension === '.mbtiles') return new MBTilesWriter(path);
  if (extension === '.pmtiles') return new PMTilesWriter(path);
  throw new InputError(path, `cannot write this archive type (expected ${ARCHIVE_EXTENSIONS.join(', ')})`);
}
