// Real archives for the GIS-facing tests — a raster archive whose every tile has its own colour (so a client
// that fetches the wrong tile is caught) and a small vector archive — and GDAL run as a client.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import GeoJSONVT from 'geojson-vt';
import sharp from 'sharp';
import { createArchive } from '../../src/archive/open.js';
import { bboxToTileRange, tilesInRange, type BBox } from '../../src/grid/webMercator.js';

const require = createRequire(import.meta.url);
const run = promisify(execFile);
// vt-pbf ships no types; this is the one function used.
const vtpbf = require('vt-pbf') as { fromGeojsonVt(layers: Record<string, unknown>, options?: { version?: number }): Uint8Array };

/** Eastern Azerbaijan and the Absheron peninsula: a few tiles per zoom, 4×3 at zoom 8. */
export const RASTER_BOUNDS: BBox = [47, 39, 51, 42];

/** The solid colour of raster tile z/x/y: distinct across neighbours in both directions. */
export function tileColour(z: number, x: number, y: number): [number, number, number] {
  return [(x * 53 + z * 11) % 256, (y * 97 + 31) % 256, (z * 40 + 60) % 256];
}

/** Every tile of the bounds at minzoom..maxzoom but those named in `leaveOut` (`z/x/y`: served as 204 empty tiles). */
export async function writeRasterArchive(path: string, minzoom = 5, maxzoom = 8, bounds: BBox = RASTER_BOUNDS, leaveOut: string[] = []): Promise<number> {
  const writer = createArchive(path);
  let count = 0;
  for (let z = minzoom; z <= maxzoom; z++) {
    for (const { x, y } of tilesInRange(bboxToTileRange(bounds, z))) {
      if (leaveOut.includes(`${z}/${x}/${y}`)) continue;
      const [r, g, b] = tileColour(z, x, y);
      const png = await sharp({ create: { width: 256, height: 256, channels: 3, background: { r, g, b } } }).png().toBuffer();
      writer.putTile(z, x, y, png);
      count++;
    }
  }
  writer.setMetadata({ name: 'Absheron test imagery', format: 'png', minzoom, maxzoom, bounds, center: [49.8, 40.4, minzoom], attribution: 'test & co' });
  writer.finish();
  return count;
}

export const VECTOR_FEATURES = {
  type: 'FeatureCollection' as const,
  features: [
    { type: 'Feature' as const, properties: { name: 'Caspian', kind: 'sea' }, geometry: { type: 'Polygon' as const, coordinates: [[[49.5, 37], [54, 37], [54, 46.5], [49.5, 46.5], [49.5, 37]]] } },
    { type: 'Feature' as const, properties: { name: 'Kura', kind: 'river' }, geometry: { type: 'LineString' as const, coordinates: [[44.6, 41.2], [46.5, 40.6], [48, 40], [49.2, 39.3]] } },
    { type: 'Feature' as const, properties: { name: 'Bakı', population: 2300000 }, geometry: { type: 'Point' as const, coordinates: [49.867, 40.409] } },
  ],
};

export function writeVectorArchive(path: string, maxzoom = 5): number {
  const index = new GeoJSONVT(VECTOR_FEATURES, { maxZoom: maxzoom, indexMaxZoom: maxzoom });
  const bounds: BBox = [44, 37, 54, 46.5];
  const writer = createArchive(path);
  let count = 0;
  for (let z = 0; z <= maxzoom; z++) {
    for (const { x, y } of tilesInRange(bboxToTileRange(bounds, z))) {
      const tile = index.getTile(z, x, y);
      if (!tile || tile.features.length === 0) continue;
      writer.putTile(z, x, y, gzipSync(vtpbf.fromGeojsonVt({ basemap: tile }, { version: 2 })));
      count++;
    }
  }
  writer.setMetadata({
    name: 'Test basemap',
    format: 'pbf',
    minzoom: 0,
    maxzoom,
    bounds,
    center: [49.8, 40.4, 4],
    vector_layers: [{ id: 'basemap', fields: { name: 'String', kind: 'String', population: 'Number' } }],
  });
  writer.finish();
  return count;
}

/** An interior zoom-8 tile of RASTER_BOUNDS left out of `absheron`, so that clients meet a 204 empty tile. */
export const EMPTY_RASTER_TILE = { z: 8, x: 163, y: 97 };

/** The two archives the WMTS and OGC API tests serve: `absheron` (PNG, z5–8) and `basemap` (vector, z0–5). */
export async function writeGisArchives(dir: string): Promise<void> {
  const { z, x, y } = EMPTY_RASTER_TILE;
  await writeRasterArchive(join(dir, 'absheron.mbtiles'), 5, 8, RASTER_BOUNDS, [`${z}/${x}/${y}`]);
  writeVectorArchive(join(dir, 'basemap.mbtiles'));
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
