import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildWmtsCapabilities, type WmtsTileset } from '../../../src/server/wmts/capabilities.js';
import { children, parseXml, path } from '../../support/xml.js';

const base = 'https://tiles.example.az/basemap';
const tilesets: WmtsTileset[] = [
  { id: 'ortho', metadata: { name: 'Orthophoto <2024> & "more"', format: 'webp', minzoom: 8, maxzoom: 12, bounds: [44.5, 38.3, 50.9, 41.95], description: 'Aerial' } },
  { id: 'relief', metadata: { name: 'Relief', format: 'png', minzoom: 0, maxzoom: 2 } },
  { id: 'basemap', metadata: { name: 'Basemap', format: 'pbf', minzoom: 0, maxzoom: 14 } },
];

test('capabilities list a layer per raster tileset with escaped titles, limits and RESTful resource URLs', () => {
  const xml = buildWmtsCapabilities(base, tilesets);
  const doc = parseXml(xml);
  assert.equal(doc.tag, 'Capabilities');
  assert.equal(doc.ns, 'http://www.opengis.net/wmts/1.0');
  assert.equal(doc.attrs.version, '1.0.0');
  const layers = children(path(doc, 'Contents')!, 'Layer');
  assert.deepEqual(layers.map((l) => path(l, 'Identifier')!.text), ['ortho', 'relief']);

  const ortho = layers[0];
  assert.equal(path(ortho, 'Title')!.text, 'Orthophoto <2024> & "more"');
  assert.equal(path(ortho, 'Format')!.text, 'image/webp');
  assert.equal(path(ortho, 'WGS84BoundingBox', 'LowerCorner')!.text, '44.5 38.3');
  assert.equal(path(ortho, 'WGS84BoundingBox', 'UpperCorner')!.text, '50.9 41.95');
  const resource = path(ortho, 'ResourceURL')!;
  assert.equal(resource.attrs.resourceType, 'tile');
  assert.equal(resource.attrs.template, `${base}/wmts/1.0.0/ortho/default/{TileMatrixSet}/{TileMatrix}/{TileRow}/{TileCol}.webp`);
  const link = path(ortho, 'TileMatrixSetLink')!;
  assert.equal(path(link, 'TileMatrixSet')!.text, 'GoogleMapsCompatible_z8-12');
  const limits = children(path(link, 'TileMatrixSetLimits')!, 'TileMatrixLimits');
  assert.deepEqual(limits.map((l) => path(l, 'TileMatrix')!.text), ['8', '9', '10', '11', '12']);
  // z8 over Azerbaijan: columns 159..164, rows 95..98 (rows from the top).
  const z8 = limits[0];
  assert.deepEqual(['MinTileCol', 'MaxTileCol', 'MinTileRow', 'MaxTileRow'].map((t) => Number(path(z8, t)!.text)), [159, 164, 95, 98]);

  // One GoogleMapsCompatible set per layer's zooms, cut at both ends: GIS clients size a layer by its set's deepest
  // matrix, and read overviews from every coarser one (a matrix above its min zoom would only get TileOutOfRange).
  const sets = children(path(doc, 'Contents')!, 'TileMatrixSet');
  assert.deepEqual(sets.map((set) => path(set, 'Identifier')!.text), ['GoogleMapsCompatible_z2', 'GoogleMapsCompatible_z8-12']);
  assert.equal(path(layers[1], 'TileMatrixSetLink', 'TileMatrixSet')!.text, 'GoogleMapsCompatible_z2');
  assert.equal(children(sets[0], 'TileMatrix').length, 3);
  sets.reverse();
  assert.equal(path(sets[0], 'SupportedCRS')!.text, 'urn:ogc:def:crs:EPSG::3857');
  assert.equal(path(sets[0], 'WellKnownScaleSet')!.text, 'urn:ogc:def:wkss:OGC:1.0:GoogleMapsCompatible');
  const matrices = children(sets[0], 'TileMatrix');
  assert.deepEqual(matrices.map((m) => path(m, 'Identifier')!.text), ['8', '9', '10', '11', '12']);
  assert.equal(path(matrices[0], 'TopLeftCorner')!.text, '-20037508.342789244 20037508.342789244');
  assert.ok(Math.abs(Number(path(matrices[0], 'ScaleDenominator')!.text) - 559082264.0287178 / 256) < 1e-6);
  assert.equal(path(matrices[0], 'MatrixWidth')!.text, '256');
  assert.equal(path(doc, 'ServiceMetadataURL')!.attrs.href, `${base}/wmts/1.0.0/WMTSCapabilities.xml`);
});

test('ids that need escaping stay one path segment and well-formed XML', () => {
  const xml = buildWmtsCapabilities(base, [{ id: 'a&b c', metadata: { name: 'x\u0001y', format: 'jpg', minzoom: 0, maxzoom: 1 } }]);
  const layer = path(parseXml(xml), 'Contents', 'Layer')!;
  assert.equal(path(layer, 'Identifier')!.text, 'a&b c');
  assert.equal(path(layer, 'Title')!.text, 'xy');
  assert.equal(path(layer, 'ResourceURL')!.attrs.template, `${base}/wmts/1.0.0/a%26b%20c/default/{TileMatrixSet}/{TileMatrix}/{TileRow}/{TileCol}.jpg`);
});
