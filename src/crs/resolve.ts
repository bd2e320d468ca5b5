// CRS resolution in one place: an EPSG code, a WKT/.prj text or a proj4 string becomes a transform to WGS 84.
// EPSG definitions come from the epsg-index package (one small JSON per code, read on demand).
import proj4 from 'proj4';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { InputError } from '../errors.js';
import { datumOf } from './datumTransforms.js';

export type PointTransform = (x: number, y: number) => [lon: number, lat: number];

export interface ResolvedCrs {
  /** How the CRS was named, for messages and metadata (`EPSG:32639`). */
  label: string;
  /** proj4 definition (string or WKT) that proj4 accepts. */
  definition: string;
  isWgs84: boolean;
  /** Degrees rather than metres. */
  isGeographic: boolean;
  /** EPSG code of its geographic CRS where src/crs/datumTransforms.ts knows transformations for it (SAD69, Pulkovo 1942). */
  datum?: number;
  /** The datum transformation to WGS 84 its definition now carries (chosen as PROJ would, or forced). */
  datumTransform?: { code: number; name: string; accuracy: number };
}

const require = createRequire(import.meta.url);
const epsgFolder = join(dirname(require.resolve('epsg-index/package.json')), 's');

/** Codes that are WGS 84 longitude/latitude for our purposes (CRS84 axis order, as GeoJSON uses). */
const WGS84_CODES = new Set([4326, 4979, 4978]);

interface EpsgEntry {
  code: string;
  name: string;
  proj4: string | null;
  wkt: string | null;
  unit?: string;
  kind?: string;
}

function epsgEntry(code: number): EpsgEntry | undefined {
  const file = join(epsgFolder, `${code}.json`);
  if (!Number.isInteger(code) || code <= 0 || !existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as EpsgEntry;
}

/** Name and WKT of an EPSG CRS as the EPSG registry gives them (a GeoPackage's gpkg_spatial_ref_sys needs both). */
export function epsgWkt(code: number): { name: string; wkt: string } | undefined {
  const entry = epsgEntry(code);
  return entry?.wkt ? { name: entry.name, wkt: entry.wkt } : undefined;
}

/** `source` names the file or feature the CRS came from, for the error. */
export function resolveEpsg(code: number, source: string): ResolvedCrs {
  if (WGS84_CODES.has(code)) return { label: `EPSG:${code}`, definition: 'EPSG:4326', isWgs84: true, isGeographic: true };
  const entry = epsgEntry(code);
  const definition = entry?.proj4 || entry?.wkt;
  if (!entry || !definition) throw new InputError(source, `unknown or unsupported CRS EPSG:${code}; reproject the data or name a CRS with a proj4 definition`);
  const isGeographic = /\+proj=longlat/.test(entry.proj4 ?? '') || (entry.kind ?? '').includes('GEOG');
  const datum = datumOf(entry.wkt ?? '');
  return { label: `EPSG:${code}`, definition, isWgs84: false, isGeographic, ...(datum ? { datum } : {}) };
}

/** Recognises `EPSG:n`, `urn:ogc:def:crs:EPSG::n`, `OGC:CRS84`, WKT (with or without AUTHORITY) and proj4 strings. */
export function resolveCrs(text: string, source: string): ResolvedCrs {
  const trimmed = text.trim();
  if (/^(urn:ogc:def:crs:)?OGC:?(1\.3)?:?CRS84$/i.test(trimmed) || /CRS84$/i.test(trimmed)) {
    return { label: 'OGC:CRS84', definition: 'EPSG:4326', isWgs84: true, isGeographic: true };
  }
  const code = /^(?:urn:ogc:def:crs:)?EPSG:{1,2}(?:[\d.]*:)?(\d+)$/i.exec(trimmed) ?? /opengis\.net\/def\/crs\/EPSG\/\d+\/(\d+)$/i.exec(trimmed);
  if (code) return resolveEpsg(Number(code[1]), source);
  if (trimmed.startsWith('+')) return checked({ label: trimmed, definition: trimmed, isWgs84: false, isGeographic: trimmed.includes('+proj=longlat') }, source);
  if (/^(PROJCS|GEOGCS|PROJCRS|GEOGCRS|GEODCRS|COMPD_CS|BOUNDCRS)\[/i.test(trimmed)) {
    // A WKT whose top-level authority is EPSG resolves through the code; the rest goes to proj4's WKT parser.
    const authority = /AUTHORITY\["EPSG",\s*"?(\d+)"?\]\]\s*$/i.exec(trimmed) ?? /ID\["EPSG",\s*(\d+)\]\]\s*$/i.exec(trimmed);
    if (authority && epsgEntry(Number(authority[1]))) return resolveEpsg(Number(authority[1]), source);
    const name = /^\w+\["([^"]*)"/.exec(trimmed)?.[1] ?? 'WKT';
    if (/^GEOGCS\[/i.test(trimmed) && /WGS[_ ]?(19)?84/i.test(name)) return { label: name, definition: 'EPSG:4326', isWgs84: true, isGeographic: true };
    return checked({ label: name, definition: trimmed, isWgs84: false, isGeographic: /^GEOG/i.test(trimmed) }, source);
  }
  throw new InputError(source, `cannot resolve the CRS "${trimmed.slice(0, 80)}"`);
}

function checked(crs: ResolvedCrs, source: string): ResolvedCrs {
  try {
    proj4(crs.definition, 'EPSG:4326', [0, 0]);
  } catch (error) {
    throw new InputError(source, `cannot resolve the CRS "${crs.label.slice(0, 80)}": ${(error as Error).message}`);
  }
  return crs;
}

/** A transform from the CRS to WGS 84 lon/lat; identity for WGS 84 itself. */
export function toWgs84(crs: ResolvedCrs): PointTransform {
  if (crs.isWgs84) return (x, y) => [x, y];
  const converter = proj4(crs.definition, 'EPSG:4326');
  return (x, y) => {
    const [lon, lat] = converter.forward([x, y]);
    return [lon, lat];
  };
}

/** A transform from WGS 84 lon/lat into the CRS (for warping: destination pixels back to source). */
export function fromWgs84(crs: ResolvedCrs): PointTransform {
  if (crs.isWgs84) return (x, y) => [x, y];
  const converter = proj4('EPSG:4326', crs.definition);
  return (lon, lat) => {
    const [x, y] = converter.forward([lon, lat]);
    return [x, y];
  };
}

/**
 * The proj4 definition of a tile matrix set's CRS (by EPSG code): proj4's own for Web Mercator and WGS 84
 * (CRS84 stores lon/lat, which proj4's EPSG:4326 is), epsg-index's for the rest.
 */
export function gridCrsDefinition(epsg: number): string {
  if (epsg === 3857) return 'EPSG:3857';
  if (epsg === 4326) return 'EPSG:4326';
  return resolveEpsg(epsg, `EPSG:${epsg}`).definition;
}

/** A transform from a tile grid's CRS into the source's: raster warping walks destination pixels back to the source. */
export function fromGrid(gridDefinition: string, crs: ResolvedCrs): PointTransform {
  const converter = proj4(gridDefinition, crs.definition);
  return (x, y) => {
    const [sx, sy] = converter.forward([x, y]);
    return [sx, sy];
  };
}

/** A transform from the CRS into a tile grid's (a raster's footprint in the tile matrix set). */
export function toGrid(crs: ResolvedCrs, gridDefinition: string): PointTransform {
  const converter = proj4(crs.definition, gridDefinition);
  return (x, y) => {
    const [gx, gy] = converter.forward([x, y]);
    return [gx, gy];
  };
}
