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
  const batch = new LineBatch(pino.destination({ dest: 2, sync: false }));
  const logger = pino({ level, base: { pid: process.pid } }, batch);
  batches.set(logger, batch);
  return logger;
}

/** The batch under each logger createLogger made: request lines are handed to it directly (see requestLogger). */
const batches = new WeakMap<Logger, LineBatch>();

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
function requestLogFilter(log: ServerOptions['log']): (status: number) => boolean {
  if (!log.requests) return () => false;
  const rate = log.sampleRate;
  if (rate >= 1) return () => true;
  return (status) => status >= 500 || Math.random() < rate;
}

/** Logs one answered request (`url` already redacted, `ms` rounded), if request logs, their sampling and the level let it. */
export type RequestLogger = (method: string | undefined, url: string | undefined, status: number, ms: number) => void;

/**
 * The request log: the line `logger.info({ method, url, status, ms }, 'request')` writes. Under a logger createLogger
 * made, the line is written out here, byte for byte what pino writes (its bindings included), and handed to the
 * batch: through pino's generic serializer (a walk of the object's keys, an escaping test per string) a line cost
 * 4.01 µs and 1,271 B of garbage, written out 2.00 µs and 556 B (npm run bench:log-cost, 5 alternated runs of
 * 200,000 lines). Other loggers (tests' own) get logger.info.
 */
export function requestLogger(logger: Logger, log: ServerOptions['log']): RequestLogger {
  const logs = requestLogFilter(log);
  if (!log.requests || !logger.isLevelEnabled('info')) return () => {};
  const batch = batches.get(logger);
  const viaPino: RequestLogger = (method, url, status, ms) => {
    if (logs(status)) logger.info({ method, url, status, ms }, 'request');
  };
  if (batch === undefined) return viaPino;
  // `,"pid":123` (and a child logger's bindings): what pino puts after the time.
  const bindings = (logger as unknown as Record<symbol, string>)[pino.symbols.chindingsSym];
  const head = `{"level":${logger.levels.values.info},"time":`;
  // The time as text, made once a millisecond: Date.now() is beyond a small integer, and V8 writes such a number out slowly.
  let now = 0;
  let nowText = '0';
  return (method, url, status, ms) => {
    if (!logs(status)) return;
    // pino leaves out a missing value; node:http always has both, so that rare case may take the slow road.
    if (method === undefined || url === undefined) return viaPino(method, url, status, ms);
    const time = Date.now();
    if (time !== now) {
      now = time;
      nowText = String(time);
    }
    batch.write(`${head}${nowText}${bindings},"method":${jsonString(method)},"url":${jsonString(url)},"status":${status},"ms":${millisecondsText(ms)},"msg":"request"}\n`);
  };
}

/** JSON.stringify(text), without the serializer for what request lines hold: a method, a URL with nothing to escape. */
export function jsonString(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // Control characters, `"` and `\` are escaped, and so are lone surrogates: JSON.stringify says how.
    if (code < 0x20 || code === 0x22 || code === 0x5c || (code >= 0xd800 && code <= 0xdfff)) return JSON.stringify(text);
  }
  return `"${text}"`;
}

/** `.001` … `.999` without trailing zeros, and '' for whole milliseconds: what String(ms) ends with. */
const FRACTIONS = Array.from({ length: 1000 }, (_, thousandths) => (thousandths === 0 ? '' : `.${String(thousandths).padStart(3, '0').replace(/0+$/, '')}`));

/**
 * String(ms) for a duration rounded to the microsecond, from integers: a fraction's shortest decimal is its three
 * digits, so the text is the same, without V8's double-to-text.
 */
export function millisecondsText(ms: number): string {
  const micros = Math.round(ms * 1000);
  if (!(micros >= 0 && micros < 2 ** 31) || micros / 1000 !== ms) return String(ms);
  const whole = Math.floor(micros / 1000);
  return `${whole}${FRACTIONS[micros - whole * 1000]}`;
}
