// Worker threads of the builds (vector tiling, raster warping), and the memory settings they share: a small
// young generation in each worker, and one held small in the main thread that only coordinates them.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** V8's `gc()`, full by default or `{ type: 'minor' }` for a scavenge. */
export type CollectGarbage = (options?: { type: 'major' | 'minor' }) => void;

/**
 * V8's collector for a build thread to call where it knows its garbage is ready (between jobs, after a batch of
 * tiles): `--expose-gc` set at run time, then `gc` read from a fresh context, which V8 gives it from then on.
 */
export function garbageCollector(): CollectGarbage {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as CollectGarbage;
}

/**
 * A worker's young generation: V8's default (up to 48 MB a thread) holds mostly short-lived objects that a
 * scavenge frees anyway. 4 MB: CBERS pan raster build z10–17 with two warp workers 305 → 252 MB at the same speed.
 */
const WORKER_YOUNG_GENERATION_MB = 4;

/**
 * The main thread's young generation is held at its initial size (1 MB semi-spaces) while build workers run:
 * it passes messages and writes SQLite, yet V8 doubled it to 8 MB as objects survived, for ~0.5 MB in use
 * (vector world Natural Earth: −8 MB of peak RSS; raster: −5 MB; same speed). V8 raises a growth factor below
 * 2 back to 2 whenever it sets up an isolate's heap, so it is set again once each worker's isolate exists.
 */
const GROWTH_FLAG = '--semi-space-growth-factor';

/**
 * `semiSpaceMb`: the worker's young generation is made of semi-spaces this size from the start (V8 makes a young
 * generation three semi-spaces). The growth factor held at 1 above is process-wide, so a worker's semi-space
 * would otherwise never grow past V8's initial 1 MB, whatever its limit.
 */
export function startBuildWorker(url: URL, options: WorkerOptions = {}, semiSpaceMb?: number): Worker {
  setFlagsFromString(`${GROWTH_FLAG}=1`);
  if (semiSpaceMb) setFlagsFromString(`${MIN_SEMI_SPACE_FLAG}=${semiSpaceMb}`);
  const youngGenerationMb = semiSpaceMb ? 3 * semiSpaceMb : WORKER_YOUNG_GENERATION_MB;
  const worker = new Worker(url, { ...options, resourceLimits: { maxYoungGenerationSizeMb: youngGenerationMb, ...options.resourceLimits } });
  worker.once('online', () => {
    setFlagsFromString(`${GROWTH_FLAG}=1`);
    // Read when an isolate's heap is set up: the worker has its own now, and later isolates get V8's default.
    if (semiSpaceMb) setFlagsFromString(`${MIN_SEMI_SPACE_FLAG}=0`);
  });
  return worker;
}

const MIN_SEMI_SPACE_FLAG = '--min-semi-space-size';

/** Gives young generations V8's default growth again, once a build's workers are done. */
export function buildWorkersDone(): void {
  setFlagsFromString(`${GROWTH_FLAG}=2`);
}
