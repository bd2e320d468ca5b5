// GET /health: 200 once the server listens (the registry has scanned its paths before that).
import type { RouteModule } from '../module.js';

export const healthModule: RouteModule = {
  name: 'health',
  register(router) {
    router.get('/health', (ctx) => {
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { status: 'ok' };
    });
  },
};
