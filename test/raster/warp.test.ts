// The warp's parts on their own: the approximate transform's error bound, resampling kernels, the 2×2 pyramid step.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveEpsg } from '../../src/crs/resolve.js';
import { supersedingEpsg } from '../../src/crs/supersededEpsg.js';
import { lonLatToTile, tileToMercatorBBox } from '../../src/grid/webMercator.js';
import { downsampleChildren } from '../../src/raster/pyramid.js';
import { resampleInto } from '../../src/raster/resample.js';
import type { SourceWindow } from '../../src/raster/windowReader.js';
import { MAX_GRID_ERROR, gridToSourcePixel, tilePixelMap } from '../../src/raster/transformGrid.js';
import type { RasterSource } from '../../src/raster/types.js';

function utmSource(): RasterSource {
  return {
    path: 'synthetic',
    width: 4000,
    height: 4000,
    geoTransform: [770595, 2.5, 0, 7370115, 0, -2.5],
    crs: resolveEpsg(29191, 'synthetic'),
    colorBands: [0],
    alphaMax: 255,
    gridBBox: [0, 0, 0, 0],
    gridPixelSize: 2.73,
    lonLatBBox: [0, 0, 0, 0],
  };
}

describe('approximate transform', () => {
  for (const z of [8, 13, 17, 20]) {
    it(`stays within 1/8 source pixel of exact proj4 at z${z}`, () => {
      const toSource = gridToSourcePixel(utmSource(), 'EPSG:3857');
      const tile = lonLatToTile(-54.3, -23.78, z);
      const { coords, step, maxError } = tilePixelMap(toSource, tileToMercatorBBox(z, tile.x, tile.y));
      assert.ok(maxError <= MAX_GRID_ERROR);
      const [west, , east, north] = tileToMercatorBBox(z, tile.x, tile.y);
      const res = (east - west) / 256;
      let worst = 0;
      for (let k = 0; k < 500; k++) {
        const px = (k * 37) % 256;
        const py = (k * 101) % 256;
        const [sx, sy] = toSource(west + (px + 0.5) * res, north - (py + 0.5) * res);
        const o = (py * 256 + px) * 2;
        worst = Math.max(worst, Math.hypot(coords[o] - sx, coords[o + 1] - sy));
      }
      assert.ok(worst <= MAX_GRID_ERROR, `z${z} step ${step}: worst error ${worst} px`);
    });
  }

  it('reports a box that holds every mapped pixel centre, and not much more', () => {
    const tile = lonLatToTile(-54.3, -23.78, 15);
    const { coords, bounds } = tilePixelMap(gridToSourcePixel(utmSource(), 'EPSG:3857'), tileToMercatorBBox(15, tile.x, tile.y));
    const [minX, minY, maxX, maxY] = bounds;
    const xs = coords.filter((_, i) => i % 2 === 0);
    const ys = coords.filter((_, i) => i % 2 === 1);
    assert.ok(minX <= Math.min(...xs) && maxX >= Math.max(...xs) && minY <= Math.min(...ys) && maxY >= Math.max(...ys), String(bounds));
    // Nodes sit on pixel corners, centres half a pixel inside: the box is at most a source pixel or two wider.
    assert.ok(Math.min(...xs) - minX < 2 && maxY - Math.max(...ys) < 2, String(bounds));
  });

  it('refines the grid where the projection curves strongly (a whole UTM zone in one tile)', () => {
    const { step, maxError } = tilePixelMap(gridToSourcePixel(utmSource(), 'EPSG:3857'), tileToMercatorBBox(3, 2, 4));
    assert.ok(step < 64, `step ${step}`);
    assert.ok(maxError <= MAX_GRID_ERROR);
  });
});

describe('resampling', () => {
  // A 4×4 source: left half black, right half white, bottom-right pixel nodata; as RGBA and as grey+alpha.
  const window: SourceWindow = { x0: 0, y0: 0, width: 4, height: 4, channels: 4, pixels: new Uint8Array(64) };
  const greyWindow: SourceWindow = { ...window, channels: 2, pixels: new Uint8Array(32) };
  for (let p = 0; p < 16; p++) {
    const v = p % 4 >= 2 ? 255 : 0;
    const alpha = p === 15 ? 0 : 255;
    window.pixels.set([v, v, v, alpha], p * 4);
    greyWindow.pixels.set([v, alpha], p * 2);
  }
  const at = (sx: number, sy: number) => {
    const coords = new Float64Array(256 * 256 * 2).fill(-1);
    coords[0] = sx;
    coords[1] = sy;
    return coords;
  };

  it('nearest picks the pixel, bilinear blends neighbours, and neither leaves the image', () => {
    for (const [resampling, expected] of [
      ['nearest', 255],
      ['bilinear', 128],
    ] as const) {
      const tile = new Uint8Array(256 * 256 * 4);
      resampleInto(tile, at(2.0, 1.5), window, 4, 4, resampling, 1);
      assert.equal(tile[0], expected, resampling);
      assert.equal(tile[3], 255);
      assert.equal(tile[7], 0, 'pixels mapped outside the image stay transparent');
    }
  });

  it('nodata does not bleed colour: a blend next to a transparent pixel keeps the valid colour', () => {
    for (const resampling of ['bilinear', 'cubic', 'lanczos'] as const) {
      const tile = new Uint8Array(256 * 256 * 4);
      resampleInto(tile, at(3.3, 3.3), window, 4, 4, resampling, 1);
      assert.equal(tile[0], 255, `${resampling}: white stays white next to nodata`);
      assert.ok(tile[3] > 0 && tile[3] < 255, `${resampling}: partial alpha ${tile[3]}`);
    }
  });

  it('a grey+alpha window resamples to exactly the RGBA tile of its RGBA twin, with every kernel and at scale 2', () => {
    let covered = 0;
    for (const resampling of ['nearest', 'bilinear', 'cubic', 'lanczos'] as const) {
      for (const [sx, sy, scale] of [[2.0, 1.5, 1], [3.3, 3.3, 1], [1.7, 2.2, 2]]) {
        const fromRgba = new Uint8Array(256 * 256 * 4);
        const fromGrey = new Uint8Array(256 * 256 * 4);
        resampleInto(fromRgba, at(sx, sy), window, 4, 4, resampling, scale);
        resampleInto(fromGrey, at(sx, sy), greyWindow, 4, 4, resampling, scale);
        assert.deepEqual(fromGrey.subarray(0, 8), fromRgba.subarray(0, 8), `${resampling} at ${sx},${sy} ×${scale}`);
        if (fromGrey[3] > 0) covered++;
      }
    }
    assert.ok(covered >= 11, `${covered} of 12 cases covered (nearest on the nodata pixel is not)`);
  });
});

describe('pyramid step', () => {
  it('averages 2×2 children alpha-aware; a missing child leaves its quarter transparent', () => {
    const child = new Uint8Array(256 * 256 * 4);
    for (let p = 0; p < 256 * 256; p++) {
      // Columns alternate opaque grey 200 and transparent black.
      const opaque = p % 2 === 0;
      child.set(opaque ? [200, 200, 200, 255] : [0, 0, 0, 0], p * 4);
    }
    const parent = downsampleChildren([child, null, null, child]);
    assert.deepEqual([...parent.subarray(0, 4)], [200, 200, 200, 128], 'transparent neighbours do not darken');
    const ne = (0 * 256 + 200) * 4;
    assert.equal(parent[ne + 3], 0);
    const se = (200 * 256 + 200) * 4;
    assert.equal(parent[se + 3], 128);
  });
});

describe('deprecated EPSG codes in old GeoTIFFs', () => {
  it('SAD69 / UTM 21S as 29181 (CBERS) resolves to its replacement 29191', () => {
    assert.equal(supersedingEpsg(29181), 29191);
    assert.equal(supersedingEpsg(29191), undefined);
  });
});
