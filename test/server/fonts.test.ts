// Glyph ranges from a real server: script coverage, font-by-font fallback in a stack, empty ranges and bad requests.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeGlyphs } from '../../src/server/glyphs/glyphPbf.js';
import { readGlyphsWithSchema, type ReferenceFontstack as GlyphRange } from '../support/glyphsReference.js';
import { join } from 'node:path';
import { startMekan, type RunningMekan } from '../support/basemapFixture.js';
import { writeVectorArchive } from './core/fixtures.js';
import { makeTempDir } from '../support/tempDir.js';

const REGULAR = 'Noto Sans Regular';
const GEORGIAN = 'Noto Sans Georgian Regular';

let server: RunningMekan;
before(async () => {
  // Fonts do not depend on tilesets; a small archive named basemap lets the bundled styles (and their sprites) be served.
  const dir = makeTempDir('mekan-fonts-');
  writeVectorArchive(join(dir, 'basemap.mbtiles'), { maxzoom: 1 });
  server = await startMekan([dir]);
});
after(() => server?.close());

async function glyphs(fontstack: string, start: number): Promise<GlyphRange> {
  const response = await fetch(`${server.url}/fonts/${fontstack.split(',').map(encodeURIComponent).join(',')}/${start}-${start + 255}.pbf`);
  assert.equal(response.status, 200, `${fontstack} ${start}`);
  assert.equal(response.headers.get('content-type'), 'application/x-protobuf');
  const bytes = new Uint8Array(await response.arrayBuffer());
  // Read by the schema compiled from fontnik's glyphs.proto (not our decoder): one stack, as MapLibre expects.
  const stacks = readGlyphsWithSchema(bytes);
  assert.equal(stacks.length, 1, `${fontstack} ${start}: ${stacks.length} stacks`);
  // And our own decoder, which the server's fallback merging relies on, reads the same glyphs.
  assert.deepEqual(
    decodeGlyphs(bytes).glyphs.map((g) => [g.id, g.advance, g.bitmap?.length ?? 0]),
    stacks[0].glyphs.map((g) => [g.id, g.advance, g.bitmap?.length ?? 0]),
  );
  return stacks[0];
}

/** Asserts that every character of `text` has a drawn glyph in `fontstack`. */
async function assertCovers(fontstack: string, text: string): Promise<void> {
  const ranges = new Map<number, GlyphRange>();
  for (const char of text) {
    if (char === ' ') continue;
    const code = char.codePointAt(0)!;
    const start = code - (code % 256);
    if (!ranges.has(start)) ranges.set(start, await glyphs(fontstack, start));
    const glyph = ranges.get(start)!.glyphs.find((g) => g.id === code);
    assert.ok(glyph, `${fontstack} has U+${code.toString(16).toUpperCase().padStart(4, '0')} ${char}`);
    assert.ok(glyph.bitmap && glyph.bitmap.length > 0 && glyph.width > 0 && glyph.advance > 0, `${char} is drawn`);
    // The signed distance field has a 3-pixel border on every side, and the metrics are those of a 24 px face.
    assert.equal(glyph.bitmap.length, (glyph.width + 6) * (glyph.height + 6), `${char}: bitmap size and metrics agree`);
    assert.ok(Math.abs(glyph.left) <= 24 && glyph.top < 0 && glyph.top > -48, `${char}: left ${glyph.left}, top ${glyph.top}`);
  }
}

test('Noto Sans regular, bold and italic cover Azerbaijani Latin, basic Latin and Cyrillic', async () => {
  const azerbaijani = 'əğışçöüƏĞİŞÇÖÜ Azərbaycan Respublikası Bakı Gəncə Şəki Naxçıvan';
  const latin = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.,-()';
  const cyrillic = 'АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюя ҚқҢңҒғӨөҰұ';
  for (const font of ['Noto Sans Regular', 'Noto Sans Bold', 'Noto Sans Italic']) {
    await assertCovers(font, azerbaijani + latin + cyrillic);
  }
  const range = await glyphs(REGULAR, 512);
  assert.equal(range.name, REGULAR);
  assert.equal(range.range, '512-767');
});

test('a stack takes each glyph from the first font that has it: Georgian names through the Noto Sans stack', async () => {
  // Noto Sans has no Georgian; the stack falls back to the Georgian face.
  assert.equal((await glyphs(REGULAR, 4096)).glyphs.length, 0);
  await assertCovers(`${REGULAR},${GEORGIAN}`, 'თბილისი ქუთაისი Tbilisi Баку');
  await assertCovers(`${REGULAR},${GEORGIAN},Noto Sans Armenian Regular`, 'Երևան Գյումրի');

  // Where both fonts have a code point, the first font in the stack wins: bold and regular share every
  // Latin code point with different shapes, so each order must give the first font's glyphs.
  const BOLD = 'Noto Sans Bold';
  const regular = await glyphs(REGULAR, 0);
  const bold = await glyphs(BOLD, 0);
  const forward = await glyphs(`${BOLD},${REGULAR}`, 0);
  const backward = await glyphs(`${REGULAR},${BOLD}`, 0);
  assert.equal(forward.name, `${BOLD},${REGULAR}`);
  const a = (range: GlyphRange) => range.glyphs.find((g) => g.id === 65);
  assert.notDeepEqual(a(regular), a(bold), 'bold and regular A differ');
  assert.deepEqual(forward.glyphs, [...bold.glyphs].sort((x, y) => x.id - y.id));
  assert.deepEqual(backward.glyphs, [...regular.glyphs].sort((x, y) => x.id - y.id));

  // The union: nothing either font has is lost.
  const georgian = await glyphs(GEORGIAN, 0);
  const union = new Set([...regular.glyphs, ...georgian.glyphs].map((g) => g.id));
  assert.equal((await glyphs(`${GEORGIAN},${REGULAR}`, 0)).glyphs.length, union.size);
});

test('a range no font covers is a valid empty range; malformed ranges are 400 and unknown fonts 404, never 500', async () => {
  const empty = await glyphs(`${REGULAR},${GEORGIAN}`, 57344);
  assert.deepEqual([empty.range, empty.glyphs.length], ['57344-57599', 0]);
  assert.equal(empty.name, `${REGULAR},${GEORGIAN}`);

  const font = encodeURIComponent(REGULAR);
  const cases: [string, number][] = [
    [`/fonts/${font}/1-256.pbf`, 400],
    [`/fonts/${font}/0-256.pbf`, 400],
    [`/fonts/${font}/256-255.pbf`, 400],
    [`/fonts/${font}/65536-65791.pbf`, 400],
    [`/fonts/${font}/999999999-1000000254.pbf`, 400],
    [`/fonts/${font}/a-b.pbf`, 400],
    [`/fonts/${font}/0-255.png`, 400],
    [`/fonts/Comic%20Sans/0-255.pbf`, 404],
    [`/fonts/${font},Comic%20Sans/0-255.pbf`, 404],
    [`/fonts/..%2F..%2F..%2Fpackage.json/0-255.pbf`, 404],
    [`/fonts/${font}%2F..%2F..%2Fsprites/0-255.pbf`, 404],
    [`/fonts/%E0%A4%A/0-255.pbf`, 400],
  ];
  for (const [path, status] of cases) {
    const response = await fetch(`${server.url}${path}`);
    assert.ok(response.status < 500, `${path} → ${response.status}`);
    if (path.includes('%E0%A4%A')) assert.ok(response.status >= 400, path);
    else assert.equal(response.status, status, path);
  }
});

test('glyph ranges, sprites and styles carry a strong ETag and answer If-None-Match with 304', async () => {
  for (const path of [`/fonts/${encodeURIComponent(REGULAR)},${encodeURIComponent(GEORGIAN)}/4096-4351.pbf`, '/styles/standard/sprite@2x.png', '/styles/dark/style.json?lang=ru']) {
    const first = await fetch(`${server.url}${path}`);
    assert.equal(first.status, 200, path);
    const etag = first.headers.get('etag');
    assert.match(etag ?? '', /^"[^"]+"$/);
    const again = await fetch(`${server.url}${path}`, { headers: { 'If-None-Match': etag! } });
    assert.equal(again.status, 304, path);
    assert.equal((await again.arrayBuffer()).byteLength, 0);
    const changed = await fetch(`${server.url}${path}`, { headers: { 'If-None-Match': '"something-else"' } });
    assert.equal(changed.status, 200);
  }
});
