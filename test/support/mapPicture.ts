// Two MapLibre maps side by side in headless Chromium, drawn with one style from two sources (a served vector
// tileset and a GeoJSON source MapLibre tiles itself with geojson-vt), and the two pictures compared pixel by pixel.
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';


/** Each map's canvas: one 512-pixel tile wide, so zoom z of a map shows tiles of zoom z (MapLibre's vector and GeoJSON tiles are 512 px). */
export const SIDE = 512;

export interface MapView {
  name: string;
  zoom: number;
  center: [number, number];
}

/** The colours the style paints (RGB): water is the background, land is drawn half transparent so that land drawn twice shows. */
export const WATER: [number, number, number] = [0x20, 0x50, 0x90];
export const LAND: [number, number, number] = [0xf0, 0xc0, 0x70];

/** What the page exposes; the test compiles without DOM types. */
interface PictureWindow {
  show(view: { zoom: number; center: [number, number] }): Promise<void>;
  ready: Promise<void>;
}

function page(options: { tilejson: string; sourceLayer: string; geojson: string; maxzoom: number }): string {
  const hex = (rgb: number[]) => `#${rgb.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
  const config = JSON.stringify({ ...options, water: hex(WATER), land: hex(LAND) });
  return `<!doctype html>
<html><head><meta charset="utf-8">
<style>body { margin: 0 } .map { position: absolute; top: 0; width: ${SIDE}px; height: ${SIDE}px } #tiles { left: 0 } #source { left: ${SIDE}px }</style>
</head><body><div id="tiles" class="map"></div><div id="source" class="map"></div>
<script type="module">
import * as maplibregl from '/_/maplibre-gl/maplibre-gl.mjs';
const config = ${config};
// One style, two sources: only the source (and the vector tiles' layer name) differs between the two maps.
function style(source, sourceLayer) {
  const land = { id: 'land', type: 'fill', source: 'land', paint: { 'fill-color': config.land, 'fill-opacity': 0.6, 'fill-antialias': false } };
  if (sourceLayer) land['source-layer'] = sourceLayer;
  return { version: 8, sources: { land: source }, layers: [{ id: 'water', type: 'background', paint: { 'background-color': config.water } }, land] };
}
function map(container, source, sourceLayer) {
  const m = new maplibregl.Map({
    container, style: style(source, sourceLayer), interactive: false, attributionControl: false, fadeDuration: 0,
    pixelRatio: 1, canvasContextAttributes: { antialias: false }, center: [0, 0], zoom: 0,
  });
  m.on('error', (event) => console.error(container + ': ' + (event.error?.message ?? String(event.error))));
  return m;
}
const maps = [
  map('tiles', { type: 'vector', url: config.tilejson }, config.sourceLayer),
  map('source', { type: 'geojson', data: config.geojson, maxzoom: config.maxzoom }),
];
// Idle: the style, every tile of the view and any fade are done and the frame is on the canvas.
// (They resolve to nothing: an event carries its map, which Playwright would copy to the test whole.)
const idle = (m) => new Promise((resolve) => m.once('idle', () => resolve()));
window.ready = Promise.all(maps.map(idle)).then(() => undefined);
// Both maps move, then each reports idle: every tile of the new view loaded and drawn (the repaint makes sure a
// frame follows even when the view does not change).
window.show = (view) => Promise.all(maps.map((m) => { const done = idle(m); m.jumpTo(view); m.triggerRepaint(); return done; })).then(() => undefined);
</script></body></html>`;
}


export interface Comparison {
  page: Page;
  /** Both maps drawn at `view`: the left (tiles) and right (source) pictures as raw RGB, SIDE × SIDE. */
  draw(view: MapView): Promise<{ tiles: Buffer; source: Buffer }>;
  close(): Promise<void>;
}

/**
 * Opens the two maps on `server`'s origin (the page itself is answered by the test, so MapLibre and the tiles come
 * from the server under test and the GeoJSON from the test): `tilejson` and `geojson` are paths on that origin.
 */
export async function openComparison(
  browser: Browser,
  options: { server: string; tilejson: string; sourceLayer: string; geojson: Buffer; maxzoom: number },
): Promise<Comparison> {
  const tab = await browser.newPage({ viewport: { width: 2 * SIDE, height: SIDE }, deviceScaleFactor: 1 });
  // The first error on the page (a script, a map's source, a failed request) ends whatever the test waits for.
  let fail: (error: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => {});
  const failing = <T>(work: Promise<T>) => Promise.race([work, failed]);
  tab.on('response', (response) => {
    if (response.status() >= 400) fail(new Error(`the comparison page failed: ${response.status()} for ${response.url()}`));
  });
  tab.on('pageerror', (error) => fail(new Error(`the comparison page failed: ${error.message}`)));
  tab.on('console', (message) => {
    if (message.type() === 'error') fail(new Error(`the comparison page failed: ${message.text()}`));
  });
  try {
    // No time limits: a loaded machine only makes the browser slower; the page's own events say when it is done.
    tab.setDefaultTimeout(0);
    const pagePath = '/__picture/index.html';
    const geojsonPath = '/__picture/source.geojson';
    await tab.route(`${options.server}${pagePath}`, (route) =>
      route.fulfill({ contentType: 'text/html', body: page({ tilejson: `${options.server}${options.tilejson}`, sourceLayer: options.sourceLayer, geojson: `${options.server}${geojsonPath}`, maxzoom: options.maxzoom }) }),
    );
    await tab.route(`${options.server}${geojsonPath}`, (route) => route.fulfill({ contentType: 'application/geo+json', body: options.geojson }));
    await failing(tab.goto(`${options.server}${pagePath}`));
    await failing(tab.waitForFunction(() => typeof (globalThis as unknown as PictureWindow).show === 'function'));
    await failing(tab.evaluate(() => (globalThis as unknown as PictureWindow).ready));
    return {
      page: tab,
      async draw(view) {
        await failing(tab.evaluate((v) => (globalThis as unknown as PictureWindow).show(v), { zoom: view.zoom, center: view.center }));
        const shot = await tab.screenshot({ clip: { x: 0, y: 0, width: 2 * SIDE, height: SIDE } });
        const half = (left: number) => sharp(shot).extract({ left, top: 0, width: SIDE, height: SIDE }).removeAlpha().raw().toBuffer();
        const [tiles, source] = await Promise.all([half(0), half(SIDE)]);
        return { tiles, source };
      },
      close: () => tab.close(),
    };
  } catch (error) {
    await tab.close();
    throw error;
  }
}

/** The colour of land drawn `times` over water: fill-opacity 0.6 blends each time, as WebGL does. */
function landDrawn(times: number): [number, number, number] {
  let colour = WATER.map(Number) as [number, number, number];
  for (let i = 0; i < times; i++) colour = colour.map((c, k) => Math.round(0.6 * LAND[k] + 0.4 * c)) as [number, number, number];
  return colour;
}
const DRAWN = [0, 1, 2, 3].map(landDrawn);

/** How many times land was drawn on a pixel (0 water … 3), by the nearest of the style's colours; -1 for none near. */
export function timesDrawn(picture: Buffer, pixel: number): number {
  const o = 3 * pixel;
  let best = -1;
  let bestDistance = 24;
  DRAWN.forEach((colour, times) => {
    const distance = Math.max(Math.abs(picture[o] - colour[0]), Math.abs(picture[o + 1] - colour[1]), Math.abs(picture[o + 2] - colour[2]));
    if (distance < bestDistance) [best, bestDistance] = [times, distance];
  });
  return best;
}

export interface PictureDifference {
  /** Pixels where the two maps disagree (water, land, land drawn over itself). */
  differing: number;
  /**
   * Land pixels in the tiles' picture minus those in the source's. Simplifying a coast moves it out in some places and
   * in at others, so this stays near zero; a lake drawn as land adds its area, a dropped tile or island takes its own.
   */
  landBalance: number;
  /** Pixels where the tiles draw land over land (a ring crossing itself or another, a feature twice in a tile). */
  overdrawn: number;
  /**
   * Differing pixels whose 8 neighbours differ too: the inside of a patch at least 3 pixels across. Two tilings of one
   * coast differ in slivers 1–2 pixels wide along it; a filled lake, a wedge of land or a missing tile is a patch.
   */
  patches: number;
  /** The centre of the patch pixels (x, y in the picture), for the message. */
  where?: [number, number];
}

/**
 * Compares the tiles' picture with the source's. The source's polygons do not overlap (Natural Earth land), so land
 * that geojson-vt's tiling draws twice on the source side is its own artefact and counts as land drawn once;
 * land the tiles draw twice is a fault of the tiles.
 */
export function compare(tiles: Buffer, source: Buffer, side = SIDE): PictureDifference {
  const differs = new Uint8Array(side * side);
  let differing = 0;
  let landBalance = 0;
  let overdrawn = 0;
  for (let i = 0; i < side * side; i++) {
    const fromTiles = timesDrawn(tiles, i);
    const fromSource = Math.min(timesDrawn(source, i), 1);
    if (fromTiles === fromSource) continue;
    differs[i] = 1;
    differing++;
    if (fromTiles > 1) overdrawn++;
    else if (fromTiles >= 0 && fromSource >= 0) landBalance += fromTiles - fromSource;
  }
  let patches = 0;
  let sumX = 0;
  let sumY = 0;
  for (let y = 1; y < side - 1; y++) {
    for (let x = 1; x < side - 1; x++) {
      const i = y * side + x;
      if (!differs[i]) continue;
      if (!(differs[i - side - 1] & differs[i - side] & differs[i - side + 1] & differs[i - 1] & differs[i + 1] & differs[i + side - 1] & differs[i + side] & differs[i + side + 1])) continue;
      patches++;
      sumX += x;
      sumY += y;
    }
  }
  return { differing, landBalance, overdrawn, patches, where: patches ? [Math.round(sumX / patches), Math.round(sumY / patches)] : undefined };
}
