// glibc's malloc settings for a build process. A build frees and reallocates megabytes of buffers from several
// threads (a vector build's clip slabs, spill buffers and geojson-vt arrays; a raster build's libvips images).
// By default glibc gives each thread an arena of its own, up to 8 a core, and each arena keeps its high point;
// and it raises its mmap threshold to the largest block freed so far (2.1–2.4 MB during a vector build's
// reading), so every later buffer below that comes from an arena. Two arenas for all threads, and for the vector
// build a fixed 128 KiB threshold (glibc's starting value) that sends large buffers back to the kernel when
// freed: world Natural Earth z0–8 peak RSS 153–170 → 142–150 MiB, CBERS pan raster z10–17 204–224 → 188–203 MiB,
// same wall times (docs/vector-build.md, docs/raster-build.md; the fixed threshold cost the raster build 6 %).
// glibc reads GLIBC_TUNABLES only when a process starts and Node has no mallopt, hence koffi (a maintained FFI
// with prebuilt binaries); an operator's own GLIBC_TUNABLES or MALLOC_* settings are left as they are.
import { createRequire } from 'node:module';
import { messageOf } from './errors.js';

const M_MMAP_THRESHOLD = -3;
const M_ARENA_MAX = -8;

export interface BuildMalloc {
  arenaMax: number;
  /** Bytes from which a block is mapped on its own, fixed (no free raises it); glibc's dynamic threshold when absent. */
  mmapThreshold?: number;
}

export const VECTOR_BUILD_MALLOC: BuildMalloc = { arenaMax: 2, mmapThreshold: 128 * 1024 };
export const RASTER_BUILD_MALLOC: BuildMalloc = { arenaMax: 2 };

export type MallocSettings = { applied: true } | { applied: false; reason: string };

/**
 * Sets a build's malloc settings for the rest of this process. Called before the build loads: a thread that
 * already has an arena keeps it, later ones share the others. Does nothing off glibc, or when the environment
 * already sets glibc's malloc.
 */
export function useBuildMalloc(settings: BuildMalloc, env: NodeJS.ProcessEnv = process.env): MallocSettings {
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
  const thresholdSet = settings.mmapThreshold === undefined || mallopt(M_MMAP_THRESHOLD, settings.mmapThreshold) === 1;
  if (!thresholdSet || mallopt(M_ARENA_MAX, settings.arenaMax) !== 1) return { applied: false, reason: 'glibc refused mallopt' };
  return { applied: true };
}
