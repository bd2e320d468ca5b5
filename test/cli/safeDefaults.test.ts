// Safe defaults said aloud, as an operator meets them running the builders: big builds, many bands, bad files in a batch,
// progress that ends at 100 %, and --bbox to build only a region.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { openArchive } from '../../src/archive/open.js';
import type { ArchiveTile } from '../../src/archive/types.js';
import { MEKAN_BIN } from '../support/mekanProcess.js';
import { makeTempDir } from '../support/tempDir.js';

const dir = makeTempDir('mekan-safe-');
const RGB = resolve('data/imagery/cbers2b_rgb342_crop.tif');
const env = { ...process.env, GTIFF_SRS_SOURCE: 'EPSG' };

function mekan(...args: string[]) {
  return spawnSync(process.execPath, [MEKAN_BIN, ...args], { encoding: 'utf8', env });
}

async function firstTile(tiles: Iterable<ArchiveTile> | AsyncIterable<ArchiveTile>): Promise<ArchiveTile | undefined> {
  for await (const tile of tiles) return tile;
  return undefined;
}

function bounds(path: string): number[] {
  const archive = openArchive(path);
  try {
    return archive.metadata.bounds as number[];
  } finally {
    archive.close();
  }
}

test('a build of millions of tiles says so before tiling and names --maxzoom', async () => {
  // One polygon over a third of the world at zoom 13: a typo-sized mistake that would run for hours.
  const big = join(dir, 'big.geojson');
  writeFileSync(big, JSON.stringify({ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[[-60, -40], [60, -40], [60, 40], [-60, 40], [-60, -40]]] } }));
  const child = spawn(process.execPath, [MEKAN_BIN, 'build', 'vector', big, '-o', join(dir, 'big.mbtiles'), '--maxzoom', '13'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const warned = new Promise<void>((resolveWarned) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (/^warning: about [\d.]+ million tiles to make at z0–13.*--maxzoom 11 would make 4 to 16 times fewer tiles$/m.test(stderr)) resolveWarned();
    });
  });
  const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
  await warned;
  child.kill('SIGTERM');
  assert.equal(await exited, 130);
  assert.doesNotMatch(stderr.split(/^warning: about/m)[0], /^tiling/m, 'the warning comes before tiling starts');
});

test('progress of a vector build labels its tile total an estimate and ends at 100 %', () => {
  const result = mekan('build', 'vector', resolve('data/basemap/place.geojson'), resolve('data/basemap/boundary.geojson'), '-o', join(dir, 'places.mbtiles'), '--maxzoom', '7');
  assert.equal(result.status, 0, result.stderr);
  const tiling = result.stderr.split('\n').filter((line) => line.startsWith('tiling'));
  const last = tiling[tiling.length - 1];
  const match = /^tiling z0–7 {2}(\d+)\/~(\d+) \(100\.0% of an estimate\)/.exec(last);
  assert.ok(match, last);
  assert.equal(match[1], match[2]);
  assert.match(result.stderr, new RegExp(`tiles written ${match[1]},`));
});

test('a raster with more bands than it shows says which it shows and how to choose; two --bands need --alpha to mean transparency', async () => {
  const six = join(dir, 'six.tif');
  execFileSync('gdal_translate', ['-q', '-co', 'PHOTOMETRIC=MINISBLACK', ...['1', '2', '3', '1', '2', '3'].flatMap((b) => ['-b', b]), RGB, six], { env });
  const shown = mekan('build', 'raster', six, '-o', join(dir, 'six.mbtiles'), '--maxzoom', '11');
  assert.equal(shown.status, 0, shown.stderr);
  assert.ok(shown.stderr.includes(`${six}: 6 bands; showing band 1 as grey; choose others with --bands 4,3,2 (three bands as RGB) or --bands 4 (one as grey)`), shown.stderr);

  const two = mekan('build', 'raster', six, '-o', join(dir, 'two.mbtiles'), '--bands', '1,2');
  assert.equal(two.status, 1);
  assert.equal(two.stderr, `mekan: ${six}: --bands 1,2: give one band (grey) or three (RGB); for grey with an alpha band write --bands 1 --alpha 2\n`);
  const alpha = mekan('build', 'raster', six, '-o', join(dir, 'alpha.mbtiles'), '--bands', '1', '--alpha', '2', '--maxzoom', '11');
  assert.equal(alpha.status, 0, alpha.stderr);
  assert.doesNotMatch(alpha.stderr, /6 bands; showing/, 'an explicit choice is not explained back');
  const archive = openArchive(join(dir, 'alpha.mbtiles'));
  try {
    const tile = await firstTile(archive.tiles());
    const { channels } = await sharp(Buffer.from(tile!.data)).stats();
    assert.equal(channels.length, 4);
    assert.ok(channels[3].min < 255, 'band 2 became transparency, as asked');
  } finally {
    archive.close();
  }
});

test('a batch that stops on an unreadable file names it and --skip-bad; with --skip-bad it goes on', () => {
  const bad = join(dir, 'bad.tif');
  writeFileSync(bad, 'not a tiff at all');
  const stopped = mekan('build', 'raster', RGB, bad, '-o', join(dir, 'batch.mbtiles'));
  assert.equal(stopped.status, 1);
  assert.equal(stopped.stderr, `mekan: ${bad}: not a TIFF file (no TIFF signature); --skip-bad builds without the inputs that cannot be read and lists them\n`);
  const skipped = mekan('build', 'raster', RGB, bad, '-o', join(dir, 'batch.mbtiles'), '--skip-bad', '--maxzoom', '11');
  assert.equal(skipped.status, 0, skipped.stderr);
  assert.match(skipped.stderr, /skipped: .*bad\.tif: not a TIFF file/);
});

test('--bbox W,S,E,N builds only a region: vector features clipped as they are read, raster tiles limited to the box', () => {
  const region = [49, 40, 50.5, 41];
  const vector = join(dir, 'absheron.mbtiles');
  const built = mekan('build', 'vector', resolve('data/basemap/place.geojson'), resolve('data/basemap/boundary.geojson'), '-o', vector, '--maxzoom', '6', '--bbox', region.join(','));
  assert.equal(built.status, 0, built.stderr);
  const places = (JSON.parse(readFileSync('data/basemap/place.geojson', 'utf8')) as { features: unknown[] }).features.length;
  assert.match(built.stderr, new RegExp(`layer place \\(Point\\): ${places} read, [1-9]\\d? tiled, \\d+ filtered out`));
  const [west, south, east, north] = bounds(vector);
  assert.ok(west >= region[0] && south >= region[1] && east <= region[2] && north <= region[3], `${bounds(vector)} inside ${region}`);

  const whole = join(dir, 'whole.mbtiles');
  const clipped = join(dir, 'clipped.mbtiles');
  assert.equal(mekan('build', 'raster', RGB, '-o', whole, '--minzoom', '13').status, 0);
  // West and south are negative: given as the next argument, as users type them.
  const part = mekan('build', 'raster', RGB, '-o', clipped, '--minzoom', '13', '--bbox', '-54.32,-23.8,-54.3,-23.78');
  assert.equal(part.status, 0, part.stderr);
  const tiles = (path: string) => Number(/^\s+(\d+) tiles written/m.exec(mekan('inspect', path).stdout)?.[1] ?? /all\s+(\d+)/.exec(mekan('inspect', path).stdout)?.[1]);
  assert.ok(tiles(clipped) > 0 && tiles(clipped) < tiles(whole), `${tiles(clipped)} of ${tiles(whole)}`);
  const box = bounds(clipped);
  assert.ok(box[0] >= -54.32 - 1e-9 && box[2] <= -54.3 + 1e-9, `${box}`);
});
