import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { bboxToTileRange, lonLatToMercator, resolutionAtZoom, tileToMercatorBBox } from '../../../src/grid/webMercator.js';

const lonToMercatorX = (lon: number) => lonLatToMercator(lon, 0)[0];
import { makeTempDir } from '../../support/tempDir.js';
import { EMPTY_RASTER_TILE, RASTER_BOUNDS, runGdal, serveGisArchives } from '../../support/gisFixtures.js';
import { tileColour } from '../../support/archives.js';
import { startMekan, type RunningMekan } from '../../support/basemapFixture.js';
import { children, parseXml, path } from '../../support/xml.js';

const dir = makeTempDir('mekan-wmts-');
let server: RunningMekan;

before(async () => {
  server = await serveGisArchives(dir);
});
after(() => server.close());


test('RESTful capabilities: one layer per raster tileset, absolute RESTful template, limits from the archive', async () => {
  const response = await fetch(`${server.url}/wmts/1.0.0/WMTSCapabilities.xml`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type')!, /^application\/xml/);
  const doc = parseXml(await response.text());
  const layers = children(path(doc, 'Contents')!, 'Layer');
  assert.deepEqual(layers.map((l) => path(l, 'Identifier')!.text), ['absheron']);
  assert.equal(path(layers[0], 'ResourceURL')!.attrs.template, `${server.url}/wmts/1.0.0/absheron/default/{TileMatrixSet}/{TileMatrix}/{TileRow}/{TileCol}.png`);
  const limits = children(path(layers[0], 'TileMatrixSetLink', 'TileMatrixSetLimits')!, 'TileMatrixLimits');
  assert.deepEqual(limits.map((l) => path(l, 'TileMatrix')!.text), ['5', '6', '7', '8']);

  // The public URL, when set, is what every link carries.
  const proxied = await startMekan([dir], 'https://tiles.example.az/basemap');
  try {
    const xml = await (await fetch(`${proxied.url}/wmts/1.0.0/WMTSCapabilities.xml`)).text();
    assert.equal(path(parseXml(xml), 'Contents', 'Layer', 'ResourceURL')!.attrs.template, 'https://tiles.example.az/basemap/wmts/1.0.0/absheron/default/{TileMatrixSet}/{TileMatrix}/{TileRow}/{TileCol}.png');
  } finally {
    await proxied.close();
  }
});

test('KVP GetCapabilities and GetTile answer like the tile route; bad KVP gets an OWS exception', async () => {
  const kvp = await fetch(`${server.url}/wmts?service=WMTS&request=GetCapabilities`);
  assert.equal(kvp.status, 200);
  assert.equal(path(parseXml(await kvp.text()), 'Contents', 'Layer', 'Identifier')!.text, 'absheron');

  const range = bboxToTileRange(RASTER_BOUNDS, 7);
  const q = `SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=absheron&STYLE=default&FORMAT=image/png&TILEMATRIXSET=GoogleMapsCompatible&TILEMATRIX=7&TILEROW=${range.minY}&TILECOL=${range.maxX}`;
  const tile = await fetch(`${server.url}/wmts?${q}`);
  assert.equal(tile.status, 200);
  assert.equal(tile.headers.get('content-type'), 'image/png');
  const direct = await fetch(`${server.url}/tiles/absheron/7/${range.maxX}/${range.minY}.png`);
  assert.equal(tile.headers.get('etag'), direct.headers.get('etag'));
  assert.deepEqual(Buffer.from(await tile.arrayBuffer()), Buffer.from(await direct.arrayBuffer()));
  const notModified = await fetch(`${server.url}/wmts?${q}`, { headers: { 'If-None-Match': tile.headers.get('etag')! } });
  assert.equal(notModified.status, 304);

  for (const [query, status, locator] of [
    ['SERVICE=WMTS&REQUEST=GetTile&LAYER=nope&TILEMATRIXSET=GoogleMapsCompatible&TILEMATRIX=7&TILEROW=1&TILECOL=1', 404, 'LAYER'],
    ['SERVICE=WMTS&REQUEST=GetTile&LAYER=basemap&TILEMATRIXSET=GoogleMapsCompatible&TILEMATRIX=7&TILEROW=1&TILECOL=1', 404, 'LAYER'],
    ['SERVICE=WMTS&REQUEST=GetTile&LAYER=absheron&TILEMATRIXSET=WorldCRS84Quad&TILEMATRIX=7&TILEROW=1&TILECOL=1', 400, 'TILEMATRIXSET'],
    ['SERVICE=WMTS&REQUEST=GetTile&LAYER=absheron&TILEMATRIXSET=GoogleMapsCompatible&TILEMATRIX=7&TILECOL=1', 400, 'TILEROW'],
    ['SERVICE=WMS&REQUEST=GetMap', 400, 'SERVICE'],
    ['SERVICE=WMTS&REQUEST=GetFeatureInfo', 400, 'REQUEST'],
  ] as const) {
    const answer = await fetch(`${server.url}/wmts?${query}`);
    assert.equal(answer.status, status, query);
    const report = parseXml(await answer.text());
    assert.equal(report.tag, 'ExceptionReport');
    assert.equal(path(report, 'Exception')!.attrs.locator, locator);
  }
  // Malformed coordinates are the tile route's 400, not a 5xx.
  const bad = await fetch(`${server.url}/wmts?SERVICE=WMTS&REQUEST=GetTile&LAYER=absheron&TILEMATRIXSET=GoogleMapsCompatible&TILEMATRIX=7&TILEROW=-1&TILECOL=../../x`);
  assert.equal(bad.status, 400);
});

test('RESTful GetTile serves the tile route\'s tiles; every refusal is an OWS exception report (WMTS 1.0 Table 28)', async () => {
  const range = bboxToTileRange(RASTER_BOUNDS, 7);
  const rest = (set: string, matrix: number | string, row: number | string, col: number | string, ext = 'png', layer = 'absheron') => `${server.url}/wmts/1.0.0/${layer}/default/${set}/${matrix}/${row}/${col}.${ext}`;
  const tile = await fetch(rest('GoogleMapsCompatible_z5-8', 7, range.minY, range.maxX));
  assert.equal(tile.status, 200);
  assert.equal(tile.headers.get('content-type'), 'image/png');
  const direct = await fetch(`${server.url}/tiles/absheron/7/${range.maxX}/${range.minY}.png`);
  assert.equal(tile.headers.get('etag'), direct.headers.get('etag'));
  assert.deepEqual(Buffer.from(await tile.arrayBuffer()), Buffer.from(await direct.arrayBuffer()));
  // A tile inside the limits that the archive leaves out: empty, as on the tile route (GDAL draws 204 transparent).
  const { z, x, y } = EMPTY_RASTER_TILE;
  assert.equal((await fetch(rest('GoogleMapsCompatible_z5-8', z, y, x))).status, 204);

  for (const [url, status, code, locator] of [
    [rest('WorldCRS84Quad_z8', 7, range.minY, range.minX), 400, 'InvalidParameterValue', 'TILEMATRIXSET'],
    [rest('NoSuchSet', 7, range.minY, range.minX), 400, 'InvalidParameterValue', 'TILEMATRIXSET'],
    [rest('GoogleMapsCompatible_z5-8', 'x', range.minY, range.minX), 400, 'InvalidParameterValue', 'TILEMATRIX'],
    [rest('GoogleMapsCompatible_z5-8', 4, 0, 0), 400, 'TileOutOfRange', 'TILEMATRIX'], // above the layer's zooms
    [rest('GoogleMapsCompatible_z5-8', 7, 128, range.minX), 400, 'TileOutOfRange', 'TILEROW'], // outside the 128×128 matrix
    [rest('GoogleMapsCompatible_z5-8', 7, range.minY, range.maxX + 1), 400, 'TileOutOfRange', 'TILEROW,TILECOL'], // outside the limits
    [rest('GoogleMapsCompatible_z5-8', 7, range.minY, range.minX, 'jpg'), 400, 'InvalidParameterValue', 'FORMAT'],
    [rest('GoogleMapsCompatible_z5-8', 7, range.minY, range.minX, 'png', 'nope'), 404, 'InvalidParameterValue', 'LAYER'],
    [rest('GoogleMapsCompatible_z5-8', 7, range.minY, range.minX, 'png', 'basemap'), 404, 'InvalidParameterValue', 'LAYER'], // vector: not a WMTS layer
  ] as const) {
    const answer = await fetch(url);
    assert.equal(answer.status, status, url);
    assert.match(answer.headers.get('content-type')!, /^application\/xml/, url);
    const report = parseXml(await answer.text());
    assert.equal(report.tag, 'ExceptionReport', url);
    assert.deepEqual([path(report, 'Exception')!.attrs.exceptionCode, path(report, 'Exception')!.attrs.locator], [code, locator], url);
  }
});

test('GDAL, a real WMTS client, lists the layer and reads the right tiles', async () => {
  const capabilities = `WMTS:${server.url}/wmts/1.0.0/WMTSCapabilities.xml`;
  const info = JSON.parse(await runGdal('gdalinfo', ['-json', capabilities])) as { bands: unknown[]; size: [number, number]; coordinateSystem: { wkt: string } };
  // One layer: GDAL opens it directly, in Web Mercator, with RGBA bands, at the resolution of zoom 8
  // (the layer's deepest zoom), so its width is the bounds' width in zoom-8 pixels.
  assert.equal(info.bands.length, 4);
  assert.match(info.coordinateSystem.wkt, /Pseudo-Mercator|3857/);
  const [west8, , east8] = [lonToMercatorX(RASTER_BOUNDS[0]), 0, lonToMercatorX(RASTER_BOUNDS[2])];
  assert.ok(Math.abs(info.size[0] - (east8 - west8) / resolutionAtZoom(8)) <= 2, `width ${info.size[0]}`);

  // A 2×2 block of zoom-8 tiles, read at full resolution: every tile must come back with its own colour
  // (a row flip or a column/row swap would show up as another tile's colour).
  // Interior tiles only: GDAL clips the layer to its bounds, and the edge tiles reach beyond them.
  const range = bboxToTileRange(RASTER_BOUNDS, 8);
  const [x0, y0] = [range.minX + 1, range.minY + 1];
  assert.ok(x0 + 1 < range.maxX && y0 + 1 <= range.maxY);
  const [west, , , north] = tileToMercatorBBox(8, x0, y0);
  const [, south, east] = tileToMercatorBBox(8, x0 + 1, y0 + 1);
  const out = join(dir, 'wmts-block.png');
  await runGdal('gdal_translate', ['-q', '-of', 'PNG', '-projwin', String(west), String(north), String(east), String(south), '-outsize', '512', '512', capabilities, out]);
  const { data, info: png } = await sharp(readFileSync(out)).raw().toBuffer({ resolveWithObject: true });
  assert.equal(png.width, 512);
  assert.equal(png.channels, 4);
  for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
    const offset: number = ((128 + dy * 256) * png.width + 128 + dx * 256) * png.channels;
    const [x, y] = [x0 + dx, y0 + dy];
    // The tile left out of the archive comes as 204 and GDAL draws it transparent.
    const empty = x === EMPTY_RASTER_TILE.x && y === EMPTY_RASTER_TILE.y;
    const expected = empty ? [0, 0, 0, 0] : [...tileColour(8, x, y), 255];
    assert.deepEqual([...data.subarray(offset, offset + 4)], expected, `tile ${x},${y}`);
  }
  assert.ok([0, 1].some((dx) => [0, 1].some((dy) => x0 + dx === EMPTY_RASTER_TILE.x && y0 + dy === EMPTY_RASTER_TILE.y)), 'the block holds the empty tile');
});
