// Live PostGIS tiles/s at 64 connections: `mekan serve` against a bare node:http + pg + ST_AsMVT server running the
// very same statement, cold (every request reaches the database: cache off), warm (the tile cache holds the set), and
// cold with the cache on (more distinct tiles than a run asks for in a TTL: nearly every request a miss, kept in the cache).
// Data: Natural Earth 10m admin-1 boundary lines (world, ~7 MB), in a throwaway PostgreSQL 15 + PostGIS cluster.
// Runs alternate (bare, cold, bare, cold, …, then warm) so that a loaded machine weighs on both sides alike; each
// ratio is against the bare run next to it, and the median ratio is reported. Requests say `Accept-Encoding: gzip`,
// as browsers and MapLibre do (the bare server ignores it and sends the tile uncompressed).
// Usage: npm run build && node dist/bench/postgis.js [--seconds 10] [--tiles 3000] [--pool 20] [--rounds 3]
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { serverOptionsFrom } from '../src/config/serverOptions.js';
import { lonLatToTileFraction } from '../src/grid/webMercator.js';
import { readCatalogue } from '../src/postgis/catalog.js';
import type { TableLayer } from '../src/postgis/layers.js';
import { tableTileSql } from '../src/postgis/sql.js';
import { startPostgis } from '../test/support/postgis.js';
import { fileFromDebianPackage } from './support/debianData.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, tiles: { type: 'string', default: '3000' }, pool: { type: 'string', default: '20' }, rounds: { type: 'string', default: '3' } } });
const seconds = Number(values.seconds);
const connections = 64;
const work = mkdtempSync(join(tmpdir(), 'mekan-bench-postgis-'));

/** wrk's two threads start `spread` paths apart in the list (a cache-on cold run: half the list, so neither meets the other's tiles). */
function wrk(paths: string[], base: string, duration: number, spread = 997): { rps: number; p50ms: number; p99ms: number; errors: number } {
  const lua = join(work, 'paths.lua');
  writeFileSync(
    lua,
    `local paths = {\n${paths.map((path) => `"${path}"`).join(',\n')}\n}
local counter = 0
local threads = 0
setup = function(thread) thread:set("offset", threads * ${spread}); threads = threads + 1 end
init = function(args) counter = tonumber(offset) or 0 end
request = function() counter = counter + 1; return wrk.format("GET", paths[(counter % #paths) + 1], { ["Accept-Encoding"] = "gzip" }) end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d\\n", summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
`,
  );
  // A 10 s timeout: on a loaded machine a slow answer is counted in the latency, not as an error.
  const out = execFileSync('wrk', ['-t', '2', '-c', String(connections), '-d', `${duration}s`, '--timeout', '10s', '-s', lua, base], { encoding: 'utf8' });
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`wrk printed no result:\n${out}`);
  const [requests, micros, p50, p99, errors] = line.split(' ').slice(1).map(Number);
  return { rps: requests / (micros / 1e6), p50ms: p50 / 1000, p99ms: p99 / 1000, errors };
}

async function started(url: string, child: ChildProcess): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** CPU seconds (user + system, every thread) a process has used so far, from /proc (clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Every path once, 16 at a time: the warm run starts with the whole set cached. */
async function fetchAll(base: string, paths: string[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < paths.length) await (await fetch(base + paths[next++], { headers: { 'Accept-Encoding': 'gzip' } })).arrayBuffer();
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

/** The live tile cache's hit ratio from the server's /metrics: how cold a run with the cache on really was. */
async function liveHitRatio(base: string): Promise<number> {
  const metrics = await (await fetch(`${base}/metrics`)).text();
  return Number(/^mekan_live_tile_cache_hit_ratio (\S+)$/m.exec(metrics)?.[1]);
}

async function measure(name: string, args: string[], port: number, ready: string, paths: string[], warm: boolean, report?: (base: string) => Promise<string>, spread?: number) {
  // Logs go to /dev/null, as to a log file: a slow reader of a pipe would throttle the server.
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'ignore'] });
  try {
    await started(`http://127.0.0.1:${port}${ready}`, child);
    const base = `http://127.0.0.1:${port}`;
    // Warm: every tile fetched once fills the cache; then (cold and warm) a short run warms the JIT and the pool.
    if (warm) await fetchAll(base, paths);
    wrk(paths, base, 2, spread);
    // CPU per tile of the server process: unlike tiles/s, it hardly moves with what else the machine runs.
    const cpuBefore = cpuSeconds(child.pid!);
    const result = wrk(paths, base, seconds, spread);
    const cpuMsPerTile = ((cpuSeconds(child.pid!) - cpuBefore) * 1000) / (result.rps * seconds);
    const extra = report ? `  ${await report(base)}` : '';
    console.log(
      `${name.padEnd(48)} ${result.rps.toFixed(0).padStart(7)} tiles/s  p50 ${result.p50ms.toFixed(1)} ms  p99 ${result.p99ms.toFixed(1)} ms  server CPU ${cpuMsPerTile.toFixed(2)} ms/tile${result.errors ? `  errors ${result.errors}` : ''}${extra}`,
    );
    return { ...result, cpuMsPerTile };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  }
}

async function main(): Promise<void> {
  const shapefile = fileFromDebianPackage('libmagics++-data', 'usr/share/magics/10m/ne_10m_admin_1_states_provinces_lines.shp');
  const db = await startPostgis();
  try {
    await db.load(shapefile, 'admin1', '-nlt', 'MULTILINESTRING');
    db.psql('ANALYZE admin1');
    // Tiles z3–9 around random vertices of the data, so that most hold features (as a map client asks).
    const points = db
      .psql(`SELECT ST_X(p) || ',' || ST_Y(p) FROM (SELECT ST_PointN(ST_GeometryN(geom, 1), 1) AS p FROM admin1 ORDER BY random() LIMIT ${Number(values.tiles)}) AS s`)
      .split('\n')
      .map((line) => line.split(',').map(Number));
    const paths = points.map(([lon, lat], i) => {
      const z = 3 + (i % 7);
      const [fx, fy] = lonLatToTileFraction(lon, Math.max(-85, Math.min(85, lat)), z);
      return `/tiles/public.admin1/${z}/${Math.floor(fx)}/${Math.floor(fy)}.pbf`;
    });
    const unique = [...new Set(paths)];
    // Cold with the cache on (the default TTL): more distinct tiles (z3–14, at any vertex; at most 40,000 points, which
    // psql prints within execFileSync's 1 MB) than a run asks for within the TTL, so that nearly every request is a
    // miss, which the cache keeps.
    const widePoints = db
      .psql(
        `SELECT round(ST_X(p)::numeric, 5) || ',' || round(ST_Y(p)::numeric, 5) FROM (SELECT ST_PointN(g, 1 + floor(random() * ST_NPoints(g))::int) AS p FROM (SELECT ST_GeometryN(geom, 1) AS g FROM admin1, generate_series(1, 8)) AS l ORDER BY random() LIMIT ${Math.min(40_000, 13 * Number(values.tiles))}) AS s`,
      )
      .split('\n')
      .map((line) => line.split(',').map(Number));
    const wide = [
      ...new Set(
        widePoints.map(([lon, lat], i) => {
          const z = 3 + (i % 12);
          const [fx, fy] = lonLatToTileFraction(lon, Math.max(-85, Math.min(85, lat)), z);
          return `/tiles/public.admin1/${z}/${Math.floor(fx)}/${Math.floor(fy)}.pbf`;
        }),
      ),
    ];

    // The bare server runs the statement mekan builds for this table, so both ask the database the same thing.
    const options = serverOptionsFrom({}, { postgres: { url: db.url } }).postgres!;
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const layer = (await readCatalogue(async (text, params) => (await client.query(text, params)).rows, options)).layers.find((l) => l.id === 'public.admin1') as TableLayer;
    await client.end();
    const sqlFile = join(work, 'tile.sql');
    writeFileSync(sqlFile, tableTileSql(layer, 6));

    const pool = values.pool!;
    const config = (ttlSeconds: number) => {
      const file = join(work, `mekan-${ttlSeconds}.json`);
      writeFileSync(file, JSON.stringify({ postgres: { url: db.url, poolSize: Number(pool), cache: { ttlSeconds, maxMb: 256 } } }));
      return file;
    };
    const mekan = join(root, 'bin', 'mekan.js');
    console.log(`${unique.length} distinct tiles (z3–9) of Natural Earth 10m admin-1 lines (${db.psql('SELECT count(*) FROM admin1')} features); wrk -t2 -c${connections} -d${seconds}s; pool ${pool} connections each; request logs on; ${process.version}; load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    const ready = unique[0];
    const bareArgs = [join(root, 'dist', 'bench', 'barePostgis.js'), db.url, '18711', pool, sqlFile, 'admin1'];
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const coldRatios: number[] = [];
    const cpuRatios: number[] = [];
    let lastBare = 0;
    for (let round = 1; round <= Number(values.rounds); round++) {
      const bare = await measure(`bare node:http + pg + ST_AsMVT (round ${round})`, bareArgs, 18711, ready, unique, false);
      const cold = await measure(`mekan serve, cold, cache off (round ${round})`, [mekan, 'serve', '--config', config(0), '--port', '18712'], 18712, ready, unique, false);
      coldRatios.push(cold.rps / bare.rps);
      cpuRatios.push(cold.cpuMsPerTile / bare.cpuMsPerTile);
      lastBare = bare.rps;
    }
    const warm = await measure('mekan serve, warm (cache TTL 600 s)', [mekan, 'serve', '--config', config(600), '--port', '18713'], 18713, ready, unique, true);
    console.log(`cold with the cache on: ${wide.length} distinct tiles (z3–14)`);
    const spread = Math.floor(wide.length / 2);
    const wideBare = await measure('bare node:http + pg + ST_AsMVT', bareArgs, 18711, ready, wide, false, undefined, spread);
    const wideCached = await measure('mekan serve, cache on (TTL 5 s)', [mekan, 'serve', '--config', config(5), '--port', '18714'], 18714, ready, wide, false, async (base) => `hit ratio ${(await liveHitRatio(base)).toFixed(2)}`, spread);
    console.log(`cold: mekan's process spends ${median(cpuRatios).toFixed(2)}× the bare server's CPU per tile (median of ${cpuRatios.map((r) => r.toFixed(2)).join(', ')})`);
    console.log(
      `cold: ${median(coldRatios).toFixed(2)}× the bare server (median of ${coldRatios.map((r) => r.toFixed(2)).join(', ')}); warm: ${(warm.rps / lastBare).toFixed(1)}× the last bare run (goal ≥ 0.9× cold, far above warm); load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
    );
    console.log(
      `cold with the cache on (a miss is kept plain; a tile asked for again is compressed): ${(wideCached.rps / wideBare.rps).toFixed(2)}× the bare server, server CPU ${(wideCached.cpuMsPerTile / wideBare.cpuMsPerTile).toFixed(2)}× per tile (one run each)`,
    );
  } finally {
    await db.destroy();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
