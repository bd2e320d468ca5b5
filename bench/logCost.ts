// bench/logCost: what one request line costs the server, in CPU and in garbage (young-generation collections pause
// every request in flight), for Mekan's request log (requestLogger), the same lines through logger.info of Mekan's
// logger, and pino's default asynchronous destination, alternated.
//
// Usage: npm run build && node dist/bench/logCost.js [--lines N] [--rounds N] [--per-turn N]
// Each run is a child process (its stderr to /dev/null, as an operator's log file would be, but without the disk)
// writing N request lines, --per-turn lines per event-loop turn (64: one turn of a server under 64 connections).
// Garbage is read from V8's --trace-gc (bytes freed by the young-generation collections), CPU from process.cpuUsage.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pino, type Logger } from 'pino';
import { createLogger, requestLogger } from '../src/server/logger.js';

const LINE = { method: 'GET', url: '/tiles/basemap/6/51/31.pbf', status: 200, ms: 0.123 };

async function child(variant: string, lines: number, perTurn: number): Promise<void> {
  const logger: Logger = variant === 'default' ? pino({ level: 'info', base: { pid: process.pid } }, pino.destination({ dest: 2, sync: false })) : createLogger('info');
  // What the server's routes call: the line written out by requestLogger; or pino's own serializer.
  const logRequest = requestLogger(logger, { level: 'info', requests: true, sampleRate: 1 });
  const log = variant === 'requests' ? () => logRequest(LINE.method, LINE.url, LINE.status, LINE.ms) : () => logger.info(LINE, 'request');
  const before = process.cpuUsage();
  for (let i = 0; i < lines; i++) {
    log();
    if (i % perTurn === perTurn - 1) await new Promise((turn) => setImmediate(turn));
  }
  const cpu = process.cpuUsage(before);
  await new Promise<void>((done) => logger.flush(() => done()));
  process.stdout.write(`CPU ${cpu.user + cpu.system}\n`);
}

interface Figures {
  bytesPerLine: number;
  cpuMicrosPerLine: number;
  scavengesPer10k: number;
}

/** Young-generation collections in the trace: `Scavenge 33.7 (53.2) -> 20.7 (53.2) MB`: before − after is what was freed. */
function measure(variant: string, lines: number, perTurn: number): Figures {
  const script = fileURLToPath(import.meta.url);
  const result = spawnSync(process.execPath, ['--trace-gc', script, '--child', variant, '--lines', String(lines), '--per-turn', String(perTurn)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
  if (result.status !== 0) throw new Error(`${variant} run failed (${result.status})`);
  let freedMb = 0;
  let scavenges = 0;
  for (const match of result.stdout.matchAll(/Scavenge ([\d.]+) \([\d.]+\) -> ([\d.]+) /g)) {
    freedMb += Number(match[1]) - Number(match[2]);
    scavenges++;
  }
  const cpu = Number(/CPU (\d+)/.exec(result.stdout)?.[1]);
  return { bytesPerLine: (freedMb * 1048576) / lines, cpuMicrosPerLine: cpu / lines, scavengesPer10k: (scavenges * 10_000) / lines };
}

const median = (numbers: number[]) => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)];

const { values } = parseArgs({ options: { child: { type: 'string' }, lines: { type: 'string', default: '200000' }, rounds: { type: 'string', default: '3' }, 'per-turn': { type: 'string', default: '64' } } });
const lines = Number(values.lines);
const perTurn = Number(values['per-turn']);
if (values.child) {
  await child(values.child, lines, perTurn);
} else {
  const variants = { 'pino.destination({ sync: false }) (defaults)': 'default', 'mekan createLogger, logger.info': 'mekan', 'mekan requestLogger (the server\'s request lines)': 'requests' };
  const runs = new Map<string, Figures[]>();
  for (let round = 0; round < Number(values.rounds); round++) {
    // Rotating order, so that a busy moment of the machine does not always hit the same side.
    const entries = Object.entries(variants);
    const order = entries.map((_, i) => entries[(i + round) % entries.length]);
    for (const [name, variant] of order) runs.set(name, [...(runs.get(name) ?? []), measure(variant, lines, perTurn)]);
  }
  console.log(`${lines} request lines, ${perTurn} a loop turn, medians of ${values.rounds} alternated runs\n`);
  console.log('| logger | garbage B/line | CPU µs/line | scavenges per 10k lines | × defaults (garbage) | × defaults (CPU) |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  const base = runs.get(Object.keys(variants)[0])!;
  for (const [name, figures] of runs) {
    const bytes = median(figures.map((f) => f.bytesPerLine));
    const cpu = median(figures.map((f) => f.cpuMicrosPerLine));
    console.log(
      `| ${name} | ${bytes.toFixed(0)} | ${cpu.toFixed(2)} | ${median(figures.map((f) => f.scavengesPer10k)).toFixed(1)} | ${(bytes / median(base.map((f) => f.bytesPerLine))).toFixed(2)} | ${(cpu / median(base.map((f) => f.cpuMicrosPerLine))).toFixed(2)} |`,
    );
  }
}
