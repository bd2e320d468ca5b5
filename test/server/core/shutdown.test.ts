import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { defaultModules } from '../../../src/server/modules.js';
import type { RouteModule } from '../../../src/server/module.js';
import { makeTempDir } from '../../support/tempDir.js';
import { get, startServer, writeVectorArchive } from './fixtures.js';

const dir = makeTempDir('mekan-shutdown-');

test('close() stops accepting, lets a request in flight finish, then closes the archives', async () => {
  writeVectorArchive(join(dir, 'basemap.mbtiles'), { maxzoom: 1 });
  let closedModules = 0;
  // The slow route answers only when the test releases it, after close() has begun: no clock involved.
  let entered!: () => void;
  const handlerEntered = new Promise<void>((resolve) => (entered = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const slow: RouteModule = {
    name: 'slow',
    register(router) {
      router.get('/slow', async (ctx) => {
        entered();
        await released;
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
  await handlerEntered;
  const closing = server.app.close(5000);
  // close() stops listening at once (the connections it keeps are drained after).
  assert.equal(server.app.server.listening, false);
  // No new connections once closing.
  await assert.rejects(get(server.url, '/health'));
  release();
  const answer = await inFlight;
  assert.equal(answer.status, 200);
  assert.deepEqual(answer.json(), { done: true });
  await closing;
  assert.equal(closedModules, 1);
  assert.equal(server.app.context.registry.list().length, 0);
  assert.throws(() => archive.getTile(0, 0, 0), /not open|closed/i);
});
