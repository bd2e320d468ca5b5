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
/** Builds the server must not pick up while the tests read its catalog. */
const unserved = makeTempDir('mekan-grids-other-');
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
  // The same scene at level 13 only: a layer whose set must start below the grid's first levels (see the GDAL test).
  await buildRaster({ inputs: [source], output: join(dir, 'baku-z13.gpkg'), tms: 'UTM39WGS84Quad', format: 'png', minzoom: 13, workers: 2 });
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

/**
 * Every max-zoom tile of a build against gdalwarp of the source into the same tile (bilinear, 256×256, in the grid's
 * CRS): the same tiles filled, each within a pixel and at least 30 dB. Returns how many tiles held enough data to compare.
 */
async function compareWithGdalwarp(archivePath: string, gridId: string, targetSrs: string): Promise<number> {
  const tms = tileGrid(gridId)!;
  const archive = openArchive(archivePath);
  const { maxzoom: level, crsBounds } = archive.metadata;
  const range = tileRangeInCrs(tms, level, crsBounds!);
  let compared = 0;
  try {
    for (let x = range.minX; x <= range.maxX; x++) {
      for (let y = range.minY; y <= range.maxY; y++) {
        const [w, s, e, n] = tileBoundsInCrs(tms, level, x, y);
        const reference = join(dir, `ref-${gridId}-${x}-${y}.png`);
        execFileSync('gdalwarp', ['-q', '-overwrite', '-t_srs', targetSrs, '-te', String(w), String(s), String(e), String(n), '-ts', '256', '256', '-r', 'bilinear', '-dstalpha', '-of', 'PNG', source, reference]);
        const theirs = await rgba(readFileSync(reference));
        const stored = await archive.getTile(level, x, y);
        const gdalHasData = theirs.some((v, i) => i % 4 === 3 && v >= 128);
        assert.equal(stored !== undefined, gdalHasData, `${gridId} tile ${level}/${x}/${y}: Mekan ${stored ? 'wrote' : 'left out'} a tile GDAL ${gdalHasData ? 'fills' : 'leaves empty'}`);
        if (!stored) continue;
        const ours = await rgba(stored.data);
        const quality = psnr(ours, theirs);
        if (quality.pixels < 1000) continue;
        assert.ok(quality.db >= 30, `${gridId} ${level}/${x}/${y}: ${quality.db.toFixed(1)} dB`);
        const offset = bestOffset(theirs, ours);
        assert.ok(Math.abs(offset.dx) <= 1 && Math.abs(offset.dy) <= 1, `${gridId} ${level}/${x}/${y}: offset ${offset.dx},${offset.dy}`);
        compared++;
      }
    }
  } finally {
    archive.close();
  }
  return compared;
}

test('every max-zoom tile either side has matches gdalwarp into the same UTM tile within a pixel', async () => {
  const compared = await compareWithGdalwarp(output, 'UTM39WGS84Quad', 'EPSG:32639');
  assert.ok(compared >= 4, `compared ${compared} tiles`);
});

// The same scene into the other two national-grid sets: across a zone boundary (Baku lies 4.8° east of zone 38's
// central meridian) and into longitude/latitude. GDAL must read each GeoPackage in the set's CRS and extent.
for (const [gridId, epsg, crsName] of [
  ['UTM38WGS84Quad', 32638, 'UTM zone 38N'],
  ['WorldCRS84Quad', 4326, 'WGS 84'],
] as const) {
  test(`a build in ${gridId}: GDAL reads the GeoPackage in EPSG:${epsg} over the data, and its tiles match gdalwarp within a pixel`, async () => {
    const archivePath = join(unserved, `baku-${gridId}.gpkg`);
    const summary = await buildRaster({ inputs: [source], output: archivePath, tms: gridId, format: 'png', workers: 2 });
    const tms = tileGrid(gridId)!;
    const extentOf = async (path: string) => {
      const info = JSON.parse(await runGdal('gdalinfo', ['-json', path])) as { coordinateSystem: { wkt: string }; geoTransform: number[]; size: [number, number] };
      const [x0, dx, , y0, , dy] = info.geoTransform;
      return { info, extent: [x0, y0 + info.size[1] * dy, x0 + info.size[0] * dx, y0] };
    };
    const { info, extent } = await extentOf(archivePath);
    assert.match(info.coordinateSystem.wkt, new RegExp(`${crsName}[\\s\\S]*ID\\["EPSG",${epsg}\\]\\]$`));
    // Full resolution is the build's deepest level of that set; the extent is the scene's footprint in the set's CRS
    // as GDAL computes it (a warped VRT), within two cells.
    const cell = tms.matrix(summary.maxzoom)!.cellSize;
    assert.ok(Math.abs(info.geoTransform[1] - cell) < 1e-12, String(info.geoTransform));
    const footprint = join(unserved, `footprint-${gridId}.vrt`);
    execFileSync('gdalwarp', ['-q', '-overwrite', '-of', 'VRT', '-t_srs', `EPSG:${epsg}`, '-tr', String(cell), String(cell), source, footprint]);
    const expected = (await extentOf(footprint)).extent;
    assert.ok(extent.every((v, i) => Math.abs(v - expected[i]) <= 2 * cell), `${extent.join(',')} vs GDAL's ${expected.join(',')}`);
    const compared = await compareWithGdalwarp(archivePath, gridId, `EPSG:${epsg}`);
    assert.ok(compared >= 2, `compared ${compared} tiles`);
  });
}

test('WMTS lists the layer with its own UTM39WGS84Quad set, and GDAL reads it in EPSG:32639 with the served pixels', async () => {
  const doc = parseXml(await (await fetch(`${server.url}/wmts/1.0.0/WMTSCapabilities.xml`)).text());
  const contents = path(doc, 'Contents')!;
  const layer = children(contents, 'Layer').find((l) => path(l, 'Identifier')!.text === 'baku')!;
  assert.equal(path(layer, 'TileMatrixSetLink', 'TileMatrixSet')!.text, 'UTM39WGS84Quad_z12-13');
  assert.equal(path(layer, 'BoundingBox')!.attrs.crs, 'urn:ogc:def:crs:EPSG::32639');
  const set = children(contents, 'TileMatrixSet').find((s) => path(s, 'Identifier')!.text === 'UTM39WGS84Quad_z12-13')!;
  assert.equal(path(set, 'SupportedCRS')!.text, 'urn:ogc:def:crs:EPSG::32639');
  // UTM sets have no well-known scale set; the matrices are the registry's, cut to the layer's levels 12–13.
  assert.equal(path(set, 'WellKnownScaleSet'), undefined);
  const matrices = children(set, 'TileMatrix');
  assert.deepEqual(matrices.map((m) => path(m, 'Identifier')!.text), ['12', '13']);
  assert.equal(path(matrices[1], 'ScaleDenominator')!.text, '68132.9844972935');
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
    ['TILEMATRIXSET=UTM39WGS84Quad_z12-13&TILEMATRIX=0&TILEROW=0&TILECOL=0', 'InvalidParameterValue', 'TILEMATRIX'],
    ['TILEMATRIXSET=UTM39WGS84Quad_z12-13&TILEMATRIX=11&TILEROW=0&TILECOL=0', 'TileOutOfRange', 'TILEMATRIX'],
    // Level 13 is 4096 columns wide and 8192 rows high.
    [`TILEMATRIXSET=UTM39WGS84Quad_z12-13&TILEMATRIX=13&TILEROW=${minTileRow}&TILECOL=4096`, 'TileOutOfRange', 'TILECOL'],
    [`TILEMATRIXSET=UTM39WGS84Quad_z12-13&TILEMATRIX=13&TILEROW=${maxTileRow + 1}&TILECOL=${minTileCol}`, 'TileOutOfRange', 'TILEROW,TILECOL'],
  ] as const) {
    const answer = await fetch(`${server.url}${kvp(query)}`);
    assert.equal(answer.status, 400, query);
    const report = parseXml(await answer.text());
    assert.equal(report.tag, 'ExceptionReport');
    const exception = children(report, 'Exception')[0];
    assert.deepEqual([exception.attrs.exceptionCode, exception.attrs.locator], [code, locator], query);
  }
  const inside = await fetch(`${server.url}${kvp(`TILEMATRIXSET=UTM39WGS84Quad_z12-13&TILEMATRIX=13&TILEROW=${minTileRow + 1}&TILECOL=${maxTileCol - 1}`)}`);
  assert.equal(inside.status, 200);
  await inside.arrayBuffer();

  // RESTful, as the capabilities' ResourceURL builds it: the same exception reports.
  const rest = (set: string, matrix: number, row: number, col: number) => `${server.url}/wmts/1.0.0/baku/default/${set}/${matrix}/${row}/${col}.png`;
  assert.equal((await fetch(rest('UTM39WGS84Quad_z12-13', 13, minTileRow + 1, maxTileCol - 1))).status, 200);
  for (const [url, code, locator] of [
    [rest('UTM38WGS84Quad_z12-13', 13, minTileRow, minTileCol), 'InvalidParameterValue', 'TILEMATRIXSET'], // the other zone's set
    [rest('GoogleMapsCompatible_z13', 13, minTileRow, minTileCol), 'InvalidParameterValue', 'TILEMATRIXSET'],
    [rest('UTM39WGS84Quad_z12-13', 0, 0, 0), 'InvalidParameterValue', 'TILEMATRIX'], // UTM sets start at level 1
    [rest('UTM39WGS84Quad_z12-13', 11, 0, 0), 'TileOutOfRange', 'TILEMATRIX'],
    [rest('UTM39WGS84Quad_z12-13', 13, minTileRow, 4096), 'TileOutOfRange', 'TILECOL'], // 4096 columns wide
    [rest('UTM39WGS84Quad_z12-13', 13, maxTileRow + 1, minTileCol), 'TileOutOfRange', 'TILEROW,TILECOL'], // outside the limits
  ] as const) {
    const answer = await fetch(url);
    assert.equal(answer.status, 400, url);
    assert.match(answer.headers.get('content-type')!, /^application\/xml/, url);
    const exception = children(parseXml(await answer.text()), 'Exception')[0];
    assert.deepEqual([exception.attrs.exceptionCode, exception.attrs.locator], [code, locator], url);
  }

  // OGC API: 404 for a set the tileset is not cut on, 400 outside the matrix, 404 outside the limits (both allowed by
  // /req/core/tc-error), each an OGC API exception (RFC 7807: type, title, status, detail).
  const ogcStatuses: [string, number][] = [
    ['/ogc/collections/baku/map/tiles/WebMercatorQuad', 404], // not cut on that set
    ['/ogc/collections/baku/map/tiles/WebMercatorQuad/13/0/0', 404],
    ['/ogc/collections/baku/map/tiles/NoSuchQuad/13/0/0', 404],
    ['/ogc/collections/baku/map/tiles/UTM39WGS84Quad/0/0/0', 400], // UTM sets start at level 1
    ['/ogc/collections/baku/map/tiles/UTM39WGS84Quad/13/0/4096', 400], // column outside the matrix
    ['/ogc/collections/baku/map/tiles/UTM39WGS84Quad/13/0/0', 404], // inside the matrix, outside the tileset
    ['/ogc/collections/baku/map/tiles/UTM39WGS84Quad/11/0/0', 404], // a level the tileset lacks
    ['/ogc/no/such/thing', 404],
  ];
  for (const [url, status] of ogcStatuses) {
    const response = await fetch(`${server.url}${url}`);
    assert.equal(response.status, status, url);
    assert.equal(response.headers.get('content-type'), 'application/problem+json', url);
    const problem = (await response.json()) as { type: string; title: string; status: number; detail: string };
    assert.equal(problem.status, status, url);
    assert.equal(problem.type, 'about:blank', url);
    assert.equal(problem.title, status === 404 ? 'Not Found' : 'Bad Request', url);
    assert.ok(problem.detail.length > 0, url);
  }
  // The tile route keeps its own JSON errors.
  for (const [url, status] of [
    ['/tiles/baku/1/1/0.png', 400], // level 1 is one column wide
    ['/tiles/baku/1/0/1.png', 404], // and two rows high: inside the matrix, outside the data
  ] as const) {
    const response = await fetch(`${server.url}${url}`);
    assert.equal(response.status, status, url);
    assert.ok(((await response.json()) as { error: string }).error, url);
  }
});

test('GDAL zoomed out past the layer reads its top level, never a matrix the layer lacks', async () => {
  // GDAL 3.6 takes its overviews from the coarser matrices of the layer's set, listed in TileMatrixSetLimits or not,
  // down to a few hundred pixels: with a set from level 1, it asked baku-z13 for level 12, which WMTS refuses
  // (TileOutOfRange), and failed. Cut at the layer's min zoom, it reads level 13 and scales it down.
  const capabilities = `WMTS:${server.url}/wmts/1.0.0/WMTSCapabilities.xml,layer=baku-z13`;
  const out = join(dir, 'wmts-overview.png');
  await runGdal('gdal_translate', ['-q', '-of', 'PNG', '-outsize', '25%', '25%', capabilities, out]);
  const { data, info } = await sharp(readFileSync(out)).raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.channels, 4);
  let drawn = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] === 255) drawn++;
  assert.ok(drawn > 0.9 * info.width * info.height, `${drawn} of ${info.width * info.height} pixels drawn`);
});
