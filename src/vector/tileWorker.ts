// Worker thread: cuts the partitions the main thread hands it and sends the finished tiles back (transferred).
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import { cutPartition, type CutSettings, type CutTile, type PartitionTask } from './cutPartition.js';

export type WorkerRequest = { type: 'cut'; task: PartitionTask };
export type WorkerReply =
  | { type: 'tiles'; taskId: number; tiles: { z: number; x: number; y: number; data: ArrayBuffer }[] }
  | { type: 'done'; taskId: number; stats: ReturnType<typeof cutPartition> }
  | { type: 'error'; taskId: number; message: string; stack?: string };

const BATCH = 64;
/** Heap in use after a partition above which the worker collects at once (bytes). */
const COLLECT_ABOVE = 64 * 1024 * 1024;

// A partition's index is all garbage once its tiles are out, but V8 lets a busy worker's heap grow to several
// times what is alive before it collects: on the world Natural Earth set that was ~150 MB a worker, with 5 MB
// live. Collecting between partitions when the heap is large keeps the build's RSS down at almost no cost.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as (() => void) | undefined;
const settings = workerData as CutSettings;
const port = parentPort;
if (!port) throw new Error('tileWorker must run as a worker thread');

port.on('message', (request: WorkerRequest) => {
  const taskId = request.task.id;
  let batch: { z: number; x: number; y: number; data: ArrayBuffer }[] = [];
  const send = () => {
    if (batch.length === 0) return;
    const reply: WorkerReply = { type: 'tiles', taskId, tiles: batch };
    port.postMessage(reply, batch.map((tile) => tile.data));
    batch = [];
  };
  try {
    const stats = cutPartition(request.task, settings, (tile: CutTile) => {
      // A copy with its own ArrayBuffer: zlib's result may share a larger one, which cannot be transferred alone.
      const data = tile.data.buffer.slice(tile.data.byteOffset, tile.data.byteOffset + tile.data.byteLength) as ArrayBuffer;
      batch.push({ z: tile.z, x: tile.x, y: tile.y, data });
      if (batch.length >= BATCH) send();
    });
    send();
    const reply: WorkerReply = { type: 'done', taskId, stats };
    port.postMessage(reply);
    if (collectGarbage && getHeapStatistics().used_heap_size > COLLECT_ABOVE) collectGarbage();
  } catch (error) {
    const reply: WorkerReply = { type: 'error', taskId, message: error instanceof Error ? error.message : String(error), stack: error instanceof Error ? error.stack : undefined };
    port.postMessage(reply);
  }
});
