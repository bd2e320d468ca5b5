// Datum transformations as PROJ chooses them: the table's choice agrees with projinfo, and tiles of SAD69 and
// Pulkovo 1942 imagery land where GDAL (gdalwarp, gdal2tiles with their defaults) puts them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import { chooseDatumTransform } from '../../src/crs/datumTransforms.js';
import { flipRow } from '../../src/grid/webMercator.js';
import { buildRaster } from '../../src/raster/buildRaster.js';
import { makeTempDir } from '../support/tempDir.js';
import { archiveTile, archiveTileRange, bestOffset, compareTilesWithGdal, gdal, PAN } from './support.js';

/** The operation projinfo lists first for an area: the one PROJ, and so GDAL, uses there. */
function projinfoFirst(from: number, bbox: number[]): number {
  const out = execFileSync('projinfo', ['-s', `EPSG:${from}`, '-t', 'EPSG:4326', '--bbox', bbox.join(','), '--spatial-test', 'intersects', '--summary'], { encoding: 'utf8' });
  return Number(/^EPSG:(\d+),/m.exec(out)![1]);
}

describe('datum transformation choice', () => {
  for (const [label, from, bbox] of [
    ['SAD69 over the CBERS scene (Paraná)', 4618, [-54.4, -23.9, -54.2, -23.7]],
    ['Pulkovo 1942 on the coast south of Baku (Baku–Astara area)', 4284, [49.35, 39.95, 49.5, 40.05]],
    ['Pulkovo 1942 over Baku itself (north of the coastal area)', 4284, [49.75, 40.36, 49.95, 40.47]],
  ] as const) {
    it(`agrees with projinfo: ${label}`, () => {
      const chosen = chooseDatumTransform(from, [...bbox] as [number, number, number, number]);
      assert.equal(chosen?.code, projinfoFirst(from, [...bbox]));
    });
  }
});

describe('tiles where GDAL puts them', () => {
  const dir = makeTempDir('mekan-datum-');
  const crop = join(dir, 'pan-crop.tif');
  const sk42 = join(dir, 'sk42-gk9.tif');
  before(() => {
    gdal('gdal_translate', ['-q', '-srcwin', '700', '700', '600', '600', PAN, crop]);
    // The same 2.5 m pixels as a Pulkovo 1942 / Gauss–Krüger zone 9 (EPSG:28409) sheet on the coast south of Baku,
    // inside the area of EPSG:1809 (Baku to Astara, 2 m) where PROJ prefers it to the 4.5 m country-wide one.
    gdal('gdal_translate', ['-q', '-a_srs', 'EPSG:28409', '-a_ullr', '9360000', '4432000', '9361500', '4430500', crop, sk42]);
  });

  it('an SK-42 Gauss–Krüger raster over the Baku coast: EPSG:1809, every tile within a pixel of gdalwarp', async () => {
    const output = join(dir, 'sk42.mbtiles');
    const summary = await buildRaster({ inputs: [sk42], output, format: 'png', workers: 2 });
    assert.equal(summary.maxzoom, 16);
    assert.deepEqual(summary.datumTransforms, ['EPSG:1809 Pulkovo 1942 to WGS 84 (15), 2 m: 1 source']);
    assert.ok((await compareTilesWithGdal(dir, output, 16, sk42, { aligned: true })) >= 2);
    // The country-wide transformation puts the same pixels about 10 m (4 px at z16) away: the comparison sees it.
    const forced = join(dir, 'sk42-15865.mbtiles');
    await buildRaster({ inputs: [sk42], output: forced, format: 'png', workers: 2, datumTransform: 'EPSG:15865' });
    await assert.rejects(compareTilesWithGdal(dir, forced, 16, sk42, { aligned: true }));
  });

  it('CBERS (SAD69) tiles within a pixel of gdal2tiles run with its defaults', async () => {
    const output = join(dir, 'cbers.mbtiles');
    const summary = await buildRaster({ inputs: [crop], output, format: 'png', minzoom: 16, workers: 2 });
    assert.deepEqual(summary.datumTransforms, ['EPSG:5882 SAD69 to WGS 84 (16), 5 m: 1 source']);
    const tiles = join(dir, 'gdal2tiles');
    execFileSync('gdal2tiles.py', ['-q', '-z', '16', '-w', 'none', crop, tiles], { env: { ...process.env, GTIFF_SRS_SOURCE: 'EPSG' } });
    const range = archiveTileRange(output, 16);
    let compared = 0;
    for (let x = range.minX; x <= range.maxX; x++) {
      for (let y = range.minY; y <= range.maxY; y++) {
        // gdal2tiles writes TMS rows by default.
        const file = join(tiles, '16', String(x), `${flipRow(16, y)}.png`);
        const mekan = await archiveTile(output, 16, x, y);
        if (!existsSync(file) || !mekan) {
          assert.equal(existsSync(file), mekan !== undefined, `16/${x}/${y}: one side lacks the tile`);
          continue;
        }
        const theirs = new Uint8Array(await sharp(readFileSync(file)).ensureAlpha().raw().toBuffer());
        const offset = bestOffset(theirs, mekan);
        assert.ok(Math.abs(offset.dx) <= 1 && Math.abs(offset.dy) <= 1, `16/${x}/${y}: offset ${offset.dx},${offset.dy} px from gdal2tiles`);
        compared++;
      }
    }
    assert.ok(compared >= 2, `compared ${compared}`);
  });
});
