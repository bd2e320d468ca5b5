// Extract benchmark: a Baku-sized box at zooms 0–14 out of a large national archive, Mekan's extract (index range
// reads through the archive interface, deduplicating writer, metadata) against a bare SQLite `INSERT … SELECT` of the
// same rows into a plain `tiles` table, both in this process on the same file (ratio = peer time / Mekan time; goal
// ≥ 0.8). Also tiles/s of a merge (two regional halves) and of a package (the standard style over a real basemap).
//   npm run bench:extract [-- --runs 9 --bbox 49.7,40.3,50.1,40.5]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { PbfWriter } from 'pbf';
import { createArchive, openArchive } from '../src/archive/open.js';
import { bboxToTileRange, flipRow, tilesInRange, type BBox } from '../src/grid/webMercator.js';
import { extractTiles } from '../src/packages/extract.js';
import { writePackage } from '../src/packages/package.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '9' }, bbox: { type: 'string', default: '49.7,40.3,50.1,40.5' } } });
const runs = Number(values.runs);
const box = values.bbox!.split(',').map(Number) as BBox;
/** Azerbaijan and its neighbourhood: the national archive's extent. */
const NATIONAL: BBox = [44.7, 38.3, 50.7, 41.95];
const MAXZOOM = 14;
const dir = join(tmpdir(), 'mekan-bench-extract');
mkdirSync(dir, { recursive: true });
const national = join(dir, 'national-z14.mbtiles');

/** A small real vector tile (one layer of points, gzipped) that differs from tile to tile, as a national archive's do. */
function syntheticTile(z: number, x: number, y: number): Buffer {
  const pbf = new PbfWriter();
  pbf.writeMessage(3, (_: null, layer) => {
    layer.writeVarintField(15, 2);
    layer.writeStringField(1, 'poi');
    const count = 5 + ((x * 7 + y * 13 + z) % 40);
    let seed = x * 73856093 + y * 19349663 + z * 83492791;
    for (let i = 0; i < count; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const px = seed % 4096;
      const py = (seed >> 12) % 4096;
      layer.writeMessage(2, (_f: null, feature) => {
        feature.writePackedVarint(2, [0, i % 8]);
        feature.writeVarintField(3, 1);
        feature.writePackedVarint(4, [9, (px << 1) ^ (px >> 31), (py << 1) ^ (py >> 31)]);
      }, null);
    }
    layer.writeStringField(3, 'kind');
    for (let i = 0; i < 8; i++) layer.writeMessage(4, (_v: null, value) => value.writeStringField(1, `kind-${i}-${z}/${x}/${y}`), null);
    layer.writeVarintField(5, 4096);
  }, null);
  return gzipSync(pbf.finish());
}

function writeNational(): void {
  if (existsSync(national)) return;
  const started = performance.now();
  const writer = createArchive(national);
  let tiles = 0;
  for (let z = 0; z <= MAXZOOM; z++) {
    for (const { x, y } of tilesInRange(bboxToTileRange(NATIONAL, z))) {
      writer.putTile(z, x, y, syntheticTile(z, x, y));
      tiles++;
    }
  }
  writer.setMetadata({ name: 'national', format: 'pbf', minzoom: 0, maxzoom: MAXZOOM, bounds: NATIONAL, vector_layers: [{ id: 'poi', fields: { kind: 'String' } }] });
  writer.finish();
  console.log(`synthesised ${national}: ${tiles} tiles z0–${MAXZOOM}, ${(statSync(national).size / 1e6).toFixed(0)} MB in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

async function mekanExtract(output: string): Promise<number> {
  rmSync(output, { force: true });
  const source = openArchive(national);
  try {
    const summary = await extractTiles({ sources: [source], region: { bbox: box, minzoom: 0, maxzoom: MAXZOOM }, output: createArchive(output) });
    return summary.tiles;
  } finally {
    source.close();
  }
}

/** The peer: the same rows copied by SQLite itself, one INSERT … SELECT a zoom over the index range. */
function bareInsertSelect(output: string): number {
  rmSync(output, { force: true });
  const db = new Database(output);
  db.exec('CREATE TABLE metadata (name TEXT, value TEXT); CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB); CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);');
  db.prepare('ATTACH DATABASE ? AS source').run(national);
  const insert = db.prepare('INSERT INTO tiles SELECT zoom_level, tile_column, tile_row, tile_data FROM source.tiles WHERE zoom_level = ? AND tile_column BETWEEN ? AND ? AND tile_row BETWEEN ? AND ?');
  let rows = 0;
  db.transaction(() => {
    for (let z = 0; z <= MAXZOOM; z++) {
      const r = bboxToTileRange(box, z);
      rows += insert.run(z, r.minX, r.maxX, flipRow(z, r.maxY), flipRow(z, r.minY)).changes;
    }
    db.prepare("INSERT INTO metadata VALUES ('format', 'pbf')").run();
  })();
  db.close();
  return rows;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Both copies of `bbox`, alternated `rounds` times after a warm-up round (page cache), medians compared. */
async function compare(bbox: BBox, rounds: number): Promise<void> {
  box.splice(0, 4, ...bbox);
  const ours = join(dir, 'box-mekan.mbtiles');
  const peer = join(dir, 'box-bare.mbtiles');
  const mekanTimes: number[] = [];
  const peerTimes: number[] = [];
  let tiles = 0;
  let rows = 0;
  // Alternate the two so that a busy machine slows both alike; the first round warms the page cache.
  for (let run = 0; run <= rounds; run++) {
    let started = performance.now();
    tiles = await mekanExtract(ours);
    const mekanSeconds = (performance.now() - started) / 1000;
    started = performance.now();
    rows = bareInsertSelect(peer);
    const peerSeconds = (performance.now() - started) / 1000;
    if (run === 0) continue;
    mekanTimes.push(mekanSeconds);
    peerTimes.push(peerSeconds);
  }
  if (tiles !== rows) throw new Error(`Mekan extracted ${tiles} tiles, the bare copy ${rows} rows`);
  const m = median(mekanTimes);
  const p = median(peerTimes);
  console.log(`extract ${bbox.join(',')} z0–${MAXZOOM}: ${tiles} tiles (median of ${rounds})`);
  console.log(`  mekan extract         ${(m * 1000).toFixed(1)} ms  (${Math.round(tiles / m)} tiles/s)`);
  console.log(`  bare INSERT … SELECT  ${(p * 1000).toFixed(1)} ms  (${Math.round(rows / p)} tiles/s)`);
  console.log(`  ratio (bare / mekan)  ${(p / m).toFixed(2)}×`);
}

async function main(): Promise<void> {
  writeNational();
  const baku = [...box] as BBox;
  await compare(baku, runs);
  console.log('  goal for the Baku box: ≥ 0.80×');
  // A larger box shows the per-tile cost rather than the fixed one (create, schema, metadata, fsync).
  await compare([47, 39.5, 50.5, 41.5], Math.max(1, Math.floor(runs / 3)));
  let started: number;

  // Merge: two regional halves (z0–12) that meet along a meridian and share the low zooms.
  const west = join(dir, 'west.mbtiles');
  const east = join(dir, 'east.mbtiles');
  for (const [path, bbox] of [[west, [44.7, 38.3, 47.7, 41.95]], [east, [47.7, 38.3, 50.7, 41.95]]] as [string, BBox][]) {
    rmSync(path, { force: true });
    const source = openArchive(national);
    await extractTiles({ sources: [source], region: { bbox, maxzoom: 12 }, output: createArchive(path) });
    source.close();
  }
  const merged = join(dir, 'merged.mbtiles');
  rmSync(merged, { force: true });
  const halves = [openArchive(west), openArchive(east)];
  started = performance.now();
  const mergeSummary = await extractTiles({ sources: halves, region: {}, output: createArchive(merged) });
  const mergeSeconds = (performance.now() - started) / 1000;
  for (const half of halves) half.close();
  console.log(`merge of two regional halves z0–12: ${mergeSummary.tiles} tiles (${mergeSummary.combined} combined) in ${mergeSeconds.toFixed(2)} s: ${Math.round(mergeSummary.tiles / mergeSeconds)} tiles/s`);

  // Package: the standard style over the real bundled basemap (built once), Absheron at its zooms.
  const basemapDir = join(dir, 'basemap');
  if (!existsSync(join(basemapDir, 'basemap.mbtiles'))) {
    mkdirSync(basemapDir, { recursive: true });
    execFileSync(process.execPath, [resolve('bin/mekan.js'), 'build', 'vector', '--recipe', resolve('scripts/basemap.recipe.yaml'), '-o', join(basemapDir, 'basemap.mbtiles'), '--quiet']);
  }
  const packageDir = join(dir, 'package');
  started = performance.now();
  const pkg = await writePackage({ style: 'standard', paths: [basemapDir], region: { bbox: [47, 39.5, 50.5, 41.5] }, output: packageDir });
  const packageSeconds = (performance.now() - started) / 1000;
  const packageTiles = pkg.tilesets.reduce((sum, tileset) => sum + tileset.summary.tiles, 0);
  console.log(`package standard over 47,39.5,50.5,41.5 (z0–10): ${packageTiles} tiles, ${pkg.files} files, ${pkg.glyphRanges.length} glyph ranges in ${packageSeconds.toFixed(2)} s: ${Math.round(packageTiles / packageSeconds)} tiles/s`);
}

await main();
