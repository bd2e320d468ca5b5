// The yardstick for bench/serve: node:http + better-sqlite3 that looks up a tile blob and sends it, nothing more.
// Usage: node dist/bench/bareServer.js ARCHIVE.mbtiles PORT [--memory] (0: a free one; the port is printed once listening)
// --memory: every tile read into a Map at start, none from SQLite per request: the floor of any Node origin for these
// tiles (node:http's own cost), which Mekan's hot-tile cache approaches.
import Database from 'better-sqlite3';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { flipRow } from '../src/grid/webMercator.js';

const [path, port, mode] = process.argv.slice(2);
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
server.listen(Number(port), '127.0.0.1', () => process.stdout.write(`bare server on ${(server.address() as AddressInfo).port}\n`));
process.on('SIGTERM', () => process.exit(0));
