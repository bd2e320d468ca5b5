// A tileset in its own tile matrix set (UTM39WGS84Quad…), drawn by OpenLayers in the set's CRS from the server's
// WMTS capabilities: the tiles as they are stored, with no second warp. Opened as grid.html?tileset=ID.
/* global window, fetch, URLSearchParams, ol */
import { $, authorizationFor, setState, showError, token } from './page.js';

const base = new URL('../../', window.location.href);
const authorization = authorizationFor(base);

async function fetchOk(url) {
  const response = await fetch(url, { headers: { ...authorization(url) } });
  if (!response.ok) throw new Error(`${new URL(url).pathname}: HTTP ${response.status}`);
  return response;
}

/** Tiles through fetch, so that a private tileset's token goes in a header; shown from a blob: URL. */
function loadWithToken(tile, src) {
  fetchOk(src)
    .then((response) => response.blob())
    .then((blob) => {
      const image = tile.getImage();
      const url = URL.createObjectURL(blob);
      image.addEventListener('load', () => URL.revokeObjectURL(url), { once: true });
      image.src = url;
    })
    .catch(() => tile.setState(3)); // TileState.ERROR
}

async function main() {
  const id = new URLSearchParams(window.location.search).get('tileset');
  if (!id) throw new Error('no tileset: open this page as grid.html?tileset=ID');
  const catalog = await (await fetchOk(new URL('catalog.json', base).href)).json();
  const tileset = (catalog.tilesets ?? []).find((t) => t.id === id);
  if (!tileset) throw new Error(`no tileset "${id}" here`);
  $('title').textContent = tileset.name ?? tileset.id;
  if (tileset.ogc) $('ogc').href = tileset.ogc;

  // The layer and its cut set, as every WMTS client reads them. OpenLayers knows the UTM CRSs itself (ol/proj/utm:
  // EPSG:326xx and 327xx, the same coordinates as PROJ) and CRS84; the set's SupportedCRS names the one to use.
  const capabilities = new ol.format.WMTSCapabilities().read(await (await fetchOk(new URL('wmts/1.0.0/WMTSCapabilities.xml', base).href)).text());
  // RESTful: the template names the set, and its URLs cache like any file (OpenLayers takes KVP when both are offered).
  const options = ol.source.WMTS.optionsFromCapabilities(capabilities, { layer: id, requestEncoding: 'REST' });
  if (!options) throw new Error(`"${id}" is not a WMTS layer (vector tilesets are drawn in the map viewer)`);
  const projection = options.projection;
  const crs = projection.getCode().replace(/^urn:ogc:def:crs:EPSG::/, 'EPSG:');
  $('grid').textContent = `${tileset.tileMatrixSet ?? 'WebMercatorQuad'} · ${crs} · ${tileset.format} z${tileset.minzoom}–${tileset.maxzoom}`;
  const source = new ol.source.WMTS({ ...options, crossOrigin: null, ...(token ? { tileLoadFunction: loadWithToken } : {}) });
  source.on('tileloaderror', (event) => showError(`tile ${event.tile.getTileCoord().join('/')} could not be loaded`));

  const map = new ol.Map({
    target: 'map',
    layers: [new ol.layer.Tile({ source })],
    view: new ol.View({ projection, showFullExtent: true }),
    controls: ol.control.defaults.defaults().extend([
      new ol.control.ScaleLine(),
      new ol.control.MousePosition({ projection, target: $('position'), coordinateFormat: (c) => `${c[0].toFixed(1)} ${c[1].toFixed(1)} (${crs})` }),
    ]),
  });
  window.map = map;
  // The data's lon/lat bounds, in the grid's CRS; the set's limits keep OpenLayers' tile requests inside them.
  const extent = ol.proj.transformExtent(tileset.bounds ?? ol.proj.get('EPSG:4326').getExtent(), 'EPSG:4326', projection);
  map.getView().fit(extent, { padding: [20, 20, 20, 20] });
  // Idle once a frame is complete with every tile it needs loaded (also when it needs none, so a page that draws
  // nothing still says so).
  map.on('movestart', () => setState('loading'));
  map.on('rendercomplete', () => setState('idle'));
}

main().catch((error) => {
  setState('error');
  showError(error.message);
  console.error(error);
});
