// `mekan serve` and `mekan inspect` as a user runs them: the real bin, a real process, real signals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { makeTempDir } from '../support/tempDir.js';
import { MEKAN_BIN, spawnServe } from '../support/mekanProcess.js';
import { writeVectorArchive } from '../server/core/fixtures.js';
import { workerExecArgv } from '../../src/server/run.js';

const bin = MEKAN_BIN;
const dir = makeTempDir('mekan-cli-');
const archive = join(dir, 'basemap.mbtiles');
writeVectorArchive(archive, { maxzoom: 3 });

/** Starts `mekan serve ARGS`, waits for its "listening on URL" line, checks /health, sends SIGTERM, returns the exit code. */
async function serveAndStop(args: string[], whileUp?: (url: string, pid: number) => Promise<void>): Promise<{ code: number | null; url: string; stderr: string }> {
  const { child, url, exited, stderr } = await spawnServe(args);
  try {
    const health = await fetch(`${url}/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const tile = await fetch(`${url}/tiles/basemap/0/0/0.pbf`);
    assert.equal(tile.status, 200);
    await whileUp?.(url, child.pid!);
  } finally {
    // Also when a check failed: a server left running would keep the test process from ending.
    child.kill('SIGTERM');
  }
  return { code: await exited, url, stderr: stderr() };
}

test('mekan serve PATH: prints its URL, answers /health, exits 0 on SIGTERM', async () => {
  const { code, url, stderr } = await serveAndStop([dir, '--port', '0', '--host', '127.0.0.1']);
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(code, 0, stderr);
  const logs = stderr.trim().split('\n').map((line) => JSON.parse(line) as { msg: string; url?: string });
  assert.ok(logs.some((line) => line.msg.startsWith('serving basemap')), stderr);
  assert.ok(logs.some((line) => line.url === '/health'), 'request logged');
});

test('mekan serve --workers 2 --quiet: one port, metrics summed over the workers, exits 0 on SIGTERM, no request lines', async () => {
  const { code, stderr } = await serveAndStop([archive, '--port', '0', '--workers', '2', '--quiet'], async (url, pid) => {
    // Workers that take every core run V8's GC on their own thread (no helpers left waiting for a core), as node flags.
    const workers = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
    assert.equal(workers.length, 2);
    for (const worker of workers) {
      const argv = readFileSync(`/proc/${worker}/cmdline`, 'utf8').split('\0');
      assert.equal(argv.includes('--single-threaded-gc'), availableParallelism() <= 2, argv.join(' '));
    }
    // Separate connections, so that both workers answer some.
    for (let i = 0; i < 20; i++) assert.equal((await fetch(`${url}/tiles/basemap/1/1/0.pbf`, { headers: { Connection: 'close' } })).status, 200);
    const text = await (await fetch(`${url}/metrics`)).text();
    const served = Number(/^mekan_tiles_served_total\{tileset="basemap"\} (\d+)$/m.exec(text)?.[1]);
    assert.equal(served, 21, text); // 20 here + 1 in serveAndStop
  });
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr, /"msg":"request"/);
});

test("workers get V8's single-threaded GC only when they take every core; an operator's GC-thread flag is kept", () => {
  assert.deepEqual(workerExecArgv(2, ['--trace-gc'], 2), ['--trace-gc', '--single-threaded-gc']);
  assert.deepEqual(workerExecArgv(2, [], 8), []);
  assert.deepEqual(workerExecArgv(4, ['--no-single-threaded-gc'], 2), ['--no-single-threaded-gc']);
  assert.deepEqual(workerExecArgv(2, ['--parallel-scavenge'], 2), ['--parallel-scavenge']);
});

test('mekan serve with a bad configuration exits 1 with one line naming the file and the key', () => {
  const config = join(dir, 'bad.yaml');
  writeFileSync(config, 'tilesets:\n  basemap:\n    cachecontrol: "public"\n');
  const result = spawnSync(process.execPath, [bin, 'serve', '--config', config], { encoding: 'utf8' });
  assert.equal(result.status, 1);
  assert.equal(result.stderr, `mekan: ${config}: tilesets.basemap.cachecontrol: unknown key\n`);
  const help = spawnSync(process.execPath, [bin, 'serve', '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^Usage: mekan serve/);
});

test('mekan inspect: metadata, layers and tiles per zoom of a real archive', () => {
  const result = spawnSync(process.execPath, [bin, 'inspect', archive], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^name\s+Test vectors$/m);
  assert.match(result.stdout, /^format\s+pbf$/m);
  assert.match(result.stdout, /^zooms\s+0–3$/m);
  assert.match(result.stdout, /^layer\s+places .*name, kind, population/m);
  const zoomLines = result.stdout.split('\n').filter((line) => /^\s+\d+\s+\d+\s/.test(line));
  assert.deepEqual(zoomLines.map((line) => Number(line.trim().split(/\s+/)[0])), [0, 1, 2, 3]);
  const json = JSON.parse(spawnSync(process.execPath, [bin, 'inspect', archive, '--json'], { encoding: 'utf8' }).stdout) as { zooms: { zoom: number; tiles: number }[] };
  assert.equal(json.zooms[0].tiles, 1);
});
