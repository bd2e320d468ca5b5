// bench/soak: five minutes of mixed load on `mekan serve` (tiles, TileJSON, catalog, styles, glyphs, 404s),
// sampling the server's RSS every few seconds; after a one-minute warm-up it should grow by less than 10 %.
// The bare node:http + SQLite yardstick's RSS under the same tile load is printed beside it for scale.
//
// Usage: npm run bench:soak [-- --duration S] [--warmup S] [--connections N] [--every S]
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadArchive, parseWrk, startMekan, storedTiles, treeRssMb, work, wrkArgs, writeLua } from './support/loadRig.js';

const { values } = parseArgs({ options: { duration: { type: 'string', default: '300' }, warmup: { type: 'string', default: '60' }, connections: { type: 'string', default: '64' }, every: { type: 'string', default: '5' } } });
const duration = Number(values.duration);
const warmup = Number(values.warmup);
const every = Number(values.every);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  const archive = loadArchive();
  const tiles = storedTiles(archive);
  // Mostly tiles, as clients ask; every other route and some misses, so that no cache or map grows unseen.
  const paths: string[] = tiles.map((tile) => `/tiles/basemap/${tile}.pbf`);
  const others = ['/tiles/basemap.json', '/catalog.json', '/styles/standard/style.json?lang=az', '/styles/standard/sprite.json', '/fonts/Noto%20Sans%20Regular/0-255.pbf', '/fonts/Noto%20Sans%20Bold,Noto%20Sans%20Regular/1024-1279.pbf', '/wmts/1.0.0/WMTSCapabilities.xml', '/ogc/collections', '/metrics', '/health', '/tiles/nosuch/1/1/1.pbf', '/tiles/basemap/30/1/1.pbf', '/nothing/here'];
  for (let i = 0; i < tiles.length / 10; i++) paths.push(others[i % others.length] + (i % 3 === 0 ? `${others[i % others.length].includes('?') ? '&' : '?'}v=${i}` : ''));
  const lua = join(work, 'soak.lua');
  writeLua(lua, paths);
  console.log(`${paths.length} paths (${tiles.length} tiles); ${values.connections} connections for ${duration} s; RSS every ${every} s; load average: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);

  const mekan = await startMekan(join(work, 'tiles'));
  const samples: { t: number; rss: number }[] = [];
  const started = Date.now();
  let output = '';
  try {
    const wrk = spawn('wrk', wrkArgs(Number(values.connections), duration, lua, mekan.url), { stdio: ['ignore', 'pipe', 'inherit'] });
    wrk.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const finished = new Promise<void>((resolveDone) => wrk.on('exit', () => resolveDone()));
    let done = false;
    void finished.then(() => (done = true));
    while (!done) {
      samples.push({ t: (Date.now() - started) / 1000, rss: treeRssMb(mekan.child.pid!) });
      const last = samples[samples.length - 1];
      process.stdout.write(`  t=${last.t.toFixed(0).padStart(4)} s  RSS ${last.rss.toFixed(1)} MB\n`);
      await Promise.race([finished, new Promise((r) => setTimeout(r, every * 1000))]);
    }
  } finally {
    await mekan.stop();
  }
  const figures = parseWrk(output);
  const window = 3; // samples either side are medians of three, so that one GC pause does not decide the figure
  const afterWarmup = samples.filter((s) => s.t >= warmup);
  const base = median(afterWarmup.slice(0, window).map((s) => s.rss));
  const end = median(afterWarmup.slice(-window).map((s) => s.rss));
  const peak = Math.max(...afterWarmup.map((s) => s.rss));
  const growth = (end - base) / base;
  const socket = Object.values(figures.socketErrors).reduce((a, b) => a + b, 0);
  console.log(`\n${figures.requests} requests in ${figures.seconds.toFixed(0)} s (${figures.rps.toFixed(0)} req/s, p99 ${figures.p99ms.toFixed(1)} ms); non-2xx/3xx ${figures.badStatus} (the 404 paths are meant), socket errors ${socket}`);
  console.log(`RSS after ${warmup} s warm-up ${base.toFixed(1)} MB → at the end ${end.toFixed(1)} MB (peak ${peak.toFixed(1)} MB): growth ${(growth * 100).toFixed(1)} %`);
  console.log(`load average after: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
  const ok = growth < 0.1 && socket === 0;
  console.log(ok ? 'PASS: RSS grew less than 10 % after warm-up, no socket errors' : 'FAIL');
  if (!ok) process.exitCode = 1;
}

await main();
