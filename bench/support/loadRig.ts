// What bench/load and bench/soak share: a vector archive from data/, a `mekan serve` process, and wrk with a Lua script of paths.
import Database from 'better-sqlite3';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flipRow } from '../../src/grid/webMercator.js';
import { spawnServe } from '../../test/support/mekanProcess.js';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const work = join(tmpdir(), 'mekan-bench-load');

/** The basemap layers of data/ built by the real CLI to zoom 10 (about a minute's worth of distinct tiles for wrk). */
export function loadArchive(): string {
  const output = join(work, 'tiles', 'basemap.mbtiles');
  if (existsSync(output)) return output;
  mkdirSync(dirname(output), { recursive: true });
  const inputs = ['country', 'boundary', 'water', 'waterway', 'place'].map((name) => join(root, 'data', 'basemap', `${name}.geojson`));
  const result = spawnSync(process.execPath, [join(root, 'bin', 'mekan.js'), 'build', 'vector', ...inputs, '-o', output, '--maxzoom', '10', '--quiet'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`building ${output} failed: ${result.stderr}`);
  return output;
}

/** Every stored tile of the archive as `z/x/y` (XYZ rows). */
export function storedTiles(archive: string): string[] {
  const db = new Database(archive, { readonly: true });
  const rows = db.prepare('SELECT zoom_level AS z, tile_column AS x, tile_row AS row FROM tiles').all() as { z: number; x: number; row: number }[];
  db.close();
  return rows.map(({ z, x, row }) => `${z}/${x}/${flipRow(z, row)}`);
}

export interface Served {
  child: ChildProcess;
  url: string;
  stop(): Promise<number | null>;
}

/** `mekan serve FOLDER --quiet` on a free port (the tests' spawner); resolves once it prints its URL. */
export async function startMekan(folder: string, extra: string[] = []): Promise<Served> {
  const { child, url, exited } = await spawnServe([folder, '--port', '0', '--quiet', ...extra]);
  return {
    child,
    url,
    stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** LuaJIT's ffi and clock_gettime, declared once for the pieces that read a clock (a second declaration would clash). */
const CLOCK = `local ffi = require("ffi")
ffi.cdef[[ typedef struct { long tv_sec; long tv_nsec; } bench_timespec; int clock_gettime(int, bench_timespec *); ]]
`;

/**
 * wrk's `delay` hook holding every connection's first request until `ms` after the first one was ready (LuaJIT's ffi
 * reads a monotonic clock), so that the server has accepted every connection before the load starts. Why: Node (libuv
 * 1.45 and later) accepts one connection per event-loop turn, so 64 connections opened at once against a server
 * already answering the first few wait one loaded turn (5–8 ms) each, up to 250–380 ms for the last; wrk then
 * "corrects" each of those waits for coordinated omission by adding a sample every mean interval below it (650–1,800
 * samples, 1.3–4 % of a 5-second run), which alone sets the p99 it prints. Idle, the server accepts all 64 in 7–9 ms.
 */
function holdFirstRequests(ms: number): string {
  return `local now_ts = ffi.new("bench_timespec")
local function now_ms() ffi.C.clock_gettime(1, now_ts); return tonumber(now_ts.tv_sec) * 1000 + tonumber(now_ts.tv_nsec) / 1e6 end
local open_until
delay = function()
  local now = now_ms()
  if open_until == nil then open_until = now + ${ms} end
  if now < open_until then return math.ceil(open_until - now) end
  return 0
end
`;
}

/** `?t=` and the time wrk sends the request, microseconds since the epoch (bench/tailProbe sets it against the server's record). */
const SEND_TIME = `local send_ts = ffi.new("bench_timespec")
local function send_time() ffi.C.clock_gettime(0, send_ts); return string.format("?t=%d", tonumber(send_ts.tv_sec) * 1000000 + math.floor(tonumber(send_ts.tv_nsec) / 1000)) end
`;

/**
 * A wrk script that walks `paths` in a random order per thread and reports counts wrk does not print by itself.
 * `openConnectionsMs`: hold every connection's first request that long (see holdFirstRequests), so that the
 * latencies are those of open connections, not of the server accepting a burst of new ones. `sendTime`: each URL
 * carries `?t=` and the time wrk sent it (wrk calls `request` just before it writes and starts its clock).
 */
export function writeLua(file: string, paths: string[], { openConnectionsMs = 0, sendTime = false }: { openConnectionsMs?: number; sendTime?: boolean } = {}): void {
  writeFileSync(
    file,
    `local paths = {\n${paths.map((path) => JSON.stringify(path)).join(',\n')}\n}
${openConnectionsMs > 0 || sendTime ? CLOCK : ''}${openConnectionsMs > 0 ? holdFirstRequests(openConnectionsMs) : ''}${sendTime ? SEND_TIME : ''}local threads = 0
setup = function(thread) thread:set("seed", threads * 7919 + 17); threads = threads + 1 end
init = function(args) math.randomseed(tonumber(seed)) end
request = function()
  return wrk.format("GET", paths[math.random(#paths)]${sendTime ? ' .. send_time()' : ''}, { ["Accept-Encoding"] = "gzip" })
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d %d %d %d %d\\n", summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), e.status, e.connect, e.read, e.write, e.timeout, latency.max))
end
`,
  );
}

export interface WrkFigures {
  requests: number;
  seconds: number;
  rps: number;
  p50ms: number;
  p99ms: number;
  maxMs: number;
  /** Answers other than 2xx/3xx. */
  badStatus: number;
  socketErrors: { connect: number; read: number; write: number; timeout: number };
}

export function parseWrk(output: string): WrkFigures {
  const line = output.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`wrk printed no result:\n${output}`);
  const [requests, micros, p50, p99, status, connect, read, write, timeout, max] = line.split(' ').slice(1).map(Number);
  return { requests, seconds: micros / 1e6, rps: requests / (micros / 1e6), p50ms: p50 / 1000, p99ms: p99 / 1000, maxMs: max / 1000, badStatus: status, socketErrors: { connect, read, write, timeout } };
}

/** wrk's -d takes whole seconds; --timeout 10s so that a slow answer under 256 connections is not miscounted as an error. */
export function wrkArgs(connections: number, seconds: number, lua: string, url: string): string[] {
  return ['-t', '2', '-c', String(connections), '-d', `${seconds}s`, '--timeout', '10s', '-s', lua, url];
}

/** Resident memory of a process and its descendants (cluster workers), in MB, from /proc. */
export function treeRssMb(pid: number): number {
  let kb = 0;
  const visit = (id: number) => {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${id}/status`, 'utf8'))?.[1] ?? 0);
      for (const child of readFileSync(`/proc/${id}/task/${id}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) visit(Number(child));
    } catch {
      // exited meanwhile
    }
  };
  visit(pid);
  return kb / 1024;
}
