// Raster build benchmark: Mekan vs gdal2tiles.py --processes=2 on the CBERS panchromatic scene (2954×2810, 2.5 m),
// same zooms (10–17), same resampling, XYZ; wall time, peak RSS, speed ratio and image quality side by side.
//   npm run bench:build-raster [-- --runs 3 --formats png,webp --zooms 10-17 --resampling bilinear]
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fromArrayBuffer } from 'geotiff';
import sharp from 'sharp';
import { openArchive } from '../src/archive/open.js';
import { resolveEpsg } from '../src/crs/resolve.js';
import { tileToMercatorBBox } from '../src/grid/webMercator.js';
import { fileFromDebianPackage } from './support/debianData.js';
import { measure, type Measured } from './support/measure.js';

const SCENE_PATH = 'usr/share/doc/libterralib-dev/examples/image_processing/resources/cbers2b_hrc_crop.tif';
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    formats: { type: 'string', default: 'png,webp' },
    zooms: { type: 'string', default: '10-17' },
    resampling: { type: 'string', default: 'bilinear' },
    quality: { type: 'string', default: '85' },
    samples: { type: 'string', default: '24' },
  },
});
const runs = Number(values.runs);
const [minzoom, maxzoom] = values.zooms!.split('-').map(Number);
const work = join(tmpdir(), 'mekan-bench-raster');
const gdalEnv = { ...process.env, GTIFF_SRS_SOURCE: 'EPSG', CPL_LOG: '/dev/null' };

/** The scene from /tmp/debs if unpacked there, else from Debian's libterralib-doc, downloaded once into a cache folder. */
function findScene(): string {
  return fileFromDebianPackage('libterralib-doc', SCENE_PATH);
}

function median(numbers: number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function decode(data: Buffer): Promise<Uint8Array> {
  return new Uint8Array(await sharp(data).ensureAlpha().raw().toBuffer());
}

function psnr(a: Uint8Array, b: Uint8Array): { sum: number; n: number } {
  let sum = 0;
  let n = 0;
  for (let o = 0; o < a.length; o += 4) {
    if (a[o + 3] !== 255 || b[o + 3] !== 255) continue;
    for (let c = 0; c < 3; c++) sum += (a[o + c] - b[o + c]) ** 2;
    n += 3;
  }
  return { sum, n };
}

const db = (acc: { sum: number; n: number }) => (acc.sum === 0 ? Infinity : 10 * Math.log10((255 * 255) / (acc.sum / acc.n)));

/** The ideal max-zoom tile: gdalwarp straight from the scene into the tile's bounds. */
async function referenceTile(scene: string, srs: string, z: number, x: number, y: number): Promise<Uint8Array> {
  const [west, south, east, north] = tileToMercatorBBox(z, x, y);
  const out = join(work, 'ref.tif');
  execFileSync('gdalwarp', ['-q', '-overwrite', '-s_srs', srs, '-t_srs', 'EPSG:3857', '-te', String(west), String(south), String(east), String(north), '-ts', '256', '256', '-r', values.resampling!, '-dstalpha', scene, out], { env: gdalEnv });
  const buffer = readFileSync(out);
  const image = await (await fromArrayBuffer(buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength))).getImage();
  const data = (await image.readRasters({ interleave: true })) as unknown as Uint8Array;
  const rgba = new Uint8Array(256 * 256 * 4);
  for (let p = 0; p < 256 * 256; p++) rgba.set([data[p * 2], data[p * 2], data[p * 2], data[p * 2 + 1]], p * 4);
  return rgba;
}

async function main(): Promise<void> {
  const scene = findScene();
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  // Both tools get the same datum shift (Mekan's resolution of the scene's CRS), so that only the tiling differs.
  const srs = resolveEpsg(29191, scene).definition;
  const cli = join(process.cwd(), 'bin', 'mekan.js');
  console.log(`scene ${scene}\nzooms ${minzoom}–${maxzoom}, resampling ${values.resampling}, ${runs} run(s) each, median shown\n`);
  const rows: string[] = [];
  for (const format of values.formats!.split(',')) {
    const gdalDir = join(work, `gdal2tiles-${format}`);
    const mekanOut = join(work, `mekan-${format}.mbtiles`);
    const gdalArgs = ['--processes=2', '-q', '--xyz', '-z', `${minzoom}-${maxzoom}`, '-r', values.resampling!, '-s', srs, '--exclude'];
    let gdalInput = scene;
    if (format === 'webp') {
      gdalArgs.push('--tiledriver=WEBP', `--webp-quality=${values.quality}`);
      // GDAL's WEBP driver takes only RGB(A), not grey+alpha: give it the grey band three times through a VRT.
      gdalInput = join(work, 'scene-rgb.vrt');
      execFileSync('gdal_translate', ['-q', '-of', 'VRT', '-b', '1', '-b', '1', '-b', '1', scene, gdalInput], { env: gdalEnv });
    }
    const mekanArgs = [cli, 'build', 'raster', scene, '-o', mekanOut, '--minzoom', String(minzoom), '--maxzoom', String(maxzoom), '--resampling', values.resampling!, '--format', format, '--quality', String(values.quality), '--quiet'];
    const gdalRuns: Measured[] = [];
    const mekanRuns: Measured[] = [];
    for (let run = 0; run < runs; run++) {
      rmSync(gdalDir, { recursive: true, force: true });
      gdalRuns.push(await measure('gdal2tiles.py', [...gdalArgs, gdalInput, gdalDir], { env: gdalEnv, processTree: true }));
      mekanRuns.push(await measure(process.execPath, mekanArgs, { env: gdalEnv, processTree: true }));
      const loadavg = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
      console.error(`${format} run ${run + 1}: gdal2tiles ${gdalRuns[run].seconds.toFixed(2)} s, mekan ${mekanRuns[run].seconds.toFixed(2)} s (load average ${loadavg})`);
    }
    const ext = format === 'webp' ? 'webp' : 'png';
    const gdalTiles = execFileSync('find', [gdalDir, '-name', `*.${ext}`], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
    const archive = openArchive(mekanOut);
    const mekanTiles = (await archive.summarize()).reduce((sum, z) => sum + z.tiles, 0);

    // Quality on a spread sample of max-zoom tiles that both made: each against gdalwarp's direct rendering, and each other.
    const maxzoomTiles = gdalTiles.filter((f) => f.includes(`/${maxzoom}/`)).sort();
    const count = Math.min(Number(values.samples), maxzoomTiles.length);
    const mekanVsRef = { sum: 0, n: 0 };
    const gdalVsRef = { sum: 0, n: 0 };
    const mekanVsGdal = { sum: 0, n: 0 };
    for (let i = 0; i < count; i++) {
      const file = maxzoomTiles[Math.floor((i * maxzoomTiles.length) / count)];
      const [x, y] = file.slice(gdalDir.length + 1).split('/').slice(1).map((part) => parseInt(part, 10));
      const stored = await archive.getTile(maxzoom, x, y);
      if (!stored) continue;
      const mekan = await decode(stored.data);
      const gdal = await decode(readFileSync(file));
      const ref = await referenceTile(scene, srs, maxzoom, x, y);
      for (const [acc, a, b] of [[mekanVsRef, mekan, ref], [gdalVsRef, gdal, ref], [mekanVsGdal, mekan, gdal]] as const) {
        const { sum, n } = psnr(a, b);
        acc.sum += sum;
        acc.n += n;
      }
    }
    archive.close();
    const gdalBytes = Number(execFileSync('du', ['-sb', gdalDir], { encoding: 'utf8' }).split('\t')[0]);
    const mekanBytes = Number(execFileSync('du', ['-sb', mekanOut], { encoding: 'utf8' }).split('\t')[0]);
    const gt = median(gdalRuns.map((r) => r.seconds));
    const mk = median(mekanRuns.map((r) => r.seconds));
    const gc = median(gdalRuns.map((r) => r.cpuSeconds ?? NaN));
    const mc = median(mekanRuns.map((r) => r.cpuSeconds ?? NaN));
    const fmtRss = (r: Measured[]) => `${median(r.map((m) => m.treeRssMb ?? NaN)).toFixed(0)} MB (max single process ${median(r.map((m) => m.timeRssMb ?? NaN)).toFixed(0)} MB)`;
    rows.push(
      `── ${format.toUpperCase()} ──`,
      `                 wall time   peak RSS (process tree)              tiles   output`,
      `gdal2tiles.py    ${gt.toFixed(2).padStart(7)} s   ${fmtRss(gdalRuns).padEnd(36)} ${String(gdalTiles.length).padStart(6)}   ${(gdalBytes / 1048576).toFixed(1)} MiB (files)`,
      `mekan            ${mk.toFixed(2).padStart(7)} s   ${fmtRss(mekanRuns).padEnd(36)} ${String(mekanTiles).padStart(6)}   ${(mekanBytes / 1048576).toFixed(1)} MiB (MBTiles)`,
      `CPU time         gdal2tiles ${gc.toFixed(2)} s, mekan ${mc.toFixed(2)} s (user + system): ${(gc / mc).toFixed(2)}× less CPU`,
      `speed ratio      mekan is ${(gt / mk).toFixed(2)}× as fast (all runs: gdal2tiles ${gdalRuns.map((r) => r.seconds.toFixed(2)).join(', ')}; mekan ${mekanRuns.map((r) => r.seconds.toFixed(2)).join(', ')})`,
      `quality z${maxzoom}      PSNR vs gdalwarp of the same tile (${count} tiles): mekan ${db(mekanVsRef).toFixed(1)} dB, gdal2tiles ${db(gdalVsRef).toFixed(1)} dB; mekan vs gdal2tiles ${db(mekanVsGdal).toFixed(1)} dB`,
      '',
    );
    // Printed as each format finishes, so a failure later keeps what was measured.
    console.log(rows.splice(0).join('\n'));
  }
  console.log('Both skip fully transparent tiles (gdal2tiles --exclude). Mekan: one process with worker threads; gdal2tiles: 2 processes.');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
