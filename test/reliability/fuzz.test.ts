// Thousands of malformed requests over every route against a real `mekan serve` process: no 5xx, no crash,
// stable memory, no file outside the served folders in any answer, every malformed request answered, and
// nothing of a private tileset (its tiles, its metrics, its token) shown to a request without the token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { makeTempDir } from '../support/tempDir.js';
import { spawnServe } from '../support/mekanProcess.js';
import { seededRandom } from '../support/seededRandom.js';
import { writeRasterArchive, writeVectorArchive } from '../server/core/fixtures.js';

const dir = makeTempDir('mekan-fuzz-');
const SECRET = `MEKAN-SECRET-${process.pid}-${Date.now()}`;
const CONCURRENCY = 32;
const TOKEN = `imagery-token-${process.pid}-0123456789`;
const FONT_NAMES = ['Noto Sans Regular', 'Noto Sans Bold', 'Noto Sans Italic', 'Noto Sans Georgian Regular'];

const ROUTES = [
  '/',
  '/_/viewer/index.html',
  '/health',
  '/metrics',
  '/catalog.json',
  '/tiles/basemap.json',
  '/tiles/basemap/3/5/2.pbf',
  '/tiles/ortho/5/20/12.png',
  '/tiles/imagery/5/20/12.png',
  '/tiles/imagery.json',
  '/styles/imagery/style.json',
  '/styles/imagery/sprite.json',
  '/ogc/collections/imagery/map/tiles/WebMercatorQuad',
  '/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=imagery&STYLE=default&TILEMATRIXSET=WebMercatorQuad&TILEMATRIX=5&TILEROW=12&TILECOL=20&FORMAT=image/png',
  '/styles/standard/style.json?lang=az',
  '/styles/standard/sprite.png',
  '/styles/standard/sprite@2x.json',
  '/fonts/Noto%20Sans%20Regular/0-255.pbf',
  '/fonts/Noto%20Sans%20Regular,Noto%20Sans%20Bold/256-511.pbf',
  '/wmts/1.0.0/WMTSCapabilities.xml',
  '/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=ortho&STYLE=default&TILEMATRIXSET=WebMercatorQuad&TILEMATRIX=5&TILEROW=12&TILECOL=20&FORMAT=image/png',
  '/wmts?SERVICE=WMTS&REQUEST=GetCapabilities',
  '/ogc',
  '/ogc/conformance',
  '/ogc/tileMatrixSets/WebMercatorQuad',
  '/ogc/collections',
  '/ogc/collections/basemap/tiles/WebMercatorQuad/3/2/5',
  '/ogc/collections/ortho/map/tiles/WebMercatorQuad/5/12/20',
  '/_/viewer/viewer.js',
  '/_/maplibre-gl/maplibre-gl.mjs',
];

/** Routes that read files, with `{}` where a name goes: traversal is tried in that place. */
const FILE_ROUTES = ['/fonts/{}/0-255.pbf', '/fonts/Noto%20Sans%20Regular,{}/0-255.pbf', '/styles/{}/style.json', '/styles/standard/{}', '/styles/{}/sprite.png', '/_/viewer/{}', '/_/maplibre-gl/{}', '/tiles/{}/0/0/0.pbf', '/tiles/{}.json', '/{}'];

const SEGMENTS = [
  '99999999999999999999', '4294967296', '-1', '-0', '1.5', '1e3', '0x10', 'NaN', 'Infinity', '', '.', '..', '%2e%2e', '%2E%2E%2F', '..%2f..%2f', '%00', 'a%00b',
  'ä', 'ü.pbf', '%C3%A4', '%C0%AE%C0%AE', '%ff%fe', '%', '%zz', '%%32%65', '....//', '..\\..\\', '%5c..%5c', 'a'.repeat(3000), '{z}', '*', '~', ';', ',', ',,,',
  '%20', '+', 'con', 'nul.pbf', '.json', '.pbf', 'x.', '0-255.pbf', '65280-65535.pbf', '65536-65791.pbf', '0-0.pbf', '255-0.pbf', '-256-0.pbf', 'sprite@3x.png', 'sprite.svg',
];

function traversals(target: string): string[] {
  const up = (n: number, sep: string) => Array.from({ length: n }, () => '..').join(sep) + sep;
  const plain = up(12, '/') + target.replace(/^\//, '');
  return [
    plain,
    encodeURIComponent(plain),
    plain.replaceAll('/', '%2f'),
    plain.replaceAll('.', '%2e'),
    plain.replaceAll('..', '%252e%252e'),
    plain.replaceAll('/', '%5c'),
    up(12, '\\') + target.replace(/^\//, '').replaceAll('/', '\\'),
    encodeURIComponent(target),
    target.replaceAll('/', '%2F'),
    '....//'.repeat(12) + target.replace(/^\//, ''),
    '%c0%ae%c0%ae/'.repeat(12) + target.replace(/^\//, ''),
    plain + '%00.png',
    plain + '%00.json',
  ];
}

interface Probe {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Sent as raw bytes on its own socket (what http.request refuses to send). */
  raw?: Buffer;
}

function generate(random: () => number, count: number, secretPath: string): Probe[] {
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
  const probes: Probe[] = [];
  const confinement = [...traversals(secretPath), ...traversals('/etc/passwd'), ...traversals(secretPath.replace(/^\/+/, ''))];
  for (const route of FILE_ROUTES) for (const variant of confinement) probes.push({ method: 'GET', path: route.replace('{}', variant), headers: {} });
  while (probes.length < count) {
    const roll = random();
    let path = pick(ROUTES);
    const [pathname, query] = path.split('?');
    const segments = pathname.split('/');
    const mutations = 1 + Math.floor(random() * 3);
    for (let m = 0; m < mutations; m++) {
      const i = 1 + Math.floor(random() * (segments.length - 1));
      const op = random();
      if (op < 0.5) segments[i] = pick(SEGMENTS);
      else if (op < 0.65) segments.splice(i, 0, pick(SEGMENTS));
      else if (op < 0.75) segments.splice(i, 0, '');
      else if (op < 0.85) segments[i] = segments[i] + pick(SEGMENTS);
      else segments.splice(i, 1);
    }
    path = segments.join('/') || '/';
    if (query !== undefined || random() < 0.3) {
      const params = (query ?? '').split('&').filter(Boolean);
      if (params.length && random() < 0.5) params[Math.floor(random() * params.length)] = `${pick(['LAYER', 'TILEMATRIX', 'TILEROW', 'TILECOL', 'lang', 'token', 'FORMAT', 'SERVICE'])}=${pick(SEGMENTS)}`;
      if (random() < 0.3) params.push(pick(['lang=xx', 'lang=', 'token=', 'access_token=%00', 'a=%', '%=%', '&&&', 'REQUEST=GetTile', 'x'.repeat(2000)]));
      path += '?' + params.join('&');
    }
    const headers: Record<string, string> = {};
    if (random() < 0.3) headers['accept-encoding'] = pick(['gzip;q=abc', '*;q=0', 'gzip;q=0', 'identity;q=0, *;q=0', 'x'.repeat(4000), ',,,', 'gzip;;;q', 'br']);
    if (random() < 0.2) headers['if-none-match'] = pick(['*', 'W/"', '"'.repeat(500), '""', 'W/W/"x"', '"a", , ,"b"', 'x'.repeat(4000)]);
    if (random() < 0.1) headers.authorization = pick(['Bearer', 'Bearer ', 'Bearer a b', 'Basic Zm9vOmJhcg==', 'Bearer ' + 'x'.repeat(5000)]);
    if (random() < 0.1) headers.host = pick(['', 'a b', 'evil.example:99999', '[::1', 'x'.repeat(300)]);
    if (random() < 0.1) headers['x-forwarded-prefix'] = pick(['/../..', '//evil', '%2e%2e']);
    if (random() < 0.05) headers.range = pick(['bytes=0-1', 'bytes=-1', 'bytes=99999999999999999999-']);
    if (roll < 0.02) {
      // Font stacks far beyond the cap (400 before any work) and at it.
      const count = random() < 0.5 ? 9 + Math.floor(random() * 500) : 1 + Math.floor(random() * 8);
      const fonts = Array.from({ length: count }, () => encodeURIComponent(pick(FONT_NAMES))).join(',');
      probes.push({ method: 'GET', path: `/fonts/${fonts}/${pick(['0-255', '256-511', '768-1023'])}.pbf`, headers });
      continue;
    }
    if (roll < 0.12) {
      // What http.request will not send: raw UTF-8 and control bytes, overlong URLs and headers, broken HTTP.
      const kind = Math.floor(random() * 8);
      const rawPath = kind === 0 ? path + 'Ø§中文' : kind === 1 ? path + '\x01\x7f' : kind === 2 ? path + '/' + 'a'.repeat(64 * 1024) : path;
      let head = `GET ${rawPath} HTTP/1.1\r\nHost: x\r\n`;
      if (kind === 3) head += `X-Long: ${'h'.repeat(20 * 1024)}\r\n`;
      if (kind === 4) head = `GET ${rawPath} HTTP/9.9\r\nHost: x\r\n`;
      if (kind === 5) head += 'Broken header line\r\nContent-Length: 5\r\nContent-Length: 7\r\n';
      if (kind === 6) head = `${pick(['FOO', 'G\x00ET', 'get', 'BREW'])} ${rawPath} HTTP/1.1\r\nHost: x\r\n`;
      // A proxy tunnel request: node:http hands it to its own event and used to drop the socket unanswered.
      if (kind === 7) head = `CONNECT ${pick(['example.com:443', '127.0.0.1:22', rawPath])} HTTP/1.1\r\nHost: x\r\n`;
      probes.push({ method: 'RAW', path, headers, raw: Buffer.from(`${head}Connection: close\r\n\r\n`, 'utf8') });
      continue;
    }
    const method = roll < 0.8 ? 'GET' : pick(['HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND']);
    // http.request refuses characters outside 0x21–0xff in a path; what remains goes out as latin-1.
    probes.push({ method, path: path.replace(/[^\u0021-\u00ff]/g, '%20'), headers, body: method === 'POST' || method === 'PUT' ? 'x'.repeat(Math.floor(random() * 10000)) : undefined });
  }
  return probes;
}

interface Outcome {
  status: number;
  body: Buffer;
  /** Absent for raw-socket probes. */
  headers?: Record<string, string | string[] | undefined>;
}

function send(agent: Agent, port: number, probe: Probe): Promise<Outcome> {
  if (probe.raw) {
    return new Promise((resolvePromise, reject) => {
      const socket = connect(port, '127.0.0.1');
      const chunks: Buffer[] = [];
      socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', reject);
      socket.on('close', () => {
        const text = Buffer.concat(chunks);
        const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text.subarray(0, 20).toString('latin1'))?.[1] ?? 0);
        resolvePromise({ status, body: text });
      });
      socket.end(probe.raw!);
    });
  }
  return new Promise((resolvePromise, reject) => {
    const req = request({ host: '127.0.0.1', port, path: probe.path, method: probe.method, headers: probe.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end(probe.body);
  });
}

async function startServe(folder: string): Promise<{ child: ChildProcess; port: number; exited: Promise<number | null> }> {
  const config = join(dir, 'serve.json');
  writeFileSync(config, JSON.stringify({ paths: [folder], trustProxy: true, tilesets: { imagery: { private: true, tokens: [TOKEN] } } }));
  const { child, url, exited } = await spawnServe(['--config', config, '--port', '0', '--quiet']);
  return { child, port: Number(new URL(url).port), exited };
}

function rssMb(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return kb / 1024;
}

test('12,000 malformed requests over every route: no 5xx, no crash, no file from outside, stable memory', async () => {
  const folder = join(dir, 'served');
  mkdirSync(folder);
  writeVectorArchive(join(folder, 'basemap.mbtiles'), { maxzoom: 4 });
  await writeRasterArchive(join(folder, 'ortho.mbtiles'), 'png', 4, 5);
  await writeRasterArchive(join(folder, 'imagery.mbtiles'), 'png', 4, 5);
  const secretPath = join(dir, 'secret.txt');
  writeFileSync(secretPath, SECRET);
  writeFileSync(join(folder, 'secret.json'), JSON.stringify({ secret: SECRET }));
  writeFileSync(join(folder, 'secret.pbf'), SECRET);
  const passwdLine = /^root:[^:\n]*:0:0:/m;

  const { child, port, exited } = await startServe(folder);
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const statuses = new Map<number, number>();
  const problems: string[] = [];
  let htmlAnswers = 0;
  const runBatch = async (probes: Probe[]) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < probes.length) {
          const probe = probes[next++];
          let outcome: Outcome;
          try {
            outcome = await send(agent, port, probe);
          } catch (error) {
            problems.push(`${probe.method} ${probe.path.slice(0, 200)}: ${(error as Error).message}`);
            continue;
          }
          statuses.set(outcome.status, (statuses.get(outcome.status) ?? 0) + 1);
          if (outcome.status >= 500 || outcome.status === 0) problems.push(`${probe.method} ${probe.path.slice(0, 200)}: ${outcome.status} ${outcome.body.subarray(0, 200).toString()}`);
          if (outcome.headers) {
            if (outcome.headers['x-content-type-options'] !== 'nosniff') problems.push(`${probe.method} ${probe.path.slice(0, 200)}: ${outcome.status} without X-Content-Type-Options: nosniff`);
            if (/html/i.test(String(outcome.headers['content-type'])) && !/default-src 'none'/.test(String(outcome.headers['content-security-policy']))) {
              problems.push(`${probe.method} ${probe.path.slice(0, 200)}: an HTML answer without a Content-Security-Policy`);
            }
            if (/html/i.test(String(outcome.headers['content-type']))) htmlAnswers++;
          }
          const privateRoute = /^\/tiles\/imagery[/.]|^\/ogc\/collections\/imagery|^\/wmts\?.*LAYER=imagery/i.test(probe.path);
          if (privateRoute && outcome.status < 300 && outcome.status !== 204) problems.push(`${probe.method} ${probe.path.slice(0, 200)}: ${outcome.status} for the private tileset without its token`);
          if (outcome.body.includes(TOKEN) || outcome.body.includes('tileset="imagery"')) problems.push(`${probe.method} ${probe.path.slice(0, 200)}: the private tileset's token or metrics in the answer`);
          if (outcome.body.includes(SECRET) || passwdLine.test(outcome.body.toString('latin1'))) problems.push(`${probe.method} ${probe.path.slice(0, 200)}: a file from outside the served folders was returned`);
        }
      }),
    );
  };
  try {
    // A token holder's traffic first, so that the private tileset has counters the fuzz must never see.
    for (const path of [`/tiles/imagery/5/20/12.png?token=${TOKEN}`, `/tiles/imagery.json?token=${TOKEN}`]) {
      assert.equal((await send(agent, port, { method: 'GET', path, headers: {} })).status, 200, path);
    }
    const random = seededRandom(20261126);
    const warmUp = generate(random, 6000, secretPath);
    await runBatch(warmUp);
    const rssAfterWarmUp = rssMb(child.pid!);
    await runBatch(generate(random, 6000, secretPath));
    const rssAfter = rssMb(child.pid!);
    const health = await send(agent, port, { method: 'GET', path: '/health', headers: {} });
    assert.equal(health.status, 200);
    assert.deepEqual(problems.slice(0, 20), []);
    // The viewer page itself was among the answers, so the CSP check above was exercised.
    assert.ok(htmlAnswers > 0);
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    assert.ok(total >= 12_000, `${total} answers`);
    // Every answer a client or 4xx; several kinds of 4xx show the inputs reached different checks.
    assert.ok([...statuses.keys()].filter((status) => status >= 400).length >= 3, JSON.stringify(Object.fromEntries(statuses)));
    assert.ok(rssAfter - rssAfterWarmUp < 50, `RSS grew from ${rssAfterWarmUp.toFixed(0)} to ${rssAfter.toFixed(0)} MB`);
    console.log(`${total} answers ${JSON.stringify(Object.fromEntries(statuses))}; RSS ${rssAfterWarmUp.toFixed(1)} → ${rssAfter.toFixed(1)} MB`);
  } finally {
    agent.destroy();
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0);
});
