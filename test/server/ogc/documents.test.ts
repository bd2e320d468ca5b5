import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ogc from '../../../src/server/ogc/documents.js';

const base = 'http://127.0.0.1:8080';
const vector: ogc.OgcTileset = {
  id: 'basemap',
  metadata: { name: 'Basemap', format: 'pbf', minzoom: 0, maxzoom: 6, bounds: [44, 38, 51, 42], center: [47, 40, 5], vector_layers: [{ id: 'water', fields: { name: 'String', area: 'Number' } }] },
};
const raster: ogc.OgcTileset = { id: 'ortho', metadata: { name: 'Ortho', format: 'png', minzoom: 2, maxzoom: 4, bounds: [44, 38, 51, 42] } };

interface Linked { links: { rel: string; href: string; type?: string }[] }
const rel = (doc: Linked, name: string) => doc.links.find((l) => l.rel === name)?.href;

test('landing page and conformance name what the API offers', () => {
  const landing = ogc.landingPage(base) as Linked;
  assert.equal(rel(landing, 'self'), `${base}/ogc`);
  assert.equal(rel(landing, 'conformance'), `${base}/ogc/conformance`);
  assert.equal(rel(landing, 'http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes'), `${base}/ogc/tileMatrixSets`);
  assert.equal(rel(landing, 'data'), `${base}/ogc/collections`);
  const { conformsTo } = ogc.conformance() as { conformsTo: string[] };
  for (const cls of ['core', 'tileset', 'tilesets-list', 'geodata-tilesets']) assert.ok(conformsTo.includes(`http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/${cls}`), cls);
  assert.ok(conformsTo.includes('http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core'));
});

test('collections link vector tilesets under /tiles and raster ones under /map/tiles', () => {
  const { collections } = ogc.collections(base, [vector, raster]) as { collections: (Linked & { id: string; extent: { spatial: { bbox: number[][] } } })[] };
  assert.deepEqual(collections.map((c) => c.id), ['basemap', 'ortho']);
  assert.deepEqual(collections[0].extent.spatial.bbox, [[44, 38, 51, 42]]);
  assert.equal(rel(collections[0], 'http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector'), `${base}/ogc/collections/basemap/tiles`);
  assert.equal(rel(collections[1], 'http://www.opengis.net/def/rel/ogc/1.0/tilesets-map'), `${base}/ogc/collections/ortho/map/tiles`);
  const list = ogc.tilesetList(base, raster) as { tilesets: (Linked & { dataType: string; tileMatrixSetURI: string })[] };
  assert.equal(list.tilesets[0].dataType, 'map');
  assert.equal(rel(list.tilesets[0], 'self'), `${base}/ogc/collections/ortho/map/tiles/WebMercatorQuad`);
});

test('tileset metadata carries limits, the tiling scheme and a tile URI template', () => {
  const doc = ogc.tilesetMetadata(base, vector) as Linked & { dataType: string; tileMatrixSetLimits: { tileMatrix: string }[]; layers: { id: string; propertiesSchema: { properties: Record<string, { type: string }> } }[] };
  assert.equal(doc.dataType, 'vector');
  assert.deepEqual(doc.tileMatrixSetLimits.map((l) => l.tileMatrix), ['0', '1', '2', '3', '4', '5', '6']);
  assert.equal(rel(doc, 'http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme'), `${base}/ogc/tileMatrixSets/WebMercatorQuad`);
  const item = doc.links.find((l) => l.rel === 'item')!;
  assert.equal(item.href, `${base}/ogc/collections/basemap/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}`);
  assert.equal(item.type, 'application/vnd.mapbox-vector-tile');
  assert.equal(doc.layers[0].propertiesSchema.properties.area.type, 'number');
  assert.equal(ogc.tileMatrixSetDocument('WebMercatorQuad')!.tileMatrices.length, 25);
  assert.equal(ogc.tileMatrixSetDocument('constructor'), undefined);
  assert.equal(ogc.tileMatrixSetDocument('EuropeanETRS89_LAEAQuad'), undefined);
  const utm = ogc.tileMatrixSetDocument('UTM39WGS84Quad')!;
  assert.equal(utm.supportedCRS, 'http://www.opengis.net/def/crs/EPSG/0/32639');
  // The 1.0 encoding's box is the whole matrix set: one tile wide and two high at level 1.
  assert.deepEqual((utm.boundingBox as { upperCorner: number[] }).upperCorner.map((v) => Number(v.toFixed(3))), [10501965.729, 20003931.459]);
});
