// Real test archives shared by the server suites: vector tiles cut from a GeoJSON collection and raster tiles each of its own colour.
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import GeoJSONVT from 'geojson-vt';
import sharp from 'sharp';
import { createArchive } from '../../src/archive/open.js';
import type { ArchiveMetadata } from '../../src/archive/types.js';
import { bboxToTileRange, tilesInRange, type BBox } from '../../src/grid/webMercator.js';

const require = createRequire(import.meta.url);
// vt-pbf ships no types; this is the one function used.
const vtpbf = require('vt-pbf') as { fromGeojsonVt(layers: Record<string, unknown>, options?: { version?: number }): Uint8Array };

/** A GeoJSON FeatureCollection as geojson-vt takes it. */
export type FeatureCollection = ConstructorParameters<typeof GeoJSONVT>[0];

/** Metadata beyond what the writers derive themselves (format, zooms, bounds). */
export type ExtraMetadata = Partial<Omit<ArchiveMetadata, 'format' | 'minzoom' | 'maxzoom' | 'bounds'>>;

/** One uncompressed MVT (version 2) holding one layer cut from `features` at z/x/y. */
export function encodeVectorTile(features: FeatureCollection, layer: string, z: number, x: number, y: number): Buffer {
  const tile = new GeoJSONVT(features, { maxZoom: z, indexMaxZoom: z }).getTile(z, x, y);
  if (!tile) throw new Error(`no features at ${z}/${x}/${y}`);
  return Buffer.from(vtpbf.fromGeojsonVt({ [layer]: tile }, { version: 2 }));
}

/**
 * Vector tiles of `features` in one layer at zooms 0..maxzoom over `bounds`, gzipped unless `gzip` is false;
 * tiles with no feature are not stored. Returns the tiles written as `z/x/y`.
 */
export function writeVectorArchive(
  path: string,
  options: { features: FeatureCollection; layer: string; bounds: BBox; maxzoom: number; gzip?: boolean; metadata: ExtraMetadata & { name: string } },
): string[] {
  const { features, layer, bounds, maxzoom, gzip = true, metadata } = options;
  const index = new GeoJSONVT(features, { maxZoom: maxzoom, indexMaxZoom: maxzoom });
  const writer = createArchive(path);
  const written: string[] = [];
  for (let z = 0; z <= maxzoom; z++) {
    for (const { x, y } of tilesInRange(bboxToTileRange(bounds, z))) {
      const tile = index.getTile(z, x, y);
      if (!tile || tile.features.length === 0) continue;
      const mvt = Buffer.from(vtpbf.fromGeojsonVt({ [layer]: tile }, { version: 2 }));
      writer.putTile(z, x, y, gzip ? gzipSync(mvt) : mvt);
      written.push(`${z}/${x}/${y}`);
    }
  }
  writer.setMetadata({ format: 'pbf', minzoom: 0, maxzoom, bounds, ...metadata });
  writer.finish();
  return written;
}

/** The solid colour of raster tile z/x/y: distinct across neighbours in both directions, so a client that fetches the wrong tile is caught. */
export function tileColour(z: number, x: number, y: number): [number, number, number] {
  return [(x * 53 + z * 11) % 256, (y * 97 + 31) % 256, (z * 40 + 60) % 256];
}

/**
 * Every tile of `bounds` at minzoom..maxzoom, each filled with its `tileColour`, but those named in `leaveOut`
 * (`z/x/y`: served as 204 empty tiles). Returns the tiles written as `z/x/y`.
 */
export async function writeRasterArchive(
  path: string,
  options: { format?: 'png' | 'jpg'; minzoom: number; maxzoom: number; bounds: BBox; leaveOut?: string[]; metadata: ExtraMetadata & { name: string } },
): Promise<string[]> {
  const { format = 'png', minzoom, maxzoom, bounds, leaveOut = [], metadata } = options;
  const writer = createArchive(path);
  const written: string[] = [];
  for (let z = minzoom; z <= maxzoom; z++) {
    for (const { x, y } of tilesInRange(bboxToTileRange(bounds, z))) {
      if (leaveOut.includes(`${z}/${x}/${y}`)) continue;
      const [r, g, b] = tileColour(z, x, y);
      const image = sharp({ create: { width: 256, height: 256, channels: 3, background: { r, g, b } } });
      writer.putTile(z, x, y, await (format === 'png' ? image.png() : image.jpeg({ quality: 95 })).toBuffer());
      written.push(`${z}/${x}/${y}`);
    }
  }
  writer.setMetadata({ format, minzoom, maxzoom, bounds, ...metadata });
  writer.finish();
  return written;
}
