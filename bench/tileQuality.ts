// Vector tiles read as a map, zoom by zoom: lakes that should be water, polygons GEOS rejects, edges that meet
// their neighbour, duplicates, the largest tile, places kept and how crowded they are. The issue #11 table.
//   node dist/bench/tileQuality.js ARCHIVE.mbtiles [--land ne_10m_land] [--places ne_10m_populated_places_simple] [--maxzoom 5]
import { parseArgs } from 'node:util';
import { openArchive } from '../src/archive/open.js';
import { coveredAt, crowdedShare, duplicateFeatures, invalidPolygons, pointsInside, seamMatch, tilesByKey } from '../test/support/tileMap.js';
import { readVectorTiles } from '../test/support/vectorTiles.js';

/** Lakes that are holes in Natural Earth's land polygons, with a point well inside each. */
export const LAKES: [name: string, lon: number, lat: number][] = [
  ['Caspian', 50.5, 42.5],
  ['Superior', -87.5, 47.7],
  ['Ladoga', 31.5, 61.0],
  ['Onega', 35.3, 61.6],
  ['Vänern', 13.3, 58.9],
  ['Baikal', 108.0, 53.3],
  ['Great Bear', -121.0, 66.0],
  ['Chany', 77.6, 54.85],
  ['Zaysan', 84.0, 48.0],
  ['Khyargas', 93.3, 49.15],
];

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    land: { type: 'string', default: 'ne_10m_land' },
    places: { type: 'string', default: 'ne_10m_populated_places_simple' },
    lines: { type: 'string', default: 'ne_10m_rivers_lake_centerlines' },
    maxzoom: { type: 'string', default: '5' },
  },
});
const path = positionals[0];
if (!path) throw new Error('usage: tileQuality ARCHIVE.mbtiles');
const maxzoom = Number(values.maxzoom);
const land = values.land as string;

const archive = openArchive(path);
const largest = Math.max(...(await archive.summarize()).map((zoom) => zoom.maxBytes));
archive.close();
console.log(`largest tile: ${largest} bytes`);
for (let z = 0; z <= maxzoom; z++) {
  const tiles = readVectorTiles(path, z);
  const byKey = tilesByKey(tiles);
  const filled = LAKES.filter(([, lon, lat]) => coveredAt(byKey, land, lon, lat, z)).map(([name]) => name);
  const invalid = invalidPolygons(tiles, [land]);
  const reasons = new Map<string, number>();
  for (const problem of invalid) reasons.set(problem.reason, (reasons.get(problem.reason) ?? 0) + 1);
  const seamLand = seamMatch(tiles, land);
  const seamLines = seamMatch(tiles, values.lines as string);
  const pct = (s: { crossings: number; matched: number }) => (s.crossings ? `${((100 * s.matched) / s.crossings).toFixed(0)}% of ${s.crossings}` : '–');
  const places = pointsInside(tiles, values.places as string).length;
  const crowded = crowdedShare(tiles, values.places as string, 64);
  console.log(
    `z${z}: lakes drawn as land [${filled.join(', ')}]; invalid land ${invalid.length} ${JSON.stringify(Object.fromEntries(reasons))}; ` +
      `seams land ${pct(seamLand)}, lines ${pct(seamLines)}; duplicates ${duplicateFeatures(tiles).length}; places ${places} (${(crowded * 100).toFixed(0)}% within 4 px of another)`,
  );
}
