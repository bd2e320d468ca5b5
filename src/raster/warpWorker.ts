// Worker thread entry: opens the GeoTIFFs itself and renders the blocks the main thread hands it.
import { parentPort } from 'node:worker_threads';
import sharp from 'sharp';
import { isInputError, messageOf } from '../errors.js';
import { BlockRenderer } from './blockRenderer.js';
import type { BlockTask, WorkerMessage, WorkerSetup } from './types.js';

type Incoming = { kind: 'setup'; setup: WorkerSetup } | { kind: 'task'; task: BlockTask } | { kind: 'close' };

// Every tile is a new raw buffer: libvips' operation cache would only hold memory.
sharp.cache(false);
const port = parentPort;
if (!port) throw new Error('warpWorker.js must run in a worker thread');
let renderer: BlockRenderer | undefined;

port.on('message', (message: Incoming) => {
  void handle(message);
});

async function handle(message: Incoming): Promise<void> {
  if (message.kind === 'setup') {
    renderer = new BlockRenderer(message.setup);
    return;
  }
  if (message.kind === 'close') {
    await renderer?.close();
    port?.close();
    return;
  }
  const task = message.task;
  try {
    if (!renderer) throw new Error('task before setup');
    const result = await renderer.renderBlock(task);
    const transfer = result.tiles.map((t) => t.data.buffer as ArrayBuffer);
    if (result.raw) transfer.push(result.raw.buffer as ArrayBuffer);
    const reply: WorkerMessage = { kind: 'result', result };
    port?.postMessage(reply, transfer);
  } catch (error) {
    const reply: WorkerMessage = {
      kind: 'error',
      id: task.id,
      path: isInputError(error) ? error.subject : '',
      message: isInputError(error) ? error.message : `${messageOf(error)}\n${(error as Error).stack ?? ''}`,
      input: isInputError(error),
    };
    port?.postMessage(reply);
  }
}
