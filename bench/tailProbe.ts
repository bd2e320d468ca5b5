// bench/tailProbe: where the p99 wrk prints for `mekan serve FILE` comes from, request by request. wrk puts the time it
// sends each request in the URL (`?t=`, ignored by the tile route); the server runs with bench/support/requestProbe
// preloaded, which records when each connection was accepted and each request parsed and answered. From that record
// the p99 is rebuilt with and without wrk's coordinated-omission correction (wrk's stats_correct: a sample above twice
// the mean interval between a connection's requests adds one sample per interval below it), and without each
// connection's first request, which waits for Node to accept its connection (one a loop turn).
//
// Usage: npm run build && node dist/bench/tailProbe.js [ARCHIVE.mbtiles] [--connections 64] [--duration 5] [--runs 2] [--cold-connections]
// ARCHIVE: default $TMPDIR/mekan-bench/layouts/mekan.mbtiles (bench/serve writes it). --cold-connections: wrk sends at
// once on every connection it opens (bench/serve's default holds each first request until all are open).
import Database from 'better-sqlite3';
import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { flipRow } from '../src/grid/webMercator.js';
import { listeningUrl } from '../test/support/mekanProcess.js';
import { parseWrk, wrkArgs, writeLua, type WrkFigures } from './support/loadRig.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const work = join(tmpdir(), 'mekan-bench-tail');
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { connections: { type: 'string', default: '64' }, duration: { type: 'string', default: '5' }, runs: { type: 'string', default: '2' }, 'cold-connections': { type: 'boolean' } },
});
const connections = Number(values.connections);
const duration = Number(values.duration);
const archive = resolve(positionals[0] ?? join(tmpdir(), 'mekan-bench', 'layouts', 'mekan.mbtiles'));

function wrk(seconds: number, lua: string, url: string): Promise<WrkFigures> {
  return new Promise((done, fail) => {
    execFile('wrk', wrkArgs(connections, seconds, lua, url), { encoding: 'utf8' }, (error, stdout, stderr) => (error ? fail(new Error(stderr || error.message)) : done(parseWrk(stdout))));
  });
}

/** One request as the probe saw it, times in epoch milliseconds. */
interface Seen {
  connection: number;
  sent: number;
  accepted: number;
  parsed: number;
  finished: number;
}

/** The requests of the measured run: those wrk sent with a time, on connections opened after the warm-up's. */
function readProbe(file: string, after: number): Seen[] {
  const [head, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
  const origin = (JSON.parse(head) as { timeOrigin: number }).timeOrigin;
  const seen: Seen[] = [];
  for (const line of lines) {
    const [connection, accepted, parsed, finished, url] = JSON.parse(line) as [number, number, number, number, string];
    const t = /[?&]t=(\d+)/.exec(url);
    if (!t || origin + accepted < after) continue;
    seen.push({ connection, sent: Number(t[1]) / 1000, accepted: origin + accepted, parsed: origin + parsed, finished: origin + finished });
  }
  return seen;
}

/** Percentiles of latencies (ms) as wrk computes them, optionally after its coordinated-omission correction. */
function percentiles(latencies: number[], intervalMs: number | undefined, ps: number[]): number[] {
  const us = latencies.map((ms) => Math.max(0, Math.round(ms * 1000)));
  const counts = new Float64Array(Math.max(...us) + 1);
  for (const value of us) counts[value]++;
  let total = us.length;
  if (intervalMs !== undefined) {
    const expected = Math.round(intervalMs * 1000);
    for (let n = expected * 2; n < counts.length; n++) {
      const k = counts[n];
      for (let m = n - expected; k && m > expected; m -= expected) {
        counts[m] += k;
        total += k;
      }
    }
  }
  return ps.map((p) => {
    const rank = Math.round((p / 100) * total + 0.5);
    let sum = 0;
    for (let i = 0; i < counts.length; i++) if ((sum += counts[i]) >= rank) return i / 1000;
    return NaN;
  });
}

async function run(lua: string, index: number): Promise<void> {
  const probeFile = join(work, `probe-${index}.jsonl`);
  const log = openSync(join(work, 'server.log'), 'w');
  const child = spawn(process.execPath, ['--import', join(root, 'dist', 'bench', 'support', 'requestProbe.js'), join(root, 'bin', 'mekan.js'), 'serve', archive, '--port', '0'], {
    stdio: ['ignore', 'pipe', log],
    env: { ...process.env, MEKAN_PROBE_OUT: probeFile },
  });
  closeSync(log);
  const exited = new Promise<number | null>((done) => child.on('exit', done));
  const url = await listeningUrl(child, exited, () => readFileSync(join(work, 'server.log'), 'utf8'));
  let start: number;
  let figures: WrkFigures;
  try {
    await wrk(2, lua, url);
    start = Date.now();
    figures = await wrk(duration, lua, url);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  const seen = readProbe(probeFile, start);
  const firsts = new Map<number, Seen>();
  for (const request of seen) if (!firsts.has(request.connection)) firsts.set(request.connection, request);
  const latency = seen.map((request) => request.finished - request.sent);
  const steady = seen.filter((request) => firsts.get(request.connection) !== request).map((request) => request.finished - request.sent);
  // wrk's interval: its run time over the requests one connection made.
  const interval = (figures.seconds * 1000) / Math.floor(figures.requests / connections);
  const ps = [50, 99, 99.9];
  const show = (values: number[]) => values.map((value, i) => `p${ps[i]} ${value.toFixed(1)}`).join(', ');
  const firstSent = Math.min(...[...firsts.values()].map((request) => request.sent));
  const lastAccepted = Math.max(...[...firsts.values()].map((request) => request.accepted));
  const waits = [...firsts.values()].map((request) => request.parsed - request.sent).sort((a, b) => a - b);
  console.log(`run ${index + 1}: ${figures.requests} requests (the probe saw ${seen.length}), load average ${loadavg()[0].toFixed(1)}`);
  console.log(`  wrk: p50 ${figures.p50ms.toFixed(1)}, p99 ${figures.p99ms.toFixed(1)} ms`);
  console.log(`  rebuilt from the server's record, sent -> answered: ${show(percentiles(latency, undefined, ps))}; with wrk's correction (interval ${interval.toFixed(1)} ms): ${show(percentiles(latency, interval, ps))}`);
  console.log(`  without each connection's first request, corrected: ${show(percentiles(steady, interval, ps))}`);
  const last = lastAccepted - firstSent;
  console.log(`  the last of ${firsts.size} connections was accepted ${Math.abs(last).toFixed(0)} ms ${last >= 0 ? 'after' : 'before'} the first request was sent; first requests waited ${waits[0].toFixed(0)}–${waits[waits.length - 1].toFixed(0)} ms to be parsed`);
}

async function main(): Promise<void> {
  if (!existsSync(archive)) throw new Error(`${archive} does not exist: give an archive, or run npm run bench:serve once to write it`);
  mkdirSync(work, { recursive: true });
  const db = new Database(archive, { readonly: true });
  const rows = db.prepare('SELECT zoom_level AS z, tile_column AS x, tile_row AS row FROM tiles ORDER BY random() LIMIT 5000').all() as { z: number; x: number; row: number }[];
  db.close();
  const id = archive.replace(/^.*\//, '').replace(/\.[^.]+$/, '');
  const lua = join(work, 'probe.lua');
  writeLua(lua, rows.map(({ z, x, row }) => `/tiles/${id}/${z}/${x}/${flipRow(z, row)}.pbf`), { openConnectionsMs: values['cold-connections'] ? 0 : 50, sendTime: true });
  console.log(`mekan serve ${archive}, wrk -c${connections} -d${duration}s after 2 s of warm-up, ${values['cold-connections'] ? 'timed from the connections\' opening' : 'first requests held until every connection is open'}`);
  for (let i = 0; i < Number(values.runs); i++) await run(lua, i);
}

main().catch((error: unknown) => {
  console.error(`bench/tailProbe: ${(error as Error).message}`);
  process.exitCode = 1;
});
