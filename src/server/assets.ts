// Where the bundled styles, glyphs and sprites live: styles/ at the package root, beside dist/.
import { fileURLToPath } from 'node:url';

/** `<package>/styles`, found from this file's place in dist/src/server/ (or src/server/ under a TS runner). */
export const STYLES_DIR = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../../styles' : '../../styles', import.meta.url));

/**
 * One library (styles, fonts) per folder, opened on first use: a route module serves every app of a process, and an
 * offline package brings its own folder.
 */
export function libraryPerFolder<T>(open: (dir: string) => T): (dir: string) => T {
  const libraries = new Map<string, T>();
  return (dir) => {
    let library = libraries.get(dir);
    if (!library) libraries.set(dir, (library = open(dir)));
    return library;
  };
}
