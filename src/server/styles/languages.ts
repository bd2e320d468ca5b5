// The label languages a style can be served in, and the rewrite that puts every label in one of them.
import { InputError } from '../../errors.js';

/** Azerbaijani, English, Russian: the basemap's `name:xx` fields (data/SCHEMA.md). */
export const LANGUAGES = ['az', 'en', 'ru'] as const;
export type Language = (typeof LANGUAGES)[number];

/** `?lang=` → a language, undefined when absent (labels stay in the local `name`), 400 when unknown. */
export function parseLanguage(value: string | string[] | undefined): Language | undefined {
  if (value === undefined || value === '') return undefined;
  const text = Array.isArray(value) ? value[0] : value;
  if ((LANGUAGES as readonly string[]).includes(text)) return text as Language;
  throw new InputError('lang', `expected one of ${LANGUAGES.join(', ')}, got "${text}"`);
}

interface StyleLayer {
  layout?: Record<string, unknown>;
}

/**
 * Rewrites every label layer's text to the language's name, falling back to the local name, so that one
 * template serves all languages. Mutates and returns `layers`.
 */
export function localizeLabels<T extends StyleLayer>(layers: T[], language: Language): T[] {
  for (const layer of layers) {
    if (layer.layout && 'text-field' in layer.layout) {
      layer.layout['text-field'] = ['coalesce', ['get', `name:${language}`], ['get', 'name']];
    }
  }
  return layers;
}
