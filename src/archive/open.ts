// Picks the archive implementation for a path: the only place that knows which formats exist.
import { extname } from 'node:path';
import { InputError } from '../errors.js';
import type { TileArchiveReader, TileArchiveWriter } from './types.js';
import { MBTilesReader } from './mbtiles/reader.js';
import { MBTilesWriter } from './mbtiles/writer.js';

export const ARCHIVE_EXTENSIONS = ['.mbtiles'] as const;

export function isArchivePath(path: string): boolean {
  return (ARCHIVE_EXTENSIONS as readonly string[]).includes(extname(path).toLowerCase());
}

export function openArchive(path: string): TileArchiveReader {
  if (extname(path).toLowerCase() === '.mbtiles') return new MBTilesReader(path);
  throw new InputError(path, `unknown archive type (expected ${ARCHIVE_EXTENSIONS.join(', ')})`);
}

export function createArchive(path: string): TileArchiveWriter {
  if (extname(path).toLowerCase() === '.mbtiles') return new MBTilesWriter(path);
  throw new InputError(path, `cannot write this archive type (expected ${ARCHIVE_EXTENSIONS.join(', ')})`);
}
