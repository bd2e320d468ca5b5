// GET /metrics: Prometheus text; with --workers, the sum over all workers (gathered by the primary).
import cluster from 'node:cluster';
import { shareWorkerMetrics, workerSnapshots } from '../clusterMetrics.js';
import { Metrics } from '../metrics.js';
import type { RouteModule } from '../module.js';

export const metricsModule: RouteModule = {
  name: 'metrics',
  register(router, context) {
    const clustered = cluster.isWorker && typeof process.send === 'function';
    if (clustered) shareWorkerMetrics(context.metrics);
    router.get('/metrics', async (ctx) => {
      const metrics = clustered ? Metrics.sum(await workerSnapshots(context.metrics)) : context.metrics;
      ctx.set('Cache-Control', 'no-store');
      ctx.type = 'text/plain; version=0.0.4; charset=utf-8';
      ctx.body = metrics.render({ tilesets: context.registry.list().length }, (tileset) => !context.registry.conceals(tileset));
    });
  },
};
