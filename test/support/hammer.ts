// A second process that keeps a server busy: `concurrency` keep-alive clients GETting `paths` in turn until stopped.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from './tempDir.js';

export interface Hammer {
  /** Stops the clients; resolves with how many answers they got, by status. */
  stop(): Promise<Record<string, number>>;
}

const CLIENT = `
const http = require('node:http');
const [base, concurrency, pathsFile] = JSON.parse(process.argv[1]);
const paths = JSON.parse(require('node:fs').readFileSync(pathsFile, 'utf8'));
const url = new URL(base);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const statuses = {};
let stopping = false;
let next = 0;
const one = () => new Promise((done) => {
  const path = paths[next++ % paths.length];
  const req = http.request({ host: url.hostname, port: url.port, path, agent }, (res) => {
    res.resume();
    res.on('end', () => { statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1; done(); });
  });
  req.on('error', () => { statuses.error = (statuses.error ?? 0) + 1; done(); });
  req.end();
});
const loop = async () => { while (!stopping) await one(); };
// The first answers say the load is on: the test measures only from then.
let started = 0;
const clients = Array.from({ length: concurrency }, () => one().then(() => { if (++started === concurrency) process.stdout.write('busy\\n'); return loop(); }));
process.stdin.on('end', async () => { stopping = true; await Promise.all(clients); process.stdout.write(JSON.stringify(statuses) + '\\n'); agent.destroy(); });
process.stdin.resume();
`;

/** Starts the clients in a child process; resolves once every client has had an answer (the load is on). */
export async function startHammer(base: string, paths: string[], concurrency = 8): Promise<Hammer> {
  // The paths go through a file: a few hundred long URLs are more than a command line holds.
  const pathsFile = join(makeTempDir('mekan-hammer-'), 'paths.json');
  writeFileSync(pathsFile, JSON.stringify(paths));
  const child: ChildProcess = spawn(process.execPath, ['-e', CLIENT, JSON.stringify([base, concurrency, pathsFile])], { stdio: ['pipe', 'pipe', 'inherit'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', () => resolve());
  });
  while (!output.includes('busy\n')) {
    const exitedEarly = await Promise.race([once(child.stdout!, 'data').then(() => false), exited.then(() => true)]);
    if (exitedEarly) throw new Error('the load process exited before it started');
  }
  return {
    async stop() {
      child.stdin!.end();
      await exited;
      return JSON.parse(output.slice(output.indexOf('busy\n') + 5).trim()) as Record<string, number>;
    },
  };
}
