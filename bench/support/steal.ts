// CPU time the hypervisor gave to other guests while a run went on ("steal" in /proc/stat). On a virtual machine it
// comes in slices of milliseconds, during which whatever runs on that vCPU stands still: a server's p99 at 64
// connections follows it more closely than anything the server does (bench/serve's rounds, one per row).
import { readFileSync } from 'node:fs';

export interface CpuTicks {
  steal: number;
  total: number;
}

/** All cores' ticks from /proc/stat's `cpu` line; zeros where there is no /proc (the share is then reported as 0). */
export function cpuTicks(): CpuTicks {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    // user nice system idle iowait irq softirq steal (guest time is already counted in user and nice)
    const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
    return { steal: fields[7] ?? 0, total: fields.reduce((sum, ticks) => sum + ticks, 0) };
  } catch {
    return { steal: 0, total: 0 };
  }
}

/** The share of all cores' time, in percent, that was stolen since `before`. */
export function stolenPercentSince(before: CpuTicks): number {
  const now = cpuTicks();
  const total = now.total - before.total;
  return total > 0 ? ((now.steal - before.steal) / total) * 100 : 0;
}
