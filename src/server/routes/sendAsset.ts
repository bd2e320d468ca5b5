// Answers a static asset (glyph range, sprite sheet) with a strong ETag, honouring If-None-Match with 304.
import { createHash } from 'node:crypto';
import type { Context } from 'koa';
import { matchesEtag } from '../encoding.js';

export function sendAsset(ctx: Context, body: Uint8Array, contentType: string, cacheControl: string): void {
  const etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
  ctx.set('ETag', etag);
  ctx.set('Cache-Control', cacheControl);
  if (matchesEtag(ctx.get('If-None-Match') || undefined, etag)) {
    ctx.status = 304;
    return;
  }
  ctx.set('Content-Type', contentType);
  ctx.body = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}
