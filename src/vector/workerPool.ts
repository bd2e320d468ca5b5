// Runs partition tasks on a pool of tile workers (one a core), biggest first, and hands each finished tile back.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { CutSettings, CutStats, CutTile, PartitionTask } from './cutPartition.js';
import type { WorkerReply, WorkerRequest } from './tileWorker.js';

export interface PoolHandlers {
  onTile(tile: CutTile): void;
  onTaskDone(task: PartitionTask, stats: CutStats): void;
}

/**
 * A small young generation: V8's default (up to 48 MB a thread) holds mostly short-lived geometry that a
 * scavenge frees anyway; smaller, it costs no measurable time and keeps the builder's RSS lower.
 */
export const WORKER_LIMITS = { maxYoungGenerationSizeMb: 8 };

export function defaultWorkerCount(): number {
  return Math.max(1, availableParallelism());
}

/** Resolves when every task is cut; rejects on the first failure (a worker error or a throwing handler). */
export async function runPartitions(tasks: PartitionTask[], settings: CutSettings, workerCount: number, handlers: PoolHandlers): Promise<void> {
  if (tasks.length === 0) return;
  const queue = [...tasks];
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let remaining = tasks.length;
      let failed = false;
      const fail = (error: unknown) => {
        if (failed) return;
        failed = true;
        reject(error instanceof Error ? error : new Error(String(error)));
      };
      const next = (worker: Worker) => {
        const task = queue.shift();
        if (task) worker.postMessage({ type: 'cut', task } satisfies WorkerRequest);
      };
      for (let i = 0; i < Math.min(workerCount, tasks.length); i++) {
        const worker = new Worker(new URL('./tileWorker.js', import.meta.url), { workerData: settings, resourceLimits: WORKER_LIMITS });
        workers.push(worker);
        worker.on('error', fail);
        worker.on('exit', (code) => {
          if (code !== 0 && remaining > 0) fail(new Error(`a tile worker stopped with exit code ${code}`));
        });
        worker.on('message', (reply: WorkerReply) => {
          if (failed) return;
          try {
            if (reply.type === 'tiles') {
              for (const tile of reply.tiles) handlers.onTile({ z: tile.z, x: tile.x, y: tile.y, data: new Uint8Array(tile.data) });
            } else if (reply.type === 'done') {
              handlers.onTaskDone(byId.get(reply.taskId) as PartitionTask, reply.stats);
              if (--remaining === 0) resolve();
              else next(worker);
            } else {
              const error = new Error(`cutting partition ${reply.taskId} failed: ${reply.message}`);
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
}
