// bench/load: 256 connections over random tiles for 60 s against `mekan serve`; zero errors is the bar. The same
// load on a bare node:http + better-sqlite3 server alongside gives the ratio that says what Mekan's safety costs.
//
// Usage: npm run bench:load [-- --duration S] [--connections N] [--peer-duration S]
import { spawn, spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadArchive, parseWrk, root, startMekan, storedTiles, treeRssMb, work, wrkArgs, writeLua, type WrkFigures } from './support/loadRig.js';

const { values } = parseArgs({ options: { duration: { type: 'string', default: '60' }, connections: { type: 'string', default: '256' }, 'peer-duration': { type: 'string', default: '20' } } });
const duration = Number(values.duration);
const connections = Number(values.connections);

function wrk(lua: string, url: string, seconds: number): WrkFigures {
  const result = spawnSync('wrk', wrkArgs(connections, seconds, lua, url), { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (result.status !== 0) throw new Error(`wrk failed: ${result.stderr}`);
  return parseWrk(result.stdout);
}

function row(name: string, f: WrkFigures, rssMb: number): string {
  const socket = f.socketErrors.connect + f.socketErrors.read + f.socketErrors.write + f.socketErrors.timeout;
  return `${name.padEnd(34)} ${f.rps.toFixed(0).padStart(8)} ${f.p50ms.toFixed(1).padStart(8)} ${f.p99ms.toFixed(1).padStart(8)} ${f.maxMs.toFixed(0).padStart(8)} ${String(f.requests).padStart(10)} ${String(f.badStatus).padStart(6)} ${String(socket).padStart(7)} ${rssMb.toFixed(0).padStart(7)}`;
}

async function main(): Promise<void> {
  const archive = loadArchive();
  const tiles = storedTiles(archive);
  const lua = join(work, 'load.lua');
  writeLua(lua, tiles.map((tile) => `/tiles/basemap/${tile}.pbf`));
  console.log(`${tiles.length} distinct tiles of ${archive}; ${connections} connections; load average before: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);

  const mekan = await startMekan(join(work, 'tiles'));
  let mekanFigures: WrkFigures;
  let mekanRss: number;
  try {
    wrk(lua, mekan.url, 3); // warm-up: JIT, page cache
    mekanFigures = wrk(lua, mekan.url, duration);
    mekanRss = treeRssMb(mekan.child.pid!);
  } finally {
    await mekan.stop();
  }

  // The bare server reads the archive's tiles view and sends the blob: no validation, headers or encoding choice.
  const port = 18700 + Math.floor(Math.random() * 200);
  const bare = spawn(process.execPath, [join(root, 'dist', 'bench', 'bareServer.js'), archive, String(port)], { stdio: 'ignore' });
  let bareFigures: WrkFigures;
  let bareRss: number;
  try {
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      try {
        if ((await fetch(`${url}/tiles/basemap/${tiles[0]}.pbf`)).status === 200) break;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    wrk(lua, url, 3);
    bareFigures = wrk(lua, url, Number(values['peer-duration']));
    bareRss = treeRssMb(bare.pid!);
  } finally {
    bare.kill('SIGTERM');
  }

  console.log(`\n${'server'.padEnd(34)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)} ${'requests'.padStart(10)} ${'non2xx'.padStart(6)} ${'socket'.padStart(7)} ${'RSS MB'.padStart(7)}`);
  console.log(row(`mekan serve (${duration} s)`, mekanFigures, mekanRss));
  console.log(row(`bare node:http + SQLite (${values['peer-duration']} s)`, bareFigures, bareRss));
  console.log(`\nMekan / bare: ${(mekanFigures.rps / bareFigures.rps).toFixed(2)}× the requests/s, ${(mekanFigures.p99ms / bareFigures.p99ms).toFixed(2)}× the p99`);
  console.log(`load average after: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
  const errors = mekanFigures.badStatus + Object.values(mekanFigures.socketErrors).reduce((a, b) => a + b, 0);
  console.log(errors === 0 ? 'PASS: zero errors under load' : `FAIL: ${errors} errors (non-2xx/3xx ${mekanFigures.badStatus}, socket ${JSON.stringify(mekanFigures.socketErrors)})`);
  if (errors > 0) process.exitCode = 1;
}

await main();
