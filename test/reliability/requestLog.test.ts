// Request logs as an operator runs them: on by default, stderr redirected to a file, no line lost when SIGTERM
// arrives right after the last answer (one process and --workers 2); sampled or off from the configuration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, get as httpGet } from 'node:http';
import { join } from 'node:path';
import { makeTempDir } from '../support/tempDir.js';
import { listeningUrl, MEKAN_BIN } from '../support/mekanProcess.js';
import { writeVectorArchive } from '../server/core/fixtures.js';

const dir = makeTempDir('mekan-request-log-');
const tiles = writeVectorArchive(join(dir, 'basemap.mbtiles'), { maxzoom: 3 });

/** `mekan serve ARGS` with stderr going to `logFile`; resolves with its URL and a promise of its exit code. */
async function serveLoggingTo(logFile: string, args: string[]): Promise<{ url: string; stop: () => Promise<number | null> }> {
  const log = openSync(logFile, 'w');
  const child = spawn(process.execPath, [MEKAN_BIN, 'serve', join(dir, 'basemap.mbtiles'), '--port', '0', ...args], { stdio: ['ignore', 'pipe', log] });
  closeSync(log);
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const url = await listeningUrl(child, exited, () => readFileSync(logFile, 'utf8'));
  return {
    url,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** `count` tile requests, 16 at a time over keep-alive connections; resolves once every answer has arrived. */
async function requestTiles(url: string, count: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const one = (i: number) =>
    new Promise<void>((resolve, reject) => {
      httpGet(`${url}/tiles/basemap/${tiles[i % tiles.length]}.pbf`, { agent, headers: { 'accept-encoding': 'gzip' } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
      }).on('error', reject);
    });
  await Promise.all(Array.from({ length: count }, (_, i) => one(i)));
  agent.destroy();
}

function requestLines(logFile: string): Record<string, unknown>[] {
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === 'request');
}

test('N requests then SIGTERM: N request lines in the log file, with one process and with --workers 2', async () => {
  for (const args of [[], ['--workers', '2']]) {
    const logFile = join(dir, `requests${args.length}.log`);
    const server = await serveLoggingTo(logFile, args);
    await requestTiles(server.url, 500);
    assert.equal(await server.stop(), 0);
    const lines = requestLines(logFile);
    assert.equal(lines.length, 500, `${args.join(' ') || 'one process'}: ${lines.length} request lines`);
    assert.ok(lines.every((line) => line.status === 200 && typeof line.url === 'string' && String(line.url).startsWith('/tiles/basemap/') && line.method === 'GET'));
  }
});

test('log.sampleRate keeps a share of the request lines; log.requests: false none; the server still logs its own events', async () => {
  // At 0.5, 200 requests leave 100 ± 10 lines (one standard deviation ≈ 7): outside 50..150 happens once in 10^12 runs.
  const cases: [object, (lines: number) => boolean][] = [
    [{ sampleRate: 0.5 }, (lines) => lines >= 50 && lines <= 150],
    [{ requests: false }, (lines) => lines === 0],
  ];
  for (const [log, expected] of cases) {
    const config = join(dir, 'serve.json');
    writeFileSync(config, JSON.stringify({ log }));
    const logFile = join(dir, 'sampled.log');
    const server = await serveLoggingTo(logFile, ['--config', config]);
    await requestTiles(server.url, 200);
    assert.equal(await server.stop(), 0);
    const lines = requestLines(logFile).length;
    assert.ok(expected(lines), `${JSON.stringify(log)}: ${lines} request lines of 200`);
    assert.match(readFileSync(logFile, 'utf8'), /"msg":"stopped"/);
  }
});

test('lines logged in the turn a process exits in (process.exit, no flush) are written: the pending batch reaches the file first', async () => {
  const logFile = join(dir, 'exit.log');
  const log = openSync(logFile, 'w');
  const logger = new URL('../../src/server/logger.js', import.meta.url).href;
  // Three lines in one loop turn, then exit at once: nothing has handed them to the destination yet.
  const script = `import(${JSON.stringify(logger)}).then(({ createLogger }) => { const log = createLogger('info'); for (let i = 0; i < 3; i++) log.info({ i }, 'line'); process.exit(0); });`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', log] });
  closeSync(log);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0);
  const lines = readFileSync(logFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { i: number; msg: string });
  assert.deepEqual(lines.map((line) => [line.i, line.msg]), [[0, 'line'], [1, 'line'], [2, 'line']]);
});

test('a request line is what pino writes for logger.info({ method, url, status, ms }, "request"), escaping and durations included', async () => {
  const logFile = join(dir, 'format.log');
  const log = openSync(logFile, 'w');
  const logger = new URL('../../src/server/logger.js', import.meta.url).href;
  // URLs with what JSON must escape (a quote, a backslash, a control character) and what it keeps (non-ASCII, DEL;
  // node:http reads a request line as latin1, so a URL holds no lone surrogate); durations as the routes round them
  // (to the microsecond): whole, with trailing zeros, large.
  const url = '/tiles/a"b\\\u0001é/1/2/3.pbf?token=[redacted]';
  const cases: [string, string, number, number][] = [
    ['GET', url, 404, 0.125],
    ['HEAD', '/tiles/basemap/6/51/31.pbf', 200, 0],
    ['GET', '/tiles/a"b/1/2/3.pbf', 400, 0.2],
    ['GET', '/tiles/a\\b/1/2/3.pbf', 400, 0.02],
    ['GET', '/tiles/a\tb/1/2/3.pbf', 400, 0.002],
    ['GET', '/tiles/x\u007f\u00ff/1/2/3.pbf', 200, 0.001],
    ['GET', '/catalog.json', 304, 0.01],
    ['OPTIONS', '/tiles/basemap.json', 204, 1.5],
    ['GET', '/', 500, 12.05],
    ['GET', '/', 200, 1000.005],
    ['GET', '/', 200, 7],
    ['GET', '/', 200, Math.round(0.1 * 3 * 1e6) / 1e3],
  ];
  const script = `import(${JSON.stringify(logger)}).then(({ createLogger, requestLogger }) => {
    const log = createLogger('info');
    const logRequest = requestLogger(log, { level: 'info', requests: true, sampleRate: 1 });
    for (const [method, url, status, ms] of ${JSON.stringify(cases)}) {
      logRequest(method, url, status, ms);
      log.info({ method, url, status, ms }, 'request');
    }
    process.exit(0);
  });`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', log] });
  closeSync(log);
  assert.equal(await new Promise<number | null>((resolve) => child.on('exit', resolve)), 0);
  const lines = readFileSync(logFile, 'utf8').trim().split('\n');
  assert.equal(lines.length, cases.length * 2);
  const withoutTime = (line: string) => line.replace(/"time":\d+,/, '');
  cases.forEach(([, caseUrl], i) => {
    const [ours, pinos] = [lines[2 * i], lines[2 * i + 1]];
    assert.equal(withoutTime(ours), withoutTime(pinos));
    assert.deepEqual(JSON.parse(ours), { ...JSON.parse(pinos), time: (JSON.parse(ours) as { time: number }).time });
    assert.equal((JSON.parse(ours) as { url: string }).url, caseUrl);
  });
});
