// Makes data/basemap/*.geojson, the bundled basemap layers, from Natural Earth 10m, world-atlas and the name tables.
//
// Run once by a maintainer (the output is committed): it needs the Natural Earth shapefiles from Debian's
// libmagics++-data (NE_DIR, default /usr/share/magics/10m or the unpacked copy under /tmp/debs) and ogr2ogr.
//   npx tsc -p tsconfig.json && node dist/scripts/prepare-data.js
// Every output layer already carries the basemap schema's fields (data/SCHEMA.md), so the build recipe
// only maps files to layers and zoom ranges.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Feature, FeatureCollection, Geometry } from 'geojson';

type Properties = Record<string, string | number | null>;

/**
 * The regions of the bundled basemap (lon/lat): the Caucasus and the Caspian, the basemap proper; and the
 * country around the bundled CBERS imagery sample (Eldorado, Mato Grosso do Sul, Brazil), so that the hybrid
 * style draws boundaries, rivers and places over the imagery (the only openly licensed imagery packaged lies there).
 */
export const REGIONS = [
  { id: 'caucasus', west: 38, south: 36, east: 56, north: 47 },
  { id: 'imagery', west: -56, south: -25.5, east: -52.5, north: -22 },
] as const;

const root = resolve(import.meta.dirname, '..', '..');
const neDir =
  process.env.NE_DIR ??
  ['/usr/share/magics/10m', '/tmp/debs/x/usr/share/magics/10m'].find((dir) => existsSync(join(dir, 'ne_10m_land.shp')));
if (!neDir) throw new Error('Natural Earth 10m shapefiles not found; set NE_DIR (Debian package libmagics++-data)');
const outDir = join(root, 'data', 'basemap');
const work = mkdtempSync(join(tmpdir(), 'mekan-data-'));

/** Clips one source layer to each region with ogr2ogr and reads the pieces back. */
function clip(source: string, name: string, layer?: string): Feature<Geometry, Properties>[] {
  return REGIONS.flatMap(({ id, west, south, east, north }) => {
    const out = join(work, `${name}-${id}.geojson`);
    const args = ['-f', 'GeoJSON', out, source, '-clipsrc', `${west}`, `${south}`, `${east}`, `${north}`];
    args.push('-lco', 'COORDINATE_PRECISION=5', '-explodecollections', '-skipfailures', '-makevalid');
    if (layer) args.push(layer);
    execFileSync('ogr2ogr', args, { stdio: ['ignore', 'ignore', 'inherit'] });
    const collection = JSON.parse(readFileSync(out, 'utf8')) as FeatureCollection<Geometry, Properties>;
    // Clipping can leave slivers that are points or lines in a polygon layer; keep the layer's own kind.
    const wantPoints = name === 'place';
    return collection.features.filter((f) => f.geometry && /Point/.test(f.geometry.type) === wantPoints);
  });
}

function readTable(file: string): Record<string, string>[] {
  return parse(readFileSync(join(root, 'data', 'names', file)), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
}

/** The schema's name fields from one row of a name table. */
function names(row: Record<string, string>): Properties {
  return {
    name: row.name,
    name_en: row.name_en,
    'name:en': row.name_en,
    'name:az': row.name_az,
    'name:ru': row.name_ru,
  };
}

function writeLayer(layer: string, features: Feature<Geometry, Properties>[]): void {
  // One feature a line: readable diffs and still a plain GeoJSON FeatureCollection.
  const lines = features.map((f) => JSON.stringify({ type: 'Feature', properties: f.properties, geometry: f.geometry }));
  writeFileSync(join(outDir, `${layer}.geojson`), `{"type":"FeatureCollection","features":[\n${lines.join(',\n')}\n]}\n`);
  console.log(`${layer}: ${features.length} features`);
}

function water(): Feature<Geometry, Properties>[] {
  return clip(join(neDir!, 'ne_10m_ocean.shp'), 'water').map((f) => ({
    ...f,
    // The Natural Earth ocean layer carries the seas (the Caspian included) and, with featurec_2, the large lakes.
    properties:
      f.properties.featurecla === 'Ocean'
        ? { class: 'ocean', minzoom: 0 }
        : { class: 'lake', minzoom: Math.max(2, Number(f.properties.scaleran_2) - 2) },
  }));
}

function waterway(): Feature<Geometry, Properties>[] {
  const table = new Map(readTable('rivers.csv').map((row) => [row.ne_name, row]));
  // A few centerlines carry no name in Natural Earth (one near Ciudad del Este): nothing to join or label, left out.
  const named = clip(join(neDir!, 'ne_10m_rivers_lake_centerlines.shp'), 'waterway').filter((f) => f.properties.name !== null);
  return named.map((f) => {
    const row = table.get(String(f.properties.name));
    if (!row) throw new Error(`rivers.csv has no row for Natural Earth river "${f.properties.name}"`);
    const rank = Math.round(Number(f.properties.scalerank));
    // Kür and Araz are the country's main rivers: shown a zoom earlier than their world rank would put them.
    const national = row.name_az === 'Kür' || row.name_az === 'Araz';
    const minzoom = national ? 4 : rank <= 4 ? 3 : rank <= 8 ? 5 : 6;
    return { ...f, properties: { class: 'river', rank, minzoom, ...names(row) } };
  });
}

function boundary(): Feature<Geometry, Properties>[] {
  const countries = clip(join(neDir!, 'ne_10m_admin_0_boundary_lines_land.shp'), 'boundary0').map((f) => ({
    ...f,
    properties: {
      admin_level: 2,
      minzoom: 0,
      disputed: /disputed|line of control/i.test(String(f.properties.featurecla)) ? 1 : 0,
      maritime: 0,
      adm0_l: f.properties.adm0_left,
      adm0_r: f.properties.adm0_right,
    },
  }));
  const provinces = clip(join(neDir!, 'ne_10m_admin_1_states_provinces_lines.shp'), 'boundary1').map((f) => ({
    ...f,
    properties: {
      // Azerbaijan's economic regions group its districts: a level between country and district.
      admin_level: f.properties.featurecla === 'Admin-1 region boundary' ? 3 : 4,
      // Natural Earth shows first-level lines late (min_zoom up to 9); the national ones come in at 6.
      minzoom: f.properties.adm0_a3 === 'AZE' ? 6 : Math.max(5, Math.round(Number(f.properties.min_zoom))),
      disputed: 0,
      maritime: 0,
      adm0_l: f.properties.adm0_name,
      adm0_r: f.properties.adm0_name,
    },
  }));
  return [...countries, ...provinces];
}

function place(): Feature<Geometry, Properties>[] {
  const rows = readTable('places.csv');
  const table = new Map(rows.filter((row) => row.ne_name).map((row) => [row.ne_name, row]));
  const fromNaturalEarth = clip(join(neDir!, 'ne_10m_populated_places_simple.shp'), 'place').map((f) => {
    const p = f.properties;
    const row = table.get(String(p.name));
    if (!row) throw new Error(`places.csv has no row for Natural Earth place "${p.name}"`);
    const capital = Number(p.adm0cap) === 1 ? 2 : /Admin-1 capital/.test(String(p.featurecla)) ? 4 : null;
    const population = Number(p.pop_max);
    const settlement = capital === 2 || population >= 100000 ? 'city' : 'town';
    return {
      ...f,
      properties: {
        class: row.class || settlement,
        ...names(row),
        rank: Number(p.scalerank),
        minzoom: placeMinzoom(Number(p.scalerank), row.country),
        capital,
        population,
        iso_a3: row.country,
      },
    };
  });
  const added = rows
    .filter((row) => !row.ne_name)
    .map(
      (row): Feature<Geometry, Properties> => ({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [Number(row.lon), Number(row.lat)] },
        properties: { class: row.class, ...names(row), rank: 9, minzoom: placeMinzoom(9, row.country), capital: null, population: null, iso_a3: row.country },
      }),
    );
  const countries = labels('place').map((f) => ({ ...f, properties: { ...f.properties, capital: null, population: null } }));
  return [...countries, ...fromNaturalEarth, ...added];
}

/** First zoom for country, sea and lake labels, by class and rank. */
const labelMinzoom: Record<string, Record<number, number>> = {
  country: { 1: 2, 2: 3, 3: 4 },
  sea: { 1: 3 },
  lake: { 3: 6, 4: 8 },
};

/** First zoom of a settlement from Natural Earth's scalerank; Azerbaijan's own places come in a zoom earlier. */
function placeMinzoom(scalerank: number, country: string): number {
  const zoom = scalerank <= 3 ? 3 : scalerank <= 5 ? 4 : scalerank <= 6 ? 5 : scalerank <= 8 ? 6 : 7;
  return country === 'AZE' ? Math.max(3, zoom - 1) : zoom;
}

function labels(layer: string): Feature<Geometry, Properties>[] {
  return readTable('labels.csv')
    .filter((row) => row.layer === layer)
    .map((row) => ({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [Number(row.lon), Number(row.lat)] },
      properties: { class: row.class, ...names(row), rank: Number(row.rank), minzoom: labelMinzoom[row.class][Number(row.rank)] ?? 6 },
    }));
}

function country(): Feature<Geometry, Properties>[] {
  const source = join(root, 'node_modules', 'world-atlas', 'countries-10m.json');
  return clip(source, 'country', 'countries').map((f) => ({
    ...f,
    properties: {
      minzoom: 0,
      // world-atlas keys countries by ISO 3166-1 numeric code; 031 is Azerbaijan.
      class: f.properties.id === '031' ? 'national' : 'foreign',
      iso_n3: f.properties.id,
      name_en: f.properties.name,
    },
  }));
}

try {
  mkdirSync(outDir, { recursive: true });
  writeLayer('water', water());
  writeLayer('waterway', waterway());
  writeLayer('boundary', boundary());
  writeLayer('place', place());
  writeLayer('water_name', labels('water_name'));
  writeLayer('country', country());
} finally {
  rmSync(work, { recursive: true, force: true });
}
