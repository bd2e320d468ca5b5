// Makes styles/fonts/<Font Name>/<start>-<end>.pbf, the glyph ranges the server combines into font stacks.
//
// Run by a maintainer when the font list changes (the output is committed):
//   npx tsc -p tsconfig.json && node dist/scripts/build-glyphs.js [FONT_DIR]
// FONT_DIR defaults to Debian's fonts-noto-core folder (/usr/share/fonts/truetype/noto). Uses npm's
// fontnik (build-glyphs), which carries its own binary and renders each TTF's 256 ranges as SDF glyphs.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeGlyphs } from '../src/server/glyphs/glyphPbf.js';

/** Noto Sans for Latin, Cyrillic and Greek; the Georgian and Armenian faces fill in the neighbours' scripts. */
const FONT_FILES = [
  'NotoSans-Regular.ttf',
  'NotoSans-Bold.ttf',
  'NotoSans-Italic.ttf',
  'NotoSansGeorgian-Regular.ttf',
  'NotoSansGeorgian-Bold.ttf',
  'NotoSansArmenian-Regular.ttf',
  'NotoSansArmenian-Bold.ttf',
];

const root = resolve(import.meta.dirname, '..', '..');
const fontDir =
  process.argv[2] ??
  ['/usr/share/fonts/truetype/noto', '/tmp/debs/x/usr/share/fonts/truetype/noto'].find((dir) =>
    existsSync(join(dir, FONT_FILES[0])),
  );
if (!fontDir) throw new Error('Noto fonts not found; pass their folder (Debian package fonts-noto-core)');
const buildGlyphs = join(root, 'node_modules', 'fontnik', 'bin', 'build-glyphs');
const outRoot = join(root, 'styles', 'fonts');

let total = 0;
for (const file of FONT_FILES) {
  const work = mkdtempSync(join(tmpdir(), 'mekan-glyphs-'));
  try {
    execFileSync(process.execPath, [buildGlyphs, join(fontDir, file), work], { stdio: ['ignore', 'ignore', 'inherit'] });
    let fontName = '';
    let kept = 0;
    let bytes = 0;
    for (const rangeFile of readdirSync(work).filter((name) => name.endsWith('.pbf'))) {
      const data = readFileSync(join(work, rangeFile));
      const range = decodeGlyphs(data);
      // Only ranges with glyphs are committed; the server answers the others with an empty range.
      if (range.glyphs.length === 0) continue;
      fontName = range.name;
      const dir = join(outRoot, fontName);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, rangeFile), data);
      kept += 1;
      bytes += data.length;
    }
    total += bytes;
    console.log(`${file} → styles/fonts/${fontName}/: ${kept} ranges, ${(bytes / 1024).toFixed(0)} KiB`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
console.log(`total ${(total / 1024 / 1024).toFixed(1)} MiB`);
