// bench/read-sources: reading a large GeoJSON FeatureCollection through Mekan's streamed source (with validation)
// against JSON.parse of the whole file, each in its own child process: wall time, features/s, MB/s, peak RSS.
//
// Then, when Natural Earth's 10m shapefiles are at hand, each is read by Mekan's Shapefile reader and by the npm
// `shapefile` package (the reader Mekan used first), in the same child-process way.
//
// Usage: node dist/bench/read-sources.js [FILE.geojson] [--features N] [--shapefiles DIR]
// Without FILE: a synthetic collection of N (default 300000) 20-vertex lines is written to $TMPDIR/mekan-bench/.
// --shapefiles defaults to /tmp/debs/x/usr/share/magics/10m (Debian libmagics++-data, see ../shared/README.md).
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import shapefile from 'shapefile';
import { openSource } from '../src/sources/open.js';

interface Measure {
  features: number;
  seconds: number;
  maxRssBytes: number;
}

async function child(mode: string, path: string): Promise<void> {
  const started = performance.now();
  let features = 0;
  if (mode === 'stream') {
    const source = await openSource(path);
    for await (const feature of source.features(() => undefined)) if (feature) features++;
  } else if (mode === 'shapefile-package') {
    const source = await shapefile.open(path, undefined, { encoding: 'utf-8' });
    for (let result = await source.read(); !result.done; result = await source.read()) features++;
  } else {
    const collection = JSON.parse(readFileSync(path, 'utf8')) as { features: unknown[] };
    for (const feature of collection.features) if (feature) features++;
  }
  const measure: Measure = { features, seconds: (performance.now() - started) / 1000, maxRssBytes: process.resourceUsage().maxRSS * 1024 };
  process.stdout.write(JSON.stringify(measure) + '\n');
}

function writeSynthetic(path: string, count: number): void {
  const descriptor = openSync(path, 'w');
  writeSync(descriptor, '{"type":"FeatureCollection","features":[\n');
  let batch: string[] = [];
  for (let i = 0; i < count; i++) {
    const coordinates: number[][] = [];
    for (let k = 0; k < 20; k++) coordinates.push([((i * 0.001) % 360) - 180 + k * 1e-4, ((i * 0.0007) % 170) - 85 + k * 1e-4]);
    batch.push(JSON.stringify({ type: 'Feature', properties: { id: i, name: `Yol ${i} — Şəki`, length: i * 0.25, paved: i % 2 === 0 }, geometry: { type: 'LineString', coordinates } }));
    if (batch.length === 5000 || i === count - 1) {
      writeSync(descriptor, batch.join(',\n') + (i < count - 1 ? ',\n' : '\n'));
      batch = [];
    }
  }
  writeSync(descriptor, ']}\n');
  closeSync(descriptor);
}

function runChild(mode: string, path: string): Measure | string {
  const self = fileURLToPath(import.meta.url);
  const result = spawnSync(process.execPath, ['--max-old-space-size=4096', self, '--child', mode, path], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (result.status !== 0) return `failed (${result.signal ?? `exit ${result.status}`}): ${(result.stderr || '').trim().split('\n').slice(-1)[0]}`;
  return JSON.parse(result.stdout) as Measure;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { child: { type: 'string' }, features: { type: 'string', default: '300000' }, shapefiles: { type: 'string', default: '/tmp/debs/x/usr/share/magics/10m' } },
  });
  if (values.child) return child(values.child, positionals[0]);
  let path = positionals[0];
  if (!path) {
    const folder = join(tmpdir(), 'mekan-bench');
    mkdirSync(folder, { recursive: true });
    path = join(folder, `lines-${values.features}.geojson`);
    if (!existsSync(path)) writeSynthetic(path, Number(values.features));
  }
  const megabytes = statSync(path).size / 1e6;
  console.log(`${path}: ${megabytes.toFixed(1)} MB`);
  const rows: [string, Measure | string][] = [
    ['mekan openSource (streamed, validated)', runChild('stream', path)],
    ['JSON.parse of the whole file', runChild('parse', path)],
  ];
  for (const [name, measure] of rows) {
    if (typeof measure === 'string') {
      console.log(`${name.padEnd(40)} ${measure}`);
      continue;
    }
    console.log(
      `${name.padEnd(40)} ${measure.features} features  ${measure.seconds.toFixed(2)} s  ${(measure.features / measure.seconds).toFixed(0)} features/s  ` +
        `${(megabytes / measure.seconds).toFixed(0)} MB/s  peak RSS ${(measure.maxRssBytes / 1e6).toFixed(0)} MB`,
    );
  }
  const [stream, whole] = rows.map(([, measure]) => measure);
  if (typeof stream !== 'string' && typeof whole !== 'string') {
    console.log(`ratio streamed/whole: time ${(stream.seconds / whole.seconds).toFixed(2)}x, peak RSS ${(stream.maxRssBytes / whole.maxRssBytes).toFixed(2)}x`);
  }
  if (existsSync(values.shapefiles)) compareShapefiles(values.shapefiles);
}

function compareShapefiles(folder: string): void {
  console.log(`\nShapefiles in ${folder}: Mekan's reader vs the npm shapefile package (seconds, peak RSS)`);
  let mekanTotal = 0;
  let packageTotal = 0;
  for (const name of readdirSync(folder).filter((file) => file.endsWith('.shp')).sort()) {
    const path = join(folder, name);
    const mekan = runChild('stream', path);
    const peer = runChild('shapefile-package', path);
    if (typeof mekan === 'string' || typeof peer === 'string') {
      console.log(`${name.padEnd(45)} ${typeof mekan === 'string' ? mekan : ''} ${typeof peer === 'string' ? peer : ''}`);
      continue;
    }
    mekanTotal += mekan.seconds;
    packageTotal += peer.seconds;
    console.log(
      `${name.padEnd(45)} ${String(mekan.features).padStart(6)} features  mekan ${mekan.seconds.toFixed(2)} s ${(mekan.maxRssBytes / 1e6).toFixed(0)} MB` +
        `  package ${String(peer.features).padStart(6)} features ${peer.seconds.toFixed(2)} s ${(peer.maxRssBytes / 1e6).toFixed(0)} MB  ratio ${(mekan.seconds / peer.seconds).toFixed(2)}x`,
    );
  }
  if (packageTotal > 0) console.log(`total: mekan ${mekanTotal.toFixed(2)} s, package ${packageTotal.toFixed(2)} s, ratio ${(mekanTotal / packageTotal).toFixed(2)}x`);
}

await main();
