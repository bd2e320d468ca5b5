import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serverOptionsFrom } from '../../src/config/serverOptions.js';
import { defaultModules } from '../../src/server/modules.js';
import { createStylesModule } from '../../src/server/routes/styles.js';
import { makeTempDir } from '../support/tempDir.js';
import { get, startServer, writeRasterArchive, writeVectorArchive, type RawResponse, type TestServer } from '../server/core/fixtures.js';

const dir = makeTempDir('mekan-access-');
const TOKEN = 'k3y-for-the-ortho-imagery-0001';
const OTHER_TOKEN = 'a-second-valid-token-for-ortho';

async function privateServer(): Promise<TestServer> {
  const tiles = join(dir, 'tiles');
  mkdirSync(tiles, { recursive: true });
  writeVectorArchive(join(tiles, 'basemap.mbtiles'), { maxzoom: 4 });
  await writeRasterArchive(join(tiles, 'ortho.mbtiles'), 'png', 4, 5);
  const styles = join(dir, 'styles');
  mkdirSync(styles, { recursive: true });
  const style = (source: string, type: string) => ({ version: 8, name: source, sources: { main: { type, url: `mekan://tiles/${source}.json` } }, layers: [{ id: 'main', type: type === 'raster' ? 'raster' : 'background', source: 'main' }] });
  writeFileSync(join(styles, 'public.json'), JSON.stringify(style('basemap', 'vector')));
  writeFileSync(join(styles, 'orthophoto.json'), JSON.stringify(style('ortho', 'raster')));
  const modules = defaultModules.map((module) => (module.name === 'styles' ? createStylesModule(styles) : module));
  return startServer([tiles], {
    modules,
    config: { tilesets: { ortho: { private: true, tokens: [TOKEN], tokensEnv: 'MEKAN_TEST_ORTHO_TOKENS' } } },
  });
}

/** The same answer as for an unknown name: status and body, once the name itself is swapped. */
function assertSameAs(hidden: RawResponse, unknown: RawResponse, hiddenName: string, unknownName: string) {
  assert.equal(hidden.status, unknown.status);
  assert.equal(hidden.body.toString().replaceAll(hiddenName, 'X'), unknown.body.toString().replaceAll(unknownName, 'X'));
  assert.equal(hidden.headers['content-type'], unknown.headers['content-type']);
}

test('a private tileset: without its token every route answers as for an unknown one, and lists omit it', async () => {
  process.env.MEKAN_TEST_ORTHO_TOKENS = OTHER_TOKEN;
  const server = await privateServer();
  try {
    for (const credentials of [{}, { authorization: 'Bearer not-the-right-token-at-all' }] as Record<string, string>[]) {
      const pairs: [string, string][] = [
        ['/tiles/ortho/4/10/6.png', '/tiles/nosuch/4/10/6.png'],
        ['/tiles/ortho/9/0/0.png', '/tiles/nosuch/9/0/0.png'],
        ['/tiles/ortho.json', '/tiles/nosuch.json'],
        ['/ogc/collections/ortho', '/ogc/collections/nosuch'],
        ['/ogc/collections/ortho/map/tiles/WebMercatorQuad', '/ogc/collections/nosuch/map/tiles/WebMercatorQuad'],
        ['/ogc/collections/ortho/map/tiles/WebMercatorQuad/4/6/10', '/ogc/collections/nosuch/map/tiles/WebMercatorQuad/4/6/10'],
        ['/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=ortho&STYLE=default&TILEMATRIXSET=WebMercatorQuad&TILEMATRIX=4&TILEROW=6&TILECOL=10&FORMAT=image/png',
          '/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=nosuch&STYLE=default&TILEMATRIXSET=WebMercatorQuad&TILEMATRIX=4&TILEROW=6&TILECOL=10&FORMAT=image/png'],
        ['/styles/orthophoto/style.json', '/styles/nosuch/style.json'],
        ['/styles/orthophoto/sprite.json', '/styles/nosuch/sprite.json'],
      ];
      for (const [hiddenPath, unknownPath] of pairs) {
        const hidden = await get(server.url, hiddenPath, credentials);
        const unknown = await get(server.url, unknownPath, credentials);
        assert.ok(hidden.status >= 400 && hidden.status < 500, `${hiddenPath}: ${hidden.status}`);
        assert.ok(hidden.status !== 401 && hidden.status !== 403, hiddenPath);
        const hiddenName = hiddenPath.includes('orthophoto') ? 'orthophoto' : 'ortho';
        assertSameAs(hidden, unknown, hiddenName, 'nosuch');
      }
      for (const listing of ['/catalog.json', '/wmts/1.0.0/WMTSCapabilities.xml', '/ogc/collections', '/metrics']) {
        const answer = await get(server.url, listing, credentials);
        assert.equal(answer.status, 200, listing);
        assert.doesNotMatch(answer.body.toString(), /ortho/, listing);
      }
      const catalog = (await get(server.url, '/catalog.json', credentials)).json<{ tilesets: { id: string }[]; styles: { id: string }[] }>();
      assert.deepEqual(catalog.tilesets.map((t) => t.id), ['basemap']);
      assert.deepEqual(catalog.styles.map((s) => s.id), ['public']);
    }
    // Public tilesets stay open and publicly cacheable.
    const open = await get(server.url, '/tiles/basemap/0/0/0.pbf');
    assert.equal(open.status, 200);
    assert.match(String(open.headers['cache-control']), /^public/);
    assert.equal((await get(server.url, '/styles/public/style.json')).status, 200);
  } finally {
    await server.close();
    delete process.env.MEKAN_TEST_ORTHO_TOKENS;
  }
});

test('a private tileset with its token (header, ?token= or ?access_token=, from the file or the environment): served, privately cached, links carry the token', async () => {
  process.env.MEKAN_TEST_ORTHO_TOKENS = OTHER_TOKEN;
  const server = await privateServer();
  try {
    const ways: [string, Record<string, string>][] = [
      ['', { authorization: `Bearer ${TOKEN}` }],
      [`?token=${TOKEN}`, {}],
      [`?access_token=${TOKEN}`, {}],
      [`?token=${OTHER_TOKEN}`, {}],
    ];
    for (const [query, headers] of ways) {
      const tile = await get(server.url, `/tiles/ortho/4/10/6.png${query}`, headers);
      assert.equal(tile.status, 200, query);
      assert.equal(tile.headers['content-type'], 'image/png');
      assert.match(String(tile.headers['cache-control']), /^private\b/);
      assert.doesNotMatch(String(tile.headers['cache-control']), /public/);
      assert.match(String(tile.headers.vary), /Authorization/);

      const tileJson = await get(server.url, `/tiles/ortho.json${query}`, headers);
      assert.equal(tileJson.status, 200);
      assert.match(String(tileJson.headers['cache-control']), /^private\b/);
      assert.match(String(tileJson.headers.vary), /Authorization/);
      const template = tileJson.json<{ tiles: string[] }>().tiles[0];
      // A client that only has the TileJSON follows its links and is let in.
      assert.match(template, /\?token=/);
      const followed = await get(server.url, new URL(template.replace('{z}', '5').replace('{x}', '20').replace('{y}', '12')).pathname + new URL(template).search);
      assert.equal(followed.status, 200);

      const catalog = (await get(server.url, `/catalog.json${query}`, headers)).json<{ tilesets: { id: string; tiles: string }[]; styles: { id: string; url: string; languages: Record<string, string> }[] }>();
      assert.deepEqual(catalog.tilesets.map((t) => t.id), ['basemap', 'ortho']);
      assert.deepEqual(catalog.styles.map((s) => s.id).sort(), ['orthophoto', 'public']);
      // The style that draws the private tileset links with the token (and is let in); the public one does not.
      const orthoStyle = catalog.styles.find((s) => s.id === 'orthophoto');
      assert.match(String(orthoStyle?.url), /style\.json\?token=/);
      assert.match(String(orthoStyle?.languages.az), /style\.json\?lang=az&token=/);
      const styleUrl = new URL(String(orthoStyle?.url));
      assert.equal((await get(server.url, styleUrl.pathname + styleUrl.search)).status, 200);
      assert.doesNotMatch(String(catalog.styles.find((s) => s.id === 'public')?.url), /token/);
      const style = await get(server.url, `/styles/orthophoto/style.json${query}`, headers);
      assert.equal(style.status, 200);
      assert.match(String(style.headers['cache-control']), /^private\b/);
      assert.match(style.json<{ sources: { main: { url: string } } }>().sources.main.url, /\/tiles\/ortho\.json\?token=/);

      for (const path of ['/ogc/collections/ortho', '/ogc/collections/ortho/map/tiles/WebMercatorQuad/4/6/10', '/wmts/1.0.0/WMTSCapabilities.xml']) {
        const answer = await get(server.url, path + query, headers);
        assert.equal(answer.status, 200, path);
        assert.match(answer.body.toString('latin1'), /ortho|PNG/, path);
      }
      // OGC API links to the private collection's resources carry the token; a client following them is let in.
      const metadata = (await get(server.url, `/ogc/collections/ortho/map/tiles/WebMercatorQuad${query}`, headers)).json<{ links: { rel: string; href: string }[] }>();
      const item = metadata.links.find((link) => link.rel === 'item')?.href ?? '';
      assert.match(item, /\{tileMatrix\}\/\{tileRow\}\/\{tileCol\}\?token=/);
      const itemUrl = new URL(item.replace('{tileMatrix}', '4').replace('{tileRow}', '6').replace('{tileCol}', '10'));
      assert.equal((await get(server.url, itemUrl.pathname + itemUrl.search)).status, 200);
      const listed = (await get(server.url, `/ogc/collections${query}`, headers)).json<{ collections: { id: string; links: { rel: string; href: string }[] }[] }>();
      const ortho = listed.collections.find((c) => c.id === 'ortho');
      assert.ok(ortho?.links.every((link) => /[?&]token=/.test(link.href)), JSON.stringify(ortho?.links));
      const basemap = listed.collections.find((c) => c.id === 'basemap');
      assert.ok(basemap?.links.every((link) => !/token=/.test(link.href)), 'a public collection does not leak the token');
      const capabilities = (await get(server.url, `/wmts/1.0.0/WMTSCapabilities.xml${query}`, headers)).body.toString();
      assert.match(capabilities, /template="[^"]*\/tiles\/ortho\/\{TileMatrix\}\/\{TileCol\}\/\{TileRow\}\.png\?token=/);
      const wmtsTile = await get(server.url, `/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=ortho&STYLE=default&TILEMATRIXSET=WebMercatorQuad&TILEMATRIX=4&TILEROW=6&TILECOL=10&FORMAT=image/png${query.replace('?', '&')}`, headers);
      assert.equal(wmtsTile.status, 200);
      assert.equal(wmtsTile.headers['content-type'], 'image/png');
    }
    // Answers that showed nothing private are not marked private.
    const publicCatalog = await get(server.url, '/catalog.json');
    assert.doesNotMatch(String(publicCatalog.headers['cache-control']), /private/);
    assert.match(String(publicCatalog.headers.vary), /Authorization/);
  } finally {
    await server.close();
    delete process.env.MEKAN_TEST_ORTHO_TOKENS;
  }
});

test('configuration: a private tileset needs at least one token of 16+ characters; tokens may come from an environment variable', () => {
  assert.throws(() => serverOptionsFrom({}, { tilesets: { ortho: { private: true } } }, {}), /tilesets\.ortho: private but without tokens/);
  assert.throws(() => serverOptionsFrom({}, { tilesets: { ortho: { private: true, tokensEnv: 'ORTHO_TOKENS' } } }, {}), /ORTHO_TOKENS is empty or unset/);
  assert.throws(() => serverOptionsFrom({}, { tilesets: { ortho: { private: true, tokensEnv: 'ORTHO_TOKENS' } } }, { ORTHO_TOKENS: 'short' }), /at least 16/);
  const options = serverOptionsFrom({}, { tilesets: { ortho: { private: true, tokensEnv: 'ORTHO_TOKENS' } } }, { ORTHO_TOKENS: `${TOKEN}, ${OTHER_TOKEN}` });
  assert.deepEqual(options.tilesets.ortho.tokens, [TOKEN, OTHER_TOKEN]);
});
