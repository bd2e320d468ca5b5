// A tileset in a national grid end to end: CBERS pixels placed on the Baku coast in EPSG:32639, built into
// UTM39WGS84Quad (a GeoPackage), read by GDAL directly, served, listed by WMTS and OGC API, and read back by GDAL
// as a WMTS client in EPSG:32639; errors answered as each standard says.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { buildRaster } from '../../src/raster/buildRaster.js';
import { tileBoundsInCrs, tileGrid, tileRangeInCrs } from '../../src/grid/tileMatrixSets.js';
import { openArchive } from '../../src/archive/open.js';
import { makeTempDir } from '../support/tempDir.js';
import { runGdal } from '../support/gisFixtures.js';
import { startMekan, type RunningMekan } from '../support/basemapFixture.js';
import { children, parseXml, path } from '../support/xml.js';
import { MEKAN_BIN } from '../support/mekanProcess.js';
import { bestOffset, psnr } from '../raster/support.js';

const dir = makeTempDir('mekan-grids-');
const grid = tileGrid('UTM39WGS84Quad')!;
const source = join(dir, 'baku-utm39.tif');
const output = join(dir, 'baku.gpkg');
let server: RunningMekan;
let maxzoom = 0;

async function rgba(data: Uint8Array | Buffer): Promise<Uint8Array> {
  return new Uint8Array(await sharp(data).ensureAlpha().raw().toBuffer());
}

before(async () => {
  // 25 m pixels of the CBERS RGB scene, georeferenced over Baku's shore in WGS 84 / UTM 39N.
  execFileSync('gdal_translate', ['-q', '-a_srs', 'EPSG:32639', '-a_ullr', '395000', '4480000', '404225', '4471225', 'data/imagery/cbers2b_rgb342_crop.tif', source], { env: { ...process.env, GTIFF_SRS_SOURCE: 'EPSG' } });
  const summary = await buildRaster({ inputs: [source], output, tms: 'UTM39WGS84Quad', format: 'png', workers: 2 });
  maxzoom = summary.maxzoom;
  server = await startMekan([dir]);
});
after(() => server?.close());

test('the build picks UTM39WGS84Quad levels and GDAL reads the GeoPackage natively, in EPSG:32639', async () => {
  // 25 m source pixels: the first level at least as fine is 13 (19.08 m), as gdal2tiles would pick.
  assert.equal(maxzoom, 13);
  const info = JSON.parse(await runGdal('gdalinfo', ['-json', output])) as { coordinateSystem: { wkt: string }; geoTransform: number[]; driverShortName: string };
  assert.equal(info.driverShortName, 'GPKG');
  assert.match(info.coordinateSystem.wkt, /UTM zone 39N[\s\S]*ID\["EPSG",32639\]\]$/);
  // GDAL's full resolution is level 13 of the registry, its extent the data's (gpkg_contents).
  assert.ok(Math.abs(info.geoTransform[1] - grid.matrix(13)!.cellSize) < 1e-9);
  assert.ok(Math.abs(info.geoTransform[0] - 395000) < 2 * grid.matrix(13)!.cellSize, String(info.geoTransform));
  // inspect names the grid's zooms.
  const inspect = execFileSync('node', [MEKAN_BIN, 'inspect', output, '--json'], { encoding: 'utf8' });
  const described = JSON.parse(inspect) as { metadata: { tileMatrixSet: string; minzoom: number }; zooms: { zoom: number }[] };
  assert.equal(described.metadata.tileMatrixSet, 'UTM39WGS84Quad');
  assert.deepEqual(described.zooms.map((z) => z.zoom), [12, 13]);
});

test('every max-zoom tile either side has matches gdalwarp into the same UTM tile within a pixel', async () => {
  const archive = openArchive(output);
  const bounds = archive.metadata.crsBounds!;
  const range = tileRangeInCrs(grid, maxzoom, bounds);
  let compared = 0;
  try {
    for (let x = range.minX; x <= range.maxX; x++) {
      for (let y = range.minY; y <= range.maxY; y++) {
        const [w, s, e, n] = tileBoundsInCrs(grid, maxzoom, x, y);
        const reference = join(dir, `ref-${x}-${y}.tif`);
        execFileSync('gdalwarp', ['-q', '-overwrite', '-t_srs', 'EPSG:32639', '-te', String(w), String(s), String(e), String(n), '-ts', '256', '256', '-r', 'bilinear', '-dstalpha', '-of', 'PNG', source, reference.replace(/tif$/, 'png')]);
        const theirs = await rgba(readFileSync(reference.replace(/tif$/, 'png')));
        const stored = await archive.getTile(maxzoom, x, y);
        const gdalHasData = theirs.some((v, i) => i % 4 === 3 && v >= 128);
        assert.equal(stored !== undefined, gdalHasData, `tile ${maxzoom}/${x}/${y}: Mekan ${stored ? 'wrote' : 'left out'} a tile GDAL ${gdalHasData ? 'fills' : 'leaves empty'}`);
        if (!stored) continue;
        const ours = await rgba(stored.data);
        const quality = psnr(ours, theirs);
        if (quality.pixels < 1000) continue;
        assert.ok(quality.db >= 30, `${maxzoom}/${x}/${y}: ${quality.db.toFixed(1)} dB`);
        const offset = bestOffset(theirs, ours);
        assert.ok(Math.abs(offset.dx) <= 1 && Math.abs(offset.dy) <= 1, `${maxzoom}/${x}/${y}: offset ${offset.dx},${offset.dy}`);
        compared++;
      }
    }
  } finally {
    archive.close();
  }
  assert.ok(compared >= 4, `compared ${compared} tiles`);
});

test('WMTS lists the layer with its own UTM39WGS84Quad set, and GDAL reads it in EPSG:32639 with the served pixels', async () => {
  const doc = parseXml(await (await fetch(`${server.url}/wmts/1.0.0/WMTSCapabilities.xml`)).text());
  const contents = path(doc, 'Contents')!;
  const layer = children(contents, 'Layer').find((l) => path(l, 'Identifier')!.text === 'baku')!;
  assert.equal(path(layer, 'TileMatrixSetLink', 'TileMatrixSet')!.text, 'UTM39WGS84Quad_z13');
  assert.equal(path(layer, 'BoundingBox')!.attrs.crs, 'urn:ogc:def:crs:EPSG::32639');
  const set = children(contents, 'TileMatrixSet').find((s) => path(s, 'Identifier')!.text === 'UTM39WGS84Quad_z13')!;
  assert.equal(path(set, 'SupportedCRS')!.text, 'urn:ogc:def:crs:EPSG::32639');
  // UTM sets have no well-known scale set; the matrices are the registry's, levels 1–13.
  assert.equal(path(set, 'WellKnownScaleSet'), undefined);
  const matrices = children(set, 'TileMatrix');
  assert.deepEqual(matrices.map((m) => path(m, 'Identifier')!.text), Array.from({ length: 13 }, (_, i) => String(i + 1)));
  assert.equal(path(matrices[12], 'ScaleDenominator')!.text, '68132.9844972935');
  assert.equal(path(matrices[0], 'TopLeftCorner')!.text, '-9501965.72931276 20003931.4586255');

  const capabilities = `WMTS:${server.url}/wmts/1.0.0/WMTSCapabilities.xml,layer=baku`;
  const info = JSON.parse(await runGdal('gdalinfo', ['-json', capabilities])) as { coordinateSystem: { wkt: string }; geoTransform: number[] };
  assert.match(info.coordinateSystem.wkt, /UTM zone 39N[\s\S]*ID\["EPSG",32639\]\]$/);
  assert.ok(Math.abs(info.geoTransform[1] - grid.matrix(13)!.cellSize) < 1e-6);

  // A window of exactly one level-13 tile, at its resolution: GDAL must return the tile's own pixels.
  const archive = openArchive(output);
  const range = tileRangeInCrs(grid, 13, archive.metadata.crsBounds!);
  archive.close();
  const [x, y] = [range.minX + 1, range.minY + 1];
  const [w, s, e, n] = tileBoundsInCrs(grid, 13, x, y);
  const out = join(dir, 'wmts-window.png');
  await runGdal('gdal_translate', ['-q', '-of', 'PNG', '-projwin', String(w), String(n), String(e), String(s), '-outsize', '256', '256', capabilities, out]);
  const viaGdal = await rgba(readFileSync(out));
  const served = await fetch(`${server.url}/tiles/baku/13/${x}/${y}.png`);
  assert.equal(served.status, 200);
  const direct = await rgba(Buffer.from(await served.arrayBuffer()));
  let differing = 0;
  for (let i = 0; i < direct.length; i++) if (Math.abs(direct[i] - viaGdal[i]) > 1) differing++;
  assert.equal(differing, 0, `${differing} samples differ between the served tile and GDAL's window`);
});

test('OGC API lists the tile matrix set and the tileset under it, and TileJSON declines the grid', async () => {
  const list = (await (await fetch(`${server.url}/ogc/collections/baku/map/tiles`)).json()) as { tilesets: { tileMatrixSetURI: string; crs: string; links: { rel: string; href: string }[] }[] };
  assert.equal(list.tilesets[0].tileMatrixSetURI, 'http://www.opengis.net/def/tilematrixset/OGC/1.0/UTM39WGS84Quad');
  assert.equal(list.tilesets[0].crs, 'http://www.opengis.net/def/crs/EPSG/0/32639');
  const meta = (await (await fetch(`${server.url}/ogc/collections/baku/map/tiles/UTM39WGS84Quad`)).json()) as { tileMatrixSetLimits: { tileMatrix: string; minTileRow: number; minTileCol: number }[] };
  assert.deepEqual(meta.tileMatrixSetLimits.map((l) => l.tileMatrix), ['12', '13']);
  const { minTileRow, minTileCol } = meta.tileMatrixSetLimits[1];
  const tile = await fetch(`${server.url}/ogc/collections/baku/map/tiles/UTM39WGS84Quad/13/${minTileRow + 1}/${minTileCol + 1}`);
  assert.equal(tile.status, 200);
  assert.equal(tile.headers.get('content-type'), 'image/png');
  const tms = (await (await fetch(`${server.url}/ogc/tileMatrixSets/UTM39WGS84Quad`)).json()) as { crs: string };
  assert.equal(tms.crs, 'http://www.opengis.net/def/crs/EPSG/0/32639');
  assert.equal((await fetch(`${server.url}/tiles/baku.json`)).status, 404);
  const catalog = (await (await fetch(`${server.url}/catalog.json`)).json()) as { tilesets: { id: string; tileMatrixSet: string; wmts?: string }[] };
  assert.equal(catalog.tilesets.find((t) => t.id === 'baku')!.tileMatrixSet, 'UTM39WGS84Quad');
});

test('errors in the UTM grid: WMTS exception reports, OGC API and tile statuses', async () => {
  const meta = (await (await fetch(`${server.url}/ogc/collections/baku/map/tiles/UTM39WGS84Quad`)).json()) as { tileMatrixSetLimits: { minTileRow: number; maxTileRow: number; minTileCol: number; maxTileCol: number }[] };
  const { minTileRow, maxTileRow, minTileCol, maxTileCol } = meta.tileMatrixSetLimits[1];
  const kvp = (query: string) => `/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=baku&STYLE=default&FORMAT=image/png&${query}`;
  for (const [query, code, locator] of [
    ['TILEMATRIXSET=GoogleMapsCompatible&TILEMATRIX=13&TILEROW=0&TILECOL=0', 'InvalidParameterValue', 'TILEMATRIXSET'],
    ['TILEMATRIXSET=UTM39WGS84Quad_z13&TILEMATRIX=0&TILEROW=0&TILECOL=0', 'InvalidParameterValue', 'TILEMATRIX'],
    ['TILEMATRIXSET=UTM39WGS84Quad_z13&TILEMATRIX=11&TILEROW=0&TILECOL=0', 'TileOutOfRange', 'TILEMATRIX'],
    // Level 13 is 4096 columns wide and 8192 rows high.
    [`TILEMATRIXSET=UTM39WGS84Quad_z13&TILEMATRIX=13&TILEROW=${minTileRow}&TILECOL=4096`, 'TileOutOfRange', 'TILECOL'],
    [`TILEMATRIXSET=UTM39WGS84Quad_z13&TILEMATRIX=13&TILEROW=${maxTileRow + 1}&TILECOL=${minTileCol}`, 'TileOutOfRange', 'TILEROW,TILECOL'],
  ] as const) {
    const answer = await fetch(`${server.url}${kvp(query)}`);
    assert.equal(answer.status, 400, query);
    const report = parseXml(await answer.text());
    assert.equal(report.tag, 'ExceptionReport');
    const exception = children(report, 'Exception')[0];
    assert.deepEqual([exception.attrs.exceptionCode, exception.attrs.locator], [code, locator], query);
  }
  const inside = await fetch(`${server.url}${kvp(`TILEMATRIXSET=UTM39WGS84Quad_z13&TILEMATRIX=13&TILEROW=${minTileRow + 1}&TILECOL=${maxTileCol - 1}`)}`);
  assert.equal(inside.status, 200);
  await inside.arrayBuffer();
  const statuses: [string, number][] = [
    ['/ogc/collections/baku/map/tiles/WebMercatorQuad', 404], // not cut on that set
    ['/ogc/collections/baku/map/tiles/WebMercatorQuad/13/0/0', 404],
    ['/ogc/collections/baku/map/tiles/NoSuchQuad/13/0/0', 404],
    ['/ogc/collections/baku/map/tiles/UTM39WGS84Quad/0/0/0', 400], // UTM sets start at level 1
    ['/ogc/collections/baku/map/tiles/UTM39WGS84Quad/13/0/4096', 400], // column outside the matrix
    ['/ogc/collections/baku/map/tiles/UTM39WGS84Quad/13/0/0', 404], // inside the matrix, outside the tileset
    ['/tiles/baku/1/1/0.png', 400], // level 1 is one column wide
    ['/tiles/baku/1/0/1.png', 404], // and two rows high: inside the matrix, outside the data
  ];
  for (const [url, status] of statuses) {
    const response = await fetch(`${server.url}${url}`);
    assert.equal(response.status, status, url);
    const body = await response.text();
    if (status !== 200) assert.ok(JSON.parse(body).error, url);
  }
});
