// The build's worker threads (one a core but one; one a core for tiling a big input), kept for both phases:
// jobs are queued, biggest first, and each reply is handed to the phase that asked; the first failure fails it.
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import type { Worker } from 'node:worker_threads';
import { buildWorkersDone, garbageCollector, startBuildWorker, type CollectGarbage } from '../buildThreads.js';
import { InputError } from '../errors.js';
import type { BuildReply, BuildRequest, BuildWorkerData } from './buildWorker.js';
import { handedOverDone, tilesInFlightCounter } from './tileGzip.js';

/**
 * One a core but one: the main thread has work of its own (gzipping the tiles handed over encoded, SQLite writes,
 * dedup hashing, messages), though it sits idle most of the tiling phase on 2 cores.
 * On 2 cores a second worker takes the world Natural Earth build (z0–8) to about 0.7× the time for its own heap
 * and malloc arena: 159 → 240 MB of peak RSS (2026-12-01, loaded machine, 44.9 → 28.5 s). Cutting the smallest
 * partitions in the main thread beside the one worker moved 2–3 s of the worker's ~11 s of CPU onto the main
 * thread but still took the peak to 170–186 MB (what the main thread's first cut leaves: code, buffers, arena);
 * admitting its jobs only while the process's RSS is under 140 MB kept 160–172 MB. Neither fits the 160 MB budget.
 */
export function defaultWorkerCount(): number {
  return Math.max(1, availableParallelism() - 1);
}

/** Features read, or tiles to cut (estimated), above which tiling gets a worker on every core (when the count was not chosen). */
const BIG_BUILD_FEATURES = 250_000;
const BIG_BUILD_TILES = 200_000;

/**
 * Tiling workers when the count was left to the build: a big build spends most of its time tiling, where a
 * worker on the last core pays for its memory (a million points z0–12: 27 → 21 s for 209 → 250 MB; world
 * Natural Earth z0–10, 575,000 tiles: 24.3 → 17.9 s for 154 → 199 MB). Smaller builds keep the memory.
 */
export function tilingWorkerCount(readingWorkers: number, work: { featuresRead: number; estimatedTiles: number }): number {
  const big = work.featuresRead >= BIG_BUILD_FEATURES || work.estimatedTiles >= BIG_BUILD_TILES;
  return big ? Math.max(readingWorkers, availableParallelism()) : readingWorkers;
}

/**
 * How far V8 lets a heap grow past what its last full collection left alive, in percent. V8's own factor
 * (up to 4× on a fast-allocating heap) let the worker's heap reach 60–80 MB for 20–40 MB alive. 20 % costs
 * more collections: on this 2-core machine world Natural Earth z0–8 went 221 → 175 MB peak RSS for ~10 % more
 * CPU, a million dense points z0–12 365 → 221 MB for ~20 % more CPU. The flag is process-wide (the main thread
 * benefits too); it is set for the build's duration and put back to V8's default (0) when the pool closes.
 */
const HEAP_GROWING_PERCENT = 20;

/**
 * A tiling worker's semi-spaces (MB; young generation 3×): a tile's clipped, repaired and encoded features
 * outlive a 1 MB semi-space, so they were copied and promoted, and scavenges took a third of the worker's
 * time (world Natural Earth z0–8: 5,900 scavenges). 4 MB: 1,370 scavenges, about 10 % less CPU, +10 MB RSS.
 */
const TILING_SEMI_SPACE_MB = 4;

/**
 * The main thread's young generation is small and it allocates little JS, so the buffers of gzipping tiles there
 * (encoded tiles handed over, zlib's 16 KB output chunks) wait for a scavenge among SQLite's and zlib's own
 * allocations. A scavenge after each batch of tiles (~0.1 ms) frees them: world build peak RSS 156–169 MB in
 * four runs, against 160–195 MB in five without (loaded machine).
 */
function collectTileBuffers(): void {
  collectYoung ??= garbageCollector();
  collectYoung({ type: 'minor' });
}
let collectYoung: CollectGarbage | undefined;

type Phase = { onReply(reply: BuildReply): void; fail(error: Error): void };

export class BuildWorkers {
  private readonly workers: Worker[] = [];
  private phase: Phase | undefined;
  private closing = false;

  private readonly data: BuildWorkerData;

  constructor(count: number, data: Omit<BuildWorkerData, 'tilesInFlight'>) {
    this.data = { ...data, tilesInFlight: tilesInFlightCounter() };
    setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
    this.grow(count);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Starts workers until there are `count`; call between phases. */
  grow(count: number): void {
    const data = this.data;
    while (this.workers.length < count) {
      const worker = startBuildWorker(new URL('./buildWorker.js', import.meta.url), { workerData: data }, TILING_SEMI_SPACE_MB);
      worker.on('message', (reply: BuildReply) => {
        try {
          this.phase?.onReply(reply);
        } finally {
          // Written, or dropped by a failed phase: either way the worker must not wait for them.
          if (reply.type === 'tiles') {
            collectTileBuffers();
            handedOverDone(data.tilesInFlight, reply.bytes);
          }
        }
      });
      worker.on('error', (error) => this.phase?.fail(error));
      worker.on('exit', (code) => {
        if (!this.closing) this.phase?.fail(new Error(`a build worker stopped with exit code ${code}`));
      });
      this.workers.push(worker);
    }
  }

  /**
   * Runs the jobs; `onReply` sees every progress, tiles and result reply. Rejects on the first error.
   * `ahead`: jobs queued in each worker at a time. Tiling queues two: a worker's last tiles of a partition wait
   * in the main thread to be gzipped and written, and its next job would otherwise wait behind them.
   */
  async run(jobs: BuildRequest[], onReply: (reply: BuildReply) => void, ahead = 1): Promise<void> {
    if (jobs.length === 0) return;
    const queue = [...jobs];
    const busy = new Map<number, Worker>();
    await new Promise<void>((resolve, reject) => {
      let remaining = jobs.length;
      let failed = false;
      const fail = (error: Error) => {
        if (failed) return;
        failed = true;
        this.phase = undefined;
        reject(error);
      };
      const start = (worker: Worker) => {
        const job = queue.shift();
        if (!job) return;
        busy.set(job.id, worker);
        worker.postMessage(job);
      };
      this.phase = {
        fail,
        onReply: (reply) => {
          if (failed) return;
          try {
            if (reply.type === 'error') {
              if (reply.input) return fail(new InputError(reply.input.subject, reply.input.reason, reply.input.status));
              const error = new Error(reply.message);
              if (reply.stack) error.stack = reply.stack;
              return fail(error);
            }
            onReply(reply);
            if (reply.type === 'read' || reply.type === 'cut') {
              const worker = busy.get(reply.id) as Worker;
              busy.delete(reply.id);
              if (--remaining === 0) {
                this.phase = undefined;
                resolve();
              } else start(worker);
            }
          } catch (error) {
            fail(error instanceof Error ? error : new Error(String(error)));
          }
        },
      };
      for (let queued = 0; queued < ahead; queued++) for (const worker of this.workers) start(worker);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    setFlagsFromString('--heap-growing-percent=0');
    buildWorkersDone();
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
