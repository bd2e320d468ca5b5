// The yardstick for bench/postgis: node:http + a pg pool running one tile statement and sending the bytes, nothing more.
// Usage: node dist/bench/barePostgis.js POSTGRES_URL PORT POOL_SIZE SQL_FILE LAYER
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import pg from 'pg';

const [url, port, poolSize, sqlFile, layer] = process.argv.slice(2);
const text = readFileSync(sqlFile, 'utf8');
const pool = new pg.Pool({ connectionString: url, max: Number(poolSize) });

createServer((request, response) => {
  // /tiles/{id}/{z}/{x}/{y}.pbf
  const parts = (request.url ?? '').split('/');
  const z = Number(parts[3]);
  const x = Number(parts[4]);
  const y = Number((parts[5] ?? '').split('.')[0]);
  pool.query<{ mvt: Buffer | null }>({ name: 'tile', text, values: [z, x, y, layer] }).then(
    (result) => {
      const data = result.rows[0]?.mvt;
      if (!data || data.length === 0) {
        response.statusCode = 204;
        response.end();
        return;
      }
      response.writeHead(200, { 'Content-Type': 'application/vnd.mapbox-vector-tile', 'Content-Length': data.length });
      response.end(data);
    },
    () => {
      response.statusCode = 500;
      response.end();
    },
  );
}).listen(Number(port), '127.0.0.1', () => process.stdout.write(`bare postgis server on ${port}\n`));
