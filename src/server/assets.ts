// Where the bundled styles, glyphs and sprites live: styles/ at the package root, beside dist/.
import { fileURLToPath } from 'node:url';

/** `<package>/styles`, found from this file's place in dist/src/server/ (or src/server/ under a TS runner). */
export const STYLES_DIR = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../../styles' : '../../styles', import.meta.url));
