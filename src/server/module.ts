// The seam every route module plugs into: what a module is and what the server gives it.
//
// A route module adds routes to the Koa router and, optionally, entries to /catalog.json or a raw
// fast path that answers before Koa runs (only for hot routes such as tiles). To add one, write
// `src/server/routes/NAME.ts` exporting a `RouteModule` and add it to the list in `src/server/modules.ts`.
//
//   export const stylesModule: RouteModule = {
//     name: 'styles',
//     register(router, context) {
//       router.get('/styles/:style/style.json', (ctx) => { ctx.body = ...context.publicUrl(ctx.req)... });
//     },
//     catalog(baseUrl, context) { return { styles: [{ id: 'basemap', url: `${baseUrl}/styles/basemap/style.json` }] }; },
//   };
//
// Inside handlers: throw `InputError(subject, reason, status)` for a bad request (it becomes a 4xx with
// `{"error": ...}`); anything else thrown is logged and answered 500. Metrics use the route's path
// pattern as label, so there is nothing to register for /metrics.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Router } from '@koa/router';
import type { Logger } from 'pino';
import type { ServerOptions } from '../config/serverOptions.js';
import type { TileHashes } from '../archive/tileHashes.js';
import type { Cors } from './cors.js';
import type { Metrics } from './metrics.js';
import type { TilesetRegistry } from './registry.js';
import type { TileCache } from './tileCache.js';

export interface ServerContext {
  readonly registry: TilesetRegistry;
  readonly options: ServerOptions;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly cors: Cors;
  /** Hot tiles (tiles route) and the ETags of archives without content hashes (shared by every open archive). */
  readonly caches: { readonly tiles: TileCache; readonly tileHashes: TileHashes };
  /** Absolute base URL for links in answers, e.g. `https://tiles.example.az/basemap` (no trailing slash). */
  publicUrl(request: IncomingMessage): string;
}

/** Answers a request completely and returns true, or returns false to let Koa handle it. Must not throw for bad input. */
export type FastPath = (request: IncomingMessage, response: ServerResponse) => boolean;

/** Sections to merge into /catalog.json, e.g. `{ styles: [...] }`; lists under the same key are concatenated. */
export type CatalogSections = Record<string, unknown[]>;

export interface RouteModule {
  name: string;
  register?(router: Router, context: ServerContext): void;
  /** For hot routes only: runs ahead of Koa on every request. */
  fastPath?(context: ServerContext): FastPath;
  catalog?(baseUrl: string, context: ServerContext): CatalogSections | Promise<CatalogSections>;
  /** Called on shutdown. */
  close?(): void | Promise<void>;
}
