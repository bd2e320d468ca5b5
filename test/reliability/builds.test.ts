// `mekan build` as operators run it, interrupted and pointed at bad places: the previous archive survives, errors are one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openArchive } from '../../src/archive/open.js';
import { makeTempDir } from '../support/tempDir.js';
import { tempFileGrown, tempsOf } from '../support/unfinishedBuild.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');
const bin = join(ROOT, 'bin', 'mekan.js');
const dir = makeTempDir('mekan-builds-');
const env = { ...process.env, GTIFF_SRS_SOURCE: 'EPSG' };
const VECTOR_INPUTS = [join(ROOT, 'data', 'basemap', 'country.geojson'), join(ROOT, 'data', 'basemap', 'boundary.geojson')];
const RASTER_INPUT = join(ROOT, 'data', 'imagery', 'cbers2b_hrc_pan_crop.tif');

function build(args: string[]) {
  return spawnSync(process.execPath, [bin, 'build', ...args, '--quiet'], { encoding: 'utf8', env, timeout: 120_000 });
}

function md5(path: string): string {
  return createHash('md5').update(readFileSync(path)).digest('hex');
}

/** Starts a long build and SIGKILLs it once its temp file holds tiles: mid-write, well before it could finish. */
async function killHalfway(args: string[], output: string): Promise<void> {
  const child = spawn(process.execPath, [bin, 'build', ...args, '--quiet'], { stdio: 'ignore', env });
  const exited = new Promise<NodeJS.Signals | null>((resolveExit) => child.on('exit', (_code, signal) => resolveExit(signal)));
  try {
    await Promise.race([tempFileGrown(output, 256 * 1024), exited]);
  } finally {
    child.kill('SIGKILL');
  }
  assert.equal(await exited, 'SIGKILL', 'the build finished before it could be killed');
}

for (const kind of ['vector', 'raster'] as const) {
  test(`build ${kind} killed with SIGKILL halfway: the previous archive is intact, byte for byte; the next build succeeds and clears the leftovers`, async () => {
    const folder = join(dir, kind);
    mkdirSync(folder);
    const output = join(folder, `out.mbtiles`);
    const inputs = kind === 'vector' ? VECTOR_INPUTS : [RASTER_INPUT];
    const small = kind === 'vector' ? ['--maxzoom', '3'] : ['--maxzoom', '13'];
    const large = kind === 'vector' ? ['--maxzoom', '14', '--workers', '1'] : ['--maxzoom', '17', '--workers', '1'];

    const first = build([kind, ...inputs, '-o', output, ...small]);
    assert.equal(first.status, 0, first.stderr);
    const before = md5(output);

    await killHalfway([kind, ...inputs, '-o', output, ...large], output);
    assert.equal(md5(output), before);
    const archive = openArchive(output);
    assert.equal(archive.metadata.maxzoom, Number(small[1]));
    archive.close();
    assert.ok(tempsOf(output).length >= 1, 'the killed build left its temp file (so the test did kill it mid-write)');

    const next = build([kind, ...inputs, '-o', output, '--maxzoom', String(Number(small[1]) + 1)]);
    assert.equal(next.status, 0, next.stderr);
    assert.deepEqual(tempsOf(output), [], 'stale temp files removed');
    const rebuilt = openArchive(output);
    assert.equal(rebuilt.metadata.maxzoom, Number(small[1]) + 1);
    rebuilt.close();
  });
}

test('an unwritable output location: exit status 1 and one line naming the path', () => {
  const file = join(dir, 'a-file');
  writeFileSync(file, 'not a folder');
  for (const output of [join(file, 'out.mbtiles'), '/proc/mekan-cannot-write-here/out.mbtiles']) {
    for (const args of [['vector', VECTOR_INPUTS[0]], ['raster', RASTER_INPUT]]) {
      const result = build([...args, '-o', output, '--maxzoom', args[0] === 'vector' ? '2' : '12']);
      assert.notEqual(result.status, 0);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, result.stderr);
      assert.ok(lines[0].includes(output) || lines[0].includes(dirname(output)), lines[0]);
      assert.doesNotMatch(result.stderr, /\n\s+at /);
    }
  }
});

test('a full output location (a 256 KB tmpfs): exit status 1, one line naming the archive, nothing left behind', (t) => {
  const mountPoint = join(dir, 'full');
  mkdirSync(mountPoint);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mountPoint]);
  if (mounted.status !== 0) {
    t.skip('cannot mount a tmpfs here (not root, or no CAP_SYS_ADMIN)');
    return;
  }
  try {
    const output = join(mountPoint, 'out.mbtiles');
    const result = build(['vector', ...VECTOR_INPUTS, '-o', output, '--maxzoom', '10']);
    assert.notEqual(result.status, 0);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.ok(lines[0].includes(output), lines[0]);
    assert.match(lines[0], /full|ENOSPC|SQLITE_FULL/i);
    assert.deepEqual(readdirSync(mountPoint), []);
  } finally {
    spawnSync('umount', [mountPoint]);
  }
});
