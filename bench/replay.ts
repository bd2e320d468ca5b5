// bench/replay: a national day of tile requests, replayed through the deploy nginx against one and two Mekan
// replicas, with and without its cache. Prints throughput, p99 and cache hit ratio, as ratios against the
// plainest set-up (one replica, no cache) run in the same script, and what the full log says about cache size.
//
// Usage: npm run bench:replay [-- --seed N] [--requests N (log size, default 2,000,000)] [--slice N (replayed, default 20,000)]
//        [--connections N (default 32)] [--archive FILE (default: the bundled basemap, built once)]
// The log: zoom-weighted (most traffic at z8–10, the basemap's deepest), a population centre of data/basemap's places
// chosen in proportion to its population (a Zipf-like law), then a tile at a geometric distance from it: a few
// tiles over big cities take most requests, as real tile logs show.
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { openArchive } from '../src/archive/open.js';
import { bboxToTileRange, lonLatToTileFraction } from '../src/grid/webMercator.js';
import { MEKAN_BIN, spawnServe, type ServeProcess } from '../test/support/mekanProcess.js';
import { freePort, startNginx, type Nginx } from '../test/support/nginx.js';
import { seededRandom } from '../test/support/seededRandom.js';

const root = resolve(import.meta.dirname, '..', '..');
const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '20261201' },
    requests: { type: 'string', default: '2000000' },
    slice: { type: 'string', default: '20000' },
    connections: { type: 'string', default: '32' },
    archive: { type: 'string' },
  },
});
const work = join(tmpdir(), 'mekan-replay');
mkdirSync(work, { recursive: true });

function pick(weights: number[], u: number): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let acc = 0;
  for (let i = 0; i < weights.length; i++) {
    acc += weights[i] / total;
    if (u < acc) return i;
  }
  return weights.length - 1;
}

const archivePath = values.archive ?? join(work, 'basemap.mbtiles');
if (!existsSync(archivePath)) {
  console.log(`building ${archivePath} from data/basemap (once)…`);
  execFileSync(process.execPath, [MEKAN_BIN, 'build', 'vector', '--recipe', join(root, 'scripts', 'basemap.recipe.yaml'), '-o', archivePath, '--quiet'], { stdio: 'inherit' });
}
const archive = openArchive(archivePath);
const tileset = basename(archivePath, extname(archivePath));
const { minzoom, maxzoom } = archive.metadata;

// Zoom weights: tile traffic peaks at the deepest zooms a basemap has and thins out towards the world view.
const zoomWeights = Array.from({ length: maxzoom + 1 }, (_, z) => (z < minzoom ? 0 : Math.pow(1.6, z)));
const places = (JSON.parse(readFileSync(join(root, 'data', 'basemap', 'place.geojson'), 'utf8')) as { features: { properties: { population?: number | null }; geometry: { coordinates: [number, number] } }[] }).features.filter(
  (feature) => (feature.properties.population ?? 0) > 0,
);
const populations = places.map((place) => place.properties.population!);

console.log(`generating ${Number(values.requests).toLocaleString('en')} requests from seed ${values.seed} over ${places.length} population centres, z${minzoom}–${maxzoom}…`);
const next = seededRandom(Number(values.seed));
const ranges = Array.from({ length: maxzoom + 1 }, (_, z) => bboxToTileRange(archive.metadata.bounds ?? [-180, -85.0511, 180, 85.0511], z));
const total = Number(values.requests);
const log: string[] = new Array<string>(total);
const logFile = join(work, `requests-${values.seed}.log`);
const out = createWriteStream(logFile);
for (let i = 0; i < total; i++) {
  const z = pick(zoomWeights, next());
  const [lon, lat] = places[pick(populations, next())].geometry.coordinates;
  const [fx, fy] = lonLatToTileFraction(lon, lat, z);
  // Geometric distance in tiles (mean ~2): the city's own tiles first, its surroundings less.
  const distance = Math.floor(-Math.log(1 - next()) / 0.5);
  const angle = next() * 2 * Math.PI;
  // Kept inside the tileset's bounds: a client of this basemap does not ask beyond them.
  const range = ranges[z];
  const x = Math.min(range.maxX, Math.max(range.minX, Math.floor(fx + distance * Math.cos(angle))));
  const y = Math.min(range.maxY, Math.max(range.minY, Math.floor(fy + distance * Math.sin(angle))));
  log[i] = `${z}/${x}/${y}`;
  out.write(`/tiles/${tileset}/${log[i]}.pbf\n`);
}
await new Promise((resolveEnd) => out.end(resolveEnd));

// What the whole log implies for a cache: distinct tiles and bytes needed for a given hit ratio (most popular first).
const counts = new Map<string, number>();
for (const tile of log) counts.set(tile, (counts.get(tile) ?? 0) + 1);
const byPopularity = [...counts.entries()].sort((a, b) => b[1] - a[1]);
const targets = [0.8, 0.9, 0.95, 0.99];
const cacheLines: string[] = [];
let covered = 0;
let bytes = 0;
let target = 0;
for (let i = 0; i < byPopularity.length && target < targets.length; i++) {
  const [tile, count] = byPopularity[i];
  covered += count;
  const [z, x, y] = tile.split('/').map(Number);
  bytes += (await archive.getTile(z, x, y))?.data.length ?? 0;
  while (target < targets.length && covered / total >= targets[target]) {
    cacheLines.push(`  ${(targets[target] * 100).toFixed(0)} % hits: the ${(i + 1).toLocaleString('en')} most requested tiles, ${(bytes / 1e6).toFixed(1)} MB`);
    target++;
  }
}
archive.close();
console.log(`log: ${logFile}; ${counts.size.toLocaleString('en')} distinct tiles of ${total.toLocaleString('en')} requests`);
console.log('cache needed (ideal, whole log):');
console.log(cacheLines.join('\n'));

interface Result {
  label: string;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  hits: number;
  failed: number;
}

/** Replays the slice in log order over `connections` keep-alive connections; latency per request from send to last byte. */
async function replay(base: string, paths: string[], connections: number): Promise<Omit<Result, 'label'>> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const url = new URL(base);
  const latencies = new Float64Array(paths.length);
  let hits = 0;
  let failed = 0;
  let nextIndex = 0;
  const started = performance.now();
  const worker = async () => {
    while (nextIndex < paths.length) {
      const i = nextIndex++;
      const sent = performance.now();
      await new Promise<void>((done) => {
        const req = request({ host: url.hostname, port: url.port, path: paths[i], agent, headers: { 'accept-encoding': 'gzip' } }, (res) => {
          if (res.headers['x-cache-status'] === 'HIT') hits++;
          // Every request of the log lies inside the tileset: anything but 200/204 is a failure.
          if (res.statusCode !== 200 && res.statusCode !== 204) failed++;
          res.resume();
          res.on('end', () => {
            latencies[i] = performance.now() - sent;
            done();
          });
        });
        req.on('error', () => {
          failed++;
          done();
        });
        req.end();
      });
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  const sorted = [...latencies].sort((a, b) => a - b);
  return { seconds, rps: paths.length / seconds, p50: sorted[Math.floor(sorted.length * 0.5)], p99: sorted[Math.floor(sorted.length * 0.99)], hits: hits / paths.length, failed };
}

const deployConf = readFileSync(join(root, 'deploy', 'nginx', 'mekan.conf'), 'utf8');
const slice = log.slice(0, Number(values.slice)).map((tile) => `/tiles/${tileset}/${tile}.pbf`);
const connections = Number(values.connections);
const results: Result[] = [];
for (const { replicas, cache } of [
  { replicas: 1, cache: false },
  { replicas: 2, cache: false },
  { replicas: 1, cache: true },
  { replicas: 2, cache: true },
]) {
  const ports = [await freePort(), await freePort()];
  const servers: ServeProcess[] = [];
  let nginx: Nginx | undefined;
  try {
    // As operators run it: request logs on (sent to a pipe the bench drains).
    for (let r = 0; r < replicas; r++) servers.push(await spawnServe([archivePath, '--host', '127.0.0.1', '--port', String(ports[r])]));
    for (const server of servers) server.child.stdout!.resume();
    const conf = deployConf
      .replace('127.0.0.1:8081', `127.0.0.1:${ports[0]}`)
      .replace(/\n\s*server 127\.0\.0\.1:8082[^\n]*/, replicas === 2 ? `\n    server 127.0.0.1:${ports[1]} max_fails=2 fail_timeout=5s;` : '')
      .replace('/var/cache/nginx/mekan', join(work, `cache-${Date.now()}`))
      .replace('proxy_cache mekan_tiles;', cache ? 'proxy_cache mekan_tiles;' : 'proxy_cache off;');
    nginx = await startNginx(join(work, `nginx-${replicas}-${cache}`), (port) => conf.replace('listen 80;', `listen 127.0.0.1:${port};`), '/health');
    const label = `${replicas} replica${replicas > 1 ? 's' : ''}, ${cache ? 'cache (cold at start)' : 'no cache'}`;
    console.log(`replaying ${slice.length.toLocaleString('en')} requests: ${label}…`);
    results.push({ label, ...(await replay(nginx.url, slice, connections)) });
  } finally {
    await nginx?.stop();
    for (const server of servers) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  }
}

const base = results[0];
console.log(`\n${cpus().length} cores, load average ${loadavg()[0].toFixed(1)} at the end (the client, nginx and the replicas share them)`);
console.log('set-up                              req/s   × base   p50 ms   p99 ms   hit ratio   failed');
for (const result of results) {
  console.log(
    `${result.label.padEnd(34)} ${result.rps.toFixed(0).padStart(7)} ${(result.rps / base.rps).toFixed(2).padStart(8)} ${result.p50.toFixed(2).padStart(8)} ${result.p99.toFixed(2).padStart(8)} ${(result.hits * 100).toFixed(1).padStart(10)} % ${String(result.failed).padStart(7)}`,
  );
}
