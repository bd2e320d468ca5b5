// OGC API exceptions: the JSON that OGC API – Common and Tiles define for a failed request (RFC 7807 problem
// details: type, title, status, detail), for every /ogc answer that is not a success, tiles included.
import { STATUS_CODES } from 'node:http';
import type { Context, Next } from 'koa';
import { isInputError, messageOf } from '../../errors.js';
import type { TileErrorBody } from '../routes/tiles.js';

export const PROBLEM_JSON = 'application/problem+json';

export interface OgcException {
  /** No registered problem type fits better, so RFC 7807's `about:blank`: the status says it all. */
  type: 'about:blank';
  title: string;
  status: number;
  detail: string;
  /** The request path. */
  instance: string;
  /** Mekan's `{error}` on every other route, kept so that one client check reads all of them. */
  error: string;
}

export function ogcException(status: number, detail: string, instance: string): OgcException {
  return { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, detail, instance, error: detail };
}

/** The tile route's refusals (a tile matrix or row outside the set, outside the limits…) as OGC API exceptions. */
export function ogcTileErrorBody(instance: string): TileErrorBody {
  return (status, message) => ({ contentType: PROBLEM_JSON, body: JSON.stringify(ogcException(status, message, instance)) });
}

/** Router middleware for /ogc: a request's input error becomes an OGC API exception; anything else goes on up (a 500). */
export async function answerOgcErrors(ctx: Context, next: Next): Promise<void> {
  try {
    await next();
  } catch (error) {
    const status = isInputError(error) ? error.status : (error as { status?: unknown }).status;
    if (typeof status !== 'number' || status < 400 || status >= 500) throw error;
    ctx.status = status;
    ctx.set('Cache-Control', 'no-store');
    ctx.type = PROBLEM_JSON;
    ctx.body = ogcException(status, messageOf(error), ctx.path);
  }
}
