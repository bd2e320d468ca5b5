// Picks the archive implementation for a path or URL: the only place that knows which formats exist.
import { extname } from 'node:path';
import { InputError } from '../errors.js';
import type { TileArchiveReader, TileArchiveWriter } from './types.js';
import { MBTilesReader } from './mbtiles/reader.js';
import type { TileHashOptions } from './tileHashes.js';
import { MBTilesWriter } from './mbtiles/writer.js';
import { PMTilesReader, type RemoteOptions } from './pmtiles/reader.js';
import { PMTilesWriter } from './pmtiles/writer.js';
import { GeoPackageReader } from './geopackage/reader.js';
import { GeoPackageWriter } from './geopackage/writer.js';
import { isWebMercator, tileGrid, TILE_GRID_IDS, WEB_MERCATOR_QUAD_ID, type TileGrid } from '../grid/tileMatrixSets.js';

/** `.gpkg` holds OGC GeoPackage tiles: the container for tile matrix sets other than Web Mercator (docs/grids.md). */
export const ARCHIVE_EXTENSIONS = ['.mbtiles', '.pmtiles', '.gpkg'] as const;

export function isArchivePath(path: string): boolean {
  return (ARCHIVE_EXTENSIONS as readonly string[]).includes(extname(path).toLowerCase());
}

/** An http(s) URL: an archive read with Range requests (PMTiles on an object store or CDN), not a file. */
export function isArchiveUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/** What a server shares among the archives it opens (see tileHashes.ts). */
export type OpenOptions = TileHashOptions;

export function openArchive(path: string, options: OpenOptions = {}): TileArchiveReader {
  const extension = extname(path).toLowerCase();
  if (extension === '.mbtiles') return new MBTilesReader(path, options);
  if (extension === '.pmtiles') return PMTilesReader.openFile(path, options);
  if (extension === '.gpkg') return new GeoPackageReader(path, options);
  throw new InputError(path, `unknown archive type (expected ${ARCHIVE_EXTENSIONS.join(', ')})`);
}

/** A remote archive by URL; only PMTiles is laid out for Range requests. */
export function openRemoteArchive(url: string, options: RemoteOptions = {}): Promise<TileArchiveReader> {
  if (extname(new URL(url).pathname).toLowerCase() !== '.pmtiles') {
    return Promise.reject(new InputError(url, 'a remote archive must be a .pmtiles file (MBTiles cannot be read over HTTP)'));
  }
  return PMTilesReader.openUrl(url, options);
}

export interface ArchiveOptions {
  /** Registry id of the tile matrix set (src/grid); WebMercatorQuad when absent. */
  tileMatrixSet?: string;
}

/** The grid an archive at `path` would hold, or why it cannot (a build checks this before it starts). */
export function archiveGrid(path: string, options: ArchiveOptions = {}): TileGrid {
  const id = options.tileMatrixSet ?? WEB_MERCATOR_QUAD_ID;
  const grid = tileGrid(id);
  if (!grid) throw new InputError('--tms', `unknown tile matrix set "${id}" (known: ${TILE_GRID_IDS.join(', ')})`);
  // MBTiles and PMTiles define their tiles on Web Mercator only: another grid needs a container that says which.
  if (!isWebMercator(grid) && extname(path).toLowerCase() !== '.gpkg') throw new InputError(path, `${grid.id} tiles go into a GeoPackage (-o NAME.gpkg); MBTiles and PMTiles hold WebMercatorQuad tiles only`);
  return grid;
}

export function createArchive(path: string, options: ArchiveOptions = {}): TileArchiveWriter {
  const grid = archiveGrid(path, options);
  const extension = extname(path).toLowerCase();
  if (extension === '.gpkg') return new GeoPackageWriter(path, grid);
  if (extension === '.mbtiles') return new MBTilesWriter(path);
  if (extension === '.pmtiles') return new PMTilesWriter(path);
  throw new InputError(path, `cannot write this archive type (expected ${ARCHIVE_EXTENSIONS.join(', ')})`);
}
