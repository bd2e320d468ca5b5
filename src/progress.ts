// Progress of a long build: a live bar on a terminal, plain periodic lines otherwise (logs, CI), always on stderr.

export interface StageOptions {
  /**
   * `total` is a guess (tiles to be made, before they are cut): shown as `~N`, grown when passed, and the stage
   * ends at 100 % whatever it reached, so that the bar never stops at 63 % of a number that was never real.
   */
  estimate?: boolean;
  /** Printed once, as a note, if the stage's ETA passes an hour (e.g. what would make the build smaller). */
  slowHint?: string;
}

export interface Progress {
  /** Starts a stage (`reading`, `tiling z0–8`, …); `total` enables percent and ETA. */
  stage(name: string, total?: number, options?: StageOptions): void;
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
  let stageOptions: StageOptions = {};
  let hinted = false;
  let done = 0;
  let started = 0;
  let lastDraw = 0;

  const line = (): string => {
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const parts = [name];
    if (total && stageOptions.estimate && done > total) total = done;
    if (total) {
      const fraction = Math.min(1, done / total);
      if (live) {
        const width = 24;
        const filled = Math.round(fraction * width);
        parts.push(`[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`);
      }
      parts.push(`${done}/${stageOptions.estimate ? '~' : ''}${total} (${(fraction * 100).toFixed(1)}%${stageOptions.estimate ? ' of an estimate' : ''})`);
    } else {
      parts.push(String(done));
    }
    parts.push(`${rate >= 100 ? Math.round(rate) : rate.toFixed(1)}/s`);
    if (total && rate > 0 && done < total) {
      const eta = (total - done) / rate;
      parts.push(`ETA ${stageOptions.estimate ? '~' : ''}${formatDuration(eta)}`);
      // After ten seconds the rate means something; say once what would make a build of hours shorter.
      if (eta > 3600 && seconds > 10 && stageOptions.slowHint && !hinted) {
        hinted = true;
        queueMicrotask(() => progress.note(stageOptions.slowHint!));
      }
    }
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

  const progress: Progress = {
    stage(stageName, stageTotal, options = {}) {
      if (name) this.end();
      name = stageName;
      total = stageTotal;
      stageOptions = options;
      hinted = false;
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
      // An estimate is done when the work is: the last line says 100 %.
      if (stageOptions.estimate && total !== undefined) total = done;
      draw(true);
      if (live && !options.quiet) stream.write('\n');
      name = '';
    },
  };
  return progress;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** Above this many tiles a build takes long enough (tens of minutes and more here) to say so before it starts. */
export const LARGE_BUILD_TILES = 2_000_000;

/** What would make a build of `maxzoom` smaller: each zoom less makes 2 (lines) to 4 (areas) times fewer tiles. */
export function fewerZoomsHint(maxzoom: number): string {
  return maxzoom >= 2 ? `--maxzoom ${maxzoom - 2} would make 4 to 16 times fewer tiles` : 'a smaller --bbox would make fewer tiles';
}

/** The warning to print before tiling `tiles` tiles up to `maxzoom`, if that is large. */
export function largeBuildNote(tiles: number, minzoom: number, maxzoom: number): string | undefined {
  if (tiles < LARGE_BUILD_TILES) return undefined;
  return `warning: about ${(tiles / 1e6).toFixed(1)} million tiles to make at z${minzoom}–${maxzoom}, which can take hours; ${fewerZoomsHint(maxzoom)}`;
}
