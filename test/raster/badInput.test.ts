// Bad raster input: each problem is one InputError naming the file; --skip-bad goes on and reports; no archive is left half-made.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { fromFile } from 'geotiff';
import { InputError } from '../../src/errors.js';
import { buildRaster } from '../../src/raster/buildRaster.js';
import { makeTempDir } from '../support/tempDir.js';
import { gdal, PAN } from './support.js';

const dir = makeTempDir('mekan-raster-bad-');
const crop = join(dir, 'crop.tif');
const notTiff = join(dir, 'notes.tif');
const noGeo = join(dir, 'plain.tif');
const customCrs = join(dir, 'custom-crs.tif');
const corrupt = join(dir, 'corrupt.tif');
const CUSTOM_TMERC = '+proj=tmerc +lat_0=0 +lon_0=-54 +k=0.9995 +x_0=400000 +y_0=10000000 +ellps=GRS80 +units=m +no_defs';

function rejectsWith(path: string, pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof InputError, `an InputError, got ${String(error)}`);
    assert.equal(error.subject, path);
    assert.match(error.message, pattern);
    return true;
  };
}

before(async () => {
  gdal('gdal_translate', ['-q', '-srcwin', '800', '800', '400', '400', PAN, crop]);
  writeFileSync(notTiff, 'this is a text file, not imagery\n');
  // BASELINE writes no GeoTIFF tags (GDAL would put the georeferencing in a sidecar, which Mekan does not read).
  gdal('gdal_translate', ['-q', '-co', 'PROFILE=BASELINE', crop, noGeo]);
  gdal('gdal_translate', ['-q', '-a_srs', CUSTOM_TMERC, crop, customCrs]);
  // Deflate strips of 16 rows, then garbage over the middle strip.
  gdal('gdal_translate', ['-q', '-co', 'COMPRESS=DEFLATE', '-co', 'BLOCKYSIZE=16', crop, corrupt]);
  const image = await (await fromFile(corrupt)).getImage();
  const offsets = (await image.getFileDirectory().loadValue('StripOffsets')) as number[];
  const counts = (await image.getFileDirectory().loadValue('StripByteCounts')) as number[];
  const middle = Math.floor(offsets.length / 2);
  const fd = openSync(corrupt, 'r+');
  writeSync(fd, Buffer.alloc(counts[middle], 0xa5), 0, counts[middle], Number(offsets[middle]));
  closeSync(fd);
});

describe('bad raster input', () => {
  it('a file that is not a TIFF', async () => {
    await assert.rejects(buildRaster({ inputs: [notTiff], output: join(dir, 'a.mbtiles') }), rejectsWith(notTiff, /not a TIFF/));
  });

  it('a missing file', async () => {
    const missing = join(dir, 'missing.tif');
    await assert.rejects(buildRaster({ inputs: [missing], output: join(dir, 'a.mbtiles') }), rejectsWith(missing, /no such file/));
  });

  it('a TIFF without georeferencing', async () => {
    await assert.rejects(buildRaster({ inputs: [noGeo], output: join(dir, 'a.mbtiles') }), rejectsWith(noGeo, /no georeferencing/));
  });

  it('a CRS without an EPSG code needs --srs, and builds with it', async () => {
    await assert.rejects(buildRaster({ inputs: [customCrs], output: join(dir, 'a.mbtiles') }), rejectsWith(customCrs, /user-defined.*--srs/));
    const summary = await buildRaster({ inputs: [customCrs], output: join(dir, 'custom.mbtiles'), srs: CUSTOM_TMERC, workers: 1 });
    assert.ok(summary.tilesWritten > 0);
  });

  it('an unknown EPSG code given with --srs', async () => {
    await assert.rejects(buildRaster({ inputs: [crop], output: join(dir, 'a.mbtiles'), srs: 'EPSG:999999' }), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.match(error.message, /EPSG:999999/);
      return true;
    });
  });

  it('a corrupt strip fails the build naming the file, and leaves no archive behind', async () => {
    const output = join(dir, 'corrupt.mbtiles');
    await assert.rejects(buildRaster({ inputs: [corrupt], output, workers: 1 }), rejectsWith(corrupt, /decode|truncated/));
    assert.equal(existsSync(output), false);
  });

  it('--skip-bad builds the mosaic from what can be read and reports the rest', async () => {
    const output = join(dir, 'skip.mbtiles');
    const summary = await buildRaster({ inputs: [crop, notTiff, noGeo, corrupt], output, skipBad: true, workers: 1 });
    assert.ok(summary.tilesWritten > 0);
    assert.equal(summary.sources, 2);
    const skippedPaths = summary.skipped.map((s) => s.path).sort();
    assert.deepEqual(skippedPaths, [corrupt, noGeo, notTiff].sort());
    assert.ok(existsSync(output));
  });

  it('--tms names a registered tile matrix set, and one other than WebMercatorQuad needs a GeoPackage', async () => {
    await assert.rejects(buildRaster({ inputs: [crop], output: join(dir, 'a.gpkg'), tms: 'UTM40WGS84Quad' }), /--tms: unknown tile matrix set "UTM40WGS84Quad" \(known: WebMercatorQuad, WorldCRS84Quad, UTM38WGS84Quad, UTM39WGS84Quad\)/);
    await assert.rejects(buildRaster({ inputs: [crop], output: join(dir, 'a.mbtiles'), tms: 'WorldCRS84Quad' }), /a\.mbtiles: WorldCRS84Quad tiles go into a GeoPackage/);
    assert.equal(existsSync(join(dir, 'a.mbtiles')), false);
  });
});

describe('mekan build raster (command line)', () => {
  const cli = join(process.cwd(), 'bin', 'mekan.js');

  it('builds and prints a summary (none with --quiet, as build vector)', () => {
    const output = join(dir, 'cli.mbtiles');
    const run = spawnSync(process.execPath, [cli, 'build', 'raster', crop, '-o', output, '--format', 'webp', '--quality', '70', '--name', 'Crop', '--attribution', 'INPE'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /wrote .*cli\.mbtiles: z\d+–\d+ from 1 source/);
    assert.match(run.stderr, /tiles written, \d+ unique, \d+ empty skipped, archive/);
    const quiet = spawnSync(process.execPath, [cli, 'build', 'raster', crop, '-o', join(dir, 'cli-quiet.mbtiles'), '--quiet'], { encoding: 'utf8' });
    assert.equal(quiet.status, 0, quiet.stderr);
    assert.equal(quiet.stderr, '');
    const info = spawnSync(process.execPath, [cli, 'inspect', output, '--json'], { encoding: 'utf8' });
    const metadata = JSON.parse(info.stdout).metadata;
    assert.equal(metadata.name, 'Crop');
    assert.equal(metadata.attribution, 'INPE');
    assert.equal(metadata.format, 'webp');
    assert.ok(readFileSync(output).length > 0);
  });

  it('reports bad input in one line with a non-zero exit', () => {
    const run = spawnSync(process.execPath, [cli, 'build', 'raster', notTiff, '-o', join(dir, 'x.mbtiles')], { encoding: 'utf8' });
    assert.equal(run.status, 1);
    const lines = run.stderr.trim().split('\n').filter((l) => l.startsWith('mekan:'));
    assert.equal(lines.length, 1);
    assert.match(lines[0], /notes\.tif: not a TIFF/);
    const bad = spawnSync(process.execPath, [cli, 'build', 'raster', crop, '-o', join(dir, 'x.mbtiles'), '--resampling', 'sinc'], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--resampling: expected one of nearest, bilinear, cubic, lanczos/);
  });
});
