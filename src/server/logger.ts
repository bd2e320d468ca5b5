// Structured logs (pino, JSON lines) to stderr, so that stdout stays for what the command prints.
import { pino, type DestinationStream, type Logger } from 'pino';
import type { ServerOptions } from '../config/serverOptions.js';

/**
 * Writes go through sonic-boom asynchronously, a few milliseconds' lines at a time (see LineBatch); pino flushes it
 * synchronously on exit, and run.ts flushes it before exiting on SIGTERM, so no line is lost.
 */
export function createLogger(level = 'info'): Logger {
  if (!exitHooked) {
    // Before pino's own exit hook (which flushes sonic-boom synchronously): the last batch must reach it first.
    process.prependListener('exit', handOverAll);
    exitHooked = true;
  }
  return pino({ level, base: { pid: process.pid } }, new LineBatch(pino.destination({ dest: 2, sync: false })));
}

/** Batches with lines not yet handed to their destination. */
const waiting = new Set<LineBatch>();
let exitHooked = false;

function handOverAll(): void {
  for (const batch of waiting) batch.handOver();
}

type SonicBoom = ReturnType<typeof pino.destination>;

/**
 * Lines go to sonic-boom a batch at a time: those of up to BATCH_MS (nginx's `access_log … buffer= flush=`, in
 * milliseconds). Line by line, sonic-boom re-measures its whole pending chunk (copying it: quadratic in the chunk's
 * size) and sends one chunk per write: capped at 1 KiB to bound that copying, the writes fell behind under 64
 * connections (9,000 lines/s) and every line waited long enough to be promoted to the old generation (147 B a
 * request, a full collection every 5 s). Joined once, a batch is measured once. Batched by event-loop turn only, a
 * server answering PostGIS tiles (a few lines a turn) still paid a thread-pool write, a wake-up and a futex per line.
 */
const BATCH_MS = 10;

class LineBatch implements DestinationStream {
  private lines: string[] = [];
  private scheduled = false;

  constructor(private readonly destination: SonicBoom) {}

  write(line: string): void {
    this.lines.push(line);
    if (this.scheduled) return;
    this.scheduled = true;
    waiting.add(this);
    setTimeout(this.atBatchEnd, BATCH_MS).unref();
  }

  private readonly atBatchEnd = (): void => {
    this.handOver();
  };

  handOver(): void {
    this.scheduled = false;
    waiting.delete(this);
    if (this.lines.length === 0) return;
    const text = this.lines.length === 1 ? this.lines[0] : this.lines.join('');
    this.lines = [];
    this.destination.write(text);
  }

  /** What pino's logger.flush(cb) calls. */
  flush(callback?: (error?: Error) => void): void {
    this.handOver();
    this.destination.flush(callback);
  }

  flushSync(): void {
    this.handOver();
    this.destination.flushSync();
  }

  end(): void {
    this.handOver();
    this.destination.end();
  }
}

/**
 * Whether an answered request gets a line in the request log: none when request logs are off; server errors always;
 * the others at the configured sample rate (1: every one).
 */
export function requestLogFilter(log: ServerOptions['log']): (status: number) => boolean {
  if (!log.requests) return () => false;
  const rate = log.sampleRate;
  if (rate >= 1) return () => true;
  return (status) => status >= 500 || Math.random() < rate;
}
