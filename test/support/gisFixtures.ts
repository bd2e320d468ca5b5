// The GIS-facing suites' archives — `absheron` imagery with one interior tile left out and a small `basemap` — and GDAL run as a client.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BBox } from '../../src/grid/webMercator.js';
import { writeRasterArchive, writeVectorArchive, type FeatureCollection } from './archives.js';
import { startMekan, type RunningMekan } from './basemapFixture.js';

const run = promisify(execFile);

/** Eastern Azerbaijan and the Absheron peninsula: a few tiles per zoom, 4×3 at zoom 8. */
export const RASTER_BOUNDS: BBox = [47, 39, 51, 42];

/** The vector archive's bounds: the Kura's course and the Caspian's western half. */
const VECTOR_BOUNDS: BBox = [44, 37, 54, 46.5];

const VECTOR_FEATURES: FeatureCollection = {
  type: 'FeatureCollection' as const,
  features: [
    { type: 'Feature' as const, properties: { name: 'Caspian', kind: 'sea' }, geometry: { type: 'Polygon' as const, coordinates: [[[49.5, 37], [54, 37], [54, 46.5], [49.5, 46.5], [49.5, 37]]] } },
    { type: 'Feature' as const, properties: { name: 'Kura', kind: 'river' }, geometry: { type: 'LineString' as const, coordinates: [[44.6, 41.2], [46.5, 40.6], [48, 40], [49.2, 39.3]] } },
    { type: 'Feature' as const, properties: { name: 'Bakı', population: 2300000 }, geometry: { type: 'Point' as const, coordinates: [49.867, 40.409] } },
  ],
};

/** Absheron imagery: every tile of RASTER_BOUNDS at minzoom..maxzoom in its own colour, but those named in `leaveOut` (`z/x/y`). */
export function writeAbsheronArchive(path: string, minzoom: number, maxzoom: number, leaveOut: string[] = []): Promise<string[]> {
  return writeRasterArchive(path, {
    minzoom,
    maxzoom,
    bounds: RASTER_BOUNDS,
    leaveOut,
    metadata: { name: 'Absheron test imagery', center: [49.8, 40.4, minzoom], attribution: 'test & co' },
  });
}

/** An interior zoom-8 tile of RASTER_BOUNDS left out of `absheron`, so that clients meet a 204 empty tile. */
export const EMPTY_RASTER_TILE = { z: 8, x: 163, y: 97 };

/** The two archives the WMTS and OGC API tests serve: `absheron` (PNG, z5–8) and `basemap` (vector, z0–5). */
export async function writeGisArchives(dir: string): Promise<void> {
  const { z, x, y } = EMPTY_RASTER_TILE;
  await writeAbsheronArchive(join(dir, 'absheron.mbtiles'), 5, 8, [`${z}/${x}/${y}`]);
  writeVectorArchive(join(dir, 'basemap.mbtiles'), {
    features: VECTOR_FEATURES,
    layer: 'basemap',
    bounds: VECTOR_BOUNDS,
    maxzoom: 5,
    metadata: {
      name: 'Test basemap',
      center: [49.8, 40.4, 4],
      vector_layers: [{ id: 'basemap', fields: { name: 'String', kind: 'String', population: 'Number' } }],
    },
  });
}

/** Writes the GIS archives into `dir` and serves that folder with a real server on 127.0.0.1. */
export async function serveGisArchives(dir: string): Promise<RunningMekan> {
  await writeGisArchives(dir);
  return startMekan([dir]);
}

/**
 * Runs a GDAL command asynchronously (the server under test lives in the same process, so a synchronous
 * child would leave nobody to answer it), straight to 127.0.0.1 and without GDAL's tile cache, which in
 * GDAL 3.6 loses blocks answered 204 (empty tile).
 */
export async function runGdal(command: string, args: string[]): Promise<string> {
  const env = { ...process.env, NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost', GDAL_HTTP_TIMEOUT: '20', GDAL_ENABLE_WMS_CACHE: 'NO' };
  return (await run(command, args, { env })).stdout;
}
