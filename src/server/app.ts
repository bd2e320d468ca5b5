// Assembles the server: a registry of tilesets, raw fast paths ahead of Koa, and Koa with the modules' routes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { Router } from '@koa/router';
import Koa from 'koa';
import type { Logger } from 'pino';
import { TileHashes } from '../archive/tileHashes.js';
import type { ServerOptions } from '../config/serverOptions.js';
import { isInputError, messageOf } from '../errors.js';
import { currentAccess, redactUrl, withRequestAccess } from './access.js';
import { makeCors } from './cors.js';
import { drainable } from './drain.js';
import { createLogger, requestLogger } from './logger.js';
import { Metrics } from './metrics.js';
import type { FastPath, RouteModule, ServerContext } from './module.js';
import { defaultModules } from './modules.js';
import { publicBaseUrl } from './publicUrl.js';
import { privateCacheControl, TilesetRegistry } from './registry.js';
import { catalogModule } from './routes/catalog.js';
import { TileCache } from './tileCache.js';
import { PostgisSource } from '../postgis/source.js';

export interface AppOptions {
  options: ServerOptions;
  logger?: Logger;
  /** Route modules; `defaultModules` when absent. The catalog module is always added. */
  modules?: RouteModule[];
  /** node:http's limits on slow clients; its defaults (60 s for the headers, checked every 30 s) when absent. */
  httpTimeouts?: { headersTimeout: number; requestTimeout: number; connectionsCheckingInterval: number };
}

export interface MekanApp {
  readonly server: Server;
  readonly koa: Koa;
  readonly context: ServerContext;
  /** Starts listening on options.host/port; resolves with the URL to print. */
  listen(): Promise<string>;
  /** Stops accepting, lets in-flight requests finish (up to `graceMs`), closes modules and archives. */
  close(graceMs?: number): Promise<void>;
}

/** The headers a trusted proxy's links are built from (see publicUrl.ts); the README tells operators to overwrite them. */
const FORWARDED_HEADERS = ['X-Forwarded-Proto', 'X-Forwarded-Host', 'X-Forwarded-Prefix'];

const CLIENT_ERROR_STATUS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
};

/** A whole HTTP/1.1 answer for a socket node:http gave up on; the connection closes after it. */
function rawAnswer(status: string, message: string | undefined, extraHeaders = ''): string {
  const body = message === undefined ? '' : JSON.stringify({ error: message });
  return `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nX-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\n${extraHeaders}Connection: close\r\n\r\n${body}`;
}

function sendJsonError(response: ServerResponse, status: number, message: string): void {
  const body = JSON.stringify({ error: message });
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  response.end(body);
}

const MB = 1024 * 1024;

export function createApp({ options, logger = createLogger(options.log.level), modules = defaultModules, httpTimeouts }: AppOptions): MekanApp {
  const caches = { tiles: new TileCache(options.cache.tilesMb * MB), tileHashes: new TileHashes(options.cache.etagsMb * MB) };
  const registry: TilesetRegistry = new TilesetRegistry({
    tileHashes: caches.tileHashes,
    paths: options.paths,
    tilesets: options.tilesets,
    cacheControl: options.cacheControl,
    logger,
    reloadIntervalMs: options.reloadIntervalMs,
    remote: options.remote,
  });
  const postgis = options.postgres ? new PostgisSource(options.postgres, logger, (tilesets) => registry.setLiveTilesets(tilesets)) : undefined;
  if (postgis) registry.setLiveFreshener(() => postgis.freshen());
  // Behind a trusted proxy without a fixed public URL, links come from X-Forwarded-* headers: an answer holding
  // them must not be shared by a cache between clients that sent other values (cache poisoning).
  const forwardedUrls = options.trustProxy && options.publicUrl === undefined;
  const fromForwardedHeaders = new WeakSet<IncomingMessage>();
  const fallbackHost = () => {
    const address = server.address() as AddressInfo | null;
    const host = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
    const shown = host.includes(':') ? `[${host}]` : host;
    return address ? `${shown}:${address.port}` : shown;
  };
  const context: ServerContext = {
    registry,
    options,
    logger,
    metrics: new Metrics(() => ({ tiles: caches.tiles.stats(), etags: caches.tileHashes.stats(), live: postgis?.stats() })),
    cors: makeCors(options.corsOrigins),
    caches,
    publicUrl: (request: IncomingMessage) => {
      if (forwardedUrls) fromForwardedHeaders.add(request);
      return publicBaseUrl(request, { publicUrl: options.publicUrl, trustProxy: options.trustProxy, fallbackHost });
    },
  };
  const allModules: RouteModule[] = [...modules, catalogModule(() => allModules)];

  // A database is read in the background: the server answers (archives, health) while it connects or is down.
  void postgis?.start();

  const hasPrivate = registry.hasPrivate();
  const logRequest = requestLogger(logger, options.log);
  const koa = new Koa();
  koa.silent = true;
  const router = new Router();
  koa.use(async (ctx, next) => {
    const started = performance.now();
    const cors = ctx.method === 'OPTIONS' ? context.cors.preflight(ctx.req) : context.cors.simple(ctx.req);
    if (cors) {
      ctx.set(cors.headers);
      if (cors.varyOrigin) ctx.vary('Origin');
    }
    ctx.set('X-Content-Type-Options', 'nosniff');
    try {
      if (ctx.method === 'OPTIONS') {
        ctx.set('Allow', 'GET, HEAD, OPTIONS');
        ctx.status = 204;
        return;
      }
      await next();
      if (ctx.respond === false) return; // answered on the raw response (e.g. through the tile route), which logged it
      if (ctx.body === undefined || ctx.body === null) {
        if (ctx.status === 404) {
          const allowed = ctx.method === 'GET' || ctx.method === 'HEAD';
          if (!allowed) ctx.set('Allow', 'GET, HEAD, OPTIONS');
          ctx.status = allowed ? 404 : 405;
          ctx.body = { error: allowed ? `no such resource: ${ctx.path}` : `method ${ctx.method} not allowed` };
        }
      }
    } catch (error) {
      const status = (error as { status?: unknown }).status;
      if (isInputError(error)) {
        ctx.status = error.status;
        ctx.body = { error: error.status === 404 && error.message.endsWith(': not found') ? `no such resource: ${ctx.path}` : error.message };
      } else if (typeof status === 'number' && status >= 400 && status < 500) {
        // Koa and the router throw http-errors for malformed input (a bad %-escape in a parameter…).
        ctx.status = status;
        ctx.body = { error: messageOf(error) };
      } else {
        logger.error({ err: error, method: ctx.method, url: redactUrl(ctx.url) }, `request failed: ${messageOf(error)}`);
        ctx.status = 500;
        ctx.body = { error: 'internal error' };
      }
      ctx.set('Cache-Control', 'no-store');
    } finally {
      if (hasPrivate && ctx.respond !== false) {
        // What a request sees depends on its token: no shared cache may hand one client's answer to another.
        ctx.vary('Authorization');
        if (currentAccess()?.revealed) ctx.set('Cache-Control', privateCacheControl(ctx.response.get('Cache-Control') || 'no-cache'));
      }
      if (forwardedUrls && ctx.respond !== false && fromForwardedHeaders.has(ctx.req)) {
        ctx.vary(FORWARDED_HEADERS);
        ctx.set('Cache-Control', privateCacheControl(ctx.response.get('Cache-Control') || 'no-cache'));
      }
      // A route that answered on the raw response (through the tile route) was counted and logged there.
      if (ctx.respond !== false) {
        const seconds = (performance.now() - started) / 1000;
        const route = ctx.method === 'OPTIONS' ? 'preflight' : typeof ctx._matchedRoute === 'string' ? ctx._matchedRoute : 'unmatched';
        context.metrics.observe(route, ctx.status, seconds);
        logRequest(ctx.method, redactUrl(ctx.url), ctx.status, Math.round(seconds * 1e6) / 1e3);
      }
    }
  });
  for (const module of allModules) module.register?.(router, context);
  koa.use(router.routes());

  const fastPaths: FastPath[] = allModules.flatMap((module) => (module.fastPath ? [module.fastPath(context)] : []));
  const koaHandler = koa.callback();
  const answer = (request: IncomingMessage, response: ServerResponse) => {
    try {
      for (const fastPath of fastPaths) if (fastPath(request, response)) return;
    } catch (error) {
      logger.error({ err: error, url: redactUrl(request.url) }, `request failed: ${messageOf(error)}`);
      if (!response.headersSent) sendJsonError(response, 500, 'internal error');
      else response.destroy();
      return;
    }
    void koaHandler(request, response);
  };
  // Only a server with private tilesets pays for a per-request access scope.
  const handle = hasPrivate ? (request: IncomingMessage, response: ServerResponse) => withRequestAccess(request, () => answer(request, response)) : answer;
  const server: Server = createServer({ keepAliveTimeout: 65_000, ...httpTimeouts });
  const drain = drainable(server, handle);
  // A request node:http cannot even parse gets an HTTP answer, never a dropped socket or a 5xx: 431 for
  // oversized headers, 408 when the headers did not arrive in time, 400 for the rest.
  server.on('clientError', (error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable) return socket.destroy();
    const status = CLIENT_ERROR_STATUS[error.code ?? ''] ?? '400 Bad Request';
    // A HEAD request's answer has no body, even when the rest of the request could not be parsed.
    const head = Buffer.isBuffer(error.rawPacket) && error.rawPacket.subarray(0, 5).toString('latin1') === 'HEAD ';
    socket.end(rawAnswer(status, head ? undefined : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'request not received in time' : 'malformed HTTP request'));
  });
  // node:http hands CONNECT (a proxy's tunnel) to this event and drops the socket when nobody listens.
  server.on('connect', (_request: IncomingMessage, socket: Duplex) => {
    if (socket.writable) socket.end(rawAnswer('405 Method Not Allowed', 'method CONNECT not allowed', 'Allow: GET, HEAD, OPTIONS\r\n'));
    else socket.destroy();
  });

  let closing: Promise<void> | undefined;
  return {
    server,
    koa,
    context,
    async listen() {
      // Healthy only with its remote archives open: a replica behind a balancer must not take traffic it cannot serve.
      await registry.ready();
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port, options.host, () => {
          server.off('error', reject);
          const base = options.publicUrl ?? `http://${fallbackHost()}`;
          resolve(base);
        });
      });
    },
    close(graceMs = 10_000) {
      closing ??= (async () => {
        await drain.close(graceMs);
        for (const module of allModules) await module.close?.();
        await postgis?.close();
        registry.close();
      })();
      return closing;
    },
  };
}
