import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { copyFileSync, mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { serverOptionsFrom } from '../../src/config/serverOptions.js';
import { STYLES_DIR } from '../../src/server/assets.js';
import { defaultModules } from '../../src/server/modules.js';
import { createStylesModule } from '../../src/server/routes/styles.js';
import { makeTempDir } from '../support/tempDir.js';
import { spawnServe } from '../support/mekanProcess.js';
import { BOUNDS, captureLogger, get, startServer, writeRasterArchive, writeVectorArchive, type RawResponse, type TestServer } from '../server/core/fixtures.js';

const dir = makeTempDir('mekan-access-');
const TOKEN = 'k3y-for-the-ortho-imagery-0001';
const OTHER_TOKEN = 'a-second-valid-token-for-ortho';

/** The server of these tests; `withOrtho: false` leaves the private archive out (what a hidden tileset must look like). */
async function privateServer(settings: { withOrtho?: boolean; logger?: Logger } = {}): Promise<TestServer> {
  const tiles = join(dir, settings.withOrtho === false ? 'tiles-without-ortho' : 'tiles');
  mkdirSync(tiles, { recursive: true });
  writeVectorArchive(join(tiles, 'basemap.mbtiles'), { maxzoom: 4 });
  if (settings.withOrtho !== false) await writeRasterArchive(join(tiles, 'ortho.mbtiles'), 'png', 4, 5);
  const styles = join(dir, 'styles');
  mkdirSync(styles, { recursive: true });
  const style = (source: string, type: string) => ({ version: 8, name: source, sources: { main: { type, url: `mekan://tiles/${source}.json` } }, layers: [{ id: 'main', type: type === 'raster' ? 'raster' : 'background', source: 'main' }] });
  writeFileSync(join(styles, 'public.json'), JSON.stringify(style('basemap', 'vector')));
  writeFileSync(join(styles, 'orthophoto.json'), JSON.stringify({ ...style('ortho', 'raster'), sprite: 'mekan://styles/orthophoto/sprite' }));
  mkdirSync(join(styles, 'sprites', 'orthophoto'), { recursive: true });
  copyFileSync(join(STYLES_DIR, 'sprites', 'standard', 'sprite.json'), join(styles, 'sprites', 'orthophoto', 'sprite.json'));
  const modules = defaultModules.map((module) => (module.name === 'styles' ? createStylesModule(styles) : module));
  return startServer([tiles], {
    modules,
    logger: settings.logger,
    // Request lines on when a test reads the log.
    flags: { quiet: settings.logger === undefined },
    config: { tilesets: { ortho: { private: true, tokens: [TOKEN], tokensEnv: 'MEKAN_TEST_ORTHO_TOKENS' } } },
  });
}

/** The same answer as for an unknown name: status and body, once the name itself is swapped. */
function assertSameAs(hidden: RawResponse, unknown: RawResponse, hiddenName: string, unknownName: string) {
  assert.equal(hidden.status, unknown.status);
  assert.equal(hidden.body.toString().replaceAll(hiddenName, 'X'), unknown.body.toString().replaceAll(unknownName, 'X'));
  assert.equal(hidden.headers['content-type'], unknown.headers['content-type']);
}

/** An answer with the server's own base URL swapped for a placeholder, so that two servers' answers compare. */
function withoutBase(answer: RawResponse, url: string): string {
  return answer.body.toString().replaceAll(url, 'BASE');
}

test('a private tileset: without its token every route answers as for an unknown one, lists and metrics omit it, its styles answer as when it is absent', async () => {
  process.env.MEKAN_TEST_ORTHO_TOKENS = OTHER_TOKEN;
  const server = await privateServer();
  const absent = await privateServer({ withOrtho: false });
  try {
    // Token holders fetch tiles first: what their traffic leaves behind (metrics) must not show to others either.
    assert.equal((await get(server.url, '/tiles/ortho/4/10/6.png', { authorization: `Bearer ${TOKEN}` })).status, 200);
    assert.equal((await get(server.url, `/tiles/ortho/5/20/12.png?token=${TOKEN}`)).status, 200);
    for (const credentials of [{}, { authorization: 'Bearer not-the-right-token-at-all' }] as Record<string, string>[]) {
      const pairs: [string, string][] = [
        ['/tiles/ortho/4/10/6.png', '/tiles/nosuch/4/10/6.png'],
        ['/tiles/ortho/9/0/0.png', '/tiles/nosuch/9/0/0.png'],
        ['/tiles/ortho.json', '/tiles/nosuch.json'],
        ['/ogc/collections/ortho', '/ogc/collections/nosuch'],
        ['/ogc/collections/ortho/map/tiles/WebMercatorQuad', '/ogc/collections/nosuch/map/tiles/WebMercatorQuad'],
        ['/ogc/collections/ortho/map/tiles/WebMercatorQuad/4/6/10', '/ogc/collections/nosuch/map/tiles/WebMercatorQuad/4/6/10'],
        ['/wmts/1.0.0/ortho/default/WebMercatorQuad/4/6/10.png', '/wmts/1.0.0/nosuch/default/WebMercatorQuad/4/6/10.png'],
        ['/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=ortho&STYLE=default&TILEMATRIXSET=WebMercatorQuad&TILEMATRIX=4&TILEROW=6&TILECOL=10&FORMAT=image/png',
          '/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=nosuch&STYLE=default&TILEMATRIXSET=WebMercatorQuad&TILEMATRIX=4&TILEROW=6&TILECOL=10&FORMAT=image/png'],
      ];
      for (const [hiddenPath, unknownPath] of pairs) {
        const hidden = await get(server.url, hiddenPath, credentials);
        const unknown = await get(server.url, unknownPath, credentials);
        assert.ok(hidden.status >= 400 && hidden.status < 500, `${hiddenPath}: ${hidden.status}`);
        assert.ok(hidden.status !== 401 && hidden.status !== 403, hiddenPath);
        assertSameAs(hidden, unknown, 'ortho', 'nosuch');
      }
      // The styles are bundled and documented: one over the hidden tileset answers exactly as when the archive is not there.
      for (const path of ['/styles/orthophoto/style.json', '/styles/orthophoto/style.json?lang=az', '/styles/orthophoto/sprite.json', '/styles/orthophoto/sprite.png']) {
        const hidden = await get(server.url, path, credentials);
        const missing = await get(absent.url, path, credentials);
        assert.equal(hidden.status, missing.status, path);
        assert.equal(withoutBase(hidden, server.url), withoutBase(missing, absent.url), path);
        for (const header of ['content-type', 'cache-control', 'vary']) assert.equal(hidden.headers[header], missing.headers[header], `${path} ${header}`);
      }
      const catalog = await get(server.url, '/catalog.json', credentials);
      const missingCatalog = await get(absent.url, '/catalog.json', credentials);
      assert.equal(withoutBase(catalog, server.url), withoutBase(missingCatalog, absent.url));
      assert.deepEqual(catalog.json<{ tilesets: { id: string }[] }>().tilesets.map((t) => t.id), ['basemap']);
      // Left out, as a style over an absent tileset is.
      assert.deepEqual(catalog.json<{ styles: { id: string }[] }>().styles.map((style) => style.id), ['public']);
      for (const listing of ['/wmts/1.0.0/WMTSCapabilities.xml', '/ogc/collections', '/metrics']) {
        const answer = await get(server.url, listing, credentials);
        assert.equal(answer.status, 200, listing);
        assert.doesNotMatch(answer.body.toString(), /ortho/, listing);
      }
      // The token holders' two tiles are counted, under one label that names no tileset.
      assert.match((await get(server.url, '/metrics', credentials)).body.toString(), /^mekan_tiles_served_total\{tileset="\(private\)"\} 2$/m);
    }
    // A scraper with the token sees the tileset's own series.
    const scraped = (await get(server.url, '/metrics', { authorization: `Bearer ${TOKEN}` })).body.toString();
    assert.match(scraped, /^mekan_tiles_served_total\{tileset="ortho"\} 2$/m);
    assert.doesNotMatch(scraped, /\(private\)/);
    // Public tilesets stay open and publicly cacheable.
    const open = await get(server.url, '/tiles/basemap/0/0/0.pbf');
    assert.equal(open.status, 200);
    assert.match(String(open.headers['cache-control']), /^public/);
    assert.equal((await get(server.url, '/styles/public/style.json')).status, 200);
  } finally {
    await server.close();
    await absent.close();
    delete process.env.MEKAN_TEST_ORTHO_TOKENS;
  }
});

/** Follows an absolute link from an answer on the test server, with the client's own credentials. */
function follow(server: TestServer, link: string, headers: Record<string, string>): Promise<RawResponse> {
  const url = new URL(link);
  return get(server.url, url.pathname + url.search, headers);
}

test('a private tileset with its token (header, ?token= or ?access_token=, from the file or the environment): served, privately cached; links carry the token only for clients that sent it in the URL', async () => {
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
      const inUrl = query !== '';
      // A client that authenticates by header sends the header again and gets clean links; a URL client needs the token in them.
      const tokenInLinks = (link: string | undefined, what: string) => (inUrl ? assert.match(String(link), /[?&]token=/, what) : assert.doesNotMatch(String(link), /token/, what));
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
      tokenInLinks(template, 'TileJSON tiles');
      // A client that only has the TileJSON follows its links and is let in.
      assert.equal((await follow(server, template.replace('{z}', '5').replace('{x}', '20').replace('{y}', '12'), headers)).status, 200);

      const catalog = (await get(server.url, `/catalog.json${query}`, headers)).json<{ tilesets: { id: string; tiles: string }[]; styles: { id: string; url: string; languages: Record<string, string> }[] }>();
      assert.deepEqual(catalog.tilesets.map((t) => t.id), ['basemap', 'ortho']);
      tokenInLinks(catalog.tilesets.find((t) => t.id === 'ortho')?.tiles, 'catalog tiles');
      assert.deepEqual(catalog.styles.map((s) => s.id).sort(), ['orthophoto', 'public']);
      // The style that draws the private tileset links with the token (and is let in); the public one does not.
      const orthoStyle = catalog.styles.find((s) => s.id === 'orthophoto');
      tokenInLinks(orthoStyle?.url, 'catalog style');
      if (inUrl) assert.match(String(orthoStyle?.languages.az), /style\.json\?lang=az&token=/);
      assert.equal((await follow(server, String(orthoStyle?.url), headers)).status, 200);
      assert.doesNotMatch(String(catalog.styles.find((s) => s.id === 'public')?.url), /token/);
      const style = await get(server.url, `/styles/orthophoto/style.json${query}`, headers);
      assert.equal(style.status, 200);
      assert.match(String(style.headers['cache-control']), /^private\b/);
      const { sources, sprite } = style.json<{ sources: { main: { url: string } }; sprite: string }>();
      assert.match(sources.main.url, /\/tiles\/ortho\.json/);
      tokenInLinks(sources.main.url, 'style source');
      // The sprite link keeps the token too (MapLibre puts `.json` before the query).
      tokenInLinks(sprite, 'style sprite');
      const spriteUrl = new URL(sprite);
      assert.equal((await get(server.url, `${spriteUrl.pathname}.json${spriteUrl.search}`, headers)).status, 200);

      for (const path of ['/ogc/collections/ortho', '/ogc/collections/ortho/map/tiles/WebMercatorQuad/4/6/10', '/wmts/1.0.0/WMTSCapabilities.xml']) {
        const answer = await get(server.url, path + query, headers);
        assert.equal(answer.status, 200, path);
        assert.match(answer.body.toString('latin1'), /ortho|PNG/, path);
      }
      // OGC API links to the private collection's resources carry the token; a client following them is let in.
      const metadata = (await get(server.url, `/ogc/collections/ortho/map/tiles/WebMercatorQuad${query}`, headers)).json<{ links: { rel: string; href: string }[] }>();
      const item = metadata.links.find((link) => link.rel === 'item')?.href ?? '';
      assert.match(item, /\{tileMatrix\}\/\{tileRow\}\/\{tileCol\}/);
      tokenInLinks(item, 'OGC item');
      assert.equal((await follow(server, item.replace('{tileMatrix}', '4').replace('{tileRow}', '6').replace('{tileCol}', '10'), headers)).status, 200);
      const listed = (await get(server.url, `/ogc/collections${query}`, headers)).json<{ collections: { id: string; links: { rel: string; href: string }[] }[] }>();
      const ortho = listed.collections.find((c) => c.id === 'ortho');
      for (const link of ortho?.links ?? []) tokenInLinks(link.href, `OGC collection ${link.rel}`);
      const basemap = listed.collections.find((c) => c.id === 'basemap');
      assert.ok(basemap?.links.every((link) => !/token=/.test(link.href)), 'a public collection does not leak the token');
      const capabilities = (await get(server.url, `/wmts/1.0.0/WMTSCapabilities.xml${query}`, headers)).body.toString();
      const resource = /template="([^"]*\/wmts\/1\.0\.0\/ortho\/default\/\{TileMatrixSet\}\/\{TileMatrix\}\/\{TileRow\}\/\{TileCol\}\.png[^"]*)"/.exec(capabilities)?.[1];
      assert.ok(resource, capabilities);
      tokenInLinks(resource, 'WMTS ResourceURL');
      const restTile = await follow(server, resource.replaceAll('&amp;', '&').replace('{TileMatrixSet}', 'WebMercatorQuad').replace('{TileMatrix}', '4').replace('{TileRow}', '6').replace('{TileCol}', '10'), headers);
      assert.equal(restTile.status, 200, resource);
      // A KVP client builds GetTile on the operation URL of the capabilities: it must keep the token too.
      const operation = /<ows:Operation name="GetTile">[\s\S]*?xlink:href="([^"]*)"/.exec(capabilities)?.[1].replaceAll('&amp;', '&');
      tokenInLinks(operation, 'WMTS KVP GetTile');
      const kvp = `${operation}SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=ortho&STYLE=default&TILEMATRIXSET=WebMercatorQuad&TILEMATRIX=4&TILEROW=6&TILECOL=10&FORMAT=image/png`;
      const wmtsTile = await follow(server, kvp, headers);
      assert.equal(wmtsTile.status, 200, kvp);
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

test('tokens never reach the request log, however the parameter is spelled', async () => {
  const { logger, lines } = captureLogger();
  const server = await privateServer({ logger });
  try {
    for (const path of [`/tiles/ortho/4/10/6.png?token=${TOKEN}`, `/tiles/ortho.json?access_token=${TOKEN}`, `/catalog.json?x=1&%74oken=${TOKEN}`, `/ogc/collections?TOKEN=${TOKEN}&token=${TOKEN}`, `/nosuch?token=${TOKEN}`]) {
      assert.ok((await get(server.url, path)).status < 500, path);
    }
    const requests = lines().filter((line) => line.msg === 'request');
    assert.equal(requests.length, 5);
    for (const line of lines()) assert.doesNotMatch(JSON.stringify(line), new RegExp(TOKEN), JSON.stringify(line));
    assert.ok(requests.some((line) => String(line.url).startsWith('/tiles/ortho/4/10/6.png?token=[redacted]')), JSON.stringify(requests));
  } finally {
    await server.close();
  }
});

test('an archive a private entry claims is not also served from a served folder or through a link, and the configuration warns', async () => {
  const tiles = join(dir, 'claimed');
  mkdirSync(tiles, { recursive: true });
  await writeRasterArchive(join(tiles, 'imagery.mbtiles'), 'png', 4, 5);
  writeVectorArchive(join(tiles, 'basemap.mbtiles'), { maxzoom: 2 });
  symlinkSync(join(tiles, 'imagery.mbtiles'), join(tiles, 'linked.mbtiles'));
  const elsewhere = join(dir, 'elsewhere.mbtiles');
  symlinkSync(join(tiles, 'imagery.mbtiles'), elsewhere);
  const { logger, lines } = captureLogger();
  const server = await startServer([tiles, elsewhere], {
    logger,
    config: { tilesets: { secret: { path: join(tiles, 'imagery.mbtiles'), private: true, tokens: [TOKEN] } } },
  });
  try {
    for (const id of ['imagery', 'linked', 'elsewhere']) {
      assert.equal((await get(server.url, `/tiles/${id}/4/10/6.png`)).status, 404, id);
      assert.equal((await get(server.url, `/tiles/${id}.json`)).status, 404, id);
    }
    assert.deepEqual((await get(server.url, '/catalog.json')).json<{ tilesets: { id: string }[] }>().tilesets.map((t) => t.id), ['basemap']);
    assert.equal((await get(server.url, '/tiles/secret/4/10/6.png', { authorization: `Bearer ${TOKEN}` })).status, 200);
    assert.equal((await get(server.url, '/tiles/basemap/0/0/0.pbf')).status, 200);
    const warnings = lines().filter((line) => line.level === 40 && line.private === 'secret');
    assert.deepEqual(warnings.map((line) => line.id).sort(), ['elsewhere', 'imagery', 'linked']);
    assert.match(String(warnings[0].msg), /archive of private tileset "secret"/);
  } finally {
    await server.close();
  }
});

test('with --workers 2, /metrics names a private tileset only to a scraper holding its token', async () => {
  const tiles = join(dir, 'workers');
  mkdirSync(tiles, { recursive: true });
  await writeRasterArchive(join(tiles, 'ortho.mbtiles'), 'png', 4, 5);
  writeVectorArchive(join(tiles, 'basemap.mbtiles'), { maxzoom: 2 });
  const config = join(dir, 'workers.json');
  writeFileSync(config, JSON.stringify({ paths: [tiles], tilesets: { ortho: { private: true, tokens: [TOKEN] } } }));
  const serve = await spawnServe(['--config', config, '--port', '0', '--quiet', '--workers', '2']);
  try {
    for (let i = 0; i < 4; i++) assert.equal((await get(serve.url, `/tiles/ortho/4/10/6.png?token=${TOKEN}`)).status, 200);
    assert.equal((await get(serve.url, '/tiles/basemap/0/0/0.pbf')).status, 200);
    // Several scrapes, so that both workers answer some of them (each sums both workers' counters).
    for (let i = 0; i < 4; i++) {
      const open = (await get(serve.url, '/metrics')).body.toString();
      assert.doesNotMatch(open, /ortho/);
      assert.match(open, /^mekan_tiles_served_total\{tileset="\(private\)"\} 4$/m);
      assert.match(open, /^mekan_tiles_served_total\{tileset="basemap"\} 1$/m);
      assert.match((await get(serve.url, '/metrics', { authorization: `Bearer ${TOKEN}` })).body.toString(), /^mekan_tiles_served_total\{tileset="ortho"\} 4$/m);
    }
  } finally {
    serve.child.kill('SIGTERM');
    await serve.exited;
  }
});

test('configuration: a private tileset needs at least one token of 16+ characters; tokens may come from an environment variable', () => {
  assert.throws(() => serverOptionsFrom({}, { tilesets: { ortho: { private: true } } }, {}), /tilesets\.ortho: private but without tokens/);
  assert.throws(() => serverOptionsFrom({}, { tilesets: { ortho: { private: true, tokensEnv: 'ORTHO_TOKENS' } } }, {}), /ORTHO_TOKENS is empty or unset/);
  assert.throws(() => serverOptionsFrom({}, { tilesets: { ortho: { private: true, tokensEnv: 'ORTHO_TOKENS' } } }, { ORTHO_TOKENS: 'short' }), /at least 16/);
  const options = serverOptionsFrom({}, { tilesets: { ortho: { private: true, tokensEnv: 'ORTHO_TOKENS' } } }, { ORTHO_TOKENS: `${TOKEN}, ${OTHER_TOKEN}` });
  assert.deepEqual(options.tilesets.ortho.tokens, [TOKEN, OTHER_TOKEN]);
});

/** The `<ows:WGS84BoundingBox>` corners of a WMTS layer, as numbers. */
function wmtsLayerBounds(xml: string, layer: string): number[] {
  const block = new RegExp(`<Layer>(?:(?!</Layer>)[\\s\\S])*<ows:Identifier>${layer}</ows:Identifier>[\\s\\S]*?</Layer>`).exec(xml)?.[0] ?? '';
  const corners = /<ows:LowerCorner>([^<]*)<\/ows:LowerCorner>\s*<ows:UpperCorner>([^<]*)<\/ows:UpperCorner>/.exec(block);
  assert.ok(corners, `no layer ${layer} in ${xml}`);
  return `${corners[1]} ${corners[2]}`.split(' ').map(Number);
}

test('documents are built once per archive version, not per Host or token: a reloaded archive shows its new bounds, each client its own base URL, and only a URL-token client its token', async () => {
  const tiles = join(dir, 'documents');
  mkdirSync(tiles, { recursive: true });
  const orthoPath = join(tiles, 'ortho.mbtiles');
  await writeRasterArchive(orthoPath, 'png', 4, 5);
  writeVectorArchive(join(tiles, 'basemap.mbtiles'), { maxzoom: 2 });
  const { logger, logged } = captureLogger();
  const server = await startServer([tiles], { logger, reloadIntervalMs: 50, config: { tilesets: { ortho: { private: true, tokens: [TOKEN, OTHER_TOKEN] } } } });
  const wmts = '/wmts/1.0.0/WMTSCapabilities.xml';
  try {
    // A URL-token client first: its token-bearing layer is what the cache holds afterwards.
    const first = (await get(server.url, `${wmts}?token=${TOKEN}`)).body.toString();
    assert.match(first, new RegExp(`template="[^"]*/ortho/[^"]*\\.png\\?token=${TOKEN}"`));
    assert.deepEqual(wmtsLayerBounds(first, 'ortho'), BOUNDS);
    for (const [what, headers, query, expected] of [
      ['a public client', {}, '', undefined],
      ['a header client', { authorization: `Bearer ${TOKEN}` }, '', 'clean'],
      ['a client with the other token in the URL', {}, `?token=${OTHER_TOKEN}`, OTHER_TOKEN],
      ['the same client again', {}, `?token=${TOKEN}`, TOKEN],
    ] as [string, Record<string, string>, string, string | undefined][]) {
      for (const host of ['tiles.example.az', 'mirror.example.org:8443']) {
        for (const path of [wmts + query, `/wmts${query ? `${query}&` : '?'}SERVICE=WMTS&REQUEST=GetCapabilities`]) {
          const xml = (await get(server.url, path, { ...headers, host })).body.toString();
          // Every link under the base URL this client reached us under, none under another's.
          assert.match(xml, new RegExp(`xlink:href="http://${host}/wmts`), `${what} ${host}`);
          if (expected !== undefined) assert.match(xml, new RegExp(`template="http://${host}/[^"]*/ortho/`), `${what} ${host}`);
          assert.doesNotMatch(xml, new RegExp(host === 'tiles.example.az' ? 'mirror\\.example\\.org|127\\.0\\.0\\.1' : 'tiles\\.example\\.az|127\\.0\\.0\\.1'), `${what} ${host}`);
          if (expected === undefined) assert.doesNotMatch(xml, /ortho|token/, `${what} ${host}`);
          else if (expected === 'clean') {
            assert.match(xml, /<ows:Identifier>ortho<\/ows:Identifier>/);
            assert.doesNotMatch(xml, /token/, `${what} ${host}`);
          } else {
            assert.match(xml, new RegExp(`\\.png\\?token=${expected}"`), `${what} ${host}`);
            assert.doesNotMatch(xml, new RegExp(expected === TOKEN ? OTHER_TOKEN : TOKEN), `${what} ${host}`);
          }
        }
        // The JSON documents likewise (their cache is the same one).
        const tileJson = (await get(server.url, `/tiles/ortho.json${query}`, { ...headers, host })).body.toString();
        if (expected === undefined) assert.doesNotMatch(tileJson, /token|"tiles"/);
        else assert.match(tileJson, new RegExp(`"http://${host.replace('.', '\\.')}/tiles/ortho/\\{z\\}/\\{x\\}/\\{y\\}\\.png${expected === 'clean' ? '"' : `\\?token=${expected}"`}`), `${what} ${host}`);
      }
    }
    const publicTileJson = (await get(server.url, '/tiles/basemap.json', { host: 'a.example' })).json<{ tiles: string[] }>();
    assert.deepEqual(publicTileJson.tiles, ['http://a.example/tiles/basemap/{z}/{x}/{y}.pbf']);

    // A new version of the archive (written aside, renamed over): the next documents describe it, not the cached one.
    const next = join(dir, 'ortho-next.mbtiles');
    await writeRasterArchive(next, 'png', 4, 5);
    const moved = [45, 39, 50, 41.5];
    const db = new Database(next);
    db.prepare("UPDATE metadata SET value = ? WHERE name = 'bounds'").run(moved.join(','));
    db.close();
    const reloaded = logged((line) => line.msg === `reloaded ortho from ${orthoPath}`);
    renameSync(next, orthoPath);
    await reloaded;
    for (const headers of [{ authorization: `Bearer ${TOKEN}` }, {}] as Record<string, string>[]) {
      const query = headers.authorization ? '' : `?token=${TOKEN}`;
      assert.deepEqual(wmtsLayerBounds((await get(server.url, wmts + query, headers)).body.toString(), 'ortho'), moved);
      assert.deepEqual((await get(server.url, `/tiles/ortho.json${query}`, headers)).json<{ bounds: number[] }>().bounds, moved);
      assert.deepEqual((await get(server.url, `/ogc/collections/ortho${query}`, headers)).json<{ extent: { spatial: { bbox: number[][] } } }>().extent.spatial.bbox[0], moved);
    }
  } finally {
    await server.close();
  }
});

/** Headers that differ between any two answers (the clock, the connection) and say nothing about a tileset. */
const PER_ANSWER_HEADERS = new Set(['date', 'connection', 'keep-alive']);

test('every route family answers a client without the token exactly as when the private archive is absent: status, headers (Content-Length, ETag, Vary, Cache-Control) and body', async () => {
  const server = await privateServer();
  const absent = await privateServer({ withOrtho: false });
  const bbox = BOUNDS.join(',');
  const kvp = (request: string, extra = '') => `/wmts?SERVICE=WMTS&REQUEST=${request}&VERSION=1.0.0${extra}`;
  const paths = [
    // tiles: inside, outside its zooms, malformed, the other extension, as a part of a composite
    '/tiles/ortho/4/10/6.png', '/tiles/ortho/9/0/0.png', '/tiles/ortho/4/10/6.pbf', '/tiles/ortho/4/10/x.png', '/tiles/basemap,ortho/0/0/0.pbf', '/tiles/ortho,basemap/0/0/0.pbf',
    // TileJSON, catalog, viewer, health
    '/tiles/ortho.json', '/tiles/basemap,ortho.json', '/catalog.json', '/', '/health',
    // styles and their sprites, glyphs
    '/styles/orthophoto/style.json', '/styles/orthophoto/style.json?lang=ru', '/styles/orthophoto/sprite.json', '/styles/orthophoto/sprite@2x.png', '/fonts/Noto%20Sans%20Regular/0-255.pbf',
    // WMTS: REST and KVP capabilities, KVP tiles (valid, out of range, wrong matrix set)
    '/wmts/1.0.0/WMTSCapabilities.xml', kvp('GetCapabilities'),
    kvp('GetTile', '&LAYER=ortho&STYLE=default&TILEMATRIXSET=WebMercatorQuad&TILEMATRIX=4&TILEROW=6&TILECOL=10&FORMAT=image/png'),
    kvp('GetTile', '&LAYER=ortho&STYLE=default&TILEMATRIXSET=WebMercatorQuad&TILEMATRIX=9&TILEROW=0&TILECOL=0&FORMAT=image/png'),
    kvp('GetTile', '&LAYER=ortho&STYLE=default&TILEMATRIXSET=NoSuchSet&TILEMATRIX=4&TILEROW=6&TILECOL=10'),
    // OGC API – Tiles
    '/ogc/collections', '/ogc/collections/ortho', '/ogc/collections/ortho/map/tiles', '/ogc/collections/ortho/map/tiles/WebMercatorQuad',
    '/ogc/collections/ortho/map/tiles/WebMercatorQuad/4/6/10', '/ogc/collections/ortho/tiles', '/ogc/collections/ortho/items',
    // packages: estimates (tileset, style, bad box), downloads
    `/packages/estimate?tileset=ortho&bbox=${bbox}&maxzoom=5`, `/packages/estimate?tileset=ortho&bbox=1,2,3&maxzoom=5`, `/packages/estimate?style=orthophoto&bbox=${bbox}&maxzoom=5`,
    `/packages/ortho.mbtiles?bbox=${bbox}&maxzoom=5`, '/packages/ortho.mbtiles?bbox=bad',
  ];
  try {
    for (const credentials of [{}, { authorization: 'Bearer not-the-right-token-at-all' }, { 'x-token': TOKEN }] as Record<string, string>[]) {
      for (const path of paths) {
        for (const query of ['', `${path.includes('?') ? '&' : '?'}token=not-the-right-token-at-all`]) {
          if (query && credentials.authorization) continue;
          // The same Host to both servers: their base URLs, and so their bodies' lengths, are alike.
          const headers = { ...credentials, host: 'tiles.example.az', 'accept-encoding': 'gzip' };
          const hidden = await get(server.url, path + query, headers);
          const missing = await get(absent.url, path + query, headers);
          const what = `${path + query} ${JSON.stringify(credentials)}`;
          assert.equal(hidden.status, missing.status, what);
          assert.ok(hidden.status !== 401 && hidden.status !== 403 && hidden.status < 500, `${what}: ${hidden.status}`);
          assert.deepEqual(hidden.body, missing.body, `${what}: ${hidden.body.subarray(0, 300).toString()} | ${missing.body.subarray(0, 300).toString()}`);
          const shown = (answer: RawResponse) => Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !PER_ANSWER_HEADERS.has(name)));
          assert.deepEqual(shown(hidden), shown(missing), what);
        }
      }
    }
  } finally {
    await server.close();
    await absent.close();
  }
});

test('/metrics: tiles a token holder fetched through a composite (basemap,secret) are folded too; the tileset gauge counts only what the scraper may see', async () => {
  const tiles = join(dir, 'composite');
  mkdirSync(tiles, { recursive: true });
  writeVectorArchive(join(tiles, 'basemap.mbtiles'), { maxzoom: 2 });
  writeVectorArchive(join(tiles, 'secret.mbtiles'), { maxzoom: 2 });
  const server = await startServer([tiles], { config: { tilesets: { secret: { private: true, tokens: [TOKEN] } } } });
  try {
    for (const path of ['/tiles/basemap,secret/0/0/0.pbf', '/tiles/secret,basemap/1/1/0.pbf', '/tiles/secret/0/0/0.pbf']) {
      assert.equal((await get(server.url, path, { authorization: `Bearer ${TOKEN}` })).status, 200, path);
    }
    assert.equal((await get(server.url, '/tiles/basemap/0/0/0.pbf')).status, 200);
    for (const credentials of [{}, { authorization: 'Bearer not-the-right-token-at-all' }] as Record<string, string>[]) {
      const open = (await get(server.url, '/metrics', credentials)).body.toString();
      assert.doesNotMatch(open, /secret/);
      assert.match(open, /^mekan_tiles_served_total\{tileset="\(private\)"\} 3$/m);
      assert.match(open, /^mekan_tiles_served_total\{tileset="basemap"\} 1$/m);
      assert.match(open, /^mekan_tilesets 1$/m);
    }
    const scraped = (await get(server.url, '/metrics', { authorization: `Bearer ${TOKEN}` })).body.toString();
    assert.match(scraped, /^mekan_tiles_served_total\{tileset="basemap,secret"\} 1$/m);
    assert.match(scraped, /^mekan_tiles_served_total\{tileset="secret"\} 1$/m);
    assert.match(scraped, /^mekan_tilesets 2$/m);
  } finally {
    await server.close();
  }
});
