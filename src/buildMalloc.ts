// glibc's malloc settings for a build process. A build frees and reallocates megabytes of ArrayBuffers (clip
// slabs, spill buffers, geojson-vt's arrays) from several threads. By default glibc raises its mmap threshold to
// the largest block freed so far (2.1–2.4 MB during a vector build's reading), so every later buffer below that
// comes from a per-thread arena, and each arena keeps its high point. A fixed 128 KiB threshold (glibc's
// starting value) sends large buffers back to the kernel when freed, and two arenas stop each thread keeping
// its own. World Natural Earth z0–8: peak RSS 153–170 → 142–150 MiB, same wall time (docs/vector-build.md).
// glibc reads GLIBC_TUNABLES only when a process starts and Node has no mallopt, hence koffi (a maintained FFI
// with prebuilt binaries); an operator's own GLIBC_TUNABLES or MALLOC_* settings are left as they are.
import { createRequire } from 'node:module';
import { messageOf } from './errors.js';

const M_MMAP_THRESHOLD = -3;
const M_ARENA_MAX = -8;
const MMAP_THRESHOLD_BYTES = 128 * 1024;
const ARENA_MAX = 2;

export type MallocSettings = { applied: true } | { applied: false; reason: string };

/**
 * Sets the build's malloc settings for the rest of this process. Called before the build loads: a thread that
 * already has an arena keeps it, later ones share the two. Does nothing off glibc, or when the environment
 * already sets glibc's malloc.
 */
export function useBuildMalloc(env: NodeJS.ProcessEnv = process.env): MallocSettings {
  if (process.platform !== 'linux') return { applied: false, reason: `${process.platform} has no glibc` };
  if (/glibc\.malloc\./.test(env.GLIBC_TUNABLES ?? '') || Object.keys(env).some((name) => name.startsWith('MALLOC_'))) {
    return { applied: false, reason: 'malloc is set by the environment' };
  }
  let mallopt: (option: number, value: number) => number;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
    mallopt = koffi.load('libc.so.6').func('int mallopt(int, int)') as (option: number, value: number) => number;
  } catch (error) {
    // musl and other C libraries: no libc.so.6, and no per-thread arenas to hold memory either.
    return { applied: false, reason: `no glibc: ${messageOf(error)}` };
  }
  if (mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) !== 1 || mallopt(M_ARENA_MAX, ARENA_MAX) !== 1) {
    return { applied: false, reason: 'glibc refused mallopt' };
  }
  return { applied: true };
}
