import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { makeTempDir } from '../support/tempDir.js';
import { captureLogger, get, startServer, writeBrokenTileArchive, writeVectorArchive } from '../server/core/fixtures.js';

const dir = makeTempDir('mekan-corrupt-');

/** A real archive cut in half, as a copy interrupted or a disk filled would leave it. */
function writeTruncated(path: string): void {
  const whole = path.replace(/\.mbtiles$/, '-whole.mbtiles');
  writeVectorArchive(whole, { maxzoom: 9 });
  const bytes = readFileSync(whole);
  writeFileSync(path, bytes.subarray(0, bytes.length >> 1));
}

test('truncated, garbage, empty and table-less archives: an error naming each file at load; the good ones keep serving; a broken tile fails alone and is logged', async () => {
  const folder = join(dir, 'mixed');
  mkdirSync(folder);
  writeVectorArchive(join(folder, 'good.mbtiles'), { maxzoom: 3 });
  writeTruncated(join(dir, 'truncated.mbtiles'));
  renameSync(join(dir, 'truncated.mbtiles'), join(folder, 'truncated.mbtiles'));
  writeFileSync(join(folder, 'garbage.mbtiles'), randomBytes(64 * 1024));
  writeFileSync(join(folder, 'empty.mbtiles'), '');
  const tableless = new Database(join(folder, 'tableless.mbtiles'));
  tableless.exec('CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES (\'no tiles here\')');
  tableless.close();
  // Tiles but no metadata table: served, with zooms and format read from the tiles (as other MBTiles servers do),
  // and a warning naming the file.
  const bare = new Database(join(folder, 'bare.mbtiles'));
  bare.exec('CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)');
  bare.prepare('INSERT INTO tiles VALUES (2, 1, 2, ?)').run(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  bare.close();
  writeBrokenTileArchive(join(folder, 'broken.mbtiles'));

  const { logger, lines, logged: untilLogged } = captureLogger();
  const server = await startServer([folder], { logger, reloadIntervalMs: 100 });
  try {
    const errors = lines().filter((line) => line.level === 50);
    for (const [name, reason] of [
      ['truncated', /malformed|corrupt|truncated/i],
      ['garbage', /SQLite|database|not a/i],
      ['empty', /tiles table|not an MBTiles/i],
      ['tableless', /no tiles table/],
    ] as const) {
      const path = join(folder, `${name}.mbtiles`);
      const line = errors.find((entry) => entry.path === path);
      assert.ok(line, `${name}: ${JSON.stringify(errors)}`);
      assert.match(String(line.msg), new RegExp(`${name}\\.mbtiles`));
      assert.match(String(line.reason), reason, name);
      assert.equal((await get(server.url, `/tiles/${name}/0/0/0.pbf`)).status, 404);
    }
    const catalog = (await get(server.url, '/catalog.json')).json<{ tilesets: { id: string }[] }>();
    assert.deepEqual(catalog.tilesets.map((t) => t.id), ['bare', 'broken', 'good']);
    assert.equal((await get(server.url, '/tiles/good/2/2/1.pbf', { 'accept-encoding': 'gzip' })).status, 200);
    const bareWarning = lines().find((line) => line.level === 40 && line.path === join(folder, 'bare.mbtiles') && String(line.msg).includes('no metadata table'));
    assert.ok(bareWarning, 'a metadata-less archive is reported');
    assert.match(String(bareWarning.msg), /bare\.mbtiles: no metadata table/);
    const bareTileJson = (await get(server.url, '/tiles/bare.json')).json<{ minzoom: number; maxzoom: number; format: string }>();
    assert.deepEqual([bareTileJson.minzoom, bareTileJson.maxzoom, bareTileJson.format], [2, 2, 'png']);

    // The broken tile fails alone, logged with its archive; its neighbour and the server carry on.
    const broken = await get(server.url, '/tiles/broken/0/0/0.pbf');
    assert.equal(broken.status, 500);
    assert.doesNotMatch(broken.body.toString(), /at .*\.js|Error:/);
    const logged = lines().find((line) => line.level === 50 && line.tileset === 'broken');
    assert.ok(logged, 'broken tile logged');
    assert.equal(logged.path, join(folder, 'broken.mbtiles'));
    assert.match(String(logged.msg), /0\/0\/0/);
    assert.equal((await get(server.url, '/tiles/broken/1/1/0.pbf')).status, 200);
    assert.equal((await get(server.url, '/health')).status, 200);

    // A rebuild renamed over a good archive that turns out truncated: logged with the file named (the previous
    // version keeps serving, as the registry test checks), the other tilesets untouched.
    writeTruncated(join(dir, 'good-next.mbtiles'));
    const reported = untilLogged((line) => line.level === 50 && line.path === join(folder, 'good.mbtiles'));
    renameSync(join(dir, 'good-next.mbtiles'), join(folder, 'good.mbtiles'));
    const failure = await reported;
    assert.match(String(failure.reason), /malformed|corrupt/i);
    assert.equal((await get(server.url, '/tiles/bare.json')).status, 200);
    // A good rebuild afterwards is picked up as usual.
    writeVectorArchive(join(dir, 'good-fixed.mbtiles'), { maxzoom: 4, name: 'fixed' });
    const reloaded = untilLogged((line) => line.id === 'good' && String(line.msg).startsWith('reloaded good'));
    renameSync(join(dir, 'good-fixed.mbtiles'), join(folder, 'good.mbtiles'));
    await reloaded;
    assert.equal((await get(server.url, '/tiles/good.json')).json<{ name: string }>().name, 'fixed');
  } finally {
    await server.close();
  }
});
