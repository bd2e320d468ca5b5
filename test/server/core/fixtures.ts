// The core server suites' archives (vector gzip and plain, PNG, JPEG, a broken tile over BOUNDS), with the server helpers they use.
import { gzipSync } from 'node:zlib';
import { createArchive } from '../../../src/archive/open.js';
import type { BBox } from '../../../src/grid/webMercator.js';
import * as archives from '../../support/archives.js';

// The suites import the server helpers from here with the archives.
export { captureLogger, get, startServer, type RawResponse, type TestServer } from '../../support/server.js';

/** Azerbaijan and the Caspian's western shore: a few tiles per zoom; the features lie east of 49.5°E, so the western tiles are empty. */
export const BOUNDS: BBox = [44, 38, 51, 42];

const FEATURES: archives.FeatureCollection = {
  type: 'FeatureCollection' as const,
  features: [
    { type: 'Feature' as const, properties: { name: 'Xəzər', kind: 'sea' }, geometry: { type: 'Polygon' as const, coordinates: [[[49.5, 38], [51, 38], [51, 42], [49.5, 42], [49.5, 38]]] } },
    { type: 'Feature' as const, properties: { name: 'Bakı', population: 2300000 }, geometry: { type: 'Point' as const, coordinates: [49.867, 40.409] } },
  ],
};

/** Vector tiles of FEATURES (layer `places`) at zooms 0..maxzoom, gzipped unless `gzip` is false; returns the tiles written. */
export function writeVectorArchive(path: string, options: { maxzoom?: number; gzip?: boolean; name?: string; attribution?: string } = {}): string[] {
  const { maxzoom = 6, gzip = true, name = 'Test vectors', attribution = '© test' } = options;
  return archives.writeVectorArchive(path, {
    features: FEATURES,
    layer: 'places',
    bounds: BOUNDS,
    maxzoom,
    gzip,
    metadata: {
      name,
      center: [49.87, 40.41, 5],
      attribution,
      description: 'test tiles',
      vector_layers: [{ id: 'places', fields: { name: 'String', kind: 'String', population: 'Number' } }],
    },
  });
}

/** Every tile of BOUNDS at minzoom..maxzoom in its own `tileColour`; returns the tiles written. */
export function writeRasterArchive(path: string, format: 'png' | 'jpg', minzoom = 4, maxzoom = 6): Promise<string[]> {
  return archives.writeRasterArchive(path, { format, minzoom, maxzoom, bounds: BOUNDS, metadata: { name: `Test ${format}` } });
}

/** A vector archive whose tile 0/0/0 starts like gzip but is not; 1/1/0 is fine. */
export function writeBrokenTileArchive(path: string): void {
  const writer = createArchive(path);
  writer.putTile(0, 0, 0, Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.from('definitely not deflate data')]));
  writer.putTile(1, 1, 0, gzipSync(archives.encodeVectorTile(FEATURES, 'places', 1, 1, 0)));
  writer.setMetadata({ name: 'broken', format: 'pbf', minzoom: 0, maxzoom: 1 });
  writer.finish();
}
