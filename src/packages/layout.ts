// How an offline package folder is laid out, and how to recognise one (for `mekan serve DIR`).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const MANIFEST = 'manifest.json';
/** The manifest's `kind`: what marks a folder as a Mekan offline package. */
export const PACKAGE_KIND = 'mekan-offline-package';

/** Where a package keeps its archives, styles (STYLE/style.json with its sprites) and glyph ranges. */
export function packageFolders(dir: string): { tiles: string; styles: string; fonts: string } {
  return { tiles: join(dir, 'tiles'), styles: join(dir, 'styles'), fonts: join(dir, 'fonts') };
}

/** Whether `dir` holds a package manifest. */
export function isPackageDir(dir: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as { kind?: unknown }).kind === PACKAGE_KIND;
  } catch {
    return false;
  }
}
