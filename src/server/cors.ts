// CORS headers from the configured origins: any origin by default, a list, or none.
import type { IncomingMessage } from 'node:http';

export interface CorsHeaders {
  headers: Record<string, string>;
  /** True when the answer depends on the Origin header (a list of origins), so `Vary: Origin` is due. */
  varyOrigin: boolean;
}

export interface Cors {
  /** Headers for a normal request. */
  simple(request: IncomingMessage): CorsHeaders;
  /** Headers for an OPTIONS preflight, answered 204; undefined when CORS is off. */
  preflight(request: IncomingMessage): CorsHeaders | undefined;
}

const NONE: CorsHeaders = { headers: {}, varyOrigin: false };

export function makeCors(origins: string[]): Cors {
  const any = origins.includes('*');
  const allowed = new Set(origins);
  const allowOrigin = (request: IncomingMessage): string | undefined => {
    if (any) return '*';
    const origin = request.headers.origin;
    return origin && allowed.has(origin) ? origin : undefined;
  };
  // No Access-Control-Expose-Headers: map clients read tile bodies, not ETag or Content-Encoding (the browser's cache uses those itself).
  const anySimple: CorsHeaders = { headers: { 'Access-Control-Allow-Origin': '*' }, varyOrigin: false };
  return {
    simple(request) {
      if (origins.length === 0) return NONE;
      if (any) return anySimple;
      const origin = allowOrigin(request);
      return { headers: origin ? { 'Access-Control-Allow-Origin': origin } : {}, varyOrigin: true };
    },
    preflight(request): CorsHeaders | undefined {
      if (origins.length === 0) return undefined;
      const origin = allowOrigin(request);
      if (!origin) return { headers: {}, varyOrigin: !any };
      const requested = request.headers['access-control-request-headers'];
      return {
        headers: {
          'Access-Control-Allow-Origin': origin,
          'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
          'Access-Control-Allow-Headers': typeof requested === 'string' && /^[\w\s,-]*$/.test(requested) ? requested : 'If-None-Match, Accept-Encoding',
          'Access-Control-Max-Age': '86400',
        },
        varyOrigin: !any,
      };
    },
  };
}
