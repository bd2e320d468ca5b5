// `mekan package`: a self-contained offline package whose manifest verifies, whose zip unpacks to the same files,
// and which `mekan serve DIR` serves as it is: MapLibre in headless Chromium draws it with nothing fetched elsewhere.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import type { Browser } from 'playwright-core';
import { launchChromium, withoutChromium } from '../support/chromium.js';
import { filesUnder } from '../../src/packages/packageFiles.js';
import { buildBasemap } from '../support/basemapFixture.js';
import { startServer, type TestServer } from '../support/server.js';
import { makeTempDir } from '../support/tempDir.js';
import { mekan, rawTiles } from './support.js';

const run = promisify(execFile);
const BOX = '49.2,40.1,50.4,40.7';

const dir = makeTempDir('mekan-package-');
const archives = join(dir, 'archives');
const packageDir = join(dir, 'baku');
let server: TestServer | undefined;
let browser: Browser | undefined;

interface Manifest {
  kind: string;
  tilesets: Record<string, { path: string; tiles: number }>;
  glyphRanges: string[];
  files: { path: string; bytes: number; sha256: string }[];
}

function verifyManifest(folder: string): Manifest {
  const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')) as Manifest;
  assert.deepEqual(manifest.files.map((file) => file.path), filesUnder(folder).filter((path) => path !== 'manifest.json'), 'the manifest lists every file');
  for (const file of manifest.files) {
    const bytes = readFileSync(join(folder, file.path));
    assert.equal(bytes.length, file.bytes, file.path);
    assert.equal(createHash('sha256').update(bytes).digest('hex'), file.sha256, `${file.path} checksum`);
  }
  return manifest;
}

before(async () => {
  await buildBasemap(archives);
  const result = mekan('package', '--style', 'standard', '--bbox', BOX, '--maxzoom', '9', archives, '-o', packageDir);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^packaged style standard/);
});
after(async () => {
  await browser?.close();
  await server?.close();
});

test('the package holds the extract, both styles, sprites at 1x and 2x, only the glyph ranges its labels need, and a manifest that verifies', () => {
  const manifest = verifyManifest(packageDir);
  assert.equal(manifest.kind, 'mekan-offline-package');
  const extract = rawTiles(join(packageDir, 'tiles', 'basemap.mbtiles'));
  assert.equal(extract.size, manifest.tilesets.basemap.tiles);
  assert.ok(extract.size > 10 && extract.size < rawTiles(join(archives, 'basemap.mbtiles')).size, 'an extract, not the whole archive');

  const web = JSON.parse(readFileSync(join(packageDir, 'styles', 'standard', 'style.json'), 'utf8')) as { sources: Record<string, { url: string }>; sprite: string; glyphs: string };
  assert.equal(web.sources.basemap.url, '../../tiles/basemap.json');
  assert.equal(web.glyphs, '../../fonts/{fontstack}/{range}.pbf');
  const native = JSON.parse(readFileSync(join(packageDir, 'style.native.json'), 'utf8')) as typeof web;
  assert.equal(native.sources.basemap.url, 'mbtiles://tiles/basemap.mbtiles');
  assert.ok(existsSync(join(packageDir, native.sources.basemap.url.slice('mbtiles://'.length))));
  for (const file of ['sprite.png', 'sprite.json', 'sprite@2x.png', 'sprite@2x.json']) assert.ok(existsSync(join(packageDir, native.sprite.replace(/sprite$/, file))), file);

  // Glyphs: basic Latin, the Azerbaijani and Russian names' ranges; not every range the bundled fonts have.
  assert.ok(manifest.glyphRanges.includes('0-255') && manifest.glyphRanges.includes('256-511') && manifest.glyphRanges.includes('1024-1279'), manifest.glyphRanges.join(' '));
  const bundled = readdirSync(join('styles', 'fonts', 'Noto Sans Regular')).length;
  const packaged = readdirSync(join(packageDir, 'fonts', 'Noto Sans Regular')).length;
  assert.ok(packaged === manifest.glyphRanges.length && packaged < bundled / 2, `${packaged} of ${bundled} ranges`);
  // MapLibre Native asks for a stack's folder; the server combines fonts itself.
  assert.ok(existsSync(join(packageDir, 'fonts', 'Noto Sans Regular,Noto Sans Georgian Regular,Noto Sans Armenian Regular', '0-255.pbf')));
});

test('a .zip package unpacks (Info-ZIP) to the same files, its manifest verifying', async () => {
  const zip = join(dir, 'baku.zip');
  const result = mekan('package', '--style', 'standard', '--bbox', BOX, '--maxzoom', '9', archives, '-o', zip);
  assert.equal(result.status, 0, result.stderr);
  const unpacked = join(dir, 'unzipped');
  await run('unzip', ['-q', zip, '-d', unpacked]);
  const manifest = verifyManifest(unpacked);
  assert.deepEqual(rawTiles(join(unpacked, 'tiles', 'basemap.mbtiles')).size, manifest.tilesets.basemap.tiles);
  assert.deepEqual(readdirSync(dir).filter((name) => name.includes('.tmp-')), [], 'no temp files left');
});

test('zooms that run backwards are refused in one line naming --minzoom, before anything is written', () => {
  const output = join(dir, 'never');
  const failed = mekan('package', '--style', 'standard', '--minzoom', '9', '--maxzoom', '3', archives, '-o', output);
  assert.equal(failed.status, 1, failed.stdout);
  assert.equal(failed.stderr, 'mekan: --minzoom: 9 is above --maxzoom 3\n');
  assert.equal(existsSync(output), false);
});

test('mekan serve DIR serves the package as it is: MapLibre draws its style with glyphs and sprites, no request leaves the server', { skip: withoutChromium }, async () => {
  server = await startServer([packageDir]);
  browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
  const failures: string[] = [];
  const elsewhere: string[] = [];
  const assets = { glyphs: 0, sprites: 0, tiles: 0 };
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) failures.push(message.text());
  });
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(`${server!.url}/`) && !url.startsWith('data:') && !url.startsWith('blob:')) elsewhere.push(url);
  });
  page.on('response', (response) => {
    const path = new URL(response.url()).pathname;
    if (path === '/favicon.ico') return;
    if (response.status() >= 400) failures.push(`${response.status()} ${path}`);
    if (path.startsWith('/fonts/') && response.status() === 200) assets.glyphs++;
    if (/^\/styles\/standard\/sprite(@2x)?\.(png|json)$/.test(path) && response.status() === 200) assets.sprites++;
    if (path.startsWith('/tiles/basemap/') && response.status() === 200) assets.tiles++;
  });
  await page.goto(`${server.url}/?style=standard#9/40.4/49.85`);
  await page.waitForFunction(() => (globalThis as unknown as { document: { body: { dataset: Record<string, string | undefined> } } }).document.body.dataset.state === 'idle', null, { timeout: 90_000 });
  const labels = await page.evaluate(() => (globalThis as unknown as { map: { queryRenderedFeatures(options: { layers: string[] }): unknown[] } }).map.queryRenderedFeatures({ layers: ['place-city', 'place-town'] }).length);
  const screenshot = await page.locator('#map').screenshot();
  assert.deepEqual(failures, [], 'no console errors or failed requests');
  assert.deepEqual(elsewhere, [], 'every request went to the package server');
  assert.ok(assets.sprites >= 2, 'sprite json and png loaded');
  assert.ok(assets.glyphs >= 1, 'glyph ranges loaded');
  assert.ok(assets.tiles >= 1, 'tiles drawn from the package');
  assert.ok(labels > 0, 'labels placed');
  const stats = await sharp(screenshot).stats();
  const spread = Math.max(...stats.channels.slice(0, 3).map((channel) => channel.stdev));
  assert.ok(spread > 10, `the map is not blank (stdev ${spread.toFixed(1)})`);
});
