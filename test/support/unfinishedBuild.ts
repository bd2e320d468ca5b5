// What a build that did not finish must leave behind: the archive it was replacing as it was, and no temp files.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, watch } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface BuildFolders {
  /** Holds the archive and nothing else. */
  folder: string;
  /** Where the build keeps its temp files (spill, TMPDIR). */
  temp: string;
  /** `basemap.mbtiles` in `folder`. */
  output: string;
}

/** Two fresh folders under `dir`: `name` for the archive and `tempName` for the build's temp files. */
export function makeBuildFolders(dir: string, name: string, tempName: string): BuildFolders {
  const folder = join(dir, name);
  const temp = join(dir, tempName);
  mkdirSync(folder);
  mkdirSync(temp);
  return { folder, temp, output: join(folder, 'basemap.mbtiles') };
}

/** The archive holds exactly the bytes it held `before`, its folder nothing else, and the temp folder nothing. */
export function assertPreviousArchiveKept({ folder, temp, output }: BuildFolders, before: Buffer): void {
  assert.deepEqual(readFileSync(output), before);
  assert.deepEqual(readdirSync(folder), [basename(output)]);
  assert.deepEqual(readdirSync(temp), []);
}

/** The temp files a build writes beside `output` (`OUT.tmp-…` and its journals). */
export function tempsOf(output: string): string[] {
  return readdirSync(dirname(output)).filter((name) => name.startsWith(`${basename(output)}.tmp-`));
}

/** Resolves once the build's temp files beside `output` hold at least `bytes`: woken by the folder's change events, not a clock. */
export function tempFileGrown(output: string, bytes: number): Promise<void> {
  return new Promise((resolveGrown) => {
    const grown = () => tempsOf(output).some((name) => (statSync(join(dirname(output), name), { throwIfNoEntry: false })?.size ?? 0) >= bytes);
    const watcher = watch(dirname(output), () => {
      if (!grown()) return;
      watcher.close();
      resolveGrown();
    });
    if (grown()) {
      watcher.close();
      resolveGrown();
    }
  });
}
