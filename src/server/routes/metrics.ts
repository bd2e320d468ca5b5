// GET /metrics: Prometheus text of this process (with --workers, of the worker that answers).
import type { RouteModule } from '../module.js';

export const metricsModule: RouteModule = {
  name: 'metrics',
  register(router, context) {
    router.get('/metrics', (ctx) => {
      ctx.set('Cache-Control', 'no-store');
      ctx.type = 'text/plain; version=0.0.4; charset=utf-8';
      ctx.body = context.metrics.render({ tilesets: context.registry.list().length });
    });
  },
};
