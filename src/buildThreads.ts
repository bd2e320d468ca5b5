// Worker threads of the builds (vector tiling, raster warping), and the memory settings they share: a small
// young generation in each worker, and one held small in the main thread that only coordinates them.
import { setFlagsFromString } from 'node:v8';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * A worker's young generation: V8's default (up to 48 MB a thread) holds mostly short-lived objects that a
 * scavenge frees anyway. 4 MB: world Natural Earth vector build −10 MB of peak RSS against 8 MB (a few %
 * slower); CBERS pan raster build z10–17 with two warp workers 305 → 252 MB at the same speed.
 */
const WORKER_YOUNG_GENERATION_MB = 4;

/**
 * The main thread's young generation is held at its initial size (1 MB semi-spaces) while build workers run:
 * it passes messages and writes SQLite, yet V8 doubled it to 8 MB as objects survived, for ~0.5 MB in use
 * (vector world Natural Earth: −8 MB of peak RSS; raster: −5 MB; same speed). V8 raises a growth factor below
 * 2 back to 2 whenever it sets up an isolate's heap, so it is set again once each worker's isolate exists.
 */
const GROWTH_FLAG = '--semi-space-growth-factor';

export function startBuildWorker(url: URL, options: WorkerOptions = {}): Worker {
  setFlagsFromString(`${GROWTH_FLAG}=1`);
  const worker = new Worker(url, { ...options, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB, ...options.resourceLimits } });
  worker.once('online', () => setFlagsFromString(`${GROWTH_FLAG}=1`));
  return worker;
}

/** Gives young generations V8's default growth again, once a build's workers are done. */
export function buildWorkersDone(): void {
  setFlagsFromString(`${GROWTH_FLAG}=2`);
}
