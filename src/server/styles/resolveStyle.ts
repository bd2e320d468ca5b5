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

const ABSOLUTE = /^([a-z][a-z0-9+.-]*:|\/)/i;

/**
 * `mekan://tiles/basemap.json` → `<baseUrl>/tiles/basemap.json`. A relative URL (an offline package's style:
 * `../../tiles/basemap.json`, `sprite`) is resolved against `styleFolder`, the style's folder under the base URL
 * (`styles/standard`), by path segments: URL() would percent-encode the `{fontstack}` and `{z}` placeholders.
 * Absolute URLs are left alone.
 */
export function resolveUrl(url: string, baseUrl: string, styleFolder?: string): string {
  if (url.startsWith(TEMPLATE_SCHEME)) return `${baseUrl}/${url.slice(TEMPLATE_SCHEME.length)}`;
  if (styleFolder === undefined || ABSOLUTE.test(url)) return url;
  const segments = styleFolder.split('/').filter(Boolean);
  let rest = url;
  for (;;) {
    if (rest.startsWith('./')) rest = rest.slice(2);
    else if (rest.startsWith('../')) {
      rest = rest.slice(3);
      segments.pop();
    } else break;
  }
  return [baseUrl, ...segments, rest].join('/');
}

/** The tileset ids a template's sources name (`mekan://tiles/{id}.json`, or `../../tiles/{id}.json` in an offline package). */
export function templateTilesets(template: StyleTemplate): string[] {
  const ids: string[] = [];
  for (const source of Object.values(template.sources)) {
    const match = /^(?:mekan:\/\/|(?:\.\.\/)+)tiles\/(.+)\.json$/.exec(source.url ?? '');
    if (match) ids.push(match[1]);
  }
  return ids;
}

/** A fresh copy of the template, ready to serve; the template itself is never changed. */
export function resolveStyle(template: StyleTemplate, baseUrl: string, language?: Language, styleFolder?: string): StyleTemplate {
  const style = structuredClone(template);
  for (const source of Object.values(style.sources)) {
    if (source.url) source.url = resolveUrl(source.url, baseUrl, styleFolder);
    if (source.tiles) source.tiles = source.tiles.map((url) => resolveUrl(url, baseUrl, styleFolder));
  }
  if (style.sprite) style.sprite = resolveUrl(style.sprite, baseUrl, styleFolder);
  if (style.glyphs) style.glyphs = resolveUrl(style.glyphs, baseUrl, styleFolder);
  if (language) localizeLabels(style.layers, language);
  return style;
}
