// A remote PMTiles on a real HTTP server answering Range requests (nginx), served through Mekan and compared tile for
// tile with the local archive; the upstream stopped, then started again, then stalled.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';
import { convertArchive } from '../../../src/archive/convert.js';
import type { PMTilesReader } from '../../../src/archive/pmtiles/reader.js';
import { captureLogger, get, startServer, writeVectorArchive, type TestServer } from '../core/fixtures.js';
import { startNginx, type Nginx } from '../../support/nginx.js';
import { makeTempDir } from '../../support/tempDir.js';

const dir = makeTempDir('mekan-remote-');
const www = join(dir, 'www');
let nginx: Nginx;
let tiles: string[];
let server: TestServer;
const log = captureLogger();

before(async () => {
  mkdirSync(www);
  // Zooms 0–8 over Azerbaijan: a few hundred tiles, some empty inside the bounds (→ 204).
  tiles = writeVectorArchive(join(dir, 'local.mbtiles'), { maxzoom: 8 });
  await convertArchive(join(dir, 'local.mbtiles'), join(www, 'basemap.pmtiles'));
  nginx = await startNginx(join(dir, 'nginx'), (port) => `  server { listen 127.0.0.1:${port}; root ${www}; }`, '/basemap.pmtiles');
  // The in-memory hot-tile cache off: every tile request reaches the archive, so the upstream path is what is measured.
  server = await startServer([join(dir, 'local.mbtiles'), `${nginx.url}/basemap.pmtiles`], { logger: log.logger, config: { remote: { timeoutMs: 2000 }, cache: { tilesMb: 0 } } });
});

after(async () => {
  await server?.close();
  await nginx?.stop();
});

const remoteReader = () => {
  const tileset = server.app.context.registry.get('basemap');
  if (!tileset) throw new Error(JSON.stringify(log.lines()));
  return tileset.archive as PMTilesReader;
};

test('every tile through nginx equals the local archive (status, bytes, ETag); a warm tile costs exactly one upstream range request', async (t) => {
  const ranges = (await import('../../../src/grid/webMercator.js')).bboxToTileRange;
  const { BOUNDS } = await import('../core/fixtures.js');
  // Every tile position inside the bounds, stored or empty.
  const positions: string[] = [];
  for (let z = 0; z <= 8; z++) {
    const range = ranges(BOUNDS, z);
    for (let x = range.minX; x <= range.maxX; x++) for (let y = range.minY; y <= range.maxY; y++) positions.push(`${z}/${x}/${y}`);
  }
  assert.ok(positions.length > tiles.length, 'some positions inside the bounds have no tile');
  const before = remoteReader().upstream.requests;
  for (const pass of ['cold', 'warm']) {
    const start = remoteReader().upstream.requests;
    let stored = 0;
    for (const position of positions) {
      const local = await get(server.url, `/tiles/local/${position}.pbf`, { 'accept-encoding': 'gzip' });
      const remote = await get(server.url, `/tiles/basemap/${position}.pbf`, { 'accept-encoding': 'gzip' });
      assert.equal(remote.status, local.status, position);
      assert.deepEqual(remote.body, local.body, position);
      assert.equal(remote.headers.etag, local.headers.etag, position);
      assert.equal(remote.headers['content-encoding'], local.headers['content-encoding']);
      if (remote.status === 200) stored++;
    }
    const requests = remoteReader().upstream.requests - start;
    t.diagnostic(`${pass}: ${positions.length} tile requests (${stored} stored), ${requests} upstream range requests, ${(requests / positions.length).toFixed(3)} per tile`);
    // Warm: header and directories cached, an empty position costs nothing and a stored tile one range read.
    if (pass === 'warm') assert.equal(requests, stored);
  }
  assert.ok(remoteReader().upstream.requests - before > 0);
  const revalidate = await get(server.url, `/tiles/basemap/${tiles[0]}.pbf`, { 'accept-encoding': 'gzip' });
  assert.equal((await get(server.url, `/tiles/basemap/${tiles[0]}.pbf`, { 'accept-encoding': 'gzip', 'if-none-match': String(revalidate.headers.etag) })).status, 304);
});

test('upstream stopped mid-test: 502 with a log line, the server keeps serving the rest; back once the upstream is', async () => {
  const tile = `/tiles/basemap/${tiles[tiles.length - 1]}.pbf`;
  const expected = await get(server.url, tile, { 'accept-encoding': 'gzip' });
  assert.equal(expected.status, 200);
  await nginx.stop();
  const down = await get(server.url, tile, { 'accept-encoding': 'gzip' });
  assert.equal(down.status, 502);
  assert.match(String(down.json().error), /upstream failed/);
  assert.ok(log.lines().some((line) => line.level === 50 && String(line.msg).startsWith('upstream of basemap failed for tile')), 'logged');
  assert.equal((await get(server.url, '/health')).status, 200);
  assert.equal((await get(server.url, `/tiles/local/${tiles[tiles.length - 1]}.pbf`)).status, 200);
  await nginx.start();
  const back = await get(server.url, tile, { 'accept-encoding': 'gzip' });
  assert.equal(back.status, 200);
  assert.deepEqual(back.body, expected.body);
});

test('an upstream that accepts and never answers: 504 after the configured time limit, with a log line', async () => {
  // A pass-through to nginx that can be told to stall: answers the header read, then holds every request.
  let stall = false;
  const held: (() => void)[] = [];
  const proxy: Server = createServer((incoming, outgoing) => {
    if (stall) {
      held.push(() => outgoing.destroy());
      return;
    }
    const upstream = request(`${nginx.url}${incoming.url}`, { headers: incoming.headers }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    upstream.end();
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}/basemap.pmtiles`;
  const slow = await startServer([proxyUrl], { logger: log.logger, config: { remote: { timeoutMs: 300 }, cache: { tilesMb: 0 } } });
  try {
    assert.ok(slow.app.context.registry.get('basemap'), 'opened while the upstream answered');
    stall = true;
    const answer = await get(slow.url, `/tiles/basemap/${tiles[3]}.pbf`);
    assert.equal(answer.status, 504);
    assert.ok(log.lines().some((line) => String(line.msg).startsWith('upstream of basemap timed out for tile')));
  } finally {
    for (const release of held) release();
    await slow.close();
    await new Promise((resolve) => proxy.close(resolve));
  }
});
