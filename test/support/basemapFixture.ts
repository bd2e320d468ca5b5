// Builds the bundled basemap (and a small imagery archive) from data/ with the real CLI, and runs a real server over them.
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { MekanApp } from '../../src/server/app.js';
import { createLogger } from '../../src/server/logger.js';
import { startServer } from './server.js';

const run = promisify(execFile);

/** The repository root, from dist/test/support/. */
export const ROOT = resolve(import.meta.dirname, '..', '..', '..');

/** `mekan build vector --recipe scripts/basemap.recipe.yaml` into `dir/basemap.mbtiles`. */
export async function buildBasemap(dir: string): Promise<string> {
  const output = join(dir, 'basemap.mbtiles');
  await run(process.execPath, [join(ROOT, 'bin', 'mekan.js'), 'build', 'vector', '--recipe', join(ROOT, 'scripts', 'basemap.recipe.yaml'), '-o', output, '--quiet', '--workers', '2']);
  return output;
}

/** The 20 m CBERS colour scene only, at its two native zooms: enough for the hybrid style's source. */
export async function buildImagery(dir: string): Promise<string> {
  const output = join(dir, 'imagery.mbtiles');
  await run(process.execPath, [join(ROOT, 'bin', 'mekan.js'), 'build', 'raster', join(ROOT, 'data', 'imagery', 'cbers2b_rgb342_crop.tif'), '-o', output, '--quiet'], {
    env: { ...process.env, GTIFF_SRS_SOURCE: 'EPSG' },
  });
  return output;
}

export interface RunningMekan {
  app: MekanApp;
  url: string;
  close(): Promise<void>;
}

/** A real server on 127.0.0.1, port 0, with the default route modules; warnings logged. */
export function startMekan(paths: string[], publicUrl?: string): Promise<RunningMekan> {
  return startServer(paths, { flags: { publicUrl }, logger: createLogger('warn') });
}
