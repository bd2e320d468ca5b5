// Worker thread: reads the layers the main thread hands it (sources, filter, partition spill) and reports back.
import { parentPort, workerData } from 'node:worker_threads';
import { isInputError } from '../errors.js';
import { openSource } from '../sources/open.js';
import { readLayer, type Band, type LayerReadResult } from './layerReader.js';
import type { BuildPlan } from './plan.js';

export interface ReadWorkerData {
  plan: BuildPlan;
  bands: Band[];
  spillFolder: string;
}

export type ReadRequest = { type: 'read'; layer: number };
export type ReadReply =
  | { type: 'progress'; count: number }
  | { type: 'done'; layer: number; result: LayerReadResult }
  | { type: 'error'; layer: number; message: string; input?: { subject: string; reason: string; status: number }; stack?: string };

const { plan, bands, spillFolder } = workerData as ReadWorkerData;
const port = parentPort;
if (!port) throw new Error('readWorker must run as a worker thread');

port.on('message', (request: ReadRequest) => {
  readLayer(plan, bands, request.layer, spillFolder, (path) => openSource(path), (count) => port.postMessage({ type: 'progress', count } satisfies ReadReply))
    .then((result) => port.postMessage({ type: 'done', layer: request.layer, result } satisfies ReadReply))
    .catch((error: unknown) => {
      const reply: ReadReply = isInputError(error)
        ? { type: 'error', layer: request.layer, message: error.message, input: { subject: error.subject, reason: error.subject ? error.message.slice(error.subject.length + 2) : error.message, status: error.status } }
        : { type: 'error', layer: request.layer, message: error instanceof Error ? error.message : String(error), stack: error instanceof Error ? error.stack : undefined };
      port.postMessage(reply);
    });
});
