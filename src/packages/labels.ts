// Which characters a style's labels need inside a package: the label layers' fonts, and the text their features carry.
import { gunzipSync } from 'node:zlib';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import type { TileArchiveReader } from '../archive/types.js';
import { isGzip } from '../archive/types.js';

interface StyleLayer {
  type?: string;
  source?: string;
  'source-layer'?: string;
  layout?: Record<string, unknown>;
}

/** A label layer: where its features come from, which properties its text reads, and its font stacks. */
export interface LabelLayer {
  source: string;
  sourceLayer: string;
  fields: Set<string>;
  fontstacks: string[][];
  /** Text written into the style itself (literals in text-field). */
  literals: string[];
}

/** MapLibre's default when a symbol layer names no font. */
const DEFAULT_FONTSTACK = ['Open Sans Regular', 'Arial Unicode MS Regular'];

/** Walks an expression (or a legacy `{field}` string) for the properties it reads and the literal text it holds. */
function readExpression(value: unknown, fields: Set<string>, literals: string[]): void {
  if (typeof value === 'string') {
    const tokens = [...value.matchAll(/\{([^}]+)\}/g)];
    for (const token of tokens) fields.add(token[1]);
    const rest = value.replace(/\{[^}]+\}/g, '');
    if (rest) literals.push(rest);
    return;
  }
  if (!Array.isArray(value)) return;
  if (value[0] === 'get' && typeof value[1] === 'string') {
    fields.add(value[1]);
    return;
  }
  const [operator, ...operands] = value;
  if (operator === 'literal') {
    if (typeof operands[0] === 'string') literals.push(operands[0]);
    return;
  }
  for (const operand of operands) readExpression(operand, fields, literals);
}

/** Every array of strings in a `text-font` value (a literal stack, or the stacks a `case`/`match` chooses from). */
function fontstacksOf(value: unknown): string[][] {
  if (value === undefined) return [DEFAULT_FONTSTACK];
  if (!Array.isArray(value)) return [];
  if (value.length > 0 && value.every((item) => typeof item === 'string') && !['literal', 'get', 'case', 'match', 'coalesce', 'step'].includes(value[0] as string)) return [value as string[]];
  return value.flatMap((item) => (Array.isArray(item) ? fontstacksOf(item) : []));
}

/**
 * The style's label layers. A label's text may be shown in any of the served languages (`?lang=`), so every
 * `name…` property counts as read too.
 */
export function labelLayers(layers: StyleLayer[]): LabelLayer[] {
  const found: LabelLayer[] = [];
  for (const layer of layers) {
    const textField = layer.layout?.['text-field'];
    if (layer.type !== 'symbol' || textField === undefined || !layer.source) continue;
    const fields = new Set<string>();
    const literals: string[] = [];
    readExpression(textField, fields, literals);
    found.push({ source: layer.source, sourceLayer: layer['source-layer'] ?? '', fields, fontstacks: fontstacksOf(layer.layout?.['text-font']), literals });
  }
  return found;
}

function addText(text: string, codePoints: Set<number>): void {
  for (const character of text) codePoints.add(character.codePointAt(0)!);
}

/** Code points of the label text that the features of `archive` (vector tiles) give `layers` (all of one source). */
export async function labelCodePoints(archive: TileArchiveReader, layers: LabelLayer[], codePoints: Set<number>): Promise<void> {
  if (layers.length === 0 || archive.metadata.format !== 'pbf') return;
  const fieldsByLayer = new Map<string, Set<string>>();
  for (const layer of layers) {
    const fields = fieldsByLayer.get(layer.sourceLayer) ?? new Set<string>();
    for (const field of layer.fields) fields.add(field);
    fieldsByLayer.set(layer.sourceLayer, fields);
  }
  for await (const tile of archive.tiles()) {
    const vectorTile = new VectorTile(new PbfReader(isGzip(tile.data) ? gunzipSync(tile.data) : tile.data));
    for (const [name, fields] of fieldsByLayer) {
      const layer = vectorTile.layers[name];
      if (!layer) continue;
      for (let i = 0; i < layer.length; i++) {
        for (const [key, value] of Object.entries(layer.feature(i).properties)) {
          if (typeof value === 'string' && (fields.has(key) || key === 'name' || key.startsWith('name:') || key.startsWith('name_'))) addText(value, codePoints);
        }
      }
    }
  }
  for (const layer of layers) for (const literal of layer.literals) addText(literal, codePoints);
}

/** The glyph ranges (starts, multiples of 256) holding `codePoints`, basic Latin and Latin-1 (0–255) always. */
export function glyphRangeStarts(codePoints: Iterable<number>): number[] {
  const starts = new Set<number>([0]);
  for (const codePoint of codePoints) if (codePoint <= 0xffff) starts.add(codePoint - (codePoint % 256));
  return [...starts].sort((a, b) => a - b);
}
