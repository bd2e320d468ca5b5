// The core server suites' archives (vector gzip and plain, PNG, JPEG, a broken tile over BOUNDS) and a real server to serve them.
import { request } from 'node:http';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { pino, type Logger } from 'pino';
import { createArchive } from '../../../src/archive/open.js';
import type { ServeConfig } from '../../../src/config/schema.js';
import { serverOptionsFrom, type ServeFlags } from '../../../src/config/serverOptions.js';
import { createApp, type MekanApp } from '../../../src/server/app.js';
import type { RouteModule } from '../../../src/server/module.js';
import type { BBox } from '../../../src/grid/webMercator.js';
import * as archives from '../../support/archives.js';

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

/** A pino logger whose lines a test can read. */
export function captureLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      callback();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

export interface TestServer {
  app: MekanApp;
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startServer(
  paths: string[],
  settings: { flags?: ServeFlags; config?: ServeConfig; logger?: Logger; modules?: RouteModule[]; reloadIntervalMs?: number } = {},
): Promise<TestServer> {
  const options = serverOptionsFrom({ paths, port: '0', quiet: true, ...settings.flags }, settings.config);
  options.reloadIntervalMs = settings.reloadIntervalMs ?? 0;
  const logger = settings.logger ?? pino({ level: 'silent' });
  const app = createApp({ options, logger, modules: settings.modules });
  await app.listen();
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('server did not listen on TCP');
  return { app, url: `http://127.0.0.1:${address.port}`, port: address.port, close: () => app.close(1000) };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Bytes exactly as sent (fetch would decompress gzip by itself). */
  body: Buffer;
  json<T = Record<string, unknown>>(): T;
}

/** One request with node:http, no decoding of the body; `path` is sent verbatim. */
export function get(base: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: <T>() => JSON.parse(body.toString()) as T });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
