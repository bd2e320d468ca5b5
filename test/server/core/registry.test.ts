import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '../../support/tempDir.js';
import { captureLogger, get, startServer, writeVectorArchive } from './fixtures.js';

const dir = makeTempDir('mekan-registry-');

test('an archive that cannot be opened is reported with its path and reason; the others are served', async () => {
  const folder = join(dir, 'mixed');
  mkdirSync(folder);
  writeVectorArchive(join(folder, 'good.mbtiles'), { maxzoom: 2 });
  writeFileSync(join(folder, 'bad.mbtiles'), 'not a database'.repeat(200));
  writeFileSync(join(folder, 'notes.txt'), 'ignored: not an archive');
  const missing = join(dir, 'missing.mbtiles');
  const { logger, lines } = captureLogger();
  const server = await startServer([folder, missing], { logger });
  try {
    assert.equal((await get(server.url, '/tiles/good/0/0/0.pbf')).status, 200);
    assert.equal((await get(server.url, '/tiles/bad/0/0/0.pbf')).status, 404);
    const catalog = (await get(server.url, '/catalog.json')).json<{ tilesets: { id: string }[] }>();
    assert.deepEqual(catalog.tilesets.map((t) => t.id), ['good']);
    const errors = lines().filter((line) => line.level === 50);
    const bad = errors.find((line) => line.path === join(folder, 'bad.mbtiles'));
    assert.ok(bad, JSON.stringify(errors));
    assert.match(String(bad.reason), /SQLite|database/i);
    assert.match(String(bad.msg), /bad\.mbtiles/);
    const gone = errors.find((line) => line.path === missing);
    assert.ok(gone, JSON.stringify(errors));
    assert.match(String(gone.reason), /ENOENT|no such file/);
  } finally {
    await server.close();
  }
});

test('a served folder reloads itself: an archive renamed over, added or removed is picked up without a restart; a broken one renamed over is reported and the previous one kept', async () => {
  const folder = join(dir, 'live');
  mkdirSync(folder);
  writeVectorArchive(join(folder, 'basemap.mbtiles'), { maxzoom: 2, name: 'version one' });
  const { logger, logged } = captureLogger();
  const server = await startServer([folder], { reloadIntervalMs: 500, logger });
  // Each change is awaited through the line the registry logs for it, then checked over HTTP.
  const reported = (id: string, verb: string) => logged((line) => line.id === id && String(line.msg).startsWith(`${verb} ${id}`));
  try {
    const nameOf = async () => (await get(server.url, '/tiles/basemap.json')).json().name;
    assert.equal(await nameOf(), 'version one');
    const firstEtag = (await get(server.url, '/tiles/basemap/0/0/0.pbf', { 'Accept-Encoding': 'gzip' })).headers.etag;

    // Built elsewhere, renamed over the served file (what `mekan build` does).
    writeVectorArchive(join(dir, 'next.mbtiles'), { maxzoom: 3, name: 'version two' });
    let change = reported('basemap', 'reloaded');
    renameSync(join(dir, 'next.mbtiles'), join(folder, 'basemap.mbtiles'));
    await change;
    assert.equal(await nameOf(), 'version two');
    assert.equal((await get(server.url, '/tiles/basemap.json')).json().maxzoom, 3);
    assert.equal((await get(server.url, '/tiles/basemap/0/0/0.pbf', { 'Accept-Encoding': 'gzip' })).status, 200);
    assert.equal((await get(server.url, '/tiles/basemap/0/0/0.pbf', { 'Accept-Encoding': 'gzip', 'If-None-Match': String(firstEtag) })).status, 304, 'same content, same ETag');

    // Added.
    change = reported('copy', 'serving');
    copyFileSync(join(folder, 'basemap.mbtiles'), join(folder, 'copy.mbtiles'));
    await change;
    assert.equal((await get(server.url, '/tiles/copy/0/0/0.pbf')).status, 200);
    // Removed.
    change = logged((line) => line.msg === 'tileset copy removed');
    unlinkSync(join(folder, 'copy.mbtiles'));
    await change;
    assert.equal((await get(server.url, '/tiles/copy/0/0/0.pbf')).status, 404);
    // Replaced by something broken: reported, and the previous version keeps serving; fixed again: the new one.
    writeFileSync(join(dir, 'broken.tmp'), 'garbage'.repeat(1000));
    const reportedBroken = logged((line) => line.level === 50 && line.path === join(folder, 'basemap.mbtiles'));
    renameSync(join(dir, 'broken.tmp'), join(folder, 'basemap.mbtiles'));
    const kept = await reportedBroken;
    assert.match(String(kept?.msg), /still serving the previous version/);
    assert.equal(await nameOf(), 'version two');
    const tile = await get(server.url, '/tiles/basemap/0/0/0.pbf', { 'Accept-Encoding': 'gzip' });
    assert.equal(tile.status, 200);
    assert.equal(tile.headers.etag, firstEtag, 'the same bytes as before the broken copy');
    assert.equal((await get(server.url, '/health')).status, 200);
    writeVectorArchive(join(dir, 'fixed.mbtiles'), { maxzoom: 2, name: 'version three' });
    change = reported('basemap', 'reloaded');
    renameSync(join(dir, 'fixed.mbtiles'), join(folder, 'basemap.mbtiles'));
    await change;
    assert.equal(await nameOf(), 'version three');
  } finally {
    await server.close();
  }
});

test('tilesets named in the configuration: their own id and options; a tileset of the same id in a folder yields to them', async () => {
  const folder = join(dir, 'named');
  mkdirSync(folder);
  writeVectorArchive(join(folder, 'roads.mbtiles'), { maxzoom: 1, name: 'from the folder' });
  writeVectorArchive(join(dir, 'roads-2024.mbtiles'), { maxzoom: 2, name: 'named in the configuration' });
  const { logger, lines } = captureLogger();
  const server = await startServer([folder], { logger, config: { tilesets: { roads: { path: join(dir, 'roads-2024.mbtiles'), cacheControl: 'no-cache' } } } });
  try {
    const tilejson = (await get(server.url, '/tiles/roads.json')).json();
    assert.equal(tilejson.name, 'named in the configuration');
    assert.equal((await get(server.url, '/tiles/roads/2/2/1.pbf')).headers['cache-control'], 'no-cache');
    assert.ok(lines().some((line) => line.level === 40 && String(line.msg).includes('already taken')));
  } finally {
    await server.close();
  }
});
