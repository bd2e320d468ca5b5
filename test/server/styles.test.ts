// The served styles: valid for MapLibre in every variant and language, URLs resolved, labels localised, sprites sound.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { validateStyleMin, type StyleSpecification } from '@maplibre/maplibre-gl-style-spec';
import sharp from 'sharp';
import { LANGUAGES } from '../../src/server/styles/languages.js';
import { buildBasemap, buildImagery, startMekan, type RunningMekan } from '../support/basemapFixture.js';
import { makeTempDir } from '../support/tempDir.js';

const VARIANTS = ['standard', 'grey', 'dark', 'imagery'];

interface Layer {
  id: string;
  type: string;
  layout?: Record<string, unknown>;
}
interface Style {
  sources: Record<string, { url: string }>;
  sprite: string;
  glyphs: string;
  layers: Layer[];
}
interface CatalogStyle {
  id: string;
  url: string;
  languages: Record<string, string>;
  tilesets: string[];
  available: boolean;
}

const dir = makeTempDir('mekan-styles-');
let server: RunningMekan;

before(async () => {
  await Promise.all([buildBasemap(dir), buildImagery(dir)]);
  server = await startMekan([dir]);
});
after(() => server?.close());

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  assert.equal(response.status, 200, url);
  return (await response.json()) as T;
}

/** The string outputs of a layout value: a literal, or the non-operator strings of an expression (not `get` keys). */
function outputs(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) return [];
  if (value[0] === 'get') return [];
  if (value[0] === 'literal') return Array.isArray(value[1]) ? [value[1].join(',')] : outputs(value[1]);
  return value.slice(1).flatMap(outputs);
}

/** Font stacks of a text-font value: an array of names, or an expression choosing among literal arrays. */
function fontStacks(value: unknown): string[] {
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return [value.join(',')];
  return outputs(value);
}

test('/catalog.json lists the four variants with style URLs per language and the tilesets they use', async () => {
  const catalog = await getJson<{ styles: CatalogStyle[] }>(`${server.url}/catalog.json`);
  const styles = new Map(catalog.styles.map((style) => [style.id, style]));
  for (const variant of VARIANTS) {
    const entry = styles.get(variant);
    assert.ok(entry, `${variant} listed`);
    assert.equal(entry.url, `${server.url}/styles/${variant}/style.json`);
    assert.equal(entry.languages.ru, `${entry.url}?lang=ru`);
    assert.equal(entry.available, true);
  }
  assert.deepEqual(styles.get('imagery')!.tilesets, ['basemap', 'imagery']);
  assert.deepEqual(styles.get('standard')!.tilesets, ['basemap']);
});

test('every variant in every language is a valid MapLibre style with absolute URLs that answer', async () => {
  for (const variant of VARIANTS) {
    for (const language of [undefined, ...LANGUAGES]) {
      const url = `${server.url}/styles/${variant}/style.json${language ? `?lang=${language}` : ''}`;
      const style = await getJson<Style>(url);
      assert.deepEqual(validateStyleMin(style as unknown as StyleSpecification), [], `${url} validates`);
      assert.equal(style.sprite, `${server.url}/styles/${variant}/sprite`);
      assert.equal(style.glyphs, `${server.url}/fonts/{fontstack}/{range}.pbf`);
      assert.ok(!JSON.stringify(style).includes('mekan://'), 'no template URL left');
      for (const source of Object.values(style.sources)) {
        assert.ok(source.url.startsWith(`${server.url}/tiles/`), source.url);
        if (!language) assert.equal((await fetch(source.url)).status, 200, source.url);
      }
    }
  }
});

test('?lang rewrites every label layer to that language with the local name as fallback', async () => {
  const local = await getJson<Style>(`${server.url}/styles/standard/style.json`);
  const labelIds = local.layers.filter((layer) => layer.layout?.['text-field']).map((layer) => layer.id);
  assert.ok(labelIds.length >= 5, 'places, water names and rivers are labelled');
  for (const layer of local.layers) if (layer.layout?.['text-field']) assert.deepEqual(layer.layout['text-field'], ['get', 'name']);
  for (const language of LANGUAGES) {
    const style = await getJson<Style>(`${server.url}/styles/dark/style.json?lang=${language}`);
    const labels = style.layers.filter((layer) => layer.layout?.['text-field']);
    assert.deepEqual(labels.map((layer) => layer.id), labelIds);
    for (const layer of labels) assert.deepEqual(layer.layout!['text-field'], ['coalesce', ['get', `name:${language}`], ['get', 'name']]);
  }
});

test('unknown language → 400, unknown style → 404, and a public URL is what every link carries', async () => {
  const badLanguage = await fetch(`${server.url}/styles/standard/style.json?lang=de`);
  assert.equal(badLanguage.status, 400);
  assert.match(((await badLanguage.json()) as { error: string }).error, /az, en, ru/);
  for (const path of ['/styles/nope/style.json', '/styles/nope/sprite.png', '/styles/standard/sprite@3x.png', '/styles/standard/..%2Fstandard.json', '/styles/..%2F..%2Fpackage/style.json']) {
    assert.equal((await fetch(`${server.url}${path}`)).status, 404, path);
  }
  const proxied = await startMekan([dir], 'https://maps.example.az/tiles');
  try {
    const style = await getJson<Style>(`${proxied.url}/styles/imagery/style.json?lang=az`);
    assert.equal(style.sources.imagery.url, 'https://maps.example.az/tiles/tiles/imagery.json');
    assert.equal(style.sprite, 'https://maps.example.az/tiles/styles/imagery/sprite');
  } finally {
    await proxied.close();
  }
});

test('sprites: every entry lies inside its sheet and draws something; the icons and fonts the styles use exist', async () => {
  for (const variant of VARIANTS) {
    const style = await getJson<Style>(`${server.url}/styles/${variant}/style.json`);
    for (const [suffix, ratio] of [['', 1], ['@2x', 2]] as const) {
      const index = await getJson<Record<string, { x: number; y: number; width: number; height: number; pixelRatio: number }>>(`${style.sprite}${suffix}.json`);
      const png = await fetch(`${style.sprite}${suffix}.png`);
      assert.equal(png.status, 200);
      assert.equal(png.headers.get('content-type'), 'image/png');
      const sheet = sharp(Buffer.from(await png.arrayBuffer()));
      const { width, height } = await sheet.metadata();
      for (const [icon, entry] of Object.entries(index)) {
        assert.equal(entry.pixelRatio, ratio, `${variant}${suffix} ${icon}`);
        assert.ok(entry.x >= 0 && entry.y >= 0 && entry.x + entry.width <= width! && entry.y + entry.height <= height!, `${icon} inside ${width}x${height}`);
        const stats = await sheet.clone().extract({ left: entry.x, top: entry.y, width: entry.width, height: entry.height }).stats();
        assert.ok(stats.channels[3].max > 0, `${variant}${suffix} ${icon} is not blank`);
      }
      for (const layer of style.layers) {
        for (const icon of outputs(layer.layout?.['icon-image'])) assert.ok(index[icon], `${variant} layer ${layer.id} uses icon ${icon}, which is in the sprite`);
      }
    }
    for (const layer of style.layers) {
      for (const stack of fontStacks(layer.layout?.['text-font'])) {
        const glyphs = await fetch(`${server.url}/fonts/${encodeURIComponent(stack)}/0-255.pbf`);
        assert.equal(glyphs.status, 200, `${variant} layer ${layer.id} font stack ${stack}`);
      }
    }
  }
});
