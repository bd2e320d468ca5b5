// Glyph codec, range parsing, LRU, style resolution and the committed templates, without a server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeGlyphs, encodeGlyphs } from '../../src/server/glyphs/glyphPbf.js';
import { FontLibrary, parseGlyphRange } from '../../src/server/glyphs/fontLibrary.js';
import { LruCache } from '../../src/server/glyphs/lruCache.js';
import { localizeLabels, parseLanguage } from '../../src/server/styles/languages.js';
import { resolveStyle, templateTilesets, type StyleTemplate } from '../../src/server/styles/resolveStyle.js';
import { isInputError } from '../../src/errors.js';
import { ROOT } from '../support/basemapFixture.js';
import { PALETTES, styleTemplateText } from '../../scripts/build-styles.js';

test('a fontnik range decodes and re-encodes to the same glyphs', () => {
  const bytes = readFileSync(join(ROOT, 'styles', 'fonts', 'Noto Sans Regular', '0-255.pbf'));
  const range = decodeGlyphs(new Uint8Array(bytes));
  assert.equal(range.name, 'Noto Sans Regular');
  assert.equal(range.range, '0-255');
  const a = range.glyphs.find((glyph) => glyph.id === 65)!;
  assert.ok(a.bitmap!.length === (a.width + 6) * (a.height + 6), 'SDF bitmap with a 3 px border');
  const again = decodeGlyphs(encodeGlyphs(range));
  assert.deepEqual(again, { ...range, glyphs: [...range.glyphs].sort((x, y) => x.id - y.id) });
});

test('glyph ranges must be aligned 256-code-point blocks of the BMP', () => {
  assert.deepEqual(parseGlyphRange('0-255.pbf'), { start: 0, end: 255 });
  assert.deepEqual(parseGlyphRange('65280-65535.pbf'), { start: 65280, end: 65535 });
  for (const bad of ['1-256.pbf', '0-254.pbf', '65536-65791.pbf', '-0-255.pbf', '0-255', '0x0-255.pbf']) {
    assert.throws(() => parseGlyphRange(bad), (error) => isInputError(error) && error.status === 400, bad);
  }
  const library = new FontLibrary(join(ROOT, 'styles', 'fonts'));
  assert.ok(library.names().includes('Noto Sans Bold'));
  assert.throws(() => library.glyphs('Noto Sans Regular,../fonts', 0), (error) => isInputError(error) && error.status === 404);
});

test('the LRU keeps the most recently used entries', () => {
  const cache = new LruCache<string, number>(2);
  cache.set('a', 1);
  cache.set('b', 2);
  assert.equal(cache.get('a'), 1);
  cache.set('c', 3);
  assert.equal(cache.get('b'), undefined);
  assert.deepEqual([cache.get('a'), cache.get('c'), cache.size], [1, 3, 2]);
});

test('style templates resolve mekan:// URLs without changing the template; languages are checked', () => {
  const template = JSON.parse(readFileSync(join(ROOT, 'styles', 'imagery.json'), 'utf8')) as StyleTemplate;
  const before = JSON.stringify(template);
  const style = resolveStyle(template, 'https://maps.example.az', 'ru');
  assert.equal(JSON.stringify(template), before);
  assert.equal(style.sources.basemap.url, 'https://maps.example.az/tiles/basemap.json');
  assert.deepEqual(templateTilesets(template), ['basemap', 'imagery']);
  assert.equal(parseLanguage(undefined), undefined);
  assert.equal(parseLanguage('az'), 'az');
  assert.throws(() => parseLanguage('fr'), (error) => isInputError(error) && error.status === 400);
  const layers = localizeLabels([{ layout: { 'text-field': '{name}' } }, { layout: { 'line-cap': 'round' } }], 'en');
  assert.deepEqual(layers[0].layout['text-field'], ['coalesce', ['get', 'name:en'], ['get', 'name']]);
  assert.equal('text-field' in layers[1].layout, false);
});

test('the committed style templates are what scripts/build-styles.ts makes', () => {
  for (const variant of Object.keys(PALETTES)) {
    assert.equal(readFileSync(join(ROOT, 'styles', `${variant}.json`), 'utf8'), styleTemplateText(variant), `styles/${variant}.json is up to date`);
  }
});
