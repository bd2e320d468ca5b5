// Wall time, peak RSS and CPU time of one command run to completion, for the build benchmarks' side-by-side tables.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

const GNU_TIME = '/usr/bin/time';

export interface Measured {
  seconds: number;
  /** GNU time's maximum resident set size: the largest single process (for gdal2tiles, one of its workers or the parent). */
  timeRssMb?: number;
  /** User + system CPU seconds of the process and its children (GNU time): steadier than wall time on a busy machine. */
  cpuSeconds?: number;
  /** Peak of the summed RSS of the process and all its descendants, polled from /proc (only with `processTree`). */
  treeRssMb?: number;
  /** The started process's own high-water mark (VmHWM), polled from /proc when GNU time is missing. */
  hwmMb?: number;
}

function descendants(root: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = parents.get(ppid) ?? [];
      list.push(Number(entry));
      parents.set(ppid, list);
    } catch {
      // The process ended while we looked.
    }
  }
  const all = [root];
  for (let i = 0; i < all.length; i++) all.push(...(parents.get(all[i]) ?? []));
  return all;
}

/** One figure (`VmRSS`, `VmHWM`) of /proc/PID/status in kB; 0 once the process has gone. */
function statusKb(pid: number, field: string): number {
  try {
    const match = new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * Runs `command` under GNU time -v when the machine has it (else polls the process's VmHWM every 50 ms);
 * with `processTree`, also polls the summed RSS of the whole process tree every 50 ms (for multi-process peers).
 * Throws with the tail of stderr when the command fails.
 */
export async function measure(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; processTree?: boolean } = {}): Promise<Measured> {
  const useTime = existsSync(GNU_TIME);
  const started = performance.now();
  const spawnOptions = { env: options.env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'] as ['ignore', 'ignore', 'pipe'] };
  const child = useTime ? spawn(GNU_TIME, ['-v', command, ...args], spawnOptions) : spawn(command, args, spawnOptions);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let treeKb = 0;
  let hwmKb = 0;
  const poll = options.processTree || !useTime
    ? setInterval(() => {
        if (!child.pid) return;
        if (options.processTree) treeKb = Math.max(treeKb, descendants(child.pid).reduce((sum, pid) => sum + statusKb(pid, 'VmRSS'), 0));
        if (!useTime) hwmKb = Math.max(hwmKb, statusKb(child.pid, 'VmHWM'));
      }, 50)
    : undefined;
  const code = await new Promise<number | null>((done) => child.on('close', done));
  if (poll) clearInterval(poll);
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${code}):\n${stderr.slice(-2000)}`);
  const timeRss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  const user = /User time \(seconds\): ([\d.]+)/.exec(stderr);
  const system = /System time \(seconds\): ([\d.]+)/.exec(stderr);
  return {
    seconds,
    timeRssMb: timeRss ? Number(timeRss[1]) / 1024 : undefined,
    cpuSeconds: user && system ? Number(user[1]) + Number(system[1]) : undefined,
    treeRssMb: options.processTree ? treeKb / 1024 : undefined,
    hwmMb: useTime ? undefined : hwmKb / 1024,
  };
}
