// `mekan build vector` as an operator runs it: exit status, the summary on stderr, one-line errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openArchive } from '../../src/archive/open.js';
import { makeTempDir } from '../support/tempDir.js';

const dir = makeTempDir();
const mekan = resolve('bin/mekan.js');

function run(...args: string[]) {
  return spawnSync(process.execPath, [mekan, 'build', 'vector', ...args], { encoding: 'utf8' });
}

test('builds one layer per input, named after the file or --layer, and prints a summary', () => {
  const output = join(dir, 'quick.mbtiles');
  const result = run(resolve('data/basemap/place.geojson'), resolve('data/basemap/waterway.geojson'), '-o', output, '--maxzoom', '6', '--layer', 'towns', '--layer', 'rivers', '--name', 'Quick', '--attribution', 'Natural Earth');
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stderr, /layer towns \(Point\): 142 read, 142 tiled/);
  assert.match(result.stderr, /tiles per zoom: z0 1,/);
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
