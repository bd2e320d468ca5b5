// A second process that keeps a server busy: `concurrency` keep-alive clients GETting the requests of the current
// load in turn, switched between loads (and paused) on command, so that a test can alternate loads many times
// without starting a process each time.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from './tempDir.js';

/** One request of a load: a path, or a path with its own headers (a Host no cache has seen…). */
export type HammerRequest = string | { path: string; headers: Record<string, string> };

export interface Hammer {
  /** Switches every client to `requests`; resolves once each has had an answer to one of them (the load is on). */
  load(name: string, requests: HammerRequest[]): Promise<void>;
  /** Stops sending; resolves once no request is in flight (the server is quiet). */
  pause(): Promise<void>;
  /** Ends the process; resolves with how many answers each load got, by status. */
  stop(): Promise<Record<string, Record<string, number>>>;
}

const CLIENT = `
const http = require('node:http');
const fs = require('node:fs');
const [base, concurrency] = JSON.parse(process.argv[1]);
const url = new URL(base);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const statuses = {};
let current;
let next = 0;
let inFlight = 0;
let wake;
let woken = new Promise((resolve) => (wake = resolve));
const say = (line) => process.stdout.write(line + '\\n');
const count = (load, status) => { const byStatus = (statuses[load.name] ??= {}); byStatus[status] = (byStatus[status] ?? 0) + 1; };
const send = (load) => new Promise((done) => {
  const one = load.requests[next++ % load.requests.length];
  const { path, headers } = typeof one === 'string' ? { path: one, headers: {} } : one;
  const req = http.request({ host: url.hostname, port: url.port, path, headers, agent }, (res) => {
    res.resume();
    res.on('end', () => { count(load, res.statusCode); done(); });
  });
  req.on('error', () => { count(load, 'error'); done(); });
  req.end();
});
const client = async (id) => {
  for (;;) {
    const load = current;
    if (load === 'stop') return;
    if (load === undefined) { await woken; continue; }
    inFlight++;
    await send(load);
    inFlight--;
    if (load === current && !load.answered.has(id)) {
      load.answered.add(id);
      if (load.answered.size === concurrency) say('busy');
    }
    if (current === undefined && inFlight === 0) say('idle');
  }
};
const clients = Array.from({ length: concurrency }, (_, id) => client(id));
require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const command = JSON.parse(line);
  if (command.load) {
    current = { name: command.load, requests: JSON.parse(fs.readFileSync(command.file, 'utf8')), answered: new Set() };
    wake();
    woken = new Promise((resolve) => (wake = resolve));
  } else if (command.pause) {
    current = undefined;
    if (inFlight === 0) say('idle');
  }
}).on('close', async () => {
  current = 'stop';
  wake();
  await Promise.all(clients);
  agent.destroy();
  say(JSON.stringify(statuses));
});
`;

/** Starts the clients (idle) in a child process. */
export function startHammer(base: string, concurrency = 8): Hammer {
  const child = spawn(process.execPath, ['-e', CLIENT, JSON.stringify([base, concurrency])], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const waiting: { resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  lines.on('line', (line) => waiting.shift()?.resolve(line));
  child.on('exit', (code) => {
    for (const waiter of waiting.splice(0)) waiter.reject(new Error(`the load process exited (${code})`));
  });
  const nextLine = () => new Promise<string>((resolve, reject) => waiting.push({ resolve, reject }));
  const folder = makeTempDir('mekan-hammer-');
  let loads = 0;
  return {
    async load(name, requests) {
      // The requests go through a file: a few thousand long URLs are more than a pipe message should carry.
      const file = join(folder, `load-${loads++}.json`);
      writeFileSync(file, JSON.stringify(requests));
      const answered = nextLine();
      child.stdin.write(`${JSON.stringify({ load: name, file })}\n`);
      assertLine(await answered, 'busy');
    },
    async pause() {
      const quiet = nextLine();
      child.stdin.write(`${JSON.stringify({ pause: true })}\n`);
      assertLine(await quiet, 'idle');
    },
    async stop() {
      const statuses = nextLine();
      child.stdin.end();
      return JSON.parse(await statuses) as Record<string, Record<string, number>>;
    },
  };
}

function assertLine(line: string, expected: string): void {
  if (line !== expected) throw new Error(`the load process said "${line}", expected "${expected}"`);
}
