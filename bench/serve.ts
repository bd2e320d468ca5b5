// bench/serve: `mekan serve FILE` as users run it (defaults: request logs on, stderr appended to a log file as an
// operator redirects it) against a bare node:http + better-sqlite3 server on the same file, for three archives
// written from the same tiles: GDAL's (plain `tiles` table, no content hashes), Mekan's (map/images, MD5 ids) and
// tippecanoe's layout (map/images keyed by zoom, FNV ids): written by tile-join itself when one is installed
// ($TILE_JOIN, tile-join beside $TIPPECANOE, or on PATH; tippecanoe's source builds with `make`), which re-encodes each
// tile and adds SQLite's statistics (sqlite_stat1), else by test/support/tippecanoeArchive.ts from the same tiles.
// wrk loads each with random tiles, Accept-Encoding: gzip.
//
// Usage: npm run bench:serve [-- SOURCE.mbtiles] [--duration S] [--rounds N] [--connections N] [--tiles N] [--no-workers] [--no-cache-row]
//        [--tail-connections 16,32,64] [--tail-rounds N] [--tail-servers bare,memory,mekan,quiet,workers,bare-workers,nginx]
//        [--no-tail] [--only-tail] [--pmtiles] [--archives gdal,mekan,…]
//        [--baseline-bin OTHER/bin/mekan.js] [--cold-connections]
// --pmtiles: a fourth archive, Mekan's converted to PMTiles (the bare server reads Mekan's MBTiles: the same tiles).
// --baseline-bin: another build of Mekan (a checkout of main) measured in the same rotation, tile cache off.
// --cold-connections: time from the moment wrk opens its connections. By default each connection's first request waits
// until all are open (50 ms; loadRig.ts holdFirstRequests): Node accepts one connection per event-loop turn, and wrk's
// coordinated-omission correction turns the wait of the last connections accepted into the p99 of the whole run.
// SOURCE: a vector MBTiles (default: Natural Earth 10m land, zooms 0–6, built once with ogr2ogr into $TMPDIR/mekan-bench/).
//
// The tail table runs each archive at 16, 32 and 64 connections with the bare server, the bare server with every tile
// in memory (the floor of a Node origin), `mekan serve FILE` and `--workers 2` (with --trace-gc: GC pauses and young
// garbage inside the measured window are counted, the workers' apart from the cluster primary's), the bare server
// from memory as a 2-worker cluster (the floor of `--workers 2`) and nginx serving the same tiles as static files
// (one worker, access log on): where the p99 comes from. It ends with a verdict on p99 ≤ 10 ms at the highest count. wrk keeps every connection busy, so by Little's law the mean
// latency of any server is connections ÷ requests/s; at 64 connections on two cores that is most of 10 ms already.
//
// The machine may be shared: runs alternate (bare, then Mekan, in a rotating order, round after round) and the table
// gives each figure's median over the rounds, ratios against the bare server's runs of the same rounds, and
// requests per CPU-second of the server's processes, which a busy machine disturbs less than requests per second.
import Database from 'better-sqlite3';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { convertArchive } from '../src/archive/convert.js';
import { createArchive, openArchive } from '../src/archive/open.js';
import { flipRow } from '../src/grid/webMercator.js';
import { startNginx } from '../test/support/nginx.js';
import { writeTippecanoeArchive, type LayoutTile } from '../test/support/tippecanoeArchive.js';
import { fileFromDebianPackage } from './support/debianData.js';
import { parseWrk, wrkArgs, writeLua, type WrkFigures } from './support/loadRig.js';
import { cpuTicks, stolenPercentSince } from './support/steal.js';
import { commandRuns } from './support/tools.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const work = join(tmpdir(), 'mekan-bench');

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '2' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    tiles: { type: 'string', default: '5000' },
    'no-workers': { type: 'boolean' },
    'no-cache-row': { type: 'boolean' },
    'tail-connections': { type: 'string', default: '16,32,64' },
    'no-tail': { type: 'boolean' },
    'tail-rounds': { type: 'string', default: '1' },
    'tail-servers': { type: 'string', default: 'bare,memory,mekan,workers,bare-workers,nginx' },
    'only-tail': { type: 'boolean' },
    pmtiles: { type: 'boolean' },
    archives: { type: 'string' },
    'baseline-bin': { type: 'string' },
    'cold-connections': { type: 'boolean' },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
/** How long wrk holds each connection's first request so that the server has accepted them all (0: not at all). */
const openConnectionsMs = values['cold-connections'] ? 0 : 50;

/** Tiles inside the grid: GDAL's MVT driver also writes rows and columns no client can ask for. */
const IN_GRID = 'tile_row >= 0 AND tile_row < (1 << zoom_level) AND tile_column >= 0 AND tile_column < (1 << zoom_level)';

/** The source archive: given, or Natural Earth 10m land by ogr2ogr -f MBTiles (GDAL's layout), built once. */
function sourceArchive(): string {
  if (positionals[0]) return resolve(positionals[0]);
  const source = join(work, 'naturalearth.mbtiles');
  if (existsSync(source)) return source;
  mkdirSync(work, { recursive: true });
  const land = fileFromDebianPackage('libmagics++-data', 'usr/share/magics/10m/ne_10m_land.shp');
  console.log(`building ${source} from Natural Earth 10m land with ogr2ogr (a few minutes, once)…`);
  const result = spawnSync('ogr2ogr', ['-f', 'MBTiles', `${source}.part`, land, '-nln', 'land', '-dsco', 'MINZOOM=0', '-dsco', 'MAXZOOM=6'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ogr2ogr failed: ${result.stderr}`);
  copyFileSync(`${source}.part`, source);
  rmSync(`${source}.part`);
  return source;
}

function* sourceTiles(source: string): Generator<LayoutTile> {
  const db = new Database(source, { readonly: true });
  try {
    for (const row of db.prepare(`SELECT zoom_level AS z, tile_column AS x, tile_row AS row, tile_data AS data FROM tiles WHERE ${IN_GRID}`).iterate() as Iterable<{ z: number; x: number; row: number; data: Buffer }>) {
      if (row.data && row.data.length > 0) yield { z: row.z, x: row.x, y: flipRow(row.z, row.row), data: row.data };
    }
  } finally {
    db.close();
  }
}

/** The three layouts of the same tiles, in a folder of their own: gdal.mbtiles, mekan.mbtiles, tippecanoe.mbtiles. */
async function benchArchives(source: string): Promise<Record<string, string>> {
  const folder = join(work, 'layouts');
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  const paths = { gdal: join(folder, 'gdal.mbtiles'), mekan: join(folder, 'mekan.mbtiles'), tippecanoe: join(folder, 'tippecanoe.mbtiles') };
  copyFileSync(source, paths.gdal);
  const reader = openArchive(source);
  if (reader.metadata.format !== 'pbf') throw new Error(`${source} is not a vector archive`);
  const metadata = reader.metadata;
  reader.close();
  const writer = createArchive(paths.mekan);
  for (const { z, x, y, data } of sourceTiles(source)) writer.putTile(z, x, y, data);
  writer.setMetadata({ ...metadata, name: 'mekan' });
  writer.finish();
  const meta = new Database(source, { readonly: true });
  const rows = meta.prepare('SELECT name, value FROM metadata').all() as { name: string; value: string }[];
  meta.close();
  const tileJoin = findTileJoin();
  if (tileJoin) {
    // -pk: no size limit, so every tile of the source stays (tile-join would drop one over 500 KB).
    const result = spawnSync(tileJoin, ['-f', '-pk', '-q', '-o', paths.tippecanoe, source], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${tileJoin} failed: ${result.stderr}`);
    console.log(`tippecanoe layout written by ${tileJoin}`);
  } else {
    writeTippecanoeArchive(paths.tippecanoe, sourceTiles(source), Object.fromEntries(rows.map((row) => [row.name, String(row.value)])));
  }
  const all: Record<string, string> = paths;
  if (values.pmtiles) {
    all.pmtiles = join(folder, 'pmtiles.pmtiles');
    await convertArchive(paths.mekan, all.pmtiles);
  }
  const chosen = values.archives?.split(',') ?? Object.keys(all);
  return Object.fromEntries(Object.entries(all).filter(([id]) => chosen.includes(id)));
}

/** tippecanoe's tile-join: $TILE_JOIN, beside $TIPPECANOE, or on PATH; undefined without one. */
function findTileJoin(): string | undefined {
  const candidates = [process.env.TILE_JOIN, process.env.TIPPECANOE && join(dirname(process.env.TIPPECANOE), 'tile-join'), 'tile-join'];
  return candidates.find((candidate): candidate is string => !!candidate && commandRuns(candidate));
}

/** What the bare server reads for an archive: a PMTiles archive's tiles in Mekan's MBTiles (it was converted from it). */
function bareArchiveOf(archive: string): string {
  return archive.endsWith('.pmtiles') ? join(dirname(archive), 'mekan.mbtiles') : archive;
}

function randomTiles(source: string, count: number): string[] {
  const db = new Database(source, { readonly: true });
  const rows = db.prepare(`SELECT zoom_level AS z, tile_column AS x, tile_row AS row, length(tile_data) AS bytes FROM tiles WHERE ${IN_GRID} AND length(tile_data) > 0 ORDER BY random() LIMIT ?`).all(count) as { z: number; x: number; row: number; bytes: number }[];
  db.close();
  const bytes = rows.reduce((sum, row) => sum + row.bytes, 0);
  console.log(`${rows.length} random tiles, ${(bytes / 1e6).toFixed(1)} MB, ${(bytes / rows.length).toFixed(0)} bytes on average`);
  return rows.map(({ z, x, row }) => `${z}/${x}/${flipRow(z, row)}`);
}

/** User + system CPU seconds of a process and its descendants (cluster workers, threads included), from /proc. */
function cpuSeconds(pid: number): number {
  let total = 0;
  const visit = (id: number) => {
    try {
      const stat = readFileSync(`/proc/${id}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in USER_HZ
      for (const child of readFileSync(`/proc/${id}/task/${id}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) visit(Number(child));
    } catch {
      // exited meanwhile
    }
  };
  visit(pid);
  return total;
}

interface Contender {
  name: string;
  /** The command line after `node`. */
  args: (archive: string) => string[];
  /** stderr goes to a log file (an operator's `2>>mekan.log`); its request lines are counted after the run. */
  logs: boolean;
  /** A node:cluster primary with workers: the process started only forks and supervises, the workers answer. */
  clustered?: boolean;
  /** The issue's goal for its requests/s against the bare server's, where it sets one. */
  ratioGoal?: number;
}

interface Run extends WrkFigures {
  perCpuSecond: number;
  /** Percent of the machine's CPU time the hypervisor gave to other guests during the run (support/steal.ts). */
  stolenPct: number;
  logLines?: number;
  /** GC pauses the server printed (--trace-gc) while the measured load ran. */
  gc?: GcPauses;
}

/** GC in the processes that answer requests (the workers of a cluster), and apart from them in a cluster's primary. */
interface GcPauses {
  count: number;
  /** Full (old-generation) collections among them: a Mark-Compact pauses longer than a scavenge. */
  fullCount: number;
  totalMs: number;
  longestMs: number;
  /** What the scavenges freed: the young garbage the server made. */
  freedMb: number;
  /**
   * Full GCs of a cluster's primary: off the request path (it answers nothing once the connections are handed out),
   * only CPU taken from the workers. It is V8's memory reducer collecting an idle process about 8 s after start.
   */
  primaryFullCount: number;
}

/** wrk run asynchronously: the bench's event loop keeps reading the server's stdout (its GC trace) meanwhile. */
function runWrk(connectionCount: number, seconds: number, lua: string, base: string): Promise<WrkFigures> {
  return new Promise((done, fail) => {
    execFile('wrk', wrkArgs(connectionCount, seconds, lua, base), { encoding: 'utf8', maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) fail(new Error(`wrk failed: ${stderr || error.message}`));
      else done(parseWrk(stdout));
    });
  });
}

/**
 * V8's --trace-gc lines (`[PID:0x…]  12 ms: Scavenge 33.7 (53.2) -> 20.7 (53.2) MB, 0.77 / 0.01 ms …`): the pid tells
 * a cluster's primary from its workers; the pause is the first figure after MB; before − after of a scavenge is the
 * young garbage it freed.
 */
const GC_LINE = /^\[(\d+):[^\n]*?ms: (Scavenge|Mark-Compact|Mark-Sweep|Minor Mark-Sweep|Minor Mark-Compact)[^\n]*? ([\d.]+) \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB, ([\d.]+) \/ /;

/**
 * The measured load on a warmed-up server: wrk for --duration seconds, with the CPU of the server's processes
 * (`pid` and its descendants) and the share of the machine's CPU stolen meanwhile. Throws if any answer was an error.
 */
async function measuredLoad(pid: number, connectionCount: number, lua: string, base: string, what: string): Promise<Run> {
  const before = cpuSeconds(pid);
  const ticks = cpuTicks();
  const figures = await runWrk(connectionCount, duration, lua, base);
  const stolenPct = stolenPercentSince(ticks);
  const cpu = cpuSeconds(pid) - before;
  if (figures.badStatus > 0) throw new Error(`${figures.badStatus} answers were not 2xx/3xx (${what})`);
  return { ...figures, perCpuSecond: cpu > 0 ? figures.requests / cpu : 0, stolenPct };
}

/** Starts the server (port 0), waits for the line that names its port, runs wrk, stops it with SIGTERM. */
async function measure(contender: Contender, archive: string, id: string, lua: string, connectionCount = connections, nodeFlags: string[] = []): Promise<Run> {
  const logFile = join(work, 'server.log');
  const log = contender.logs ? openSync(logFile, 'w') : 'ignore';
  const child: ChildProcess = spawn(process.execPath, [...nodeFlags, ...contender.args(archive)], { stdio: ['ignore', 'pipe', log] });
  if (typeof log === 'number') closeSync(log);
  const exited = new Promise<number | null>((done) => child.on('exit', done));
  let measuring = false;
  const gc: GcPauses = { count: 0, fullCount: 0, totalMs: 0, longestMs: 0, freedMb: 0, primaryFullCount: 0 };
  let partLine = '';
  try {
    const base = await new Promise<string>((done, fail) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        // A line may be split between chunks: the unfinished tail waits for the next one.
        const lines = (partLine + chunk.toString()).split('\n');
        partLine = lines.pop()!;
        for (const line of lines) {
          // The server's GC trace (--trace-gc, several processes with --workers) comes before and around that line.
          const port = /(?:listening on http:\/\/[^:]+:|bare server on )(\d+)/.exec(line);
          if (port) done(`http://127.0.0.1:${port[1]}`);
          const pause = measuring ? GC_LINE.exec(line) : null;
          if (!pause) continue;
          const full = pause[2] === 'Mark-Compact' || pause[2] === 'Mark-Sweep';
          if (contender.clustered && Number(pause[1]) === child.pid) {
            if (full) gc.primaryFullCount++;
            continue;
          }
          const ms = Number(pause[5]);
          gc.count++;
          if (full) gc.fullCount++;
          else gc.freedMb += Number(pause[3]) - Number(pause[4]);
          gc.totalMs += ms;
          gc.longestMs = Math.max(gc.longestMs, ms);
        }
      });
      void exited.then((code) => fail(new Error(`${contender.name} exited (${code}) before listening`)));
    });
    await runWrk(connectionCount, 2, lua, base); // warm-up: JIT, page cache, hot tiles
    measuring = true;
    const run = await measuredLoad(child.pid!, connectionCount, lua, base, id);
    measuring = false;
    return { ...run, gc: nodeFlags.includes('--trace-gc') ? gc : undefined };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

/** The same tiles as static files under DIR/tiles/{id}/z/x/y.pbf, served by nginx as a public origin runs it. */
function staticTiles(source: string, ids: string[]): string {
  const folder = join(work, 'static');
  rmSync(folder, { recursive: true, force: true });
  for (const { z, x, y, data } of sourceTiles(source)) {
    for (const id of ids) {
      mkdirSync(join(folder, 'tiles', id, String(z), String(x)), { recursive: true });
      writeFileSync(join(folder, 'tiles', id, String(z), String(x), `${y}.pbf`), data);
    }
  }
  return folder;
}

async function measureNginx(folder: string, lua: string, connectionCount: number): Promise<Run> {
  const nginx = await startNginx(
    join(work, 'nginx'),
    (port) => `  server {
    listen 127.0.0.1:${port};
    location /tiles/ { root ${folder}; default_type application/vnd.mapbox-vector-tile; add_header Content-Encoding gzip; }
    location = / { return 204; }
  }`,
  );
  try {
    await runWrk(connectionCount, 2, lua, nginx.url);
    return await measuredLoad(Number(readFileSync(join(nginx.dir, 'nginx.pid'), 'utf8')), connectionCount, lua, nginx.url, 'nginx');
  } finally {
    await nginx.stop();
  }
}

/** Request lines in the last run's log file, to check none was lost (warm-up requests included). */
function loggedRequests(): number {
  const text = readFileSync(join(work, 'server.log'), 'utf8');
  let count = 0;
  for (let i = text.indexOf('"msg":"request"'); i !== -1; i = text.indexOf('"msg":"request"', i + 1)) count++;
  return count;
}

const median = (numbers: number[]) => {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

async function main(): Promise<void> {
  mkdirSync(work, { recursive: true });
  const source = sourceArchive();
  const archives = await benchArchives(source);
  const tiles = randomTiles(source, Number(values.tiles));
  const mekan = join(root, 'bin', 'mekan.js');
  const contenders: Contender[] = [
    { name: 'bare node:http + better-sqlite3', args: (archive) => [join(root, 'dist', 'bench', 'bareServer.js'), bareArchiveOf(archive), '0'], logs: false },
    { name: 'mekan serve FILE', args: (archive) => [mekan, 'serve', archive, '--port', '0'], logs: true, ratioGoal: 0.9 },
  ];
  if (!values['no-cache-row']) {
    const config = join(work, 'no-tile-cache.json');
    writeFileSync(config, JSON.stringify({ cache: { tilesMb: 0 } }));
    contenders.push({ name: 'mekan serve FILE, tile cache off', args: (archive) => [mekan, 'serve', archive, '--port', '0', '--config', config], logs: true });
    const baseline = values['baseline-bin'];
    if (baseline) contenders.push({ name: `baseline build, tile cache off`, args: (archive) => [resolve(baseline), 'serve', archive, '--port', '0', '--config', config], logs: true });
  }
  if (!values['no-workers']) contenders.push({ name: 'mekan serve FILE --workers 2', args: (archive) => [mekan, 'serve', archive, '--port', '0', '--workers', '2'], logs: true, clustered: true, ratioGoal: 1.2 });

  const rounds = values['only-tail'] ? 0 : Number(values.rounds);
  console.log(
    `wrk -t2 -c${connections} -d${duration}s (after 2 s of warm-up; ${openConnectionsMs > 0 ? `first requests held ${openConnectionsMs} ms until every connection is open` : 'timed from the connections\' opening'}), Accept-Encoding: gzip, ${rounds} rounds in rotating order; Mekan's stderr to a log file; ` +
      `${process.version}, ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
  );
  const runs = new Map<string, Run[]>();
  for (let round = 0; round < rounds; round++) {
    for (const [id, archive] of Object.entries(archives)) {
      const lua = join(work, `${id}.lua`);
      writeLua(lua, tiles.map((tile) => `/tiles/${id}/${tile}.pbf`), { openConnectionsMs });
      // Rotate who goes first, so that a busy moment of the machine does not always hit the same server.
      const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]);
      for (const contender of order) {
        const run = await measure(contender, archive, id, lua);
        if (contender.logs) run.logLines = loggedRequests();
        const key = `${id}\t${contender.name}`;
        runs.set(key, [...(runs.get(key) ?? []), run]);
        console.log(`  round ${round + 1}, ${id}: ${contender.name}: ${run.rps.toFixed(0)} req/s, p99 ${run.p99ms.toFixed(2)} ms, ${run.perCpuSecond.toFixed(0)} req/CPU-s, ${run.stolenPct.toFixed(1)} % of the CPU stolen${run.logLines === undefined ? '' : `, ${run.logLines} request lines logged`}`);
      }
    }
  }

  if (rounds > 0) {
    printTable(archives, contenders, runs);
    printGoals(archives, contenders, runs);
  }
  console.log(`load average after: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  if (!values['no-tail']) await tail(source, archives, tiles, contenders.slice(0, 2), contenders.find((contender) => contender.name.endsWith('--workers 2')));
}

/** The main table: medians over the rounds, ratios against the bare server's run of the same round. */
function printTable(archives: Record<string, string>, contenders: Contender[], runs: Map<string, Run[]>): void {
  console.log(`\n| archive | server | req/s | p50 ms | p99 ms | × bare | req/CPU-s | × bare | CPU stolen % |`);
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const id of Object.keys(archives)) {
    const bare = runs.get(`${id}\t${contenders[0].name}`)!;
    for (const contender of contenders) {
      const own = runs.get(`${id}\t${contender.name}`)!;
      const ratio = medianRatio(own, bare, (run) => run.rps);
      const cpuRatio = medianRatio(own, bare, (run) => run.perCpuSecond);
      console.log(
        `| ${id} | ${contender.name} | ${median(own.map((r) => r.rps)).toFixed(0)} | ${median(own.map((r) => r.p50ms)).toFixed(2)} | ${median(own.map((r) => r.p99ms)).toFixed(2)} | ${ratio.toFixed(2)} | ${median(own.map((r) => r.perCpuSecond)).toFixed(0)} | ${cpuRatio.toFixed(2)} | ${median(own.map((r) => r.stolenPct)).toFixed(1)} |`,
      );
    }
  }
}

/** Ratios pair each run with the bare server's run of the same round (both saw the machine at about the same time). */
function medianRatio(own: Run[], bare: Run[], figure: (run: Run) => number): number {
  return median(own.map((run, i) => figure(run) / figure(bare[i])));
}

/** Each archive against the issue's goals, from the main table's medians, with the CPU the hypervisor took meanwhile. */
function printGoals(archives: Record<string, string>, contenders: Contender[], runs: Map<string, Run[]>): void {
  const goals = contenders.filter((contender) => contender.ratioGoal !== undefined);
  console.log(`\ngoals: ${goals.map((contender) => `${contender.name} ≥ ${contender.ratioGoal}× bare`).join(', ')}; p99 ≤ ${P99_GOAL_MS} ms at ${connections} connections`);
  const mark = (holds: boolean) => (holds ? 'holds' : 'MISSED');
  for (const id of Object.keys(archives)) {
    const bare = runs.get(`${id}\t${contenders[0].name}`)!;
    const parts = goals.map((contender) => {
      const own = runs.get(`${id}\t${contender.name}`)!;
      const ratio = medianRatio(own, bare, (run) => run.rps);
      const p99 = median(own.map((run) => run.p99ms));
      return `${contender.name}: ${ratio.toFixed(2)}× ${mark(ratio >= contender.ratioGoal!)}, p99 ${p99.toFixed(1)} ms ${mark(p99 <= P99_GOAL_MS)} (${median(own.map((run) => run.stolenPct)).toFixed(1)} % of the CPU stolen)`;
    });
    console.log(`  ${id}: ${parts.join('; ')}`);
  }
}

/**
 * Where the p99 comes from: each archive at several connection counts, the bare server (also with every tile in
 * memory: the floor of a Node origin, node:http's own cost), `mekan serve FILE` and with
 * `--workers 2` (their GC pauses and young garbage counted from --trace-gc) and nginx on the same tiles as files, in
 * rotating order, --tail-rounds times; the table gives medians over the rounds.
 */
async function tail(source: string, archives: Record<string, string>, tiles: string[], [bare, mekanServe]: Contender[], workers: Contender | undefined): Promise<void> {
  const counts = values['tail-connections'].split(',').map(Number);
  const fromMemory: Contender = { name: 'bare node:http, tiles from memory', args: (archive) => [...bare.args(archive), '--memory'], logs: false };
  const quiet: Contender = { name: 'mekan serve FILE --quiet (no request log)', args: (archive) => [...mekanServe.args(archive), '--quiet'], logs: true };
  const bareWorkers: Contender = { name: 'bare node:http --workers 2, tiles from memory', args: (archive) => [...fromMemory.args(archive), '--workers', '2'], logs: false, clustered: true };
  const chosen = values['tail-servers'].split(',');
  const tailRounds = Number(values['tail-rounds']);
  const folder = staticTiles(source, Object.keys(archives));
  console.log(`\ntail: ${counts.join(', ')} connections, ${duration} s each, ${tailRounds} rounds; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const runs = new Map<string, Run[]>();
  for (let round = 0; round < tailRounds; round++) {
    for (const [id, archive] of Object.entries(archives)) {
      const lua = join(work, `${id}.lua`);
      writeLua(lua, tiles.map((tile) => `/tiles/${id}/${tile}.pbf`), { openConnectionsMs });
      for (const [k, count] of counts.entries()) {
        const servers = [
          { key: 'bare', name: bare.name, run: () => measure(bare, archive, id, lua, count) },
          { key: 'memory', name: fromMemory.name, run: () => measure(fromMemory, archive, id, lua, count) },
          { key: 'mekan', name: mekanServe.name, run: () => measure(mekanServe, archive, id, lua, count, ['--trace-gc']) },
          { key: 'quiet', name: quiet.name, run: () => measure(quiet, archive, id, lua, count, ['--trace-gc']) },
          ...(workers ? [{ key: 'workers', name: workers.name, run: () => measure(workers, archive, id, lua, count, ['--trace-gc']) }] : []),
          { key: 'bare-workers', name: bareWorkers.name, run: () => measure(bareWorkers, archive, id, lua, count, ['--trace-gc']) },
          { key: 'nginx', name: 'nginx, static files', run: () => measureNginx(folder, lua, count) },
        ].filter((server) => chosen.includes(server.key));
        for (let i = 0; i < servers.length; i++) {
          const { name, run } = servers[(i + k + round) % servers.length];
          const figures = await run();
          const key = `${id}\t${count}\t${name}`;
          runs.set(key, [...(runs.get(key) ?? []), figures]);
          console.log(`  round ${round + 1}: ${tailRow(id, count, name, [figures])}`);
        }
      }
    }
  }
  console.log(
    '\n| archive | connections | server | req/s | p50 ms | p99 ms | connections ÷ req/s, ms | req/CPU-s | CPU stolen % | GC pauses in the run (full), answering processes | longest GC ms | young garbage KB/request | full GCs of the cluster primary |',
  );
  console.log('| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |');
  for (const [key, figures] of runs) {
    const [id, count, name] = key.split('\t');
    console.log(tailRow(id, Number(count), name, figures));
  }
  console.log(`load average after: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const most = Math.max(...counts);
  const p99Of = (id: string, name: string) => {
    const figures = runs.get(`${id}\t${most}\t${name}`);
    return figures ? median(figures.map((run) => run.p99ms)) : undefined;
  };
  console.log(`\np99 ≤ ${P99_GOAL_MS} ms at ${most} connections (medians over ${tailRounds} rounds; ${cpus().length} cores, wrk's two threads on them too):`);
  for (const id of Object.keys(archives)) {
    const pairs: [Contender | undefined, Contender][] = [
      [mekanServe, fromMemory],
      [workers, bareWorkers],
    ];
    for (const [ours, floor] of pairs) {
      const own = ours && p99Of(id, ours.name);
      if (own === undefined) continue;
      console.log(`  ${id}: ${p99Verdict(ours!.name, own, floor.name, p99Of(id, floor.name), p99Of(id, 'nginx, static files'))}`);
    }
  }
}

/** The issue's goal for the 99th percentile at 64 connections. */
const P99_GOAL_MS = 10;

/**
 * Whether a server's p99 holds the goal, and when it does not, whether the bare Node server of the same shape (one
 * process or a 2-worker cluster, tiles from memory: nothing but node:http) holds it on this machine: if not, no Node
 * origin of that shape can here, and the gap to the floor is what is ours.
 */
function p99Verdict(name: string, own: number, floorName: string, floor: number | undefined, nginx: number | undefined): string {
  const figures = `${name} ${own.toFixed(1)} ms; ${floorName} ${floor === undefined ? 'not run' : `${floor.toFixed(1)} ms`}${nginx === undefined ? '' : `; nginx ${nginx.toFixed(1)} ms`}`;
  if (own <= P99_GOAL_MS) return `holds: ${figures}`;
  if (floor === undefined) return `above: ${figures}`;
  if (floor > P99_GOAL_MS) return `cannot hold on this machine: ${figures} (the floor itself is above ${P99_GOAL_MS} ms; ours adds ${(own - floor).toFixed(1)} ms)`;
  return `above, ours: ${figures} (${(own - floor).toFixed(1)} ms above a floor that holds)`;
}

/** One row of the tail table: medians over the runs (one run: its figures). */
function tailRow(id: string, count: number, name: string, figures: Run[]): string {
  const of = (pick: (run: Run) => number) => median(figures.map(pick));
  const rps = of((run) => run.rps);
  const gc = figures.every((run) => run.gc)
    ? ` ${of((run) => run.gc!.count).toFixed(0)} (${of((run) => run.gc!.fullCount).toFixed(0)}), ${of((run) => run.gc!.totalMs).toFixed(1)} ms in all | ${of((run) => run.gc!.longestMs).toFixed(1)} | ${of((run) => (run.gc!.freedMb * 1024) / run.requests).toFixed(1)} | ${name.includes('--workers') ? of((run) => run.gc!.primaryFullCount).toFixed(0) : ''} |`
    : ' | | | |';
  return `| ${id} | ${count} | ${name} | ${rps.toFixed(0)} | ${of((run) => run.p50ms).toFixed(2)} | ${of((run) => run.p99ms).toFixed(2)} | ${((count / rps) * 1000).toFixed(2)} | ${of((run) => run.perCpuSecond).toFixed(0)} | ${of((run) => run.stolenPct).toFixed(1)} |${gc}`;
}

main().catch((error: unknown) => {
  console.error(`bench/serve: ${(error as Error).message}`);
  process.exitCode = 1;
});
