// With --workers, /metrics answered by any worker reports the sum over all workers: the primary gathers snapshots over IPC.
import cluster, { type Worker } from 'node:cluster';
import type { Metrics, MetricsSnapshot } from './metrics.js';

type Message =
  | { mekan: 'metrics-request'; id: string }
  | { mekan: 'metrics-collect'; id: string }
  | { mekan: 'metrics-snapshot'; id: string; snapshot: MetricsSnapshot }
  | { mekan: 'metrics-result'; id: string; snapshots: MetricsSnapshot[] };

const TIMEOUT_MS = 1000;

function isMessage(value: unknown): value is Message {
  return typeof value === 'object' && value !== null && typeof (value as { mekan?: unknown }).mekan === 'string' && typeof (value as { id?: unknown }).id === 'string';
}

/** Primary side: answers a worker's request with every live worker's snapshot (those that answer within a second). */
export function gatherWorkerMetrics(): void {
  const pending = new Map<string, { requester: Worker; expected: number; snapshots: MetricsSnapshot[]; timer: NodeJS.Timeout }>();
  const reply = (id: string) => {
    const entry = pending.get(id);
    if (!entry) return;
    pending.delete(id);
    clearTimeout(entry.timer);
    if (entry.requester.isConnected()) entry.requester.send({ mekan: 'metrics-result', id, snapshots: entry.snapshots } satisfies Message);
  };
  cluster.on('message', (worker, message: unknown) => {
    if (!isMessage(message)) return;
    if (message.mekan === 'metrics-request') {
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && w.isConnected());
      const timer = setTimeout(() => reply(message.id), TIMEOUT_MS);
      timer.unref();
      pending.set(message.id, { requester: worker, expected: workers.length, snapshots: [], timer });
      for (const w of workers) w.send({ mekan: 'metrics-collect', id: message.id } satisfies Message);
    } else if (message.mekan === 'metrics-snapshot') {
      const entry = pending.get(message.id);
      if (!entry) return;
      entry.snapshots.push(message.snapshot);
      if (entry.snapshots.length >= entry.expected) reply(message.id);
    }
  });
}

let sequence = 0;
const waiting = new Map<string, (snapshots: MetricsSnapshot[]) => void>();

/** Worker side: sends this worker's snapshot when the primary collects, and resolves requests this worker made. */
export function shareWorkerMetrics(metrics: Metrics): void {
  process.on('message', (message: unknown) => {
    if (!isMessage(message)) return;
    if (message.mekan === 'metrics-collect') process.send?.({ mekan: 'metrics-snapshot', id: message.id, snapshot: metrics.snapshot() } satisfies Message);
    else if (message.mekan === 'metrics-result') waiting.get(message.id)?.(message.snapshots);
  });
}

/** Worker side: every worker's snapshot, or only this one's if the primary does not answer in time. */
export function workerSnapshots(local: Metrics): Promise<MetricsSnapshot[]> {
  const id = `${process.pid}-${++sequence}`;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      waiting.delete(id);
      resolve([local.snapshot()]);
    }, TIMEOUT_MS * 2);
    waiting.set(id, (snapshots) => {
      clearTimeout(timer);
      waiting.delete(id);
      resolve(snapshots.length > 0 ? snapshots : [local.snapshot()]);
    });
    process.send?.({ mekan: 'metrics-request', id } satisfies Message);
  });
}
