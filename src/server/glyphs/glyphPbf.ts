// Reads and writes glyph range PBFs (MapLibre's glyphs.proto: glyphs{stacks{name, range, glyphs{id, bitmap, metrics}}}).
import { PbfReader, PbfWriter } from 'pbf';

/** One signed-distance-field glyph; `bitmap` is absent for glyphs that draw nothing (spaces). */
export interface Glyph {
  id: number;
  bitmap?: Uint8Array;
  width: number;
  height: number;
  left: number;
  top: number;
  advance: number;
}

/** One font stack's glyphs for one 256-codepoint range. */
export interface GlyphRange {
  name: string;
  range: string;
  glyphs: Glyph[];
}

function readGlyph(tag: number, glyph: Glyph, pbf: PbfReader): void {
  if (tag === 1) glyph.id = pbf.readVarint();
  else if (tag === 2) glyph.bitmap = pbf.readBytes();
  else if (tag === 3) glyph.width = pbf.readVarint();
  else if (tag === 4) glyph.height = pbf.readVarint();
  else if (tag === 5) glyph.left = pbf.readSVarint();
  else if (tag === 6) glyph.top = pbf.readSVarint();
  else if (tag === 7) glyph.advance = pbf.readVarint();
}

function readStack(tag: number, stack: GlyphRange, pbf: PbfReader): void {
  if (tag === 1) stack.name = pbf.readString();
  else if (tag === 2) stack.range = pbf.readString();
  else if (tag === 3) stack.glyphs.push(pbf.readMessage(readGlyph, { id: 0, width: 0, height: 0, left: 0, top: 0, advance: 0 }));
}

/** Decodes a glyph PBF; the files Mekan serves hold one stack each, so the stacks' glyphs are merged. */
export function decodeGlyphs(bytes: Uint8Array): GlyphRange {
  const stacks: GlyphRange[] = [];
  new PbfReader(bytes).readFields(
    (tag, list, pbf) => {
      if (tag === 1) list.push(pbf.readMessage(readStack, { name: '', range: '', glyphs: [] }));
    },
    stacks,
  );
  return {
    name: stacks.map((stack) => stack.name).join(','),
    range: stacks[0]?.range ?? '',
    glyphs: stacks.flatMap((stack) => stack.glyphs),
  };
}

function writeGlyph(glyph: Glyph, pbf: PbfWriter): void {
  pbf.writeVarintField(1, glyph.id);
  if (glyph.bitmap) pbf.writeBytesField(2, glyph.bitmap);
  pbf.writeVarintField(3, glyph.width);
  pbf.writeVarintField(4, glyph.height);
  pbf.writeSVarintField(5, glyph.left);
  pbf.writeSVarintField(6, glyph.top);
  pbf.writeVarintField(7, glyph.advance);
}

/** Encodes one stack; glyphs are written in code-point order, as the tools that make these files do. */
export function encodeGlyphs(stack: GlyphRange): Uint8Array {
  const pbf = new PbfWriter();
  pbf.writeMessage(
    1,
    (value: GlyphRange, writer: PbfWriter) => {
      writer.writeStringField(1, value.name);
      writer.writeStringField(2, value.range);
      for (const glyph of [...value.glyphs].sort((a, b) => a.id - b.id)) writer.writeMessage(3, writeGlyph, glyph);
    },
    stack,
  );
  return pbf.finish();
}
