import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultModules } from '../../../src/server/modules.js';
import type { RouteModule } from '../../../src/server/module.js';
import { makeTempDir } from '../../support/tempDir.js';
import { get, startServer, writeVectorArchive } from './fixtures.js';

const dir = makeTempDir('mekan-shutdown-');

test('close() stops accepting, lets a request in flight finish, then closes the archives', async () => {
  writeVectorArchive(join(dir, 'basemap.mbtiles'), { maxzoom: 1 });
  let closedModules = 0;
  const slow: RouteModule = {
    name: 'slow',
    register(router) {
      router.get('/slow', async (ctx) => {
        await sleep(300);
        ctx.body = { done: true };
      });
    },
    close: () => {
      closedModules++;
    },
  };
  const server = await startServer([dir], { modules: [...defaultModules, slow] });
  const archive = server.app.context.registry.get('basemap')!.archive;
  const inFlight = get(server.url, '/slow');
  await sleep(50);
  const closing = server.app.close(5000);
  await sleep(20);
  // No new connections once closing.
  await assert.rejects(get(server.url, '/health'));
  const answer = await inFlight;
  assert.equal(answer.status, 200);
  assert.deepEqual(answer.json(), { done: true });
  await closing;
  assert.equal(closedModules, 1);
  assert.equal(server.app.context.registry.list().length, 0);
  assert.throws(() => archive.getTile(0, 0, 0), /not open|closed/i);
});
