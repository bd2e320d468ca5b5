// The FeatureCollection scanner cuts the same features whatever the chunk boundaries and however tricky the strings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FeatureArrayScanner } from '../../src/sources/featureArrayScanner.js';

const features = [
  { type: 'Feature', properties: { note: 'braces } { and ] [ inside', quote: 'say \\"hi\\" \\\\', features: [1, 2] }, geometry: { type: 'Point', coordinates: [1, 2] } },
  { type: 'Feature', properties: { name: 'Naxçıvan — ünvan 😀', nested: { features: [{ a: '}' }] } }, geometry: null },
  { type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: [[1, 2], [3, 4]] } },
];
const document = JSON.stringify({ type: 'FeatureCollection', bbox: [1, 2, 3, 4], crs: { type: 'name', properties: { name: 'EPSG:3857' } }, features, extra: { features: [] } }, null, 1);

test('features are cut out identically for every chunk size, and the members before them are read', () => {
  const bytes = Buffer.from(document);
  for (const size of [1, 2, 3, 7, 64, bytes.length]) {
    const scanner = new FeatureArrayScanner();
    const cut: unknown[] = [];
    for (let offset = 0; offset < bytes.length; offset += size) {
      scanner.push(bytes.subarray(offset, offset + size), (feature) => cut.push(JSON.parse(feature.toString('utf8'))));
    }
    assert.deepEqual(cut, features, `chunk size ${size}`);
    assert.deepEqual(scanner.header, { type: 'FeatureCollection', bbox: [1, 2, 3, 4], crs: { type: 'name', properties: { name: 'EPSG:3857' } } });
    assert.equal(scanner.arrayClosed, true);
    assert.equal(scanner.insideFeature, false);
    assert.equal(scanner.featuresStarted, 3);
  }
});
