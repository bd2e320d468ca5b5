// Progress of a long build: a live bar on a terminal, plain periodic lines otherwise (logs, CI), always on stderr.

export interface Progress {
  /** Starts a stage (`reading`, `tiling z0–8`, …); `total` enables percent and ETA. */
  stage(name: string, total?: number): void;
  /** Counts `count` more units of the current stage. */
  advance(count?: number): void;
  /** A line that stays (a warning, a skipped file), printed above the bar. */
  note(line: string): void;
  /** Ends the current stage, printing its final count and rate. */
  end(): void;
}

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  /** Nothing but notes. */
  quiet?: boolean;
  /** Milliseconds between plain lines when not on a terminal. */
  plainInterval?: number;
}

/** A Progress that ignores everything: for library callers and tests. */
export const silentProgress: Progress = { stage() {}, advance() {}, note() {}, end() {} };

export function createProgress(options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const live = Boolean(stream.isTTY) && !options.quiet;
  const plainInterval = options.plainInterval ?? 5000;
  let name = '';
  let total: number | undefined;
  let done = 0;
  let started = 0;
  let lastDraw = 0;

  const line = (): string => {
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const parts = [name];
    if (total) {
      const fraction = Math.min(1, done / total);
      if (live) {
        const width = 24;
        const filled = Math.round(fraction * width);
        parts.push(`[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`);
      }
      parts.push(`${done}/${total} (${(fraction * 100).toFixed(1)}%)`);
    } else {
      parts.push(String(done));
    }
    parts.push(`${rate >= 100 ? Math.round(rate) : rate.toFixed(1)}/s`);
    if (total && rate > 0 && done < total) parts.push(`ETA ${formatDuration((total - done) / rate)}`);
    parts.push(formatDuration(seconds));
    return parts.join('  ');
  };

  const draw = (force = false) => {
    if (options.quiet || !name) return;
    const now = Date.now();
    if (live) {
      if (!force && now - lastDraw < 100) return;
      stream.write(`\r\x1b[2K${line()}`);
    } else {
      if (!force && now - lastDraw < plainInterval) return;
      stream.write(`${line()}\n`);
    }
    lastDraw = now;
  };

  return {
    stage(stageName, stageTotal) {
      if (name) this.end();
      name = stageName;
      total = stageTotal;
      done = 0;
      started = Date.now();
      lastDraw = live ? 0 : started;
    },
    advance(count = 1) {
      done += count;
      draw();
    },
    note(text) {
      if (live && name) stream.write('\r\x1b[2K');
      stream.write(`${text}\n`);
      if (live) draw(true);
    },
    end() {
      if (!name) return;
      draw(true);
      if (live && !options.quiet) stream.write('\n');
      name = '';
    },
  };
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}
