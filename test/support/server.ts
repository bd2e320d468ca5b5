// A real server on 127.0.0.1 (port 0) for the server suites, a request that keeps the bytes as sent, and a log a test can read.
import { request } from 'node:http';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { ServeConfig } from '../../src/config/schema.js';
import { serverOptionsFrom, type ServeFlags } from '../../src/config/serverOptions.js';
import { createApp, type MekanApp } from '../../src/server/app.js';
import type { RouteModule } from '../../src/server/module.js';

/** A pino logger whose lines a test can read. */
export type LogLine = Record<string, unknown>;

/**
 * A logger whose lines the test can read, and wait for: `logged(match)` resolves with the first line written
 * after the call that matches, so a test synchronises on what the server reports instead of on a clock.
 */
export function captureLogger(): { logger: Logger; lines: () => LogLine[]; logged: (match: (line: LogLine) => boolean) => Promise<LogLine> } {
  const lines: LogLine[] = [];
  const waiters = new Set<{ match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }>();
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const text of chunk.toString().split('\n').filter(Boolean)) {
        const line = JSON.parse(text) as LogLine;
        lines.push(line);
        for (const waiter of waiters) {
          if (!waiter.match(line)) continue;
          waiters.delete(waiter);
          waiter.resolve(line);
        }
      }
      callback();
    },
  });
  const logged = (match: (line: LogLine) => boolean) => new Promise<LogLine>((resolve) => waiters.add({ match, resolve }));
  return { logger: pino({ level: 'info' }, stream), lines: () => [...lines], logged };
}

export interface TestServer {
  app: MekanApp;
  url: string;
  port: number;
  close(): Promise<void>;
}

/** A real server over `paths` (folders or archives) with the default route modules unless `modules`; silent unless given a logger. */
export async function startServer(
  paths: string[],
  settings: { flags?: ServeFlags; config?: ServeConfig; logger?: Logger; modules?: RouteModule[]; reloadIntervalMs?: number } = {},
): Promise<TestServer> {
  const options = serverOptionsFrom({ paths, port: '0', quiet: true, ...settings.flags }, settings.config);
  options.reloadIntervalMs = settings.reloadIntervalMs ?? 0;
  const logger = settings.logger ?? pino({ level: 'silent' });
  const app = createApp({ options, logger, modules: settings.modules });
  await app.listen();
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('server did not listen on TCP');
  return { app, url: `http://127.0.0.1:${address.port}`, port: address.port, close: () => app.close(1000) };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Bytes exactly as sent (fetch would decompress gzip by itself). */
  body: Buffer;
  json<T = Record<string, unknown>>(): T;
}

/** One request with node:http, no decoding of the body; `path` is sent verbatim. */
export function get(base: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: <T>() => JSON.parse(body.toString()) as T });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
