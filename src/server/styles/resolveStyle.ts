// Turns a style template into the style a client loads: `mekan://` URLs made absolute, labels in the asked language.
import { localizeLabels, type Language } from './languages.js';

export const TEMPLATE_SCHEME = 'mekan://';

export interface StyleTemplate {
  version: number;
  name?: string;
  sources: Record<string, { type: string; url?: string; tiles?: string[]; [key: string]: unknown }>;
  sprite?: string;
  glyphs?: string;
  layers: { id: string; layout?: Record<string, unknown>; [key: string]: unknown }[];
  [key: string]: unknown;
}

/** `mekan://tiles/basemap.json` → `<baseUrl>/tiles/basemap.json`; other URLs are left alone. */
export function resolveUrl(url: string, baseUrl: string): string {
  return url.startsWith(TEMPLATE_SCHEME) ? `${baseUrl}/${url.slice(TEMPLATE_SCHEME.length)}` : url;
}

/** The tileset ids a template's sources name (`mekan://tiles/{id}.json`). */
export function templateTilesets(template: StyleTemplate): string[] {
  const ids: string[] = [];
  for (const source of Object.values(template.sources)) {
    const match = /^mekan:\/\/tiles\/(.+)\.json$/.exec(source.url ?? '');
    if (match) ids.push(match[1]);
  }
  return ids;
}

/** A fresh copy of the template, ready to serve; the template itself is never changed. */
export function resolveStyle(template: StyleTemplate, baseUrl: string, language?: Language): StyleTemplate {
  const style = structuredClone(template);
  for (const source of Object.values(style.sources)) {
    if (source.url) source.url = resolveUrl(source.url, baseUrl);
    if (source.tiles) source.tiles = source.tiles.map((url) => resolveUrl(url, baseUrl));
  }
  if (style.sprite) style.sprite = resolveUrl(style.sprite, baseUrl);
  if (style.glyphs) style.glyphs = resolveUrl(style.glyphs, baseUrl);
  if (language) localizeLabels(style.layers, language);
  return style;
}
