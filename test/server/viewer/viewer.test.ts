// The viewer in a real browser (Debian's Chromium through playwright-core) against a real server with the
// bundled basemap, its styles, glyphs and sprites, plus a raster tileset to overlay (public, then private).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../support/chromium.js';
import sharp from 'sharp';
import { buildBasemap, buildImagery, startMekan, type RunningMekan } from '../../support/basemapFixture.js';
import { writeAbsheronArchive } from '../../support/gisFixtures.js';
import { startServer } from '../../support/server.js';
import { makeTempDir } from '../../support/tempDir.js';


/** What the page exposes (`window.map`); the test compiles without DOM types, and the CSP forbids string evaluation. */
interface PageGlobals {
  map: {
    showTileBoundaries: boolean;
    getLayer(id: string): unknown;
    queryRenderedFeatures(options: { layers: string[] }): { layer: { id: string }; properties: Record<string, unknown> }[];
    once(event: 'idle', listener: (value: unknown) => void): PageGlobals['map'];
    jumpTo(options: { zoom: number }): void;
  };
}

const dir = makeTempDir('mekan-viewer-');
let server: RunningMekan;

before(async () => {
  await Promise.all([buildBasemap(dir), buildImagery(dir), writeAbsheronArchive(join(dir, 'absheron.mbtiles'), 3, 7)]);
  server = await startMekan([dir]);
});
after(() => server?.close());

test('the page and its assets carry CSP and nosniff; asset paths cannot leave their folders', async () => {
  const page = await fetch(`${server.url}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type')!, /^text\/html/);
  const csp = page.headers.get('content-security-policy')!;
  for (const directive of ["default-src 'none'", "script-src 'self'", "worker-src 'self' blob:", "frame-ancestors 'none'"]) assert.ok(csp.includes(directive), directive);
  assert.ok(!csp.includes('unsafe-inline') && !csp.includes('unsafe-eval'));
  assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
  assert.match(await page.text(), /<script type="module" src="_\/viewer\/viewer.js">/);

  const mjs = await fetch(`${server.url}/_/maplibre-gl/maplibre-gl.mjs`, { headers: { 'Accept-Encoding': 'gzip' } });
  assert.equal(mjs.status, 200);
  assert.equal(mjs.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(mjs.headers.get('x-content-type-options'), 'nosniff');
  assert.ok(mjs.headers.get('content-security-policy'));
  assert.match(await mjs.text(), /MapLibre GL JS/);
  const revalidated = await fetch(`${server.url}/_/viewer/viewer.js`);
  const etag = revalidated.headers.get('etag')!;
  await revalidated.arrayBuffer();
  assert.equal((await fetch(`${server.url}/_/viewer/viewer.js`, { headers: { 'If-None-Match': etag } })).status, 304);

  for (const path of [
    '/_/maplibre-gl/..%2f..%2fpackage.json',
    '/_/maplibre-gl/..%2F..%2F..%2Fpackage.json',
    '/_/maplibre-gl/%2e%2e%2f%2e%2e%2fpackage.json',
    '/_/viewer/..%2froutes.js',
    '/_/viewer/..%2f..%2f..%2f..%2f..%2fetc%2fpasswd',
    '/_/maplibre-gl/maplibre-gl.d.ts',
    '/_/viewer/index.html%00.js',
    '/_/viewer/nothing.js',
  ]) {
    const response = await fetch(`${server.url}${path}`);
    assert.ok(response.status === 404 || response.status === 400, `${path}: ${response.status}`);
    assert.doesNotMatch(await response.text(), /"name": "mekan"|root:|maplibre-gl.mjs/);
  }
});

test('in Chromium the map reaches idle with glyphs and sprites, overlays raster tiles and switches style and language', async () => {
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()} (${message.location().url})`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    const responses: { url: string; status: number }[] = [];
    page.on('response', (response) => responses.push({ url: response.url(), status: response.status() }));
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));

    const idle = () => page.waitForSelector('body[data-state="idle"]', { state: 'attached', timeout: 60_000 });
    await page.goto(`${server.url}/`);
    await idle();

    const glyphs = responses.filter((r) => r.url.includes('/fonts/'));
    const sprites = responses.filter((r) => /\/sprite(@2x)?\.(png|json)/.test(r.url));
    assert.ok(glyphs.length > 0, 'glyph requests');
    assert.ok(sprites.length >= 2, 'sprite requests');
    for (const r of [...glyphs, ...sprites]) assert.equal(r.status, 200, r.url);
    assert.ok(responses.some((r) => r.url.includes('/tiles/basemap/') && r.status === 200), 'basemap tiles');

    const shot = await page.locator('#map').screenshot();
    const { channels } = await sharp(shot).stats();
    const spread = Math.max(...channels.slice(0, 3).map((c) => c.stdev));
    assert.ok(spread > 12, `the map looks blank (stdev ${spread.toFixed(1)})`);

    // Tile boundaries follow the checkbox.
    await page.check('#boundaries');
    assert.equal(await page.evaluate(() => (globalThis as unknown as PageGlobals).map.showTileBoundaries), true);

    // The raster tileset as an overlay.
    const rasterTile = page.waitForResponse((r) => r.url().includes('/tiles/absheron/') && r.status() === 200);
    await page.check('input[data-tileset="absheron"]');
    await rasterTile;
    assert.equal(await page.evaluate(() => Boolean((globalThis as unknown as PageGlobals).map.getLayer('overlay-absheron'))), true);

    // Language and style switches load the served style with ?lang, and the overlay survives the switch.
    const russian = page.waitForResponse((r) => r.url().includes('/styles/standard/style.json?lang=ru'));
    await page.selectOption('#lang', 'ru');
    assert.equal((await russian).status(), 200);
    await idle();
    const dark = page.waitForResponse((r) => r.url().includes('/styles/dark/style.json?lang=ru'));
    await page.selectOption('#style', 'style:dark');
    assert.equal((await dark).status(), 200);
    await idle();
    assert.equal(await page.locator('#style-link').getAttribute('href'), `${server.url}/styles/dark/style.json?lang=ru`);
    assert.equal(await page.evaluate(() => Boolean((globalThis as unknown as PageGlobals).map.getLayer('overlay-absheron'))), true);

    assert.deepEqual(problems, []);
  } finally {
    await browser?.close();
  }
});

test('in Chromium, /?token= shows the private tilesets that token opens, and its tiles load; without it they are not listed', async () => {
  const token = 'viewer-test-token-for-absheron';
  const privateServer = await startServer([dir], { config: { tilesets: { absheron: { private: true, tokens: [token] } } } });
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    const requests: { url: string; authorization?: string }[] = [];
    page.on('request', (request) => requests.push({ url: request.url(), authorization: request.headers().authorization }));
    const idle = () => page.waitForSelector('body[data-state="idle"]', { state: 'attached', timeout: 60_000 });

    await page.goto(`${privateServer.url}/`);
    await idle();
    assert.equal(await page.locator('input[data-tileset="absheron"]').count(), 0, 'hidden without the token');

    await page.goto(`${privateServer.url}/?token=${token}`);
    await idle();
    const rasterTile = page.waitForResponse((r) => r.url().includes('/tiles/absheron/') && r.status() === 200);
    await page.check('input[data-tileset="absheron"]');
    await rasterTile;
    assert.equal(await page.evaluate(() => Boolean((globalThis as unknown as PageGlobals).map.getLayer('overlay-absheron'))), true);
    const ownRequests = requests.filter((r) => r.url.startsWith(privateServer.url) && /\/(tiles|styles|fonts|catalog)/.test(r.url));
    assert.ok(ownRequests.some((r) => r.authorization === `Bearer ${token}` && r.url.includes('/tiles/absheron/')), 'the private tiles were asked for with the token');
    assert.deepEqual(problems, []);
  } finally {
    await browser?.close();
    await privateServer.close();
  }
});

test('in Chromium, ?style=imagery opens where the bundled imagery lies, loads its tiles and draws them', async () => {
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    const imageryTiles: number[] = [];
    page.on('response', (response) => {
      if (response.url().includes('/tiles/imagery/')) imageryTiles.push(response.status());
    });
    await page.goto(`${server.url}/?style=imagery`);
    await page.waitForSelector('body[data-state="idle"]', { state: 'attached', timeout: 0 });
    assert.equal(await page.locator('#style').inputValue(), 'style:imagery');
    assert.ok(imageryTiles.length > 0 && imageryTiles.every((status) => status === 200), `imagery tiles: ${imageryTiles}`);
    const { channels } = await sharp(await page.locator('#map').screenshot()).stats();
    assert.ok(Math.max(...channels.slice(0, 3).map((c) => c.stdev)) > 12, 'the imagery draws');
    // Hybrid: the basemap draws over the imagery there (data/basemap has a second region around the sample).
    const rendered = (layers: string[]) =>
      page.evaluate((ids) => (globalThis as unknown as PageGlobals).map.queryRenderedFeatures({ layers: ids }).map((f) => `${f.layer.id}:${f.properties.name ?? ''}`), layers);
    assert.ok((await rendered(['place-town', 'place-city'])).includes('place-town:Eldorado'), 'the town on the imagery is labelled');
    // Zoomed out to where the imagery still draws (its minzoom is 8): the country boundary and the Paraná too.
    await page.evaluate(() => new Promise((done) => (globalThis as unknown as PageGlobals).map.once('idle', done).jumpTo({ zoom: 8.5 })));
    assert.ok((await rendered(['boundary-country'])).length > 0, 'the Brazil–Paraguay boundary draws');
    assert.ok((await rendered(['waterway', 'waterway-label'])).some((feature) => feature.endsWith(':Paraná')), 'the Paraná draws');
    assert.ok(imageryTiles.length > 0 && imageryTiles.every((status) => status === 200), `imagery tiles after zooming out: ${imageryTiles}`);
    assert.equal(await page.locator('#errors li').count(), 0, await page.locator('#errors').innerText());
    assert.deepEqual(problems, []);
  } finally {
    await browser?.close();
  }
});
