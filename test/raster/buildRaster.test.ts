// The raster build against GDAL on the CBERS samples in data/imagery: geolocation, image quality, metadata, variants.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { openArchive } from '../../src/archive/open.js';
import { bboxToTileRange, tilesInRange } from '../../src/grid/webMercator.js';
import { buildRaster, type RasterBuildSummary } from '../../src/raster/buildRaster.js';
import { makeTempDir } from '../support/tempDir.js';
import { alphaCounts, archiveTile, archiveTileRange, bestOffset, compareTilesWithGdal, edgeDistance, gdal, gdalTile, middleTile, PAN, psnr, RGB, SAD69_UTM21S } from './support.js';

const dir = makeTempDir('mekan-raster-');

describe('raster build of the CBERS panchromatic scene, compared with gdalwarp', () => {
  const output = join(dir, 'pan.mbtiles');
  let summary: RasterBuildSummary;

  before(async () => {
    summary = await buildRaster({ inputs: [PAN], output, format: 'png', workers: 2 });
  });

  it('picks the max zoom from the ground resolution and the min zoom from the footprint', () => {
    // 2.5 m UTM pixels are about 2.73 m on the web map at 23.8° S: z16 (2.39 m) is the first zoom as fine.
    assert.equal(summary.maxzoom, 16);
    assert.equal(summary.minzoom, 12);
    assert.deepEqual(Object.keys(summary.tilesPerZoom).map(Number), [12, 13, 14, 15, 16]);
    assert.equal(summary.tilesWritten, Object.values(summary.tilesPerZoom).reduce((a, b) => a + b, 0));
  });

  it('places every max-zoom tile within one pixel of GDAL and matches its pixels (PSNR ≥ 30 dB)', async () => {
    const archive = openArchive(output);
    const bounds = archive.metadata.bounds!;
    archive.close();
    const range = bboxToTileRange(bounds, 16);
    // Corners and edges (partly covered) and the middle (fully covered).
    const picks = [
      [range.minX, range.minY],
      [range.maxX, range.maxY],
      [range.minX, Math.round((range.minY + range.maxY) / 2)],
      [Math.round((range.minX + range.maxX) / 2), range.minY],
      [Math.round((range.minX + range.maxX) / 2), Math.round((range.minY + range.maxY) / 2)],
    ];
    let edgeRows = 0;
    for (const [x, y] of picks) {
      const mekan = await archiveTile(output, 16, x, y);
      const reference = await gdalTile(dir, PAN, 16, x, y);
      assert.ok(mekan, `tile 16/${x}/${y} exists`);
      const quality = psnr(mekan, reference);
      assert.ok(quality.pixels > 1000, `16/${x}/${y}: ${quality.pixels} common pixels`);
      assert.ok(quality.db >= 30, `16/${x}/${y}: PSNR ${quality.db.toFixed(1)} dB`);
      const offset = bestOffset(reference, mekan);
      assert.ok(Math.abs(offset.dx) <= 1 && Math.abs(offset.dy) <= 1, `16/${x}/${y}: shifted by ${offset.dx},${offset.dy} px`);
      for (const fromRight of [false, true]) {
        const edge = edgeDistance(reference, mekan, fromRight);
        if (edge.rows === 0) continue;
        edgeRows += edge.rows;
        assert.ok(edge.mean <= 1, `16/${x}/${y}: footprint edge ${edge.mean.toFixed(2)} px from GDAL's`);
      }
    }
    assert.ok(edgeRows > 100, 'the picked tiles include the data edge');
  });

  it('keeps transparency where a tile leaves the data, and writes no empty tiles', async () => {
    const range = archiveTileRange(output, 16);
    const corner = await archiveTile(output, 16, range.minX, range.minY);
    const counts = alphaCounts(corner!);
    assert.ok(counts.transparent > 1000 && counts.opaque > 1000, `corner tile: ${JSON.stringify(counts)}`);
    let present = 0;
    for (const tile of tilesInRange(range)) {
      const rgba = await archiveTile(output, tile.z, tile.x, tile.y);
      if (!rgba) continue;
      present++;
      assert.ok(alphaCounts(rgba).transparent < 256 * 256, `16/${tile.x}/${tile.y} is not empty`);
    }
    assert.equal(present, summary.tilesPerZoom[16]);
  });

  it('builds lower zooms from their children: a z15 tile matches the average of its z16 tiles', async () => {
    const { x, y } = middleTile(archiveTileRange(output, 15));
    const parent = (await archiveTile(output, 15, x, y))!;
    const reference = await gdalTile(dir, PAN, 15, x, y, 'average');
    const quality = psnr(parent, reference);
    assert.ok(quality.db >= 30, `z15 vs gdalwarp -r average: ${quality.db.toFixed(1)} dB`);
  });

  it('writes metadata, and GDAL opens the archive with its zoom levels as overviews', () => {
    const archive = openArchive(output);
    const m = archive.metadata;
    archive.close();
    assert.equal(m.format, 'png');
    assert.equal(m.minzoom, 12);
    assert.equal(m.maxzoom, 16);
    assert.equal(m.type, 'baselayer');
    const [west, south, east, north] = m.bounds!;
    assert.ok(west > -54.34 && west < -54.33 && east > -54.29 && east < -54.28, `bounds ${m.bounds}`);
    assert.ok(south > -23.82 && north < -23.76 && south < north);
    assert.ok(m.center && m.center[0] > west && m.center[0] < east);
    const info = gdal('gdalinfo', [output]);
    assert.match(info, /Driver: MBTiles/);
    assert.match(info, /ZOOM_LEVEL=16/);
    const overviews = /Overviews: ([^\n]*)/.exec(info);
    assert.ok(overviews, info);
    assert.equal(overviews[1].split(',').length, 4, `four overviews for z12–15: ${overviews[1]}`);
  });
});

describe('raster build variants', () => {
  const crop = join(dir, 'pan-crop.tif');
  before(() => {
    // A 600×600 window keeps the variant builds quick.
    gdal('gdal_translate', ['-q', '-srcwin', '700', '700', '600', '600', PAN, crop]);
  });

  it('RGB imagery (striped, pixel-interleaved) matches GDAL', async () => {
    const output = join(dir, 'rgb.mbtiles');
    const summary = await buildRaster({ inputs: [RGB], output, format: 'png', workers: 2 });
    assert.equal(summary.maxzoom, 13, '20 m pixels: z13 (19.1 m) is the first zoom as fine');
    assert.ok((await compareTilesWithGdal(dir, output, 13, RGB, { aligned: true })) >= 1);
  });

  it('nearest, cubic and lanczos match gdalwarp with the same kernel', async () => {
    for (const resampling of ['nearest', 'cubic', 'lanczos'] as const) {
      const output = join(dir, `crop-${resampling}.mbtiles`);
      const summary = await buildRaster({ inputs: [crop], output, format: 'png', resampling, minzoom: 16, workers: 1 });
      const { x, y } = middleTile(archiveTileRange(output, summary.maxzoom));
      const mekan = (await archiveTile(output, summary.maxzoom, x, y))!;
      const reference = await gdalTile(dir, crop, summary.maxzoom, x, y, resampling === 'nearest' ? 'near' : resampling);
      const quality = psnr(mekan, reference);
      assert.ok(quality.pixels > 10000);
      assert.ok(quality.db >= 30, `${resampling}: ${quality.db.toFixed(1)} dB`);
    }
  });

  it('uncompressed files (read block by block directly) give the same tiles as compressed ones (read through geotiff.js)', async () => {
    const layouts = {
      tiled: ['-co', 'TILED=YES', '-co', 'BLOCKXSIZE=128', '-co', 'BLOCKYSIZE=64'],
      stripedDeflate: ['-co', 'COMPRESS=DEFLATE', '-co', 'BLOCKYSIZE=7'],
    };
    const outputs: string[] = [];
    for (const [name, options] of Object.entries(layouts)) {
      const tiff = join(dir, `rgb-${name}.tif`);
      gdal('gdal_translate', ['-q', ...options, RGB, tiff]);
      const output = join(dir, `rgb-${name}.mbtiles`);
      await buildRaster({ inputs: [tiff], output, format: 'png', minzoom: 13, workers: 1 });
      outputs.push(output);
    }
    const range = archiveTileRange(outputs[0], 13);
    let compared = 0;
    for (let x = range.minX; x <= range.maxX; x++) {
      for (let y = range.minY; y <= range.maxY; y++) {
        const [a, b] = await Promise.all(outputs.map((output) => archiveTile(output, 13, x, y)));
        assert.deepEqual(a, b, `tile 13/${x}/${y}`);
        if (a) compared++;
      }
    }
    assert.ok(compared >= 4, `${compared} tiles compared`);
  });

  it('a grey file (kept as grey+alpha inside) and its three-band copy give exactly the same pixels, nodata included', async () => {
    const grey = join(dir, 'pan-grey-nodata.tif');
    gdal('gdal_translate', ['-q', '-srcwin', '-100', '0', '500', '400', '-a_nodata', '0', crop, grey]);
    const rgb = join(dir, 'pan-rgb-nodata.tif');
    gdal('gdal_translate', ['-q', '-b', '1', '-b', '1', '-b', '1', grey, rgb]);
    const outputs = [`${grey.slice(0, -4)}.mbtiles`, `${rgb.slice(0, -4)}.mbtiles`];
    await buildRaster({ inputs: [grey], output: outputs[0], format: 'png', workers: 1 });
    const summary = await buildRaster({ inputs: [rgb], output: outputs[1], format: 'png', workers: 1 });
    const range = archiveTileRange(outputs[0], summary.maxzoom);
    let compared = 0;
    let transparent = 0;
    for (let x = range.minX; x <= range.maxX; x++) {
      for (let y = range.minY; y <= range.maxY; y++) {
        const [a, b] = await Promise.all(outputs.map((output) => archiveTile(output, summary.maxzoom, x, y)));
        assert.deepEqual(a, b, `tile ${summary.maxzoom}/${x}/${y}`);
        if (!a) continue;
        compared++;
        for (let o = 3; o < a.length; o += 4) if (a[o] === 0) transparent++;
      }
    }
    assert.ok(compared >= 4 && transparent > 0, `${compared} tiles compared, ${transparent} transparent pixels`);
  });

  it('JPEG-compressed YCbCr imagery (as GDAL writes orthophotos) comes out in RGB, as GDAL reads it', async () => {
    const ycbcr = join(dir, 'rgb-ycbcr.tif');
    gdal('gdal_translate', ['-q', '-co', 'COMPRESS=JPEG', '-co', 'PHOTOMETRIC=YCBCR', '-co', 'TILED=YES', RGB, ycbcr]);
    const output = join(dir, 'ycbcr.mbtiles');
    const summary = await buildRaster({ inputs: [ycbcr], output, format: 'png', workers: 1 });
    assert.ok((await compareTilesWithGdal(dir, output, summary.maxzoom, ycbcr)) >= 1);
  });

  it('imagery in geographic coordinates (EPSG:4326, RGBA from gdalwarp -dstalpha) matches GDAL', async () => {
    const geographic = join(dir, 'rgb-4326.tif');
    gdal('gdalwarp', ['-q', '-overwrite', '-s_srs', SAD69_UTM21S, '-t_srs', 'EPSG:4326', '-r', 'bilinear', '-dstalpha', RGB, geographic]);
    const output = join(dir, 'geographic.mbtiles');
    const summary = await buildRaster({ inputs: [geographic], output, format: 'png', workers: 1 });
    assert.ok((await compareTilesWithGdal(dir, output, summary.maxzoom, geographic, { resampling: 'bilinear', srs: 'EPSG:4326', aligned: true })) >= 1);
  });

  it('--bands 3,2,1 swaps red and blue', async () => {
    const normal = join(dir, 'rgb-123.mbtiles');
    const swapped = join(dir, 'rgb-321.mbtiles');
    await buildRaster({ inputs: [RGB], output: normal, format: 'png', maxzoom: 12, minzoom: 12, workers: 1 });
    await buildRaster({ inputs: [RGB], output: swapped, format: 'png', maxzoom: 12, minzoom: 12, bands: [3, 2, 1], workers: 1 });
    const range = archiveTileRange(normal, 12);
    const a = (await archiveTile(normal, 12, range.minX, range.minY))!;
    const b = (await archiveTile(swapped, 12, range.minX, range.minY))!;
    let differentBands = 0;
    for (let o = 0; o < a.length; o += 4) {
      if (a[o + 3] === 0) continue;
      assert.equal(a[o], b[o + 2]);
      assert.equal(a[o + 2], b[o]);
      assert.equal(a[o + 1], b[o + 1]);
      if (a[o] !== a[o + 2]) differentBands++;
    }
    assert.ok(differentBands > 100);
  });

  it('RGBN imagery (a fourth, near-infrared band not marked alpha) shows its RGB bands, as the three-band file does', async () => {
    const rgbn = join(dir, 'rgbn.tif');
    // Band 4 is an extra sample (ExtraSamples 0): near infrared, not transparency.
    gdal('gdal_translate', ['-q', '-b', '1', '-b', '2', '-b', '3', '-b', '1', '-colorinterp', 'red,green,blue,undefined', RGB, rgbn]);
    assert.match(gdal('gdalinfo', [rgbn]), /Band 4 .*ColorInterp=Undefined/);
    const withNir = join(dir, 'rgbn.mbtiles');
    const plain = join(dir, 'rgb-plain.mbtiles');
    await buildRaster({ inputs: [rgbn], output: withNir, format: 'png', maxzoom: 12, minzoom: 12, workers: 1 });
    await buildRaster({ inputs: [RGB], output: plain, format: 'png', maxzoom: 12, minzoom: 12, workers: 1 });
    let compared = 0;
    for (const { x, y } of tilesInRange(archiveTileRange(plain, 12))) {
      const [a, b] = await Promise.all([archiveTile(plain, 12, x, y), archiveTile(withNir, 12, x, y)]);
      assert.deepEqual(b, a, `tile 12/${x}/${y}`);
      if (a) compared++;
    }
    assert.ok(compared >= 1);
  });

  it('16-bit imagery with --rescale matches the 8-bit original; without it, a range is taken from the data', async () => {
    const wide = join(dir, 'pan16.tif');
    // Values v become 4·v + 100: rescaling 100..1120 → 0..255 gives back the original.
    gdal('gdal_translate', ['-q', '-ot', 'UInt16', '-scale', '0', '255', '100', '1120', '-co', 'COMPRESS=LZW', '-co', 'TILED=YES', crop, wide]);
    const eight = join(dir, 'pan8.mbtiles');
    const sixteen = join(dir, 'pan16.mbtiles');
    const auto = join(dir, 'pan16auto.mbtiles');
    await buildRaster({ inputs: [crop], output: eight, format: 'png', workers: 1 });
    const summary = await buildRaster({ inputs: [wide], output: sixteen, format: 'png', rescale: [100, 1120], workers: 1 });
    const autoSummary = await buildRaster({ inputs: [wide], output: auto, format: 'png', workers: 1 });
    assert.equal(autoSummary.tilesWritten, summary.tilesWritten);
    const { x, y } = middleTile(archiveTileRange(eight, summary.maxzoom));
    const a = (await archiveTile(eight, summary.maxzoom, x, y))!;
    const b = (await archiveTile(sixteen, summary.maxzoom, x, y))!;
    assert.ok(psnr(a, b).db >= 40, `16-bit rescaled vs 8-bit: ${psnr(a, b).db.toFixed(1)} dB`);
    const c = (await archiveTile(auto, summary.maxzoom, x, y))!;
    let min = 255;
    let max = 0;
    for (let o = 0; o < c.length; o += 4) {
      min = Math.min(min, c[o]);
      max = Math.max(max, c[o]);
    }
    assert.ok(max - min > 100, `auto-stretched tile spans ${min}..${max}`);
  });

  it('nodata pixels, a 4-band RGBA alpha and a GDAL internal mask become transparent', async () => {
    // Pad the crop by 200 px on the left with 0 and declare 0 as nodata.
    const padded = join(dir, 'pan-nodata.tif');
    gdal('gdal_translate', ['-q', '-srcwin', '-200', '0', '800', '600', '-a_nodata', '0', crop, padded]);
    const rgba = join(dir, 'pan-rgba.tif');
    gdal('gdal_translate', ['-q', '-b', '1', '-b', '1', '-b', '1', '-b', 'mask', '-co', 'ALPHA=YES', '-co', 'COMPRESS=DEFLATE', padded, rgba]);
    const masked = join(dir, 'pan-mask.tif');
    // The same transparency as a 1-bit internal mask IFD, with the nodata value dropped.
    gdal('gdal_translate', ['-q', '-b', '1', '-mask', '1', '-a_nodata', 'none', '--config', 'GDAL_TIFF_INTERNAL_MASK', 'YES', '-co', 'TILED=YES', padded, masked]);
    const plain = join(dir, 'crop.mbtiles');
    await buildRaster({ inputs: [crop], output: plain, format: 'png', workers: 1 });
    for (const input of [padded, rgba, masked]) {
      const output = `${input.slice(0, -4)}.mbtiles`;
      const summary = await buildRaster({ inputs: [input], output, format: 'webp', workers: 1 });
      // The padding is transparent, so the footprint and every tile match the unpadded crop's.
      const a = openArchive(plain);
      const b = openArchive(output);
      const zooms = (await a.summarize()).map((z) => [z.zoom, z.tiles]);
      assert.deepEqual((await b.summarize()).map((z) => [z.zoom, z.tiles]), zooms, input);
      a.close();
      b.close();
      const range = archiveTileRange(plain, summary.maxzoom);
      const left = (await archiveTile(output, summary.maxzoom, range.minX, range.minY + 1))!;
      const reference = (await archiveTile(plain, summary.maxzoom, range.minX, range.minY + 1))!;
      const edge = edgeDistance(reference, left);
      assert.ok(edge.rows > 50 && edge.mean <= 1, `${input}: edge ${JSON.stringify(edge)}`);
      assert.ok(psnr(reference, left).db >= 30);
    }
  });

  it('a mosaic of 49 files (more than a worker keeps open) matches the single file it was cut from', async () => {
    const pieces: string[] = [];
    for (let row = 0; row < 7; row++) {
      for (let col = 0; col < 7; col++) {
        const piece = join(dir, `piece-${row}-${col}.tif`);
        gdal('gdal_translate', ['-q', '-srcwin', String(col * 90), String(row * 90), String(Math.min(90, 600 - col * 90)), String(Math.min(90, 600 - row * 90)), crop, piece]);
        pieces.push(piece);
      }
    }
    const whole = join(dir, 'pieces-whole.mbtiles');
    const mosaic = join(dir, 'pieces-mosaic.mbtiles');
    await buildRaster({ inputs: [crop], output: whole, format: 'png', workers: 1 });
    // One worker: it opens all 49 sources, closing the least recently used beyond its limit and reopening them.
    const summary = await buildRaster({ inputs: pieces, output: mosaic, format: 'png', workers: 1 });
    assert.equal(summary.sources, 49);
    const a = openArchive(whole);
    const b = openArchive(mosaic);
    assert.deepEqual((await b.summarize()).map((z) => [z.zoom, z.tiles]), (await a.summarize()).map((z) => [z.zoom, z.tiles]));
    a.close();
    b.close();
    const range = archiveTileRange(whole, summary.maxzoom);
    let compared = 0;
    for (const { x, y } of tilesInRange(range)) {
      const [reference, pieced] = await Promise.all([archiveTile(whole, summary.maxzoom, x, y), archiveTile(mosaic, summary.maxzoom, x, y)]);
      if (!reference || !pieced) continue;
      // Pieces repeat their own edge pixels under the kernel where the whole file has the neighbour's: seams differ a little.
      assert.ok(psnr(reference, pieced).db >= 40, `tile ${summary.maxzoom}/${x}/${y}: ${psnr(reference, pieced).db.toFixed(1)} dB`);
      compared++;
    }
    assert.ok(compared >= 4, `${compared} tiles compared`);
  });

  it('a mosaic draws later files over earlier ones', async () => {
    const inverted = join(dir, 'pan-inverted.tif');
    // The right half of the crop, inverted, so the overlap shows which file won.
    gdal('gdal_translate', ['-q', '-srcwin', '300', '0', '300', '600', '-scale', '0', '255', '255', '0', crop, inverted]);
    const output = join(dir, 'mosaic.mbtiles');
    const summary = await buildRaster({ inputs: [crop, inverted], output, format: 'png', workers: 2 });
    const single = join(dir, 'single.mbtiles');
    await buildRaster({ inputs: [inverted], output: single, format: 'png', workers: 1, minzoom: summary.minzoom, maxzoom: summary.maxzoom });
    const { x, y } = middleTile(archiveTileRange(single, summary.maxzoom));
    const mosaic = (await archiveTile(output, summary.maxzoom, x, y))!;
    const top = (await archiveTile(single, summary.maxzoom, x, y))!;
    assert.ok(psnr(mosaic, top).db >= 50, 'inside the later file, the mosaic shows the later file');
  });

  it('JPEG tiles flatten transparency onto the background', async () => {
    const output = join(dir, 'jpeg.mbtiles');
    const summary = await buildRaster({ inputs: [crop], output, format: 'jpeg', quality: 80, background: [0, 0, 0], workers: 1 });
    const archive = openArchive(output);
    assert.equal(archive.metadata.format, 'jpg');
    const range = bboxToTileRange(archive.metadata.bounds!, summary.maxzoom);
    const tile = (await archive.getTile(summary.maxzoom, range.minX, range.minY))!;
    archive.close();
    assert.equal(tile.data[0], 0xff);
    assert.equal(tile.data[1], 0xd8);
    const rgba = (await archiveTile(output, summary.maxzoom, range.minX, range.minY))!;
    assert.equal(alphaCounts(rgba).transparent, 0);
  });
});
