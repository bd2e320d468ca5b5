import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { join } from 'node:path';
import { pino } from 'pino';
import { serverOptionsFrom } from '../../../src/config/serverOptions.js';
import { createApp } from '../../../src/server/app.js';
import type { RouteModule } from '../../../src/server/module.js';
import { makeTempDir } from '../../support/tempDir.js';
import { get, startServer, writeRasterArchive, writeVectorArchive, type TestServer } from './fixtures.js';

const dir = makeTempDir('mekan-http-');
let server: TestServer;

/** What another helper's module (styles) looks like to the catalog: a route and a catalog section. */
const stylesLike: RouteModule = {
  name: 'styles-like',
  register(router) {
    router.get('/test-module/style.json', (ctx) => {
      ctx.body = { version: 8 };
    });
  },
  catalog: (baseUrl) => ({ styles: [{ id: 'test', url: `${baseUrl}/test-module/style.json` }] }),
};

before(async () => {
  writeVectorArchive(join(dir, 'basemap.mbtiles'), { attribution: '© Mekan test' });
  await writeRasterArchive(join(dir, 'ortho.mbtiles'), 'png');
  const { defaultModules } = await import('../../../src/server/modules.js');
  server = await startServer([dir], { modules: [...defaultModules, stylesLike] });
});
after(() => server.close());

test('TileJSON 3.0.0 with absolute URLs, layers, bounds, center, zooms and attribution', async () => {
  const response = await get(server.url, '/tiles/basemap.json');
  assert.equal(response.status, 200);
  assert.match(String(response.headers['content-type']), /^application\/json/);
  const tilejson = response.json();
  assert.equal(tilejson.tilejson, '3.0.0');
  assert.deepEqual(tilejson.tiles, [`${server.url}/tiles/basemap/{z}/{x}/{y}.pbf`]);
  assert.equal(tilejson.minzoom, 0);
  assert.equal(tilejson.maxzoom, 6);
  assert.deepEqual(tilejson.bounds, [44, 38, 51, 42]);
  assert.deepEqual(tilejson.center, [49.87, 40.41, 5]);
  assert.equal(tilejson.attribution, '© Mekan test');
  assert.equal(tilejson.scheme, 'xyz');
  assert.deepEqual((tilejson.vector_layers as { id: string }[]).map((layer) => layer.id), ['places']);

  const raster = (await get(server.url, '/tiles/ortho.json')).json();
  assert.deepEqual(raster.tiles, [`${server.url}/tiles/ortho/{z}/{x}/{y}.png`]);
  assert.equal(raster.vector_layers, undefined);
  assert.equal(raster.format, 'png');
  // The URL it gives answers.
  const tileUrl = (raster.tiles as string[])[0].replace('{z}', '4').replace('{x}', '10').replace('{y}', '6');
  assert.equal((await get(server.url, new URL(tileUrl).pathname)).status, 200);
});

test('catalog.json lists tilesets with their URLs and the sections other modules contribute', async () => {
  const catalog = (await get(server.url, '/catalog.json')).json<{ tilesets: Record<string, unknown>[]; styles: Record<string, unknown>[] }>();
  assert.deepEqual(catalog.tilesets.map((t) => t.id), ['basemap', 'ortho']);
  assert.equal(catalog.tilesets[0].tilejson, `${server.url}/tiles/basemap.json`);
  assert.equal(catalog.tilesets[0].tiles, `${server.url}/tiles/basemap/{z}/{x}/{y}.pbf`);
  assert.equal(catalog.tilesets[1].format, 'png');
  // Other modules (the real styles module) may add theirs beside it.
  assert.deepEqual(catalog.styles.find((style) => style.id === 'test'), { id: 'test', url: `${server.url}/test-module/style.json` });
  assert.equal((await get(server.url, '/test-module/style.json')).status, 200);
});

test('health answers {"status":"ok"}; metrics count requests by route and status, latency, and tiles per tileset', async () => {
  const health = await get(server.url, '/health');
  assert.equal(health.status, 200);
  assert.deepEqual(health.json(), { status: 'ok' });

  await get(server.url, '/tiles/ortho/4/10/6.png');
  await get(server.url, '/tiles/ortho/4/10/6.png');
  await get(server.url, '/tiles/ortho/1/5/0.png');
  await get(server.url, '/tiles/nope/0/0/0.png');
  const metrics = await get(server.url, '/metrics');
  assert.equal(metrics.status, 200);
  assert.match(String(metrics.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  const text = metrics.body.toString();
  const value = (series: string) => Number(text.split('\n').find((line) => line.startsWith(series + ' '))?.split(' ')[1]);
  assert.ok(value('mekan_http_requests_total{route="tile",status="200"}') >= 2);
  assert.equal(value('mekan_http_requests_total{route="tile",status="400"}'), 1);
  assert.equal(value('mekan_http_requests_total{route="tile",status="404"}'), 1);
  assert.ok(value('mekan_http_requests_total{route="/health",status="200"}') >= 1);
  assert.ok(value('mekan_tiles_served_total{tileset="ortho"}') >= 2);
  assert.equal(value('mekan_tilesets'), 2);
  assert.match(text, /^# TYPE mekan_http_request_duration_seconds histogram$/m);
  assert.equal(value('mekan_http_request_duration_seconds_bucket{route="tile",le="+Inf"}'), value('mekan_http_request_duration_seconds_count{route="tile"}'));
  // Every sample line is `name{labels} number`.
  for (const line of text.trim().split('\n')) if (!line.startsWith('#')) assert.match(line, /^[a-z_]+(\{[^}]*\})? [0-9.e+-]+$/, line);
});

test('CORS: any origin by default, preflight answered', async () => {
  const tile = await get(server.url, '/tiles/ortho/4/10/6.png', { Origin: 'https://map.example.az' });
  assert.equal(tile.headers['access-control-allow-origin'], '*');
  const json = await get(server.url, '/tiles/ortho.json', { Origin: 'https://map.example.az' });
  assert.equal(json.headers['access-control-allow-origin'], '*');
  for (const path of ['/tiles/ortho/4/10/6.png', '/tiles/ortho.json']) {
    const preflight = await get(server.url, path, { Origin: 'https://map.example.az', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'if-none-match' }, 'OPTIONS');
    assert.equal(preflight.status, 204, path);
    assert.equal(preflight.headers['access-control-allow-origin'], '*');
    assert.match(String(preflight.headers['access-control-allow-methods']), /GET/);
    assert.equal(preflight.headers['access-control-allow-headers'], 'if-none-match');
  }
});

test('CORS: a configured list of origins is honoured, others get no CORS headers; an empty list turns CORS off', async () => {
  const listed = await startServer([dir], { config: { cors: { origins: ['https://map.example.az'] } } });
  const off = await startServer([dir], { config: { cors: { origins: [] } } });
  try {
    const allowed = await get(listed.url, '/tiles/ortho/4/10/6.png', { Origin: 'https://map.example.az' });
    assert.equal(allowed.headers['access-control-allow-origin'], 'https://map.example.az');
    assert.match(String(allowed.headers.vary), /Origin/);
    const refused = await get(listed.url, '/tiles/ortho/4/10/6.png', { Origin: 'https://evil.example' });
    assert.equal(refused.status, 200);
    assert.equal(refused.headers['access-control-allow-origin'], undefined);
    const vector = await get(listed.url, '/tiles/basemap/0/0/0.pbf', { Origin: 'https://map.example.az' });
    assert.equal(vector.headers.vary, 'Accept-Encoding, Origin');
    const json = await get(listed.url, '/catalog.json', { Origin: 'https://evil.example' });
    assert.equal(json.headers['access-control-allow-origin'], undefined);
    assert.equal((await get(off.url, '/tiles/ortho/4/10/6.png', { Origin: 'https://map.example.az' })).headers['access-control-allow-origin'], undefined);
  } finally {
    await listed.close();
    await off.close();
  }
});

test('Cache-Control: the default, a configured default, and per tileset', async () => {
  const configured = await startServer([dir], { config: { cacheControl: 'public, max-age=600', tilesets: { ortho: { cacheControl: 'public, max-age=86400, immutable' } } } });
  try {
    assert.equal((await get(server.url, '/tiles/ortho/4/10/6.png')).headers['cache-control'], 'public, max-age=3600');
    assert.equal((await get(configured.url, '/tiles/ortho/4/10/6.png')).headers['cache-control'], 'public, max-age=86400, immutable');
    assert.equal((await get(configured.url, '/tiles/basemap/0/0/0.pbf')).headers['cache-control'], 'public, max-age=600');
  } finally {
    await configured.close();
  }
});

test('public URLs: from the request; X-Forwarded-* only when proxies are trusted; --public-url over everything', async () => {
  const forwarded = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'tiles.example.az', 'X-Forwarded-Prefix': '/basemap/' };
  const tilesOf = async (base: string, headers: Record<string, string>) => ((await get(base, '/tiles/ortho.json', headers)).json().tiles as string[])[0];

  // Untrusted: the headers are ignored, the Host header is used.
  assert.equal(await tilesOf(server.url, forwarded), `${server.url}/tiles/ortho/{z}/{x}/{y}.png`);
  assert.equal(await tilesOf(server.url, { Host: 'maps.local:8080' }), 'http://maps.local:8080/tiles/ortho/{z}/{x}/{y}.png');
  // A Host header that is not a host name is not echoed into URLs.
  assert.equal(await tilesOf(server.url, { Host: 'evil"><script>' }), `${server.url}/tiles/ortho/{z}/{x}/{y}.png`);

  const trusted = await startServer([dir], { config: { trustProxy: true } });
  const fixed = await startServer([dir], { flags: { publicUrl: 'https://cdn.example.az/tiles-root/' }, config: { trustProxy: true } });
  try {
    assert.equal(await tilesOf(trusted.url, forwarded), 'https://tiles.example.az/basemap/tiles/ortho/{z}/{x}/{y}.png');
    assert.equal(await tilesOf(trusted.url, { 'X-Forwarded-Proto': 'https, http', 'X-Forwarded-Host': 'a.example.az, b.example.az' }), 'https://a.example.az/tiles/ortho/{z}/{x}/{y}.png');
    // A prefix that tries to leave its path is dropped.
    assert.equal(await tilesOf(trusted.url, { 'X-Forwarded-Prefix': '/../x' }), `${trusted.url}/tiles/ortho/{z}/{x}/{y}.png`);
    const catalog = (await get(trusted.url, '/catalog.json', forwarded)).json<{ tilesets: { tilejson: string }[] }>();
    assert.equal(catalog.tilesets[0].tilejson, 'https://tiles.example.az/basemap/tiles/basemap.json');
    assert.equal(await tilesOf(fixed.url, forwarded), 'https://cdn.example.az/tiles-root/tiles/ortho/{z}/{x}/{y}.png');
  } finally {
    await trusted.close();
    await fixed.close();
  }
});

test('trusted proxy: documents built from X-Forwarded-* are never shared by caches (private, Vary on those headers) unless the public URL is fixed', async () => {
  const poison = { 'X-Forwarded-Prefix': '/poison', 'X-Forwarded-Host': 'evil.example' };
  const trusted = await startServer([dir], { config: { trustProxy: true } });
  const fixed = await startServer([dir], { flags: { publicUrl: 'https://tiles.example.az' }, config: { trustProxy: true } });
  try {
    for (const path of ['/tiles/ortho.json', '/catalog.json', '/wmts/1.0.0/WMTSCapabilities.xml', '/wmts?SERVICE=WMTS&REQUEST=GetCapabilities', '/ogc/collections', '/ogc/collections/basemap/tiles/WebMercatorQuad', '/styles/standard/style.json']) {
      const poisoned = await get(trusted.url, path, poison);
      assert.equal(poisoned.status, 200, path);
      assert.match(poisoned.body.toString(), /evil\.example\/poison/, path);
      assert.doesNotMatch(String(poisoned.headers['cache-control']), /public/, path);
      assert.match(String(poisoned.headers['cache-control']), /^private\b/, path);
      for (const header of ['X-Forwarded-Host', 'X-Forwarded-Proto', 'X-Forwarded-Prefix']) assert.match(String(poisoned.headers.vary), new RegExp(header, 'i'), `${path} Vary`);
      // A fixed public URL ignores the headers: the answer is the same for everyone and may be shared.
      const plain = await get(fixed.url, path, poison);
      assert.doesNotMatch(plain.body.toString(), /poison|evil/, path);
      assert.doesNotMatch(String(plain.headers.vary ?? ''), /Forwarded/i, path);
      if (path !== '/catalog.json' && !path.startsWith('/styles')) assert.match(String(plain.headers['cache-control']), /^public/, path);
    }
    // Tiles carry no URLs: they stay publicly cacheable behind the proxy.
    assert.match(String((await get(trusted.url, '/tiles/ortho/4/10/6.png', poison)).headers['cache-control']), /^public/);
  } finally {
    await trusted.close();
    await fixed.close();
  }
});

/** Sends raw bytes on a socket; resolves with what came back before the server closed it (never a bare close). */
function raw(port: number, bytes: string, options: { keepOpen?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    if (options.keepOpen) socket.write(bytes);
    else socket.end(bytes);
  });
}

test('every malformed request gets an HTTP answer: CONNECT 405, oversized headers 431, headers too slow 408, garbage 400', async () => {
  const { defaultModules } = await import('../../../src/server/modules.js');
  const options = serverOptionsFrom({ paths: [dir], port: '0', quiet: true });
  options.reloadIntervalMs = 0;
  // node:http checks slow clients only every 30 s by default; a short check keeps the test short.
  const app = createApp({ options, logger: pino({ level: 'silent' }), modules: defaultModules, httpTimeouts: { headersTimeout: 300, requestTimeout: 600, connectionsCheckingInterval: 100 } });
  await app.listen();
  const { port } = app.server.address() as AddressInfo;
  try {
    const connectAnswer = await raw(port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', { keepOpen: true });
    assert.match(connectAnswer, /^HTTP\/1\.1 405 /);
    assert.match(connectAnswer, /\r\nAllow: GET, HEAD, OPTIONS\r\n/);
    assert.match(await raw(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Long: ${'h'.repeat(20 * 1024)}\r\n\r\n`), /^HTTP\/1\.1 431 /);
    assert.match(await raw(port, 'GET / HTTP/1.1\r\nBroken header line\r\n\r\n'), /^HTTP\/1\.1 400 /);
    // Headers that never finish: the server answers 408 once its header timeout passes, then closes.
    const slow = await raw(port, 'GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ', { keepOpen: true });
    assert.match(slow, /^HTTP\/1\.1 408 /);
    assert.match(slow, /"error":"request not received in time"/);
  } finally {
    await app.close(1000);
  }
});
