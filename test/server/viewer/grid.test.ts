// A tileset in a national grid in a real browser: the viewer links a UTM39WGS84Quad tileset to grid.html, where
// OpenLayers draws its tiles in EPSG:32639 from the WMTS capabilities. Debian's Chromium through playwright-core.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../support/chromium.js';
import sharp from 'sharp';
import { buildRaster } from '../../../src/raster/buildRaster.js';
import { tileBoundsInCrs, tileGrid } from '../../../src/grid/tileMatrixSets.js';
import { startMekan, type RunningMekan } from '../../support/basemapFixture.js';
import { makeTempDir } from '../../support/tempDir.js';
import { bestOffset, psnr } from '../../raster/support.js';

const TILE = /\/wmts\/1\.0\.0\/baku\/default\/([^/]+)\/(\d+)\/(\d+)\/(\d+)\.png$/;

/** What grid.html exposes (`window.map`, an OpenLayers map); the test compiles without DOM types. */
interface OlMap {
  getView(): { setResolution(r: number): void; setCenter(c: number[]): void; getProjection(): { getCode(): string } };
  getPixelFromCoordinate(c: number[]): number[];
  once(type: string, listener: () => void): void;
  getViewport(): { querySelector(selector: string): { width: number; height: number; getContext(kind: string): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } } };
}

const dir = makeTempDir('mekan-grid-view-');
const grid = tileGrid('UTM39WGS84Quad')!;
let server: RunningMekan;

before(async () => {
  // The CBERS scene placed on Baku's shore in WGS 84 / UTM 39N, as in test/server/grids.test.ts: levels 12–13.
  const source = join(dir, 'baku-utm39.tif');
  execFileSync('gdal_translate', ['-q', '-a_srs', 'EPSG:32639', '-a_ullr', '395000', '4480000', '404225', '4471225', 'data/imagery/cbers2b_rgb342_crop.tif', source], { env: { ...process.env, GTIFF_SRS_SOURCE: 'EPSG' } });
  await buildRaster({ inputs: [source], output: join(dir, 'baku.gpkg'), tms: 'UTM39WGS84Quad', format: 'png', workers: 2 });
  server = await startMekan([dir]);
});
after(() => server?.close());

test('OpenLayers comes from the installed package, under the viewer\'s CSP, confined to its folders', async () => {
  for (const [path, type, marker] of [
    ['/_/ol/ol.js', 'text/javascript; charset=utf-8', /WMTSCapabilities/],
    ['/_/ol/ol.css', 'text/css; charset=utf-8', /\.ol-viewport/],
    ['/_/viewer/grid.html', 'text/html; charset=utf-8', /<script src="\.\.\/ol\/ol\.js"><\/script>/],
  ] as const) {
    const response = await fetch(`${server.url}${path}`);
    assert.equal(response.status, 200, path);
    assert.equal(response.headers.get('content-type'), type, path);
    assert.ok(response.headers.get('content-security-policy')?.includes("script-src 'self'"), path);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff', path);
    assert.match(await response.text(), marker, path);
  }
  for (const path of ['/_/ol/..%2fpackage.json', '/_/ol/..%2f..%2f..%2fpackage.json', '/_/ol/ol.d.ts', '/_/ol/Map.js']) {
    const response = await fetch(`${server.url}${path}`);
    assert.equal(response.status, 404, path);
    await response.arrayBuffer();
  }
});

test('in Chromium the viewer opens the UTM tileset in its grid, and OpenLayers draws its tiles where they belong in EPSG:32639', async (t) => {
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1000, height: 700 }, deviceScaleFactor: 1 });
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()} (${message.location().url})`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
    const tiles: { set: string; level: number; row: number; col: number; status: number }[] = [];
    page.on('response', (response) => {
      const match = TILE.exec(new URL(response.url()).pathname);
      if (match) tiles.push({ set: match[1], level: Number(match[2]), row: Number(match[3]), col: Number(match[4]), status: response.status() });
    });

    // The map viewer lists the tileset with a link to its own grid.
    await page.goto(`${server.url}/`);
    const link = await page.waitForSelector('a[data-grid-view="baku"]', { state: 'attached', timeout: 0 });
    assert.equal(await link.textContent(), 'view in UTM39WGS84Quad');
    await page.goto((await link.getAttribute('href'))!);
    await page.waitForSelector('body[data-state="idle"]', { state: 'attached', timeout: 0 });
    assert.equal(await page.textContent('#grid'), 'UTM39WGS84Quad · EPSG:32639 · png z12–13');
    assert.equal(await page.evaluate(() => (globalThis as unknown as { map: OlMap }).map.getView().getProjection().getCode()), 'urn:ogc:def:crs:EPSG::32639');

    // One interior level-13 tile at its own resolution, centred: the canvas must hold that tile's pixels exactly
    // where its EPSG:32639 bounds fall (a row flip, a wrong origin or CRS would move or replace them).
    const limits = (await (await fetch(`${server.url}/ogc/collections/baku/map/tiles/UTM39WGS84Quad`)).json()) as { tileMatrixSetLimits: { tileMatrix: string; minTileRow: number; maxTileRow: number; minTileCol: number; maxTileCol: number }[] };
    const z13 = limits.tileMatrixSetLimits.find((l) => l.tileMatrix === '13')!;
    const [col, row] = [z13.minTileCol + 1, z13.minTileRow + 1];
    const [west, south, east, north] = tileBoundsInCrs(grid, 13, col, row);
    const drawn = await page.evaluate(
      ({ resolution, center, corner }) =>
        new Promise<{ topLeft: number[]; pixels: number[] }>((resolve) => {
          const map = (globalThis as unknown as { map: OlMap }).map;
          map.once('rendercomplete', () => {
            const topLeft = map.getPixelFromCoordinate(corner).map(Math.round);
            const canvas = map.getViewport().querySelector('canvas');
            resolve({ topLeft, pixels: Array.from(canvas.getContext('2d').getImageData(topLeft[0], topLeft[1], 256, 256).data) });
          });
          map.getView().setResolution(resolution);
          map.getView().setCenter(center);
        }),
      { resolution: grid.matrix(13)!.cellSize, center: [(west + east) / 2, (south + north) / 2], corner: [west, north] },
    );
    const served = await fetch(`${server.url}/tiles/baku/13/${col}/${row}.png`);
    assert.equal(served.status, 200);
    const tile = new Uint8Array(await sharp(Buffer.from(await served.arrayBuffer())).ensureAlpha().raw().toBuffer());
    const canvas = new Uint8Array(drawn.pixels);
    const quality = psnr(canvas, tile);
    assert.ok(quality.pixels > 60_000, `${quality.pixels} opaque pixels drawn at ${drawn.topLeft.join(',')}`);
    assert.ok(quality.db >= 30, `${quality.db.toFixed(1)} dB against the served tile`);
    const offset = bestOffset(tile, canvas);
    t.diagnostic(`tile 13/${row}/${col} drawn at ${drawn.topLeft.join(',')}: ${quality.db.toFixed(1)} dB, offset ${offset.dx},${offset.dy}; ${tiles.length} tiles requested`);
    assert.ok(Math.abs(offset.dx) <= 1 && Math.abs(offset.dy) <= 1, `drawn ${offset.dx},${offset.dy} px away from its place`);

    // Every tile asked for is the layer's, in its UTM set, inside the limits of its level.
    assert.ok(tiles.some((t) => t.level === 13 && t.row === row && t.col === col), JSON.stringify(tiles));
    for (const asked of tiles) {
      const levelLimits = limits.tileMatrixSetLimits.find((l) => l.tileMatrix === String(asked.level));
      assert.equal(asked.set, 'UTM39WGS84Quad_z12-13');
      assert.ok(levelLimits && asked.row >= levelLimits.minTileRow && asked.row <= levelLimits.maxTileRow && asked.col >= levelLimits.minTileCol && asked.col <= levelLimits.maxTileCol, JSON.stringify(asked));
      assert.ok(asked.status === 200 || asked.status === 204, JSON.stringify(asked));
    }
    assert.deepEqual(problems, []);
    assert.equal(await page.textContent('#errors'), '');
  } finally {
    await browser?.close();
  }
});
