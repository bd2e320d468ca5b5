// Opens one GeoTIFF and resolves what the build needs from it: size, georeferencing, CRS, bands, nodata, rescale.
import { fromFile, type GeoTIFF, type GeoTIFFImage } from 'geotiff';
import { open as openFile } from 'node:fs/promises';
import { InputError, isInputError, messageOf } from '../errors.js';
import { gridCrsDefinition, resolveCrs, resolveEpsg, toGrid, toWgs84, type PointTransform, type ResolvedCrs } from '../crs/resolve.js';
import { gridExtent, tileGrid, WEB_MERCATOR_QUAD_ID, type TileGrid } from '../grid/tileMatrixSets.js';
import { chooseDatumTransform, namedDatumTransform, withTowgs84 } from '../crs/datumTransforms.js';
import { supersedingEpsg } from '../crs/supersededEpsg.js';
import type { GeoTransform, RasterSource } from './types.js';
import { sampleValueRange } from './stats.js';

export interface SourceOptions {
  /** 1-based bands: one (grey) or three (RGB), optionally one more for alpha (four: RGB + alpha). */
  bands?: number[];
  /** 1-based band holding alpha, said explicitly (`--alpha`): two bands mean grey + alpha only then. */
  alpha?: number;
  rescale?: [number, number];
  nodata?: number;
  /** CRS text (`EPSG:n`, WKT, proj4) that overrides or supplies the file's. */
  srs?: string;
  /** Registry id of the tile matrix set the build cuts (src/grid); WebMercatorQuad when absent. */
  tileMatrixSet?: string;
  /** `EPSG:n` of a datum transformation to use instead of the one PROJ would choose (src/crs/datumTransforms.ts). */
  datumTransform?: string;
}

const USER_DEFINED = 32767;
const PHOTOMETRIC_MIN_IS_BLACK = 1;
const PHOTOMETRIC_RGB = 2;
const PHOTOMETRIC_PALETTE = 3;
const PHOTOMETRIC_YCBCR = 6;
const COMPRESSION_JPEG = 7;
const SAMPLE_FORMAT_UINT = 1;

/** Reads the header of `path` and checks everything up front, so that a bad file fails before tiling starts. */
export async function openRasterSource(path: string, options: SourceOptions = {}): Promise<RasterSource> {
  await checkTiffSignature(path);
  let tiff: GeoTIFF;
  let image: GeoTIFFImage;
  try {
    tiff = await fromFile(path);
    image = await tiff.getImage(0);
  } catch (error) {
    throw new InputError(path, `not a readable TIFF: ${messageOf(error)}`);
  }
  try {
    const source = await describe(path, image, options);
    if (source.alphaBand === undefined) await findInternalMask(tiff, source);
    return source;
  } catch (error) {
    if (isInputError(error)) throw error;
    throw new InputError(path, messageOf(error));
  } finally {
    await tiff.close();
  }
}

async function checkTiffSignature(path: string): Promise<void> {
  let handle;
  try {
    handle = await openFile(path, 'r');
  } catch (error) {
    throw new InputError(path, (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : messageOf(error));
  }
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4), 0, 4, 0);
    const magic = buffer.toString('latin1', 0, 2);
    const version = magic === 'II' ? buffer.readUInt16LE(2) : buffer.readUInt16BE(2);
    if (bytesRead < 4 || (magic !== 'II' && magic !== 'MM') || (version !== 42 && version !== 43)) {
      throw new InputError(path, 'not a TIFF file (no TIFF signature)');
    }
  } finally {
    await handle.close();
  }
}

async function describe(path: string, image: GeoTIFFImage, options: SourceOptions): Promise<RasterSource> {
  const width = image.getWidth();
  const height = image.getHeight();
  const samples = image.getSamplesPerPixel();
  const directory = image.getFileDirectory();
  if (directory.getValue('PhotometricInterpretation') === PHOTOMETRIC_PALETTE) {
    throw new InputError(path, 'palette (colour-mapped) images are not supported; expand them first: gdal_translate -expand rgba');
  }
  const geoTransform = await readGeoTransform(path, image);
  const crs = options.srs ? resolveCrs(options.srs, `${path} (--srs)`) : crsFromGeoKeys(path, image);
  const { colorBands, alphaBand, shown } = chooseBands(path, image, samples, options);

  const sampleFormat = image.getSampleFormat(colorBands[0]);
  const bits = image.getBitsPerSample(colorBands[0]);
  const fileNodata = image.getGDALNoData();
  const nodata = options.nodata ?? (fileNodata === null ? undefined : fileNodata);
  const alphaMax = alphaBand === undefined ? 255 : 2 ** image.getBitsPerSample(alphaBand) - 1;

  const source: RasterSource = {
    path,
    width,
    height,
    geoTransform,
    crs,
    colorBands,
    alphaBand,
    alphaMax,
    nodata,
    gridBBox: [0, 0, 0, 0],
    gridPixelSize: 0,
    lonLatBBox: [0, 0, 0, 0],
  };
  if (directory.getValue('PhotometricInterpretation') === PHOTOMETRIC_YCBCR) {
    // With JPEG compression the subsampling lives inside the JPEG stream, so the decoded samples are full-size Y, Cb, Cr.
    if (directory.getValue('Compression') !== COMPRESSION_JPEG) throw new InputError(path, 'YCbCr without JPEG compression is not supported; convert with gdal_translate -co PHOTOMETRIC=RGB');
    if (colorBands.length !== 3 || colorBands.some((band, i) => band !== i)) throw new InputError(path, 'a YCbCr image shows as RGB only from its first three bands; --bands cannot reorder them');
    source.ycbcr = true;
  }
  if (shown) source.bandChoice = shown;
  if (options.rescale) source.rescale = options.rescale;
  else if (!(bits === 8 && sampleFormat === SAMPLE_FORMAT_UINT)) {
    // 16-bit and float imagery has no natural display range: stretch from the data (2–98 % of a sample).
    source.rescale = await sampleValueRange(image, source);
  }
  const grid = tileGrid(options.tileMatrixSet ?? WEB_MERCATOR_QUAD_ID)!;
  placeOnGrid(source, grid);
  // The footprint found with the definition's own +towgs84 (tens of metres off at most) is close enough to pick
  // the transformation by area of use; then the footprint is found again with it.
  if (chooseDatum(source, options.datumTransform)) placeOnGrid(source, grid);
  return source;
}

/** GDAL writes per-dataset masks as an extra IFD flagged as a transparency mask (NewSubfileType bit 4). */
async function findInternalMask(tiff: GeoTIFF, source: RasterSource): Promise<void> {
  const count = await tiff.getImageCount();
  for (let index = 1; index < count; index++) {
    const candidate = await tiff.getImage(index);
    const subfileType = Number(candidate.getFileDirectory().getValue('NewSubfileType') ?? 0);
    if ((subfileType & 4) === 0 || candidate.getWidth() !== source.width || candidate.getHeight() !== source.height) continue;
    source.maskImage = index;
    source.maskMax = 2 ** candidate.getBitsPerSample(0) - 1;
    return;
  }
}

async function readGeoTransform(path: string, image: GeoTIFFImage): Promise<GeoTransform> {
  const directory = image.getFileDirectory();
  const keys = image.getGeoKeys();
  // PixelIsPoint tie points name pixel centres; GDAL shifts them half a pixel to corners, and so do we.
  const pointShift = keys?.GTRasterTypeGeoKey === 2 ? 0.5 : 0;
  if (directory.hasTag('ModelTransformation')) {
    const m = (await directory.loadValue('ModelTransformation')) as number[];
    const [a, b, , d, e, f, , h] = m;
    return [d - (a + b) * pointShift, a, b, h - (e + f) * pointShift, e, f];
  }
  if (directory.hasTag('ModelTiepoint') && directory.hasTag('ModelPixelScale')) {
    const tie = (await directory.loadValue('ModelTiepoint')) as number[];
    const scale = (await directory.loadValue('ModelPixelScale')) as number[];
    const [i, j, , x, y] = tie;
    const [sx, sy] = scale;
    if (!(sx > 0) || !(sy > 0)) throw new InputError(path, 'georeferencing has a zero or negative pixel size');
    return [x - (i + pointShift) * sx, sx, 0, y + (j + pointShift) * sy, 0, -sy];
  }
  throw new InputError(path, 'no georeferencing (no ModelTiepoint/ModelPixelScale or ModelTransformation tags); georeference it first, e.g. with gdal_translate -a_srs -a_ullr');
}

function crsFromGeoKeys(path: string, image: GeoTIFFImage): ResolvedCrs {
  const keys = image.getGeoKeys();
  if (!keys) throw new InputError(path, 'no GeoKeys: the CRS is unknown; name it with --srs EPSG:n');
  const projected = keys.ProjectedCSTypeGeoKey as number | undefined;
  const geographic = keys.GeographicTypeGeoKey as number | undefined;
  const code = projected && projected !== USER_DEFINED ? projected : keys.GTModelTypeGeoKey !== 1 && geographic && geographic !== USER_DEFINED ? geographic : undefined;
  if (code === undefined) {
    throw new InputError(path, 'the CRS is user-defined in the GeoKeys (no EPSG code); name it with --srs (EPSG:n, WKT or proj4)');
  }
  try {
    return resolveEpsg(code, path);
  } catch (error) {
    const replacement = supersedingEpsg(code);
    if (replacement) return { ...resolveEpsg(replacement, path), label: `EPSG:${replacement} (file says deprecated EPSG:${code})` };
    throw error;
  }
}

type BandChoice = { colorBands: number[]; alphaBand?: number; shown?: string };

/** Colour and alpha samples: `--bands`/`--alpha` if given, else from the photometric interpretation and ExtraSamples, else from the sample count. */
function chooseBands(path: string, image: GeoTIFFImage, samples: number, options: SourceOptions): BandChoice {
  const { bands, alpha } = options;
  for (const band of [...(bands ?? []), ...(alpha === undefined ? [] : [alpha])]) {
    if (!Number.isInteger(band) || band < 1 || band > samples) throw new InputError(path, `--bands names band ${band}, but the file has ${samples} band(s)`);
  }
  const alphaBand = alpha === undefined ? undefined : alpha - 1;
  if (bands) {
    const zeroBased = bands.map((b) => b - 1);
    if (bands.length === 1 || bands.length === 3) return { colorBands: zeroBased, alphaBand };
    if (bands.length === 4 && alpha === undefined) return { colorBands: zeroBased.slice(0, -1), alphaBand: zeroBased[3] };
    // Two bands could be grey + alpha or a mistake for three: transparency only when asked for.
    if (bands.length === 2) throw new InputError(path, `--bands ${bands.join(',')}: give one band (grey) or three (RGB); for grey with an alpha band write --bands ${bands[0]} --alpha ${bands[1]}`);
    throw new InputError(path, '--bands takes 1 (grey) or 3 (RGB) bands, plus optionally an alpha band (--alpha N)');
  }
  const automatic = chooseBandsFromFile(path, image, samples);
  const chosen = alphaBand === undefined ? automatic : { colorBands: automatic.colorBands, alphaBand };
  // More bands than shown, or a single grey band picked from several: say which, and how to choose others.
  const used = chosen.colorBands.length + (chosen.alphaBand === undefined ? 0 : 1);
  if (samples > used) {
    const list = (zeroBased: number[]) => zeroBased.map((b) => b + 1).join(',');
    const what = chosen.colorBands.length === 1 ? `band ${list(chosen.colorBands)} as grey` : `bands ${list(chosen.colorBands)} as red, green, blue`;
    const alphaText = chosen.alphaBand === undefined ? '' : `, band ${chosen.alphaBand + 1} as alpha`;
    const example = samples >= 4 ? '--bands 4,3,2 (three bands as RGB) or --bands 4 (one as grey)' : '--bands 2 (one as grey)';
    chosen.shown = `${path}: ${samples} bands; showing ${what}${alphaText}; choose others with ${example}`;
  }
  return chosen;
}

function chooseBandsFromFile(path: string, image: GeoTIFFImage, samples: number): BandChoice {
  const directory = image.getFileDirectory();
  const extra = (directory.getValue('ExtraSamples') as number[] | undefined) ?? [];
  // ExtraSamples 1 and 2 mark associated and unassociated alpha.
  const lastIsAlpha = extra.length > 0 && (extra[extra.length - 1] === 1 || extra[extra.length - 1] === 2);
  // The photometric interpretation says which samples are colour; the others are extra samples (near infrared in
  // RGBN orthophotos, …), shown only when --bands asks for them, and alpha only when marked so.
  const photometric = directory.getValue('PhotometricInterpretation') as number | undefined;
  const colours = photometric === PHOTOMETRIC_RGB && samples >= 3 ? [0, 1, 2] : (photometric === PHOTOMETRIC_MIN_IS_BLACK && samples >= 1 ? [0] : undefined);
  if (colours && samples > colours.length) return lastIsAlpha ? { colorBands: colours, alphaBand: samples - 1 } : { colorBands: colours };
  if (samples === 1) return { colorBands: [0] };
  if (samples === 3) return { colorBands: [0, 1, 2] };
  if (samples === 2 && lastIsAlpha) return { colorBands: [0], alphaBand: 1 };
  if (samples === 4 && lastIsAlpha) return { colorBands: [0, 1, 2], alphaBand: 3 };
  throw new InputError(path, `${samples} bands and no alpha marked: choose the bands to show with --bands (e.g. --bands 3,2,1)`);
}

/** Puts the datum transformation PROJ would use (or the forced one) into the source's CRS; true if it changed. */
function chooseDatum(source: RasterSource, forced: string | undefined): boolean {
  const { crs } = source;
  if (forced && crs.datum === undefined) throw new InputError(source.path, `--datum-transform: no transformations are known for this file's datum (CRS ${crs.label})`);
  if (crs.datum === undefined || !crs.definition.startsWith('+')) return false;
  const transform = forced ? namedDatumTransform(forced, crs.datum, source.path) : chooseDatumTransform(crs.datum, source.lonLatBBox);
  if (!transform) return false;
  source.crs = { ...crs, definition: withTowgs84(crs.definition, transform), datumTransform: { code: transform.code, name: transform.name, accuracy: transform.accuracy } };
  return true;
}

/** Footprint and pixel size in the tile grid's CRS, and the footprint in degrees, from the image outline. */
function placeOnGrid(source: RasterSource, grid: TileGrid): void {
  const project = toGrid(source.crs, gridCrsDefinition(grid.epsg));
  const [g0, g1, g2, g3, g4, g5] = source.geoTransform;
  const toWorld = (col: number, row: number): [number, number] => [g0 + col * g1 + row * g2, g3 + col * g4 + row * g5];
  const [west, south, east, north] = outlineBBox(source, toWorld, project);
  if (!(west < east && south < north)) throw new InputError(source.path, `the georeferencing does not place the image in ${grid.id} (CRS ${source.crs.label})`);
  const [minX, minY, maxX, maxY] = gridExtent(grid);
  source.gridBBox = [Math.max(minX, west), Math.max(minY, south), Math.min(maxX, east), Math.min(maxY, north)];
  source.lonLatBBox = outlineBBox(source, toWorld, toWgs84(source.crs));
  const [cx, cy] = [source.width / 2, source.height / 2];
  const [ax, ay] = project(...toWorld(cx, cy));
  const [bx, by] = project(...toWorld(cx + 1, cy));
  const [dx, dy] = project(...toWorld(cx, cy + 1));
  source.gridPixelSize = Math.min(Math.hypot(bx - ax, by - ay), Math.hypot(dx - ax, dy - ay));
}

/** The box of the image outline, sampled densely (edges curve after reprojection). */
function outlineBBox(source: RasterSource, toWorld: (col: number, row: number) => [number, number], project: PointTransform): [number, number, number, number] {
  let west = Infinity;
  let south = Infinity;
  let east = -Infinity;
  let north = -Infinity;
  const steps = 32;
  const add = (col: number, row: number) => {
    const [x, y] = toWorld(col, row);
    const [mx, my] = project(x, y);
    if (!Number.isFinite(mx) || !Number.isFinite(my)) return;
    west = Math.min(west, mx);
    east = Math.max(east, mx);
    south = Math.min(south, my);
    north = Math.max(north, my);
  };
  for (let i = 0; i <= steps; i++) {
    const t = i / steps;
    add(t * source.width, 0);
    add(t * source.width, source.height);
    add(0, t * source.height);
    add(source.width, t * source.height);
  }
  return [west, south, east, north];
}
