// Benchmark inputs that ship inside Debian packages: taken from /tmp/debs when unpacked there, else downloaded once into a cache.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where this machine's data packages are unpacked (see /work/shared/README.md). */
const UNPACKED = '/tmp/debs/x';

/**
 * `path` (relative to the package's root, e.g. `usr/share/magics/10m/ne_10m_land.shp`) from /tmp/debs if it is there,
 * else from Debian's `debianPackage`, fetched with `apt-get download` and unpacked once into ~/.cache/mekan-bench.
 */
export function fileFromDebianPackage(debianPackage: string, path: string): string {
  const unpacked = join(UNPACKED, path);
  if (existsSync(unpacked)) return unpacked;
  const cache = join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? tmpdir(), '.cache'), 'mekan-bench');
  const cached = join(cache, 'x', path);
  if (existsSync(cached)) return cached;
  mkdirSync(cache, { recursive: true });
  console.error(`fetching ${debianPackage} into ${cache} …`);
  execFileSync('apt-get', ['download', debianPackage], { cwd: cache, stdio: 'inherit' });
  const deb = readdirSync(cache).find((f) => f.startsWith(debianPackage) && f.endsWith('.deb'));
  if (!deb) throw new Error(`apt-get download ${debianPackage} produced no .deb (run apt-get update first?)`);
  execFileSync('dpkg', ['-x', join(cache, deb), join(cache, 'x')]);
  return cached;
}
