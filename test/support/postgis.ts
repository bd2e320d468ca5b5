// A throwaway PostgreSQL 15 + PostGIS cluster in a temp folder (initdb/pg_ctl from Debian), for the PostGIS suites and bench.
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';

export interface PostgisCluster {
  readonly port: number;
  /** `postgres://postgres@127.0.0.1:PORT/postgres` (trust authentication). */
  readonly url: string;
  /** Runs SQL through psql; the unaligned, tuples-only output. */
  psql(sql: string): string;
  /** Loads a vector file as `schema.table` with ogr2ogr (geometry column `geom`, fid `gid`); extra ogr2ogr arguments after. */
  load(file: string, table: string, ...args: string[]): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes the folder. */
  destroy(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** initdb refuses to run as root: then everything runs as the `postgres` user the Debian package creates. */
function asOwner(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

export async function startPostgis(): Promise<PostgisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'mekan-pg-'));
  if (process.getuid?.() === 0) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), 0);
  const data = join(dir, 'data');
  const port = await freePort();
  await run(...asOwner(`${BIN}/initdb`, ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']));
  const ctl = (...args: string[]) => run(...asOwner(`${BIN}/pg_ctl`, ['-D', data, ...args]));
  const start = () =>
    ctl('-o', `-k ${dir} -p ${port} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`, '-l', join(dir, 'log'), '-w', 'start').then(() => undefined);
  let running = false;
  const cluster: PostgisCluster = {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    psql(sql) {
      return execFileSync('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-Atq', '-c', sql]).toString().trim();
    },
    async load(file, table, ...args) {
      await run('ogr2ogr', ['-f', 'PostgreSQL', `PG:host=127.0.0.1 port=${port} user=postgres dbname=postgres`, file, '-nln', table, '-lco', 'GEOMETRY_NAME=geom', '-lco', 'FID=gid', '-overwrite', ...args]);
    },
    async stop() {
      if (!running) return;
      await ctl('-m', 'fast', '-w', 'stop');
      running = false;
    },
    async start() {
      await start();
      running = true;
    },
    async destroy() {
      try {
        await cluster.stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  await cluster.start();
  process.on('exit', () => {
    if (running) {
      try {
        execFileSync(...asOwner(`${BIN}/pg_ctl`, ['-D', data, '-m', 'immediate', 'stop']), { stdio: 'ignore' });
      } catch {
        // already stopped
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });
  cluster.psql('CREATE EXTENSION postgis');
  return cluster;
}
