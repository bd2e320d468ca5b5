// deploy/nginx/mekan.conf in front of two `mekan serve` replicas: one killed under load costs no request, comes back
// and takes traffic again; tiles are cached per encoding and revalidated with the ETag.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeVectorArchive } from '../server/core/fixtures.js';
import { ROOT } from '../support/basemapFixture.js';
import { spawnServe, type ServeProcess } from '../support/mekanProcess.js';
import { freePort, startNginx, type Nginx } from '../support/nginx.js';
import { makeTempDir } from '../support/tempDir.js';

const dir = makeTempDir('mekan-deploy-');
const processes: ServeProcess[] = [];
let nginx: Nginx | undefined;

after(async () => {
  for (const replica of processes) if (replica.child.exitCode === null) replica.child.kill('SIGKILL');
  await nginx?.stop();
});

async function replica(port: number): Promise<ServeProcess> {
  const serve = await spawnServe(['--config', join(dir, 'config.json'), '--host', '127.0.0.1', '--port', String(port), '--quiet']);
  processes.push(serve);
  return serve;
}

/** The deploy file as shipped, with this test's ports and cache folder. */
function deployConfig(port: number, replicas: number[]): string {
  const text = readFileSync(join(ROOT, 'deploy', 'nginx', 'mekan.conf'), 'utf8');
  assert.match(text, /server 127\.0\.0\.1:8081 .*\n\s*server 127\.0\.0\.1:8082 /);
  return text
    .replace('127.0.0.1:8081', `127.0.0.1:${replicas[0]}`)
    .replace('127.0.0.1:8082', `127.0.0.1:${replicas[1]}`)
    .replace('listen 80;', `listen 127.0.0.1:${port};`)
    .replace('/var/cache/nginx/mekan', join(dir, 'cache'));
}

test('two replicas behind the deploy nginx: one killed under load, no request fails; restarted, it takes traffic; tiles cached and revalidated', async (t) => {
  const tiles = writeVectorArchive(join(dir, 'tiles', 'basemap.mbtiles'), { maxzoom: 6 });
  // max-age=1 so that revalidation comes within the test.
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ paths: [join(dir, 'tiles')], cacheControl: 'public, max-age=1' }));
  mkdirSync(join(dir, 'cache'));
  const ports = [await freePort(), await freePort()];
  const first = await replica(ports[0]);
  await replica(ports[1]);
  nginx = await startNginx(join(dir, 'nginx'), (port) => deployConfig(port, ports), '/health');

  // Load: 8 clients, every request a cache miss (unique query) so that it reaches a replica.
  let running = true;
  let sent = 0;
  const failures: string[] = [];
  const byUpstream = new Map<string, number>();
  let waiters: { count: number; resolve: () => void }[] = [];
  const completed = () => {
    sent++;
    waiters = waiters.filter((waiter) => (sent >= waiter.count ? (waiter.resolve(), false) : true));
  };
  const reach = (count: number) => new Promise<void>((resolve) => (sent >= count ? resolve() : waiters.push({ count, resolve })));
  const loop = async (client: number) => {
    for (let i = 0; running; i++) {
      const tile = tiles[(client * 31 + i) % tiles.length];
      try {
        const response = await fetch(`${nginx!.url}/tiles/basemap/${tile}.pbf?n=${client}-${i}`);
        await response.arrayBuffer();
        if (response.status !== 200) failures.push(`${tile}: ${response.status}`);
        const upstream = response.headers.get('x-upstream') ?? '';
        byUpstream.set(upstream, (byUpstream.get(upstream) ?? 0) + 1);
      } catch (error) {
        failures.push(`${tile}: ${(error as Error).message}`);
      }
      completed();
    }
  };
  const loops = Array.from({ length: 8 }, (_, client) => loop(client));
  await reach(200);
  first.child.kill('SIGKILL');
  await first.exited;
  const killedAt = sent;
  await reach(killedAt + 400);
  await replica(ports[0]);
  const restartedAt = sent;
  const firstAddress = `127.0.0.1:${ports[0]}`;
  const before = byUpstream.get(firstAddress) ?? 0;
  // Back in the pool once nginx's fail_timeout (5 s) has passed: wait for its first answer.
  while ((byUpstream.get(firstAddress) ?? 0) === before) await reach(sent + 50);
  running = false;
  await Promise.all(loops);
  t.diagnostic(`${sent} requests, ${failures.length} failed; killed after ${killedAt}, restarted after ${restartedAt}; answers by upstream: ${JSON.stringify(Object.fromEntries(byUpstream))}`);
  assert.deepEqual(failures, []);
  assert.ok((byUpstream.get(firstAddress) ?? 0) > before, 'the restarted replica answers again');

  // Cache: one entry a tile and encoding; the second request is a hit with the same bytes and ETag.
  const path = `/tiles/basemap/${tiles[1]}.pbf`;
  const gzipMiss = await fetch(`${nginx.url}${path}`, { headers: { 'accept-encoding': 'gzip' } });
  const gzipBody = Buffer.from(await gzipMiss.arrayBuffer());
  const gzipHit = await fetch(`${nginx.url}${path}`, { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(gzipHit.headers.get('x-cache-status'), 'HIT');
  assert.equal(gzipHit.headers.get('etag'), gzipMiss.headers.get('etag'));
  assert.deepEqual(Buffer.from(await gzipHit.arrayBuffer()), gzipBody);
  const plain = await fetch(`${nginx.url}${path}`, { headers: { 'accept-encoding': 'identity' } });
  await plain.arrayBuffer();
  assert.equal(plain.headers.get('content-encoding'), null, 'a client without gzip gets the plain variant, not the cached gzip one');
  assert.notEqual(plain.headers.get('etag'), gzipMiss.headers.get('etag'));
  // Stale after max-age=1: nginx asks a replica with If-None-Match, gets 304 and serves what it has.
  for (;;) {
    const again = await fetch(`${nginx.url}${path}`, { headers: { 'accept-encoding': 'gzip' } });
    const body = Buffer.from(await again.arrayBuffer());
    const status = again.headers.get('x-cache-status');
    if (status === 'REVALIDATED') {
      assert.deepEqual(body, gzipBody);
      break;
    }
    assert.ok(status === 'HIT' || status === 'UPDATING' || status === 'STALE', `cache status ${status}`);
    await sleep(200);
  }
});
