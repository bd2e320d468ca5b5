// Helpers for the raster tests: GDAL as the reference warper, tiles decoded to RGBA, image comparisons.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromArrayBuffer } from 'geotiff';
import sharp from 'sharp';
import { openArchive } from '../../src/archive/open.js';
import { bboxToTileRange, tilesInRange, tileToMercatorBBox, type TileRange } from '../../src/grid/webMercator.js';

export const PAN = 'data/imagery/cbers2b_hrc_pan_crop.tif';
export const RGB = 'data/imagery/cbers2b_rgb342_crop.tif';
/**
 * The CBERS scenes' CRS with the 19 m SAD69 (1) transformation fixed in it, as epsg-index's proj4 string has it: for
 * tests that need a fixed datum on both sides. The comparisons themselves give GDAL no CRS: it reads the file's and
 * picks the datum transformation itself (PROJ's choice), so a wrong choice in Mekan shows as an offset.
 */
export const SAD69_UTM21S = '+proj=utm +zone=21 +south +ellps=aust_SA +towgs84=-57,1,-41,0,0,0,0 +units=m +no_defs';

const GDAL_ENV = { ...process.env, GTIFF_SRS_SOURCE: 'EPSG', CPL_LOG: '/dev/null' };

export function gdal(tool: string, args: string[]): string {
  return execFileSync(tool, args, { env: GDAL_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** GDAL's rendering of one web tile: gdalwarp into the tile's EPSG:3857 bounds, 256×256, with an alpha band; the file's own CRS unless `srs`. */
export async function gdalTile(dir: string, input: string, z: number, x: number, y: number, resampling = 'bilinear', srs?: string): Promise<Uint8Array> {
  const [west, south, east, north] = tileToMercatorBBox(z, x, y);
  const out = join(dir, `gdal-${z}-${x}-${y}-${resampling}.tif`);
  gdal('gdalwarp', ['-q', '-overwrite', ...(srs ? ['-s_srs', srs] : []), '-t_srs', 'EPSG:3857', '-te', String(west), String(south), String(east), String(north), '-ts', '256', '256', '-r', resampling, '-dstalpha', input, out]);
  const buffer = readFileSync(out);
  const tiff = await fromArrayBuffer(buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength));
  const image = await tiff.getImage();
  const bands = image.getSamplesPerPixel();
  const data = (await image.readRasters({ interleave: true })) as unknown as Uint8Array;
  const rgba = new Uint8Array(256 * 256 * 4);
  for (let p = 0; p < 256 * 256; p++) {
    const colour = bands === 2 ? [data[p * 2], data[p * 2], data[p * 2]] : [data[p * bands], data[p * bands + 1], data[p * bands + 2]];
    rgba.set([...colour, data[p * bands + bands - 1]], p * 4);
  }
  return rgba;
}

/** Mekan's tile from an archive, decoded to RGBA (undefined when the archive has no such tile). */
export async function archiveTile(path: string, z: number, x: number, y: number): Promise<Uint8Array | undefined> {
  const archive = openArchive(path);
  try {
    const tile = await archive.getTile(z, x, y);
    if (!tile) return undefined;
    return new Uint8Array(await sharp(tile.data).ensureAlpha().raw().toBuffer());
  } finally {
    archive.close();
  }
}

/** PSNR in dB over the colour of pixels that both images cover fully; also how many such pixels there were. */
export function psnr(a: Uint8Array, b: Uint8Array): { db: number; pixels: number } {
  let sum = 0;
  let pixels = 0;
  for (let o = 0; o < a.length; o += 4) {
    if (a[o + 3] !== 255 || b[o + 3] !== 255) continue;
    for (let c = 0; c < 3; c++) sum += (a[o + c] - b[o + c]) ** 2;
    pixels++;
  }
  const mse = sum / (pixels * 3);
  return { db: mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse), pixels };
}

/** The shift (dx, dy within ±range pixels) of `b` against `a` that matches their common pixels best. */
export function bestOffset(a: Uint8Array, b: Uint8Array, range = 3): { dx: number; dy: number } {
  let best = { dx: 0, dy: 0, error: Infinity };
  for (let dy = -range; dy <= range; dy++) {
    for (let dx = -range; dx <= range; dx++) {
      let sum = 0;
      let n = 0;
      for (let y = range; y < 256 - range; y++) {
        for (let x = range; x < 256 - range; x++) {
          const i = (y * 256 + x) * 4;
          const j = ((y + dy) * 256 + (x + dx)) * 4;
          if (a[i + 3] !== 255 || b[j + 3] !== 255) continue;
          sum += (a[i] - b[j]) ** 2;
          n++;
        }
      }
      if (n > 1000 && sum / n < best.error) best = { dx, dy, error: sum / n };
    }
  }
  return { dx: best.dx, dy: best.dy };
}

/** Mean distance in pixels between where the data starts (alpha ≥ 128) in each row of two tiles, over rows where both have data. */
export function edgeDistance(a: Uint8Array, b: Uint8Array, fromRight = false): { mean: number; rows: number } {
  let total = 0;
  let rows = 0;
  const first = (img: Uint8Array, y: number): number => {
    for (let k = 0; k < 256; k++) {
      const x = fromRight ? 255 - k : k;
      if (img[(y * 256 + x) * 4 + 3] >= 128) return k;
    }
    return -1;
  };
  for (let y = 0; y < 256; y++) {
    const ea = first(a, y);
    const eb = first(b, y);
    if (ea <= 0 || eb <= 0) continue;
    total += Math.abs(ea - eb);
    rows++;
  }
  return { mean: rows ? total / rows : NaN, rows };
}

export function alphaCounts(rgba: Uint8Array): { transparent: number; opaque: number } {
  let transparent = 0;
  let opaque = 0;
  for (let o = 3; o < rgba.length; o += 4) {
    if (rgba[o] === 0) transparent++;
    else if (rgba[o] === 255) opaque++;
  }
  return { transparent, opaque };
}

/** The tiles the bounds of the archive at `path` cover at zoom `z`. */
export function archiveTileRange(path: string, z: number): TileRange {
  const archive = openArchive(path);
  try {
    return bboxToTileRange(archive.metadata.bounds!, z);
  } finally {
    archive.close();
  }
}

/** The tile in the middle of `range` (rounded): well inside the data for the test scenes. */
export function middleTile(range: TileRange): { x: number; y: number } {
  return { x: Math.round((range.minX + range.maxX) / 2), y: Math.round((range.minY + range.maxY) / 2) };
}

/** Whether a tile shows anything: some pixel at least half opaque. */
function hasData(rgba: Uint8Array): boolean {
  for (let o = 3; o < rgba.length; o += 4) if (rgba[o] >= 128) return true;
  return false;
}

/**
 * Compares every tile of the archive's bounds at `output`, zoom `z`, with GDAL's rendering of `input` (gdalwarp with
 * `resampling`, from the file's own CRS unless `srs`): a tile one side has and the other lacks (or leaves transparent)
 * is a difference; each pair with at least 1000 pixels to compare must be within 30 dB PSNR and, with `aligned`, no
 * more than a pixel off. Returns how many tiles were compared.
 */
export async function compareTilesWithGdal(
  dir: string,
  output: string,
  z: number,
  input: string,
  options: { resampling?: string; srs?: string; aligned?: boolean } = {},
): Promise<number> {
  let compared = 0;
  for (const tile of tilesInRange(archiveTileRange(output, z))) {
    const mekan = await archiveTile(output, z, tile.x, tile.y);
    const reference = await gdalTile(dir, input, z, tile.x, tile.y, options.resampling, options.srs);
    const theirs = hasData(reference);
    assert.equal(mekan !== undefined && hasData(mekan), theirs, `${z}/${tile.x}/${tile.y}: ${theirs ? 'GDAL draws a tile Mekan left out' : 'Mekan wrote a tile GDAL leaves empty'}`);
    if (!mekan) continue;
    const quality = psnr(mekan, reference);
    if (quality.pixels < 1000) continue;
    assert.ok(quality.db >= 30, `${z}/${tile.x}/${tile.y}: ${quality.db.toFixed(1)} dB`);
    if (options.aligned) {
      const offset = bestOffset(reference, mekan);
      assert.ok(Math.abs(offset.dx) <= 1 && Math.abs(offset.dy) <= 1, `offset ${offset.dx},${offset.dy}`);
    }
    compared++;
  }
  return compared;
}
