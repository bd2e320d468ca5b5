// The build's malloc settings (src/buildMalloc.ts), seen as an operator sees memory: the process's RSS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { useBuildMalloc, VECTOR_BUILD_MALLOC } from '../../src/buildMalloc.js';
import { makeTempDir } from '../support/tempDir.js';

const dir = makeTempDir();

// A child raises glibc's mmap threshold as a build does (freeing one large mapped buffer), then frees every
// other one of 160 buffers of 256 KiB and prints how much of the 20 MiB freed left its RSS.
const probe = join(dir, 'probe.mjs');
writeFileSync(probe, `
import { readFileSync } from 'node:fs';
const rssKb = () => Number(/VmRSS:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
if (process.argv[2] === 'build') {
  const malloc = await import(${JSON.stringify(pathToFileURL(resolve('dist/src/buildMalloc.js')).href)});
  const settings = malloc.useBuildMalloc(malloc.VECTOR_BUILD_MALLOC, {});
  if (!settings.applied) throw new Error(settings.reason);
}
// Inside a function, so that nothing on the module's frame keeps the buffer alive through gc().
const touch = (bytes) => new Uint8Array(bytes).fill(1);
touch(8 << 20);
gc();
const kept = [];
let freed = [];
for (let i = 0; i < 160; i++) (i % 2 ? kept : freed).push(touch(256 << 10));
const before = rssKb();
freed = null;
gc();
process.stdout.write(JSON.stringify({ returnedMiB: (before - rssKb()) / 1024, kept: kept.length }));
`);

function returnedMiB(mode: 'build' | 'default'): number {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'GLIBC_TUNABLES' && !name.startsWith('MALLOC_')));
  // Single-threaded GC: the buffers are freed within gc(), not later by a background sweeper.
  const result = spawnSync(process.execPath, ['--expose-gc', '--single-threaded-gc', probe, mode], { encoding: 'utf8', env });
  assert.equal(result.status, 0, result.stderr);
  return (JSON.parse(result.stdout) as { returnedMiB: number }).returnedMiB;
}

test('with the vector build settings, freed buffers go back to the system even after glibc raised its threshold', { skip: process.platform !== 'linux' && 'glibc only' }, () => {
  const withDefaults = returnedMiB('default');
  const withBuild = returnedMiB('build');
  // Without them the buffers come from the heap, where the ones kept pin the ones freed: the probe is fair.
  assert.ok(withDefaults < 4, `glibc's defaults returned ${withDefaults.toFixed(1)} MiB`);
  assert.ok(withBuild > 16, `the build settings returned ${withBuild.toFixed(1)} MiB of 20`);
});

test("an operator's own malloc settings are kept", () => {
  assert.deepEqual(useBuildMalloc(VECTOR_BUILD_MALLOC, { GLIBC_TUNABLES: 'glibc.malloc.arena_max=4' }), { applied: false, reason: 'malloc is set by the environment' });
  assert.deepEqual(useBuildMalloc(VECTOR_BUILD_MALLOC, { MALLOC_ARENA_MAX: '4' }), { applied: false, reason: 'malloc is set by the environment' });
});
