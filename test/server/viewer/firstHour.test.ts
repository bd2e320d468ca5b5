// A newcomer's first hour, driven from outside: `mekan serve` as a process and its viewer in headless Chromium,
// first with nothing to serve, then on one's own vector archive (no basemap, so no bundled style can draw).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../support/chromium.js';
import sharp from 'sharp';
import { writeVectorArchive } from '../core/fixtures.js';
import { MEKAN_BIN, spawnServe, type ServeProcess } from '../../support/mekanProcess.js';
import { makeTempDir } from '../../support/tempDir.js';


interface PageGlobals {
  map: { getBounds(): { getWest(): number; getSouth(): number; getEast(): number; getNorth(): number }; getZoom(): number; jumpTo(options: { center: [number, number]; zoom: number }): void };
}

const dir = makeTempDir('mekan-first-hour-');
let browser: Browser;

before(async () => {
  browser = await launchChromium();
});
after(() => browser?.close());

/** A page that records what a user would see go wrong. */
async function openPage(): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 900, height: 600 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  return { page, problems };
}

async function stop(server: ServeProcess): Promise<string> {
  server.child.kill('SIGTERM');
  assert.equal(await server.exited, 0);
  return server.stderr();
}

test('a path that does not exist is an error naming it, before anything starts', () => {
  const missing = join(dir, 'no-such-folder');
  const result = spawnSync(process.execPath, [MEKAN_BIN, 'serve', missing, '--port', '0'], { encoding: 'utf8' });
  assert.equal(result.status, 1);
  assert.equal(result.stderr, `mekan: ${missing}: no such file or folder\n`);
  assert.equal(result.stdout, '');
});

test('nothing to serve: the command says where it looked and what to run, the viewer says it too and opens the archive once one appears', async () => {
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  const server = await spawnServe([empty, '--port', '0', '--quiet']);
  try {
    const { page, problems } = await openPage();
    await page.goto(`${server.url}/`);
    await page.waitForSelector('body[data-state="empty"]', { state: 'attached', timeout: 0 });
    assert.ok(await page.locator('#notice').isVisible());
    const notice = await page.locator('#notice').innerText();
    assert.match(notice, /Nothing to serve yet/);
    assert.match(notice, /npm start/);
    assert.match(notice, /mekan build vector DATA\.geojson -o build\/NAME\.mbtiles/);

    // The user builds an archive into the served folder: the page finds it by itself and draws it.
    writeVectorArchive(join(empty, 'mine.mbtiles'), { maxzoom: 4, name: 'My places' });
    await page.waitForSelector('body[data-state="idle"]', { state: 'attached', timeout: 0 });
    assert.equal(await page.locator('#style').inputValue(), 'inspect:mine');
    assert.ok(await page.locator('#notice').isHidden());
    assert.deepEqual(problems, []);
  } finally {
    const stderr = await stop(server);
    assert.match(stderr, new RegExp(`^mekan: nothing to serve yet: no \\.mbtiles( or \\.\\w+)* archive in ${empty}\\.$`, 'm'));
    assert.match(stderr, new RegExp(`mekan build vector DATA\\.geojson -o ${join(empty, 'NAME.mbtiles')}`));
  }
});

test('on one\'s own vector archive: the bundled styles are left out with one warning each, the viewer opens the inspect view that draws, ?style= picks a view, zoom to bounds', async () => {
  const own = join(dir, 'own');
  mkdirSync(own);
  writeVectorArchive(join(own, 'mine.mbtiles'), { maxzoom: 5, name: 'My places' });
  const server = await spawnServe([own, '--port', '0', '--quiet']);
  try {
    const catalog = (await (await fetch(`${server.url}/catalog.json`)).json()) as { styles: unknown[]; tilesets: { id: string; bounds: number[] }[] };
    assert.deepEqual(catalog.styles, [], 'no style whose tileset is missing');
    // Left out by URL too: the style and its sprite answer 404 naming what is missing, as the catalog leaves them out.
    for (const [path, tilesets] of [['/styles/standard/style.json', 'tileset basemap'], ['/styles/imagery/style.json?lang=az', 'tilesets basemap, imagery'], ['/styles/dark/sprite.json', 'tileset basemap']]) {
      const answer = await fetch(`${server.url}${path}`);
      assert.equal(answer.status, 404, path);
      assert.match(((await answer.json()) as { error: string }).error, new RegExp(`not served: it draws ${tilesets}, not served`), path);
    }
    const { page, problems } = await openPage();
    await page.goto(`${server.url}/`);
    await page.waitForSelector('body[data-state="idle"]', { state: 'attached', timeout: 0 });
    assert.equal(await page.locator('#style').inputValue(), 'inspect:mine');
    assert.equal(new URL(page.url()).searchParams.get('style'), 'inspect:mine', 'the view is in the address');
    const { channels } = await sharp(await page.locator('#map').screenshot()).stats();
    assert.ok(Math.max(...channels.slice(0, 3).map((c) => c.stdev)) > 3, 'the inspect view draws the archive');

    // Zoom to: after moving away, the button brings the tileset's bounds back into view.
    await page.evaluate(() => (globalThis as unknown as PageGlobals).map.jumpTo({ center: [-100, 10], zoom: 3 }));
    await page.click('button[data-zoom-to="mine"]');
    const view = await page.evaluate(() => {
      const b = (globalThis as unknown as PageGlobals).map.getBounds();
      return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
    });
    const [west, south, east, north] = catalog.tilesets[0].bounds;
    assert.ok(view[0] <= west && view[1] <= south && view[2] >= east && view[3] >= north, `view ${view} holds ${catalog.tilesets[0].bounds}`);
    assert.ok(view[2] - view[0] < (east - west) * 4, `and is not much wider: ${view}`);

    // ?style= of a style that is not served: the error stays visible while another view draws.
    await page.goto(`${server.url}/?style=standard`);
    await page.waitForSelector('body[data-state="idle"]', { state: 'attached', timeout: 0 });
    assert.match(await page.locator('#errors').innerText(), /\?style=standard: no such style or tileset here/);
    assert.equal(await page.locator('#style').inputValue(), 'inspect:mine');
    assert.deepEqual(problems, []);
  } finally {
    const stderr = await stop(server);
    const warnings = stderr.split('\n').filter((line) => line.includes('left out of the catalog'));
    assert.equal(warnings.length, 4, stderr);
    assert.ok(warnings.some((line) => line.includes('style standard left out of the catalog: it draws tileset basemap, not served')), stderr);
    assert.ok(warnings.some((line) => line.includes('style imagery left out of the catalog: it draws tilesets basemap, imagery, not served')), stderr);
  }
});
