// The fonts on disk (one folder of glyph ranges per font) and font stacks combined from them, font by font.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../errors.js';
import { decodeGlyphs, encodeGlyphs, type Glyph } from './glyphPbf.js';
import { LruCache } from './lruCache.js';

const RANGE = /^(\d{1,5})-(\d{1,5})\.pbf$/;

/**
 * A stack longer than this is refused before any work (400): styles name two or three fonts, and every font
 * in a stack costs a decode, so an unbounded stack let one URL cost 0.3 s of CPU (450 names in 10 KB).
 */
export const MAX_FONTS_IN_STACK = 8;
/** Font names are short; this bounds the splitting work too. */
const MAX_FONTSTACK_LENGTH = MAX_FONTS_IN_STACK * 128;

/** Parses `{start}-{end}.pbf`; a range must be one of the 256 aligned blocks of the Basic Multilingual Plane. */
export function parseGlyphRange(text: string): { start: number; end: number } {
  const match = RANGE.exec(text);
  if (!match) throw new InputError(text, 'expected {start}-{end}.pbf');
  const start = Number(match[1]);
  const end = Number(match[2]);
  if (start % 256 !== 0 || end !== start + 255 || end > 65535) {
    throw new InputError(text, 'a glyph range starts at a multiple of 256 and ends 255 later, at most 65535');
  }
  return { start, end };
}

export class FontLibrary {
  /** Font name → the range starts it has files for. Fonts are looked up here, never joined into paths unchecked. */
  private readonly fonts = new Map<string, Set<number>>();
  private readonly combined = new LruCache<string, Uint8Array>(512);
  /** Decoded range files by `font|start`: a stack in a new order or combination reuses them instead of decoding again. */
  private readonly decoded = new LruCache<string, Glyph[]>(256);

  constructor(private readonly dir: string) {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      // A folder named after a whole stack (`A,B`) is an offline package's copy for MapLibre Native; stacks are combined here.
      if (name.includes(',') || !statSync(join(dir, name)).isDirectory()) continue;
      const starts = new Set<number>();
      for (const file of readdirSync(join(dir, name))) {
        const match = RANGE.exec(file);
        if (match) starts.add(Number(match[1]));
      }
      this.fonts.set(name, starts);
    }
  }

  /** Font names, sorted. */
  names(): string[] {
    return [...this.fonts.keys()].sort();
  }

  /**
   * The glyphs of `fontstack` (comma-separated font names) for the range starting at `start`: each code
   * point from the first font in the stack that has it. A range no font covers is a valid empty range.
   */
  glyphs(fontstack: string, start: number): Uint8Array {
    if (fontstack.length > MAX_FONTSTACK_LENGTH) throw new InputError('font stack', `longer than ${MAX_FONTSTACK_LENGTH} characters`);
    const listed = fontstack.split(',', MAX_FONTS_IN_STACK + 1);
    if (listed.length > MAX_FONTS_IN_STACK) throw new InputError('font stack', `more than ${MAX_FONTS_IN_STACK} fonts`);
    // A font named twice adds nothing: the first mention decides.
    const names = [...new Set(listed.map((name) => name.trim()))];
    for (const name of names) {
      if (!this.fonts.has(name)) throw new InputError(`font "${name}"`, 'not found', 404);
    }
    const key = `${names.join(',')}|${start}`;
    const cached = this.combined.get(key);
    if (cached) return cached;
    const range = `${start}-${start + 255}`;
    const chosen = new Map<number, Glyph>();
    for (const name of names) {
      if (!this.fonts.get(name)!.has(start)) continue;
      for (const glyph of this.fontRange(name, start)) if (!chosen.has(glyph.id)) chosen.set(glyph.id, glyph);
    }
    const bytes = encodeGlyphs({ name: names.join(','), range, glyphs: [...chosen.values()] });
    this.combined.set(key, bytes);
    return bytes;
  }

  private fontRange(name: string, start: number): Glyph[] {
    const key = `${name}|${start}`;
    let glyphs = this.decoded.get(key);
    if (!glyphs) {
      glyphs = decodeGlyphs(readFileSync(join(this.dir, name, `${start}-${start + 255}.pbf`))).glyphs;
      this.decoded.set(key, glyphs);
    }
    return glyphs;
  }
}
