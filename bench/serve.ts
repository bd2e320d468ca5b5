// bench/serve: requests/s and p99 of Mekan (1 process, --workers 2) against a bare node:http + better-sqlite3
// server and tileserver-gl-light, all on one vector archive, loaded by wrk with a few thousand random tiles.
//
// Usage: npm run bench:serve [-- ARCHIVE.mbtiles] [--duration S] [--rounds N] [--connections N] [--tiles N] [--skip-tsgl]
// Without ARCHIVE: a Natural Earth 10m archive built once with ogr2ogr into $TMPDIR/mekan-bench/.
import Database from 'better-sqlite3';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createArchive } from '../src/archive/open.js';
import { MBTilesReader } from '../src/archive/mbtiles/reader.js';
import { flipRow } from '../src/grid/webMercator.js';
import { fileFromDebianPackage } from './support/debianData.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const work = join(tmpdir(), 'mekan-bench');
const tsglDir = join(tmpdir(), 'tsgl');

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: 'string', default: '2' }, duration: { type: 'string', default: '15' }, connections: { type: 'string', default: '64' }, tiles: { type: 'string', default: '3000' }, 'skip-tsgl': { type: 'boolean' } },
});
const duration = Number(values.duration);
const connections = Number(values.connections);

function run(command: string, args: string[], options: { cwd?: string } = {}): string {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr || result.error?.message}`);
  return result.stdout;
}

/** Natural Earth 10m shapefiles: on this machine in /tmp/debs, else unpacked from Debian's libmagics++-data. */
function naturalEarthFolder(): string {
  return dirname(fileFromDebianPackage('libmagics++-data', 'usr/share/magics/10m/ne_10m_land.shp'));
}

/** A Mekan (deduplicated) copy of the archive: what `mekan build` writes, so ETags come from the archive. */
function benchArchive(): string {
  mkdirSync(work, { recursive: true });
  // A folder of its own per source (`mekan serve` gets the folder). A given archive is copied afresh (it may
  // have been rebuilt); the Natural Earth copy is kept for the next run.
  const target = join(work, positionals[0] ? `tiles-${basename(positionals[0], extname(positionals[0]))}` : 'tiles', 'bench.mbtiles');
  if (positionals[0]) rmSync(target, { force: true });
  else if (existsSync(target)) return target;
  let source = positionals[0] ? resolve(positionals[0]) : join(work, 'naturalearth.mbtiles');
  if (!positionals[0] && !existsSync(source)) {
    const folder = naturalEarthFolder();
    console.log(`building ${source} from Natural Earth 10m with ogr2ogr (takes a minute or two, once)…`);
    // Land polygons alone give ~33,000 tiles at zooms 0-6: small and big tiles, many of them deduplicated ocean/land.
    run('ogr2ogr', ['-f', 'MBTiles', source, join(folder, 'ne_10m_land.shp'), '-nln', 'land', '-dsco', 'MINZOOM=0', '-dsco', 'MAXZOOM=6']);
  }
  source = resolve(source);
  console.log(`copying ${source} into a Mekan archive ${target}…`);
  mkdirSync(dirname(target), { recursive: true });
  const reader = new MBTilesReader(source);
  if (reader.metadata.format !== 'pbf') throw new Error(`${source} is not a vector archive`);
  const writer = createArchive(target);
  const db = new Database(source, { readonly: true });
  // GDAL's MVT driver also writes tiles outside the grid (negative rows, column 2^z) that no client can ask for: skipped.
  const select = db.prepare('SELECT zoom_level AS z, tile_column AS x, tile_row AS row FROM tiles WHERE tile_row >= 0 AND tile_row < (1 << zoom_level) AND tile_column >= 0 AND tile_column < (1 << zoom_level)');
  for (const row of select.iterate() as Iterable<{ z: number; x: number; row: number }>) {
    const tile = reader.getTile(row.z, row.x, flipRow(row.z, row.row));
    if (tile) writer.putTile(row.z, row.x, flipRow(row.z, row.row), tile.data);
  }
  db.close();
  writer.setMetadata({ ...reader.metadata, name: 'bench' });
  writer.finish();
  reader.close();
  return target;
}

function randomTiles(archive: string, count: number): string[] {
  const db = new Database(archive, { readonly: true });
  const rows = db.prepare('SELECT zoom_level AS z, tile_column AS x, tile_row AS row FROM tiles ORDER BY random() LIMIT ?').all(count) as { z: number; x: number; row: number }[];
  db.close();
  return rows.map(({ z, x, row }) => `${z}/${x}/${flipRow(z, row)}`);
}

function writeLua(file: string, urlPrefix: string, tiles: string[]): void {
  const paths = tiles.map((tile) => `"${urlPrefix}${tile}.pbf"`).join(',\n');
  writeFileSync(
    file,
    `local paths = {\n${paths}\n}
local counter = 0
local threads = 0
setup = function(thread) thread:set("offset", threads * 997); threads = threads + 1 end
init = function(args) counter = tonumber(offset) or 0 end
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1], { ["Accept-Encoding"] = "gzip" })
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d %d\\n", summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
`,
  );
}

interface Result {
  name: string;
  rps: number;
  /** Requests per CPU-second of the server's processes: holds up when other work shares the machine, unlike req/s. */
  perCpuSecond?: number;
  p50ms: number;
  p99ms: number;
  errors: number;
  note?: string;
}

/** User + system CPU seconds of a process and its children (cluster workers), from /proc. */
function cpuSeconds(pid: number): number {
  const ticks = 100; // USER_HZ on Linux
  let total = 0;
  const visit = (id: number) => {
    try {
      const stat = readFileSync(`/proc/${id}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / ticks; // utime, stime
      for (const child of readFileSync(`/proc/${id}/task/${id}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) visit(Number(child));
    } catch {
      // exited meanwhile
    }
  };
  visit(pid);
  return total;
}

async function waitFor(url: string, child: ChildProcess, seconds = 60): Promise<void> {
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      const response = await fetch(url);
      if (response.status === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${seconds}s`);
}

function wrk(luaFile: string, base: string, seconds: number): { rps: number; p50ms: number; p99ms: number; errors: number } {
  const out = run('wrk', ['-t', '2', '-c', String(connections), '-d', `${seconds}s`, '-s', luaFile, base]);
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`wrk printed no result:\n${out}`);
  const [requests, micros, p50, p99, status, socket] = line.split(' ').slice(1).map(Number);
  return { rps: requests / (micros / 1e6), p50ms: p50 / 1000, p99ms: p99 / 1000, errors: status + socket };
}

async function measure(name: string, command: string, args: string[], ready: string, urlPrefix: string, tiles: string[], port: number): Promise<Result> {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, UV_THREADPOOL_SIZE: '4' } });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  try {
    await waitFor(`http://127.0.0.1:${port}${ready}`, child);
    const lua = join(work, `${name.replace(/\W+/g, '_')}.lua`);
    writeLua(lua, urlPrefix, tiles);
    wrk(lua, `http://127.0.0.1:${port}`, 3); // warm-up: page cache, JIT
    const cpuBefore = cpuSeconds(child.pid!);
    const figures = wrk(lua, `http://127.0.0.1:${port}`, duration);
    const cpu = cpuSeconds(child.pid!) - cpuBefore;
    return { name, ...figures, perCpuSecond: cpu > 0 ? (figures.rps * duration) / cpu : undefined };
  } catch (error) {
    return { name, rps: 0, p50ms: 0, p99ms: 0, errors: 0, note: `failed: ${(error as Error).message.split('\n')[0]} ${stderr.split('\n').slice(-3).join(' ')}` };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  }
}

/** tileserver-gl-light in a temp folder outside the project; undefined (with the reason) when it cannot be installed. */
function tileserverGlLight(): { bin: string } | { skipped: string } {
  const bin = join(tsglDir, 'node_modules', 'tileserver-gl-light', 'src', 'main.js');
  if (existsSync(bin)) return { bin };
  const result = spawnSync('npm', ['install', '--prefix', tsglDir, '--no-audit', '--no-fund', 'tileserver-gl-light'], { encoding: 'utf8', timeout: 600_000 });
  if (result.status === 0 && existsSync(bin)) return { bin };
  return { skipped: `npm install tileserver-gl-light failed: ${(result.stderr || '').trim().split('\n').slice(-1)[0]}` };
}

interface Contender {
  name: string;
  command: string;
  args: string[];
  ready: string;
  urlPrefix: string;
  port: number;
}

/** tileserver-gl-light serving the archive's folder, from a config file (its --mbtiles mode wants its styles package). */
function tileserverConfig(archive: string): string {
  const rootDir = join(work, 'tsgl-root');
  mkdirSync(rootDir, { recursive: true });
  const config = join(work, 'tsgl.json');
  writeFileSync(config, JSON.stringify({ options: { paths: { root: rootDir, mbtiles: dirname(archive) } }, data: { bench: { mbtiles: basename(archive) } } }));
  return config;
}

async function main(): Promise<void> {
  const archive = benchArchive();
  const tiles = randomTiles(archive, Number(values.tiles));
  const rounds = Number(values.rounds);
  const mekan = join(root, 'bin', 'mekan.js');
  const contenders: Contender[] = [
    { name: 'bare node:http + better-sqlite3', command: process.execPath, args: [join(root, 'dist', 'bench', 'bareServer.js'), archive, '18601'], ready: `/tiles/bench/${tiles[0]}.pbf`, urlPrefix: '/tiles/bench/', port: 18601 },
    { name: 'mekan serve (1 process)', command: process.execPath, args: [mekan, 'serve', dirname(archive), '--port', '18602', '--quiet'], ready: '/health', urlPrefix: '/tiles/bench/', port: 18602 },
    { name: 'mekan serve --workers 2', command: process.execPath, args: [mekan, 'serve', dirname(archive), '--port', '18603', '--quiet', '--workers', '2'], ready: '/health', urlPrefix: '/tiles/bench/', port: 18603 },
    { name: 'mekan serve (1 process, request logs on)', command: process.execPath, args: [mekan, 'serve', dirname(archive), '--port', '18604'], ready: '/health', urlPrefix: '/tiles/bench/', port: 18604 },
  ];
  const skipped: Result[] = [];
  if (!values['skip-tsgl']) {
    const tsgl = tileserverGlLight();
    if ('bin' in tsgl) contenders.push({ name: 'tileserver-gl-light', command: process.execPath, args: [tsgl.bin, '--config', tileserverConfig(archive), '--port', '18605'], ready: `/data/bench/${tiles[0]}.pbf`, urlPrefix: '/data/bench/', port: 18605 });
    else skipped.push({ name: 'tileserver-gl-light', rps: 0, p50ms: 0, p99ms: 0, errors: 0, note: tsgl.skipped });
  }
  console.log(`${tiles.length} random tiles of ${archive}; wrk -t2 -c${connections} -d${duration}s, Accept-Encoding: gzip; ${rounds} rounds in alternating order, best of each figure kept; ${process.version}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  // Rounds alternate the order so that a busy moment of the machine does not always hit the same server.
  const best = new Map<string, Result>();
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? contenders : [...contenders].reverse();
    for (const c of order) {
      const result = await measure(c.name, c.command, c.args, c.ready, c.urlPrefix, tiles, c.port);
      console.log(`  round ${round + 1}: ${c.name}: ${result.note ?? `${result.rps.toFixed(0)} req/s, p99 ${result.p99ms.toFixed(2)} ms, ${(result.perCpuSecond ?? 0).toFixed(0)} req/CPU-s`}`);
      // Best of the rounds, each figure on its own: a busy machine only ever makes a figure worse.
      const previous = best.get(c.name);
      if (!previous || previous.note) best.set(c.name, result);
      else if (!result.note) {
        best.set(c.name, {
          name: c.name,
          rps: Math.max(previous.rps, result.rps),
          p50ms: Math.min(previous.p50ms, result.p50ms),
          p99ms: Math.min(previous.p99ms, result.p99ms),
          perCpuSecond: Math.max(previous.perCpuSecond ?? 0, result.perCpuSecond ?? 0) || undefined,
          errors: previous.errors + result.errors,
        });
      }
    }
  }
  const results = [...contenders.map((c) => best.get(c.name)!), ...skipped];
  const bare = results[0].note ? 0 : results[0].rps;
  const bareCpu = results[0].perCpuSecond ?? 0;
  console.log('\nserver                                      req/s    p50 ms   p99 ms   ×bare   req/CPU-s   ×bare   non-2xx/3xx+socket errors');
  for (const r of results) {
    if (r.note) {
      console.log(`${r.name.padEnd(42)} ${r.note}`);
      continue;
    }
    console.log(`${r.name.padEnd(42)} ${r.rps.toFixed(0).padStart(7)} ${r.p50ms.toFixed(2).padStart(9)} ${r.p99ms.toFixed(2).padStart(8)} ${(bare ? r.rps / bare : 0).toFixed(2).padStart(7)} ${(r.perCpuSecond ?? 0).toFixed(0).padStart(11)} ${(bareCpu && r.perCpuSecond ? r.perCpuSecond / bareCpu : 0).toFixed(2).padStart(7)}   ${r.errors}`);
  }
}

main().catch((error: unknown) => {
  console.error(`bench/serve: ${(error as Error).message}`);
  process.exitCode = 1;
});
