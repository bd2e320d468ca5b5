// Reads the layers on worker threads, several at once (largest first), or in this thread when sources are injected.
import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { InputError } from '../errors.js';
import type { FeatureSource } from '../sources/types.js';
import { readLayer, type Band, type LayerReadResult } from './layerReader.js';
import type { BuildPlan } from './plan.js';
import type { ReadReply, ReadRequest, ReadWorkerData } from './readWorker.js';
import { WORKER_LIMITS } from './workerPool.js';

export interface ReadOptions {
  workers: number;
  /** Sources opened in this thread (tests, library callers with their own readers). */
  openSource?: (path: string) => Promise<FeatureSource>;
  onFeatures(count: number): void;
}

export async function readAllLayers(plan: BuildPlan, bands: Band[], spillFolder: string, options: ReadOptions): Promise<LayerReadResult[]> {
  const results: LayerReadResult[] = new Array(plan.layers.length);
  if (options.openSource) {
    for (let layer = 0; layer < plan.layers.length; layer++) {
      results[layer] = await readLayer(plan, bands, layer, spillFolder, options.openSource, options.onFeatures);
    }
    return results;
  }
  // Biggest inputs first, so that the last layer to finish is a small one.
  const queue = plan.layers.map((_, layer) => layer).sort((a, b) => inputBytes(plan, b) - inputBytes(plan, a));
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let remaining = queue.length;
      let failed = false;
      const fail = (error: unknown) => {
        if (failed) return;
        failed = true;
        reject(error instanceof Error ? error : new Error(String(error)));
      };
      const next = (worker: Worker) => {
        const layer = queue.shift();
        if (layer !== undefined) worker.postMessage({ type: 'read', layer } satisfies ReadRequest);
      };
      const data: ReadWorkerData = { plan, bands, spillFolder };
      for (let i = 0; i < Math.min(options.workers, queue.length); i++) {
        const worker = new Worker(new URL('./readWorker.js', import.meta.url), { workerData: data, resourceLimits: WORKER_LIMITS });
        workers.push(worker);
        worker.on('error', fail);
        worker.on('exit', (code) => {
          if (code !== 0 && remaining > 0) fail(new Error(`a read worker stopped with exit code ${code}`));
        });
        worker.on('message', (reply: ReadReply) => {
          if (failed) return;
          try {
            if (reply.type === 'progress') {
              options.onFeatures(reply.count);
            } else if (reply.type === 'done') {
              results[reply.layer] = reply.result;
              if (--remaining === 0) resolve();
              else next(worker);
            } else if (reply.input) {
              fail(new InputError(reply.input.subject, reply.input.reason, reply.input.status));
            } else {
              const error = new Error(`reading layer ${plan.layers[reply.layer].id} failed: ${reply.message}`);
              if (reply.stack) error.stack = reply.stack;
              fail(error);
            }
          } catch (error) {
            fail(error);
          }
        });
        next(worker);
      }
    });
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
  return results;
}

function inputBytes(plan: BuildPlan, layer: number): number {
  const sizeOf = (path: string) => {
    try {
      return statSync(path).size;
    } catch {
      return 0; // a missing file is reported by the reader, with its name
    }
  };
  // A Shapefile's attributes (.dbf) often outweigh its shapes.
  return plan.layers[layer].sources.reduce((total, source) => total + sizeOf(source) + (/\.shp$/i.test(source) ? sizeOf(source.replace(/\.shp$/i, '.dbf')) : 0), 0);
}
