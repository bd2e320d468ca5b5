// Runs the server as a process: one process, or N workers on one port with node:cluster; stops cleanly on SIGTERM/SIGINT.
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { ServerOptions } from '../config/serverOptions.js';
import { createApp } from './app.js';
import { gatherWorkerMetrics } from './clusterMetrics.js';
import { createLogger } from './logger.js';

/** Starts serving and resolves with the URL once listening; the process exits 0 after SIGTERM/SIGINT. */
/** Called once listening: the URL and how many tilesets were found at start (0: nothing to serve yet). */
export type Announce = (url: string, options: ServerOptions, tilesets: number) => void;

export async function runServer(options: ServerOptions, announce: Announce): Promise<void> {
  if (options.workers > 1 && cluster.isPrimary) return runPrimary(options, announce);
  const logger = createLogger(options.log.level);
  const app = createApp({ options, logger });
  const url = await app.listen();
  const tilesets = app.context.registry.count();
  if (cluster.isWorker) process.send?.({ mekan: 'listening', url, tilesets });
  else announce(url, options, tilesets);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    void app.close().then(() => {
      logger.info('stopped');
      logger.flush(() => process.exit(0));
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // In a worker, the primary going away (cluster disconnect) also means stop.
  if (cluster.isWorker) process.on('disconnect', () => stop('disconnect'));
}

/**
 * The node flags of the workers: the primary's, and V8's single-threaded GC when the workers take every core. Then
 * no core is free for V8's helper threads, and a worker's scavenge waits for helpers that are not running: under wrk
 * at 64 connections on 2 cores with 2 workers, the workers' scavenge pauses summed 69–116 ms a 5-second run with
 * helpers and 41–46 ms without (3 alternated pairs), the median pause 1.1–1.4 ms against 0.6–0.9 ms. A node flag an
 * operator gives about GC threads is kept as given.
 */
export function workerExecArgv(workers: number, execArgv: readonly string[] = process.execArgv, cores = availableParallelism()): string[] {
  const chosen = execArgv.some((flag) => /single[-_]threaded[-_]gc|parallel[-_]scavenge/.test(flag));
  return workers >= cores && !chosen ? [...execArgv, '--single-threaded-gc'] : [...execArgv];
}

/** The primary forks the workers (each runs the same command), announces once they all listen, and stops them on a signal. */
function runPrimary(options: ServerOptions, announce: Announce): Promise<void> {
  const logger = createLogger(options.log.level);
  let listening = 0;
  let stopping = false;
  gatherWorkerMetrics();
  cluster.setupPrimary({ execArgv: workerExecArgv(options.workers) });
  return new Promise((resolve, reject) => {
    for (let i = 0; i < options.workers; i++) cluster.fork();
    cluster.on('message', (_worker, message: { mekan?: string; url?: string; tilesets?: number }) => {
      if (message?.mekan !== 'listening' || !message.url) return;
      if (++listening === options.workers) {
        announce(message.url, options, message.tilesets ?? 0);
        resolve();
      }
    });
    cluster.on('exit', (worker, code, signal) => {
      if (stopping) {
        if (Object.keys(cluster.workers ?? {}).length === 0) logger.flush(() => process.exit(0));
        return;
      }
      if (listening < options.workers) {
        reject(new Error(`worker ${worker.process.pid} exited before listening (code ${code ?? signal})`));
        stopping = true;
        for (const other of Object.values(cluster.workers ?? {})) other?.kill('SIGTERM');
        return;
      }
      logger.error({ pid: worker.process.pid, code, signal }, 'worker died; starting another');
      cluster.fork();
    });
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down workers');
      const workers = Object.values(cluster.workers ?? {});
      if (workers.length === 0) process.exit(0);
      for (const worker of workers) worker?.process.kill('SIGTERM');
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}
