// The yardstick for bench/serve: node:http + better-sqlite3 that looks up a tile blob and sends it, nothing more.
// Usage: node dist/bench/bareServer.js ARCHIVE.mbtiles PORT [--memory] [--workers N] (0: a free one; the port is printed once listening)
// --memory: every tile read into a Map at start, none from SQLite per request: the floor of any Node origin for these
// tiles (node:http's own cost), which Mekan's hot-tile cache approaches.
// --workers N: N processes on one port with node:cluster, as `mekan serve --workers N` runs: the floor of that setup.
import Database from 'better-sqlite3';
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { flipRow } from '../src/grid/webMercator.js';

const [path, port, ...flags] = process.argv.slice(2);
const mode = flags.includes('--memory') ? '--memory' : undefined;
const workers = flags.includes('--workers') ? Number(flags[flags.indexOf('--workers') + 1]) : 1;

if (workers > 1 && cluster.isPrimary) {
  // The primary only forks (like Mekan's): it names the port once every worker listens, and stops them on SIGTERM.
  let listening = 0;
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('message', (_worker, message: { port?: number }) => {
    if (message.port !== undefined && ++listening === workers) process.stdout.write(`bare server on ${message.port}\n`);
  });
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    process.exit(0);
  });
} else {
  serve();
}

function serve(): void {
  const db = new Database(path, { readonly: true });
  // The archive's `tiles` table or view, as every MBTiles reader can ask it.
  const select = db.prepare<[number, number, number], { data: Buffer }>('SELECT tile_data AS data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?');
  const inMemory = new Map<string, { data: Buffer }>();
  if (mode === '--memory') {
    for (const row of db.prepare('SELECT zoom_level AS z, tile_column AS x, tile_row AS y, tile_data AS data FROM tiles').iterate() as Iterable<{ z: number; x: number; y: number; data: Buffer }>) {
      inMemory.set(`${row.z}/${row.x}/${row.y}`, { data: row.data });
    }
  }
  const read = mode === '--memory' ? (z: number, x: number, row: number) => inMemory.get(`${z}/${x}/${row}`) : (z: number, x: number, row: number) => select.get(z, x, row);

  const server = createServer((request, response) => {
    // /tiles/{id}/{z}/{x}/{y}.pbf
    const parts = (request.url ?? '').split('/');
    const z = Number(parts[3]);
    const x = Number(parts[4]);
    const y = Number((parts[5] ?? '').split('.')[0]);
    const row = read(z, x, flipRow(z, y));
    if (!row) {
      response.statusCode = 404;
      response.end();
      return;
    }
    response.writeHead(200, { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'gzip', 'Content-Length': row.data.length });
    response.end(row.data);
  });
  server.listen(Number(port), '127.0.0.1', () => {
    const { port: bound } = server.address() as AddressInfo;
    if (cluster.isWorker) process.send?.({ port: bound });
    else process.stdout.write(`bare server on ${bound}\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
}
