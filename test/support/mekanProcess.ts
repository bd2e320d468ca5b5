// `mekan serve` as a real child process: started, its URL read from the "listening on" line, stopped by signal.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MEKAN_BIN = resolve(fileURLToPath(import.meta.url), '../../../../bin/mekan.js');

export interface ServeProcess {
  child: ChildProcess;
  /** The URL it printed once listening. */
  url: string;
  exited: Promise<number | null>;
  stderr: () => string;
  /** Resolves once stderr (from now on) has printed a line matching `pattern`: for waiting on what the server reports. */
  printed: (pattern: RegExp) => Promise<void>;
}

/** Spawns `mekan serve ARGS` and resolves once it prints the URL it listens on (rejects if it exits first). */
export async function spawnServe(args: string[]): Promise<ServeProcess> {
  const child = spawn(process.execPath, [MEKAN_BIN, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  // The tail only: a long-running server (the soak benchmark) must not grow this string without end.
  const waiters = new Set<{ pattern: RegExp; resolve: () => void }>();
  let pending = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    stderr = (stderr + text).slice(-65_536);
    const lines = (pending + text).split('\n');
    pending = lines.pop()!.slice(-65_536);
    for (const line of lines) {
      for (const waiter of waiters) {
        if (!waiter.pattern.test(line)) continue;
        waiters.delete(waiter);
        waiter.resolve();
      }
    }
  });
  const printed = (pattern: RegExp) => new Promise<void>((resolvePrinted) => waiters.add({ pattern, resolve: resolvePrinted }));
  const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
  const url = await listeningUrl(child, exited, () => stderr);
  return { child, url, exited, stderr: () => stderr, printed };
}

/**
 * The URL a spawned `mekan serve` prints once it listens (read from its piped stdout); rejects if it exits first,
 * with `why()` (its stderr, or its log file) in the message.
 */
export function listeningUrl(child: ChildProcess, exited: Promise<number | null>, why: () => string): Promise<string> {
  return new Promise<string>((resolveUrl, reject) => {
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (match) resolveUrl(match[1]);
    });
    void exited.then((code) => reject(new Error(`mekan serve exited (${code}) before listening: ${why()}`)));
  });
}
