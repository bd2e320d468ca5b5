// The files of an offline package on disk: its manifest (every file with size and SHA-256) and its .zip form.
import { createReadStream, createWriteStream, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, relative, sep } from 'node:path';
import { Zip, ZipDeflate, ZipPassThrough } from 'fflate';

import { MANIFEST, PACKAGE_KIND } from './layout.js';

export { MANIFEST, PACKAGE_KIND };

export interface ManifestFile {
  path: string;
  bytes: number;
  sha256: string;
}

/** Every file under `dir`, as forward-slash paths relative to it, sorted. */
export function filesUnder(dir: string): string[] {
  const files: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) files.push(relative(dir, path).split(sep).join('/'));
    }
  };
  walk(dir);
  return files.sort();
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Writes `manifest.json`: `details` and the list of every other file with its size and SHA-256. */
export async function writeManifest(dir: string, details: Record<string, unknown>): Promise<ManifestFile[]> {
  const files: ManifestFile[] = [];
  for (const path of filesUnder(dir).filter((file) => file !== MANIFEST)) {
    files.push({ path, bytes: statSync(join(dir, path)).size, sha256: await sha256Of(join(dir, path)) });
  }
  writeFileSync(join(dir, MANIFEST), JSON.stringify({ kind: PACKAGE_KIND, version: 1, ...details, files }, null, 2) + '\n');
  return files;
}

/** Files already compressed (gzipped tiles in SQLite, PNG, glyph ranges are small) go in stored; JSON is deflated. */
function deflates(path: string): boolean {
  return path.endsWith('.json');
}

/**
 * Zips `dir` into `output`, streaming file by file (an archive of gigabytes never sits in memory), manifest first
 * so that a reader can check the rest as it unpacks.
 */
export async function zipFolder(dir: string, output: string): Promise<void> {
  const out = createWriteStream(output);
  const done = new Promise<void>((resolve, reject) => {
    out.on('finish', resolve);
    out.on('error', reject);
  });
  let failure: Error | undefined;
  const zip = new Zip((error, chunk, final) => {
    if (error) {
      failure = error;
      out.destroy(error);
      return;
    }
    out.write(chunk);
    if (final) out.end();
  });
  const files = filesUnder(dir);
  for (const path of [MANIFEST, ...files.filter((file) => file !== MANIFEST)]) {
    const entry = deflates(path) ? new ZipDeflate(path, { level: 6 }) : new ZipPassThrough(path);
    zip.add(entry);
    if (deflates(path)) {
      entry.push(readFileSync(join(dir, path)), true);
      continue;
    }
    const stream = createReadStream(join(dir, path), { highWaterMark: 1 << 20 });
    let previous: Uint8Array | undefined;
    for await (const chunk of stream) {
      if (previous) entry.push(previous);
      previous = chunk as Buffer;
      // Let the file stream drain rather than queue the whole archive in memory.
      if (out.writableNeedDrain) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
    entry.push(previous ?? new Uint8Array(0), true);
  }
  zip.end();
  await done;
  if (failure) throw failure;
}
