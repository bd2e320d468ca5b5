// Datum transformations to WGS 84 as PROJ (and so GDAL, QGIS, gdal2tiles) chooses them: among the EPSG
// transformations whose area of use holds the data, the most accurate. A proj4 definition carries one fixed
// +towgs84; this table (facts from the EPSG registry, read with `projinfo -k operation EPSG:n`, PROJ 9) lets the
// build use the one PROJ would. Kept small: the datums of the data Mekan meets (CBERS scenes in SAD69, Soviet-era
// maps of Azerbaijan in Pulkovo 1942). Areas of use are EPSG's boxes [west, south, east, north].
import { InputError } from '../errors.js';

export interface DatumTransform {
  code: number;
  name: string;
  /** EPSG code of the geographic CRS it transforms from. */
  from: number;
  /** Metres, as the EPSG registry states it. */
  accuracy: number;
  area: string;
  /** [west, south, east, north] in degrees; west > east crosses the antimeridian. */
  bbox: [number, number, number, number];
  /** Helmert parameters in proj4's +towgs84 order and convention (position vector; EPSG coordinate frame rotations negated). */
  towgs84: number[];
}

/** In the order `projinfo` lists them (PROJ's own order breaks ties of accuracy and area). */
export const DATUM_TRANSFORMS: readonly DatumTransform[] = [
  { code: 5882, name: 'SAD69 to WGS 84 (16)', from: 4618, accuracy: 5, area: 'Brazil', bbox: [-74.01, -35.71, -25.28, 7.04], towgs84: [-67.35, 3.88, -38.22] },
  { code: 1877, name: 'SAD69 to WGS 84 (14)', from: 4618, accuracy: 5, area: 'Brazil', bbox: [-74.01, -35.71, -25.28, 7.04], towgs84: [-66.87, 4.37, -38.52] },
  { code: 1867, name: 'SAD69 to WGS 84 (4)', from: 4618, accuracy: 8, area: 'Brazil - onshore south-east of 53°W, 14°S', bbox: [-60.58, -33.78, -34.74, 4.43], towgs84: [-60, -2, -41] },
  { code: 1865, name: 'SAD69 to WGS 84 (2)', from: 4618, accuracy: 9, area: 'Argentina - mainland onshore', bbox: [-73.59, -52.43, -53.65, -21.78], towgs84: [-62, -1, -37] },
  { code: 1864, name: 'SAD69 to WGS 84 (1)', from: 4618, accuracy: 19, area: 'South America - onshore north of 45°S excluding Amazonia', bbox: [-81.41, -45, -34.74, 12.52], towgs84: [-57, 1, -41] },
  { code: 1873, name: 'SAD69 to WGS 84 (10)', from: 4618, accuracy: 26, area: 'Paraguay', bbox: [-62.65, -27.59, -54.24, -19.29], towgs84: [-61, 2, -33] },
  // Pulkovo 1942 (16) is published in the coordinate frame convention: rotations negated for +towgs84.
  { code: 15865, name: 'Pulkovo 1942 to WGS 84 (16)', from: 4284, accuracy: 4.5, area: 'former USSR onshore, Azerbaijan included', bbox: [19.57, 35.14, -168.97, 81.91], towgs84: [25, -141, -78.5, 0, 0.35, 0.736, 0] },
  { code: 1808, name: 'Pulkovo 1942 to WGS 84 (14)', from: 4284, accuracy: 5, area: 'Azerbaijan (including Caspian) and Georgia onshore', bbox: [39.99, 37.89, 51.73, 43.59], towgs84: [686.1, -123.5, -574.4, 8.045, -23.366, 10.791, -2.926] },
  { code: 1809, name: 'Pulkovo 1942 to WGS 84 (15)', from: 4284, accuracy: 2, area: 'Azerbaijan - coastal area Baku to Astara', bbox: [48.93, 38.31, 50.4, 40.33], towgs84: [926.4, -715.9, -186.4, -10.364, -20.78, 26.452, -7.224] },
  { code: 1291, name: 'Pulkovo 1942 to WGS 84 (7)', from: 4284, accuracy: 44, area: 'Kazakhstan - onshore including Caspian Sea', bbox: [46.49, 40.59, 87.35, 55.45], towgs84: [15, -130, -84] },
];

function holds(bbox: [number, number, number, number], lon: number, lat: number): boolean {
  const [west, south, east, north] = bbox;
  if (lat < south || lat > north) return false;
  return west <= east ? lon >= west && lon <= east : lon >= west || lon <= east;
}

function areaOf(bbox: [number, number, number, number]): number {
  const width = bbox[0] <= bbox[2] ? bbox[2] - bbox[0] : 360 - bbox[0] + bbox[2];
  return width * (bbox[3] - bbox[1]);
}

/** EPSG code of the geographic CRS a definition is based on (from its WKT), if the table knows transformations for it. */
export function datumOf(definition: string): number | undefined {
  for (const code of new Set(DATUM_TRANSFORMS.map((t) => t.from))) {
    if (definition.includes(`"EPSG","${code}"`) || definition.includes(`ID["EPSG",${code}]`)) return code;
  }
  return undefined;
}

/**
 * The transformation PROJ applies to data of datum `from` inside `lonLatBBox`: for each point PROJ takes, among the
 * candidates whose area of use holds it, the most accurate (ties: the smaller area, then PROJ's order). One is
 * chosen for the whole footprint here: the one PROJ takes at most of its sample points (a 5×5 grid over it).
 */
export function chooseDatumTransform(from: number, lonLatBBox: [number, number, number, number]): DatumTransform | undefined {
  const candidates = DATUM_TRANSFORMS.filter((t) => t.from === from);
  const votes = new Map<DatumTransform, number>();
  for (let i = 0; i <= 4; i++) {
    for (let j = 0; j <= 4; j++) {
      const lon = lonLatBBox[0] + ((lonLatBBox[2] - lonLatBBox[0]) * i) / 4;
      const lat = lonLatBBox[1] + ((lonLatBBox[3] - lonLatBBox[1]) * j) / 4;
      let best: DatumTransform | undefined;
      for (const t of candidates) {
        if (!holds(t.bbox, lon, lat)) continue;
        if (!best || t.accuracy < best.accuracy || (t.accuracy === best.accuracy && areaOf(t.bbox) < areaOf(best.bbox))) best = t;
      }
      if (best) votes.set(best, (votes.get(best) ?? 0) + 1);
    }
  }
  let chosen: DatumTransform | undefined;
  for (const [t, count] of votes) if (!chosen || count > votes.get(chosen)!) chosen = t;
  return chosen;
}

/** `EPSG:1809` (or `1809`) as a transformation of the table for datum `from`; the error names the choices. */
export function namedDatumTransform(text: string, from: number | undefined, source: string): DatumTransform {
  const code = Number(/^(?:EPSG:)?(\d+)$/i.exec(text.trim())?.[1]);
  const found = DATUM_TRANSFORMS.find((t) => t.code === code);
  if (!found) throw new InputError('--datum-transform', `unknown transformation "${text}" (known: ${DATUM_TRANSFORMS.map((t) => `EPSG:${t.code}`).join(', ')})`);
  if (from !== found.from) throw new InputError(source, `--datum-transform EPSG:${code} (${found.name}) does not apply to this file's datum`);
  return found;
}

/** The proj4 definition with its +towgs84 replaced by the transformation's. */
export function withTowgs84(proj4Definition: string, transform: DatumTransform): string {
  const towgs84 = `+towgs84=${transform.towgs84.join(',')}`;
  const stripped = proj4Definition.replace(/\s*\+towgs84=\S+/g, '').replace(/\s*\+datum=\S+/g, '');
  return `${stripped} ${towgs84}`.trim();
}
