// bench/drainCost: the garbage the graceful-stop bookkeeping (src/server/drain.ts) adds to every request, against the
// same node:http server without it. Young-generation collections pause every request in flight, so per-request
// garbage is part of the tail latency.
//
// Usage: npm run build && node dist/bench/drainCost.js [--duration S] [--rounds N] [--compare DRAIN.js]
// --compare: another build of drain.js (e.g. main's, copied aside) measured in the same alternated rounds.
// Each run is a child process with --trace-gc answering a 1.3 KB tile-sized body under wrk -c64; garbage is what the
// scavenges freed while wrk ran, divided by the requests wrk counted.
import { execFile, spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { drainable, type Drain } from '../src/server/drain.js';
import { parseWrk, wrkArgs, writeLua, type WrkFigures } from './support/loadRig.js';

const { values } = parseArgs({
  options: { child: { type: 'string' }, duration: { type: 'string', default: '5' }, rounds: { type: 'string', default: '3' }, compare: { type: 'string' } },
});

async function child(variant: string): Promise<void> {
  const body = Buffer.alloc(1303, 7);
  const answer = (_request: IncomingMessage, response: ServerResponse) => {
    response.writeHead(200, ['Content-Type', 'application/vnd.mapbox-vector-tile', 'Content-Length', String(body.length)]);
    response.end(body);
  };
  let server: Server;
  if (variant === 'bare') server = createServer(answer);
  else if (variant === 'drain') {
    // As app.ts runs it: the handler given to drainable, so that the server has one 'request' listener.
    server = createServer();
    drainable(server, answer);
  } else {
    // Another build's drain.js, as its app ran it (a build before the handler could be given accepts it and ignores it).
    server = createServer(answer);
    ((await import(pathToFileURL(resolve(variant)).href)) as { drainable: (server: Server) => Drain }).drainable(server);
  }
  server.listen(0, '127.0.0.1', () => process.stdout.write(`listening on ${(server.address() as AddressInfo).port}\n`));
}

function runWrk(seconds: number, lua: string, base: string): Promise<WrkFigures> {
  return new Promise((done, fail) => {
    execFile('wrk', wrkArgs(64, seconds, lua, base), { encoding: 'utf8' }, (error, stdout, stderr) => (error ? fail(new Error(stderr || error.message)) : done(parseWrk(stdout))));
  });
}

interface Figures {
  bytesPerRequest: number;
  scavengesPer10k: number;
  rps: number;
}

/** `Scavenge 33.7 (53.2) -> 20.7 (53.2) MB`: before − after is what one young-generation collection freed. */
const SCAVENGE = /Scavenge ([\d.]+) \([\d.]+\) -> ([\d.]+) /;

async function measure(variant: string, seconds: number, lua: string): Promise<Figures> {
  const server = spawn(process.execPath, ['--trace-gc', fileURLToPath(import.meta.url), '--child', variant], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((done) => server.on('exit', done));
  let measuring = false;
  let freedMb = 0;
  let scavenges = 0;
  let pending = '';
  try {
    const base = await new Promise<string>((done, fail) => {
      server.stdout.on('data', (chunk: Buffer) => {
        const lines = (pending + chunk.toString()).split('\n');
        pending = lines.pop()!;
        for (const line of lines) {
          const port = /listening on (\d+)/.exec(line);
          if (port) done(`http://127.0.0.1:${port[1]}`);
          const scavenge = measuring ? SCAVENGE.exec(line) : null;
          if (scavenge) {
            freedMb += Number(scavenge[1]) - Number(scavenge[2]);
            scavenges++;
          }
        }
      });
      void exited.then(() => fail(new Error(`${variant} server exited before listening`)));
    });
    await runWrk(2, lua, base); // warm-up: JIT, connections
    measuring = true;
    const figures = await runWrk(seconds, lua, base);
    measuring = false;
    return { bytesPerRequest: (freedMb * 1048576) / figures.requests, scavengesPer10k: (scavenges * 10_000) / figures.requests, rps: figures.rps };
  } finally {
    server.kill('SIGKILL');
    await exited;
  }
}

const median = (numbers: number[]) => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)];

if (values.child) {
  await child(values.child);
} else {
  const seconds = Number(values.duration);
  const lua = join(tmpdir(), `mekan-drain-cost-${process.pid}.lua`);
  writeLua(lua, ['/tiles/t/6/51/31.pbf']);
  const variants: Record<string, string> = { 'node:http alone': 'bare', 'node:http + drainable (this build)': 'drain' };
  if (values.compare) variants[`node:http + drainable (${values.compare})`] = values.compare;
  console.log(`wrk -t2 -c64 -d${seconds}s, ${values.rounds} alternated rounds; ${process.version}, ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const runs = new Map<string, Figures[]>();
  const entries = Object.entries(variants);
  for (let round = 0; round < Number(values.rounds); round++) {
    for (let i = 0; i < entries.length; i++) {
      const [name, variant] = entries[(i + round) % entries.length];
      runs.set(name, [...(runs.get(name) ?? []), await measure(variant, seconds, lua)]);
    }
  }
  const bare = median(runs.get('node:http alone')!.map((f) => f.bytesPerRequest));
  console.log('\n| server | garbage B/request | over node:http alone | scavenges per 10k requests | req/s |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const [name, figures] of runs) {
    const bytes = median(figures.map((f) => f.bytesPerRequest));
    console.log(`| ${name} | ${bytes.toFixed(0)} | ${(bytes - bare).toFixed(0)} | ${median(figures.map((f) => f.scavengesPer10k)).toFixed(1)} | ${median(figures.map((f) => f.rps)).toFixed(0)} |`);
  }
  console.log(`load average after: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}
