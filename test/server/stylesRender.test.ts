// Each style variant rendered by MapLibre in headless Chromium from a real server: glyphs and sprites load, labels and icons are placed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import type { Browser } from 'playwright-core';
import { launchChromium, withoutChromium } from '../support/chromium.js';
import { buildBasemap, buildImagery, startMekan, type RunningMekan } from '../support/basemapFixture.js';
import { makeTempDir } from '../support/tempDir.js';


/** Style, language and view (zoom/lat/lon); the imagery view is over the CBERS scene, the others over Azerbaijan. */
const VIEWS = [
  { style: 'standard', lang: 'az', hash: '6/40.4/47.5', labels: ['place-city', 'place-country'] },
  { style: 'grey', lang: 'en', hash: '6/40.4/47.5', labels: ['place-city'] },
  { style: 'dark', lang: 'ru', hash: '5/41/46', labels: ['place-city', 'place-country'] },
  { style: 'imagery', lang: '', hash: '12/-23.79/-54.31', labels: [] },
];

/** What the viewer page offers a test, typed here because the tests compile without the DOM library. */
interface ViewerWindow {
  document: { body: { dataset: Record<string, string | undefined> } };
  map: { queryRenderedFeatures(options: { layers: string[] }): unknown[] };
}

const dir = makeTempDir('mekan-render-');
let server: RunningMekan;
let browser: Browser;

before(async () => {
  await Promise.all([buildBasemap(dir), buildImagery(dir)]);
  server = await startMekan([dir]);
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

test('every style renders in MapLibre with its glyphs and sprite, labels placed, no errors', { skip: withoutChromium }, async () => {
  const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
  for (const view of VIEWS) {
    const failures: string[] = [];
    const assets = { glyphs: 0, sprites: 0, imagery: 0 };
    const onConsole = (message: { type(): string; text(): string }) => {
      // The browser's own favicon request is not the page's doing.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) failures.push(message.text());
    };
    const onResponse = (response: { url(): string; status(): number }) => {
      const path = new URL(response.url()).pathname;
      if (path === '/favicon.ico') return;
      if (response.status() >= 400) failures.push(`${response.status()} ${path}`);
      if (path.startsWith('/fonts/')) assets.glyphs++;
      if (path.startsWith('/tiles/imagery/') && response.status() === 200) assets.imagery++;
      if (/^\/styles\/[^/]+\/sprite(@2x)?\.(png|json)$/.test(path)) assets.sprites++;
    };
    page.on('console', onConsole);
    page.on('response', onResponse);
    await page.goto(`${server.url}/?style=${view.style}${view.lang ? `&lang=${view.lang}` : ''}#${view.hash}`);
    // The viewer marks <body data-state="idle"> on MapLibre's idle event and exposes the map as window.map.
    // (The page's CSP forbids evaluating strings, so these are functions; the test compiles without DOM types.)
    await page.waitForFunction(() => (globalThis as unknown as ViewerWindow).document.body.dataset.state === 'idle', null, { timeout: 90_000 });
    const placed = await page.evaluate(
      (layers) => layers.map((layer) => (globalThis as unknown as ViewerWindow).map.queryRenderedFeatures({ layers: [layer] }).length),
      view.labels,
    );
    const screenshot = await page.locator('#map').screenshot();
    page.off('console', onConsole);
    page.off('response', onResponse);

    const label = `${view.style}${view.lang ? ` (${view.lang})` : ''}`;
    assert.deepEqual(failures, [], `${label}: no console errors or failed requests`);
    assert.ok(assets.sprites >= 2, `${label}: sprite json and png loaded`);
    if (view.labels.length) assert.ok(assets.glyphs >= 1, `${label}: glyph ranges loaded`);
    if (view.style === 'imagery') assert.ok(assets.imagery > 0, `${label}: imagery tiles drawn`);
    view.labels.forEach((layer, i) => assert.ok(placed[i] > 0, `${label}: ${layer} placed ${placed[i]} symbols`));
    const stats = await sharp(screenshot).stats();
    const spread = Math.max(...stats.channels.slice(0, 3).map((channel) => channel.stdev));
    assert.ok(spread > 10, `${label}: the map is not blank (stdev ${spread.toFixed(1)})`);
  }
  await page.close();
});
