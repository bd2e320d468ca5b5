// Worker thread of a vector build: reads layers into the partition spill, then cuts partitions into tiles,
// whichever the main thread asks for; tiles go back as transferred buffers.
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { garbageCollector } from '../buildThreads.js';
import { isInputError } from '../errors.js';
import { openSource } from '../sources/open.js';
import { cutPartition, type CutSettings, type CutStats, type PartitionTask } from './cutPartition.js';
import { readLayer, type Band, type LayerReadResult } from './layerReader.js';
import type { BuildPlan } from './plan.js';
import { handOver } from './tileGzip.js';

export interface BuildWorkerData {
  plan: BuildPlan;
  spillFolder: string;
  cut: CutSettings;
  /** Tile bytes sent to the main thread and not yet written (tileGzip.ts). */
  tilesInFlight: Int32Array;
}

/** A layer to read into partition spills cut by `bands`, or a partition to cut into tiles. */
export type BuildRequest = { type: 'read'; id: number; layer: number; bands: Band[] } | { type: 'cut'; id: number; task: PartitionTask };

export type BuildReply =
  | { type: 'progress'; id: number; count: number }
  | { type: 'tiles'; id: number; tiles: HandedTile[]; bytes: number }
  | { type: 'read'; id: number; result: LayerReadResult }
  | { type: 'cut'; id: number; stats: CutStats }
  | { type: 'error'; id: number; message: string; input?: { subject: string; reason: string; status: number }; stack?: string };

/** A tile's bytes: gzipped, or encoded for the main thread to gzip (tileGzip.ts). */
export interface HandedTile {
  z: number;
  x: number;
  y: number;
  data: ArrayBuffer;
  gzipped: boolean;
}

const BATCH = 64;
/** Heap in use after a job above which the worker collects at once (bytes). */
const COLLECT_ABOVE = 64 * 1024 * 1024;

// A job's data is all garbage once it is done, but V8 lets a busy worker's heap grow to several times what is
// alive before it collects (on the world Natural Earth set ~150 MB a worker with 5 MB live). Collecting between
// jobs when the heap is large keeps the build's RSS down at little cost.
const collectGarbage = garbageCollector();

const { plan, spillFolder, cut, tilesInFlight } = workerData as BuildWorkerData;
const port = parentPort;
if (!port) throw new Error('buildWorker must run as a worker thread');
const reply = (message: BuildReply, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

// Jobs run one after the other: the pool may send the next before this one ends (workerPool.ts).
let jobs: Promise<void> = Promise.resolve();
port.on('message', (request: BuildRequest) => {
  jobs = jobs.then(() => runJob(request));
});

function runJob(request: BuildRequest): Promise<void> {
  return run(request)
    .catch((error: unknown) => {
      if (isInputError(error)) {
        const reason = error.subject ? error.message.slice(error.subject.length + 2) : error.message;
        reply({ type: 'error', id: request.id, message: error.message, input: { subject: error.subject, reason, status: error.status } });
      } else {
        reply({ type: 'error', id: request.id, message: error instanceof Error ? error.message : String(error), stack: error instanceof Error ? error.stack : undefined });
      }
    })
    .finally(() => {
      // After reading, always: what a layer's reading left is garbage, and the worker's heap would otherwise
      // enter the tiling phase at its reading size.
      if (request.type === 'read' || getHeapStatistics().used_heap_size > COLLECT_ABOVE) collectGarbage();
    });
}

async function run(request: BuildRequest): Promise<void> {
  const id = request.id;
  if (request.type === 'read') {
    const result = await readLayer(plan, request.bands, request.layer, spillFolder, (path) => openSource(path), (count) => reply({ type: 'progress', id, count }));
    reply({ type: 'read', id, result });
    return;
  }
  let batch: HandedTile[] = [];
  let bytes = 0;
  const send = () => {
    if (batch.length === 0) return;
    handOver(tilesInFlight, bytes);
    reply({ type: 'tiles', id, tiles: batch, bytes }, batch.map((tile) => tile.data));
    batch = [];
    bytes = 0;
  };
  const stats = cutPartition(request.task, cut, (tile) => {
    // A copy with its own ArrayBuffer: zlib's result and the encoder's may share a larger one, which cannot be
    // transferred alone.
    const { bytes: view, gzipped } = tile.data;
    const data = view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength) as ArrayBuffer;
    batch.push({ z: tile.z, x: tile.x, y: tile.y, data, gzipped });
    bytes += data.byteLength;
    if (batch.length >= BATCH) send();
  });
  send();
  reply({ type: 'cut', id, stats });
}
