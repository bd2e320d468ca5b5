// The map viewer: lists the catalog's styles and tilesets, switches style and language, overlays raster tilesets.
/* global document, window, fetch, URLSearchParams, setInterval, clearInterval */
import * as maplibregl from '../maplibre-gl/maplibre-gl.mjs';
import { $, authorizationFor, setState, showError, token } from './page.js';

const RASTER_FORMATS = new Set(['png', 'jpg', 'jpeg', 'webp']);
const PALETTE = ['#d7191c', '#2b83ba', '#1a9641', '#fdae61', '#7b3294', '#e66101', '#008837', '#5e3c99'];

const state = { catalog: { tilesets: [], styles: [] }, overlays: new Set(), styleKey: '' };
const base = new URL('.', window.location.href);
const authorization = authorizationFor(base);

function clearErrors() {
  $('errors').replaceChildren();
}

/**
 * MapLibre draws Web Mercator tiles only. A tileset cut on another grid (UTM39WGS84Quad…) opens in grid.html, where
 * OpenLayers draws it in the grid's own CRS, and is listed with its WMTS and OGC API links: see docs/grids.md.
 */
function onWebMap(tileset) {
  return !tileset.tileMatrixSet || tileset.tileMatrixSet === 'WebMercatorQuad';
}

function isUsableBounds(bounds) {
  return Array.isArray(bounds) && bounds.length === 4 && bounds[0] < bounds[2] && bounds[1] < bounds[3];
}

function zoomTo(map, tileset) {
  if (isUsableBounds(tileset.bounds)) map.fitBounds(tileset.bounds, { padding: 20, maxZoom: tileset.maxzoom, animate: false });
}

function absolute(url) {
  return new URL(url, base).href;
}

function tileJsonUrl(tileset) {
  return absolute(tileset.tilejson ?? tileset.url ?? `tiles/${encodeURIComponent(tileset.id)}.json`);
}

function isRaster(tileset) {
  return RASTER_FORMATS.has(String(tileset.format ?? '').toLowerCase());
}

/** The style URL with the chosen language, as the server resolves it. */
function styleUrl(style) {
  const url = new URL(absolute(style.url ?? `styles/${encodeURIComponent(style.id)}/style.json`));
  const lang = $('lang').value;
  if (lang) url.searchParams.set('lang', lang);
  else url.searchParams.delete('lang');
  return url.href;
}

/** A plain inspection style for a tileset: a raster one as it is, a vector one with every layer drawn by geometry. */
async function inspectionStyle(tileset) {
  if (isRaster(tileset)) {
    return {
      version: 8,
      sources: { inspect: { type: 'raster', url: tileJsonUrl(tileset), tileSize: 256 } },
      layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#f4f1ea' } }, { id: 'inspect', type: 'raster', source: 'inspect' }],
    };
  }
  const tilejson = await (await fetch(tileJsonUrl(tileset), { headers: authorization(tileJsonUrl(tileset)) })).json();
  const layers = [{ id: 'background', type: 'background', paint: { 'background-color': '#f4f1ea' } }];
  (tilejson.vector_layers ?? []).forEach((layer, i) => {
    const color = PALETTE[i % PALETTE.length];
    const common = { source: 'inspect', 'source-layer': layer.id };
    layers.push({ id: `${layer.id}-fill`, type: 'fill', ...common, filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': color, 'fill-opacity': 0.25 } });
    layers.push({ id: `${layer.id}-line`, type: 'line', ...common, filter: ['!=', ['geometry-type'], 'Point'], paint: { 'line-color': color, 'line-width': 1 } });
    layers.push({ id: `${layer.id}-point`, type: 'circle', ...common, filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-color': color, 'circle-radius': 3 } });
  });
  return { version: 8, sources: { inspect: { type: 'vector', url: tileJsonUrl(tileset) } }, layers };
}

/** The views: the catalog's styles (the server lists only those whose tilesets it serves), then one inspect view a tileset. */
function styleChoices() {
  const choices = state.catalog.styles.filter((style) => style.available !== false).map((style) => ({ key: `style:${style.id}`, label: style.name ?? style.id, style }));
  for (const tileset of state.catalog.tilesets.filter(onWebMap)) choices.push({ key: `inspect:${tileset.id}`, label: `Inspect ${tileset.name ?? tileset.id}`, tileset });
  return choices;
}

async function styleFor(key) {
  const choice = styleChoices().find((c) => c.key === key);
  if (!choice) return { version: 8, sources: {}, layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#f4f1ea' } }] };
  if (choice.style) {
    $('style-link').href = styleUrl(choice.style);
    $('style-link').textContent = 'style.json';
    return styleUrl(choice.style);
  }
  $('style-link').href = tileJsonUrl(choice.tileset);
  $('style-link').textContent = '(generated from TileJSON)';
  return inspectionStyle(choice.tileset);
}

/** Raster overlays go under the first label layer so names stay readable. */
function addOverlays(map) {
  const firstSymbol = map.getStyle().layers.find((layer) => layer.type === 'symbol')?.id;
  for (const tileset of state.catalog.tilesets) {
    if (!state.overlays.has(tileset.id)) continue;
    const source = `overlay-${tileset.id}`;
    if (!map.getSource(source)) map.addSource(source, { type: 'raster', url: tileJsonUrl(tileset), tileSize: 256 });
    if (!map.getLayer(source)) map.addLayer({ id: source, type: 'raster', source }, firstSymbol);
  }
}

function removeOverlay(map, id) {
  const source = `overlay-${id}`;
  if (map.getLayer(source)) map.removeLayer(source);
  if (map.getSource(source)) map.removeSource(source);
}

async function applyStyle(map, key) {
  state.styleKey = key;
  clearErrors();
  setState('loading');
  rememberView(key);
  const choice = styleChoices().find((c) => c.key === key);
  const style = await styleFor(key);
  map.setStyle(style);
  // An inspect view goes to its tileset; a style keeps the place the user is looking at.
  if (choice?.tileset) zoomTo(map, choice.tileset);
}

/** The chosen view in the address (?style=ID), so that a reload or a shared link opens it again. */
function rememberView(key) {
  const url = new URL(window.location.href);
  url.searchParams.set('style', key.replace(/^style:/, ''));
  window.history.replaceState(null, '', url);
}

function renderTilesets(map) {
  const list = $('tilesets');
  list.replaceChildren();
  for (const tileset of state.catalog.tilesets) {
    const item = document.createElement('li');
    const title = document.createElement('div');
    if (isRaster(tileset) && onWebMap(tileset)) {
      const label = document.createElement('label');
      label.className = 'check';
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.dataset.tileset = tileset.id;
      box.checked = state.overlays.has(tileset.id);
      box.addEventListener('change', () => {
        if (box.checked) state.overlays.add(tileset.id);
        else state.overlays.delete(tileset.id);
        if (box.checked) {
          addOverlays(map);
          zoomTo(map, tileset);
        } else removeOverlay(map, tileset.id);
      });
      label.append(box, ` ${tileset.name ?? tileset.id}`);
      title.append(label);
    } else {
      title.textContent = tileset.name ?? tileset.id;
    }
    const meta = document.createElement('div');
    meta.className = 'meta';
    const linkTo = (href, text) => {
      const link = document.createElement('a');
      link.href = href;
      link.target = '_blank';
      link.rel = 'noopener';
      link.textContent = text;
      return link;
    };
    const zooms = tileset.minzoom !== undefined ? ` z${tileset.minzoom}–${tileset.maxzoom}` : '';
    if (onWebMap(tileset)) meta.append(`${tileset.format ?? ''}${zooms} · `, linkTo(tileJsonUrl(tileset), 'TileJSON'));
    else {
      const view = new URL('_/viewer/grid.html', base);
      view.searchParams.set('tileset', tileset.id);
      if (token) view.searchParams.set('token', token);
      const inGrid = linkTo(view.href, `view in ${tileset.tileMatrixSet}`);
      inGrid.dataset.gridView = tileset.id;
      meta.append(`${tileset.format ?? ''}${zooms} in ${tileset.tileMatrixSet} · `, inGrid, ' · ', linkTo(tileset.wmts, 'WMTS'), ' · ', linkTo(tileset.ogc, 'OGC API'));
    }
    if (isUsableBounds(tileset.bounds)) {
      const zoom = document.createElement('button');
      zoom.type = 'button';
      zoom.className = 'zoom-to';
      zoom.dataset.zoomTo = tileset.id;
      zoom.textContent = 'zoom to';
      zoom.title = `Show all of ${tileset.name ?? tileset.id}`;
      zoom.addEventListener('click', () => zoomTo(map, tileset));
      meta.append(' · ', zoom);
    }
    item.append(title, meta);
    list.append(item);
  }
}

function fillStyleSelect() {
  const select = $('style');
  select.replaceChildren();
  for (const choice of styleChoices()) {
    const option = document.createElement('option');
    option.value = choice.key;
    option.textContent = choice.label;
    select.append(option);
  }
  // ?style=ID picks a style or a tileset's inspect view; otherwise the standard style, else the first style,
  // else the first tileset's inspect view (the catalog lists only styles that draw).
  const choices = styleChoices();
  const wanted = new URLSearchParams(window.location.search).get('style');
  const asked = wanted ? choices.find((c) => c.key === wanted || c.key === `style:${wanted}` || c.key === `inspect:${wanted}`) : undefined;
  if (wanted && !asked) showError(`?style=${wanted}: no such style or tileset here; showing another view`);
  const preferred = asked ?? choices.find((c) => c.key === 'style:standard') ?? choices[0];
  if (preferred) select.value = preferred.key;
  return select.value;
}

/** A style opens at its own centre and zoom; an inspect view on its tileset's bounds. */
function initialView(key) {
  const choice = styleChoices().find((c) => c.key === key);
  if (choice?.tileset && isUsableBounds(choice.tileset.bounds)) return { bounds: choice.tileset.bounds, fitBoundsOptions: { padding: 20, maxZoom: choice.tileset.maxzoom } };
  return {};
}

/** Nothing served yet: say what to run, and reload once an archive appears (the server picks them up by itself). */
function showNothingServed() {
  setState('empty');
  $('notice').hidden = false;
  const poll = setInterval(async () => {
    const response = await fetch(absolute('catalog.json'), { headers: { accept: 'application/json', ...authorization(base) } }).catch(() => undefined);
    const catalog = response?.ok ? await response.json() : undefined;
    if (catalog?.tilesets?.length) {
      clearInterval(poll);
      window.location.reload();
    }
  }, 3000);
}

async function main() {
  const response = await fetch(absolute('catalog.json'), { headers: { accept: 'application/json', ...authorization(base) } });
  if (!response.ok) throw new Error(`catalog.json: HTTP ${response.status}`);
  const catalog = await response.json();
  state.catalog = { tilesets: catalog.tilesets ?? [], styles: catalog.styles ?? [] };
  const lang = new URLSearchParams(window.location.search).get('lang');
  if (lang && ['az', 'en', 'ru'].includes(lang)) $('lang').value = lang;

  if (state.catalog.tilesets.length === 0) return showNothingServed();
  const key = fillStyleSelect();
  state.styleKey = key;
  rememberView(key);
  const map = new maplibregl.Map({
    container: 'map',
    style: await styleFor(key),
    hash: true,
    transformRequest: (url) => ({ url, headers: authorization(url) }),
    ...initialView(key),
  });
  window.map = map;
  map.addControl(new maplibregl.NavigationControl(), 'top-right');
  map.addControl(new maplibregl.ScaleControl(), 'bottom-left');
  map.on('style.load', () => addOverlays(map));
  map.on('idle', () => setState('idle'));
  map.on('error', (event) => {
    const message = event.error?.message ?? String(event.error);
    console.error(`map error: ${message}`);
    showError(message);
  });

  renderTilesets(map);
  $('style').addEventListener('change', () => applyStyle(map, $('style').value));
  $('lang').addEventListener('change', () => applyStyle(map, state.styleKey));
  $('boundaries').addEventListener('change', () => {
    map.showTileBoundaries = $('boundaries').checked;
  });
}

main().catch((error) => {
  setState('error');
  showError(error.message);
  console.error(error);
});
