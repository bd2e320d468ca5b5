// A second, independent glyph PBF reader for the tests: MapLibre's glyphs.proto as fontnik ships it, compiled by
// pbf's own schema compiler. It shares no code with src/server/glyphs/glyphPbf.ts, so a bug there cannot hide here.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import parseSchema from 'protocol-buffers-schema';
import { compile } from 'pbf/compile';
import { PbfReader } from 'pbf';

export interface ReferenceGlyph {
  id: number;
  bitmap?: Uint8Array;
  width: number;
  height: number;
  left: number;
  top: number;
  advance: number;
}

export interface ReferenceFontstack {
  name: string;
  range: string;
  glyphs: ReferenceGlyph[];
}

const schemaPath = createRequire(import.meta.url).resolve('fontnik/proto/glyphs.proto');
const messages = compile(parseSchema(readFileSync(schemaPath, 'utf8'))) as { readglyphs(pbf: PbfReader): { stacks: ReferenceFontstack[] } };

/** Every fontstack in a glyph PBF, as the schema defines it. */
export function readGlyphsWithSchema(bytes: Uint8Array): ReferenceFontstack[] {
  return messages.readglyphs(new PbfReader(bytes)).stacks;
}
