// `mekan build vector` as an operator runs it: exit status, the summary on stderr, one-line errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openArchive } from '../../src/archive/open.js';
import { makeTempDir } from '../support/tempDir.js';
import { readVectorTiles } from '../support/vectorTiles.js';
import { assertPreviousArchiveKept, makeBuildFolders, tempFileGrown } from '../support/unfinishedBuild.js';

const dir = makeTempDir();
const mekan = resolve('bin/mekan.js');

function run(...args: string[]) {
  return spawnSync(process.execPath, [mekan, 'build', 'vector', ...args], { encoding: 'utf8' });
}

test('builds one layer per input, named after the file or --layer, and prints a summary', () => {
  const output = join(dir, 'quick.mbtiles');
  const result = run(resolve('data/basemap/place.geojson'), resolve('data/basemap/waterway.geojson'), '-o', output, '--maxzoom', '6', '--layer', 'towns', '--layer', 'rivers', '--name', 'Quick', '--attribution', 'Natural Earth');
  assert.equal(result.status, 0, result.stderr);
  const places = (JSON.parse(readFileSync('data/basemap/place.geojson', 'utf8')) as { features: unknown[] }).features.length;
  assert.match(result.stderr, new RegExp(`layer towns \\(Point\\): ${places} read, ${places} tiled`));
  assert.match(result.stderr, /tiles per zoom: z0 1,/);
  assert.match(result.stderr, /work cut into \d+ partitions \(the deepest at zoom \d+\)/);
  const archive = openArchive(output);
  try {
    assert.deepEqual(archive.metadata.vector_layers?.map((layer) => layer.id), ['towns', 'rivers']);
    assert.equal(archive.metadata.name, 'Quick');
    assert.equal(archive.metadata.attribution, 'Natural Earth');
    assert.equal(archive.metadata.maxzoom, 6);
  } finally {
    archive.close();
  }
});

test('input problems end with one line and a non-zero status, and no archive', () => {
  const output = join(dir, 'never.mbtiles');
  for (const args of [[resolve('data/basemap/place.geojson')], [join(dir, 'missing.geojson'), '-o', output], [resolve('data/basemap/place.geojson'), '-o', output, '--max-tile-bytes', 'lots']]) {
    const result = run(...args);
    assert.equal(result.status, 1);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, /^mekan: \S/);
  }
  assert.equal(existsSync(output), false);
});

test('a build stopped by SIGTERM leaves the previous archive as it was and no temp files', async () => {
  const folders = makeBuildFolders(dir, 'stopped', 'stopped-tmp');
  const { temp, output } = folders;
  const inputs = ['boundary', 'country', 'place'].map((name) => resolve(`data/basemap/${name}.geojson`));
  assert.equal(run(...inputs, '-o', output, '--maxzoom', '4', '--quiet').status, 0);
  const before = readFileSync(output);
  const child = spawn(process.execPath, [mekan, 'build', 'vector', ...inputs, '-o', output, '--maxzoom', '14', '--quiet'], { env: { ...process.env, TMPDIR: temp } });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // Stop it once it is writing tiles (its temp archive holds 256 KB), woken by the folder's change events.
  const exited = new Promise<number | null>((done) => child.on('close', done));
  await Promise.race([tempFileGrown(output, 256 * 1024), exited]);
  child.kill('SIGTERM');
  const status = await exited;
  assert.equal(status, 130, stderr);
  assert.match(stderr, /stopped by SIGTERM/);
  assertPreviousArchiveKept(folders, before);
});

test('--rank FIELD[:asc|desc] picks the point a low-zoom cell shows; a malformed one is refused naming the flag', () => {
  const input = resolve('data/basemap/place.geojson');
  const places = JSON.parse(readFileSync(input, 'utf8')) as { features: { properties: { name: string; population?: number } }[] };
  const most = places.features.reduce((a, b) => ((b.properties.population ?? -1) > (a.properties.population ?? -1) ? b : a));
  const ranked = join(dir, 'ranked.mbtiles');
  const result = run(input, '-o', ranked, '--maxzoom', '4', '--rank', 'population:desc', '--quiet');
  assert.equal(result.status, 0, result.stderr);
  const [world] = readVectorTiles(ranked, 0);
  assert.ok(world.layers.place.some((feature) => feature.properties.name === most.properties.name), `${most.properties.name} at z0`);

  const bad = run(input, '-o', join(dir, 'bad-rank.mbtiles'), '--rank', 'population:sideways');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--rank: expected FIELD, FIELD:asc or FIELD:desc, got 'population:sideways'/);
});
