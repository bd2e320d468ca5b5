// Makes styles/<variant>.json, the MapLibre style templates the server fills in, from one layer list and four palettes.
//
// Run when the layer list or a palette changes (the output is committed and is what the server reads):
//   npx tsc -p tsconfig.json && node dist/scripts/build-styles.js
// Templates name sources, sprite and glyphs with `mekan://` URLs; the server resolves them against its
// public URL (src/server/styles/resolveStyle.ts). Layers use the basemap schema in data/SCHEMA.md.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

interface Palette {
  title: string;
  background: string;
  foreign: string;
  water: string;
  waterway: string;
  boundary: string;
  boundaryCasing: string;
  subdivision: string;
  text: string;
  placeHalo: string;
  waterText: string;
  /** The hybrid style: imagery under everything but water. */
  imagery?: boolean;
  /** Where the style opens (default: Azerbaijan at zoom 6). */
  center?: [number, number];
  zoom?: number;
}

export const PALETTES: Record<string, Palette> = {
  standard: {
    title: 'Mekan standard',
    background: '#f4f1ea',
    foreign: '#e7e3da',
    water: '#a9cfe0',
    waterway: '#88bdd6',
    boundary: '#8c6b93',
    boundaryCasing: '#e7d6ea',
    subdivision: '#a898ad',
    text: '#3b3230',
    placeHalo: '#ffffff',
    waterText: '#3a6f8f',
  },
  grey: {
    title: 'Mekan grey',
    background: '#f3f3f3',
    foreign: '#e6e6e6',
    water: '#cfd4d8',
    waterway: '#bfc6cc',
    boundary: '#8a8a8a',
    boundaryCasing: '#e2e2e2',
    subdivision: '#b5b5b5',
    text: '#444444',
    placeHalo: '#ffffff',
    waterText: '#7a8288',
  },
  dark: {
    title: 'Mekan dark',
    background: '#2a2e35',
    foreign: '#1f2228',
    water: '#11202e',
    waterway: '#1d3448',
    boundary: '#8d8fa3',
    boundaryCasing: '#3a3e48',
    subdivision: '#565a66',
    text: '#d8d8d8',
    placeHalo: '#1c1f24',
    waterText: '#6d8fae',
  },
  imagery: {
    title: 'Mekan imagery (hybrid)',
    background: '#3b3d33',
    foreign: '#34362e',
    water: '#14304a',
    waterway: '#6fa8d6',
    boundary: '#f2e14c',
    boundaryCasing: '#00000066',
    subdivision: '#f2e14ccc',
    text: '#ffffff',
    placeHalo: '#202020',
    waterText: '#bfe0ff',
    imagery: true,
    // The bundled imagery sample lies in Brazil (CBERS-2B near Eldorado, Mato Grosso do Sul): open there, so the hybrid shows imagery.
    center: [-54.309, -23.789],
    zoom: 12.5,
  },
};

/** Noto Sans first; Georgian and Armenian names fall back to their scripts' faces (the server combines the stack). */
const REGULAR = ['Noto Sans Regular', 'Noto Sans Georgian Regular', 'Noto Sans Armenian Regular'];
const BOLD = ['Noto Sans Bold', 'Noto Sans Georgian Bold', 'Noto Sans Armenian Bold'];
const ITALIC = ['Noto Sans Italic', 'Noto Sans Georgian Regular', 'Noto Sans Armenian Regular'];

const NAME = ['get', 'name'];
const SEA = ['==', ['get', 'class'], 'sea'];
const zoomRamp = (...stops: number[]) => ['interpolate', ['linear'], ['zoom'], ...stops];

/** The template of one variant, as written to styles/<variant>.json. */
export function styleTemplate(variant: string, p: Palette = PALETTES[variant]): Record<string, unknown> {
  const sources: Record<string, unknown> = {
    basemap: { type: 'vector', url: 'mekan://tiles/basemap.json' },
  };
  if (p.imagery) sources.imagery = { type: 'raster', url: 'mekan://tiles/imagery.json', tileSize: 256 };
  const layers: Record<string, unknown>[] = [
    { id: 'background', type: 'background', paint: { 'background-color': p.background } },
    {
      id: 'country-foreign',
      type: 'fill',
      source: 'basemap',
      'source-layer': 'country',
      filter: ['==', ['get', 'class'], 'foreign'],
      paint: { 'fill-color': p.foreign },
    },
    { id: 'water', type: 'fill', source: 'basemap', 'source-layer': 'water', paint: { 'fill-color': p.water } },
  ];
  if (p.imagery) layers.push({ id: 'imagery', type: 'raster', source: 'imagery', paint: { 'raster-fade-duration': 0 } });
  layers.push(
    {
      id: 'waterway',
      type: 'line',
      source: 'basemap',
      'source-layer': 'waterway',
      minzoom: 3,
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': p.waterway, 'line-width': zoomRamp(3, 0.6, 8, 1.5, 10, 2.5) },
    },
    {
      id: 'boundary-subdivision',
      type: 'line',
      source: 'basemap',
      'source-layer': 'boundary',
      minzoom: 5,
      filter: ['>=', ['get', 'admin_level'], 3],
      layout: { 'line-join': 'round' },
      paint: {
        'line-color': p.subdivision,
        'line-width': ['case', ['==', ['get', 'admin_level'], 3], 1.2, 0.7],
        'line-dasharray': [3, 2],
      },
    },
    {
      id: 'boundary-country-casing',
      type: 'line',
      source: 'basemap',
      'source-layer': 'boundary',
      filter: ['==', ['get', 'admin_level'], 2],
      layout: { 'line-join': 'round', 'line-cap': 'round' },
      paint: { 'line-color': p.boundaryCasing, 'line-width': zoomRamp(0, 2, 6, 5, 10, 8) },
    },
    {
      id: 'boundary-country',
      type: 'line',
      source: 'basemap',
      'source-layer': 'boundary',
      filter: ['all', ['==', ['get', 'admin_level'], 2], ['!=', ['get', 'disputed'], 1]],
      layout: { 'line-join': 'round', 'line-cap': 'round' },
      paint: { 'line-color': p.boundary, 'line-width': zoomRamp(0, 0.6, 6, 1.4, 10, 2.2) },
    },
    {
      id: 'boundary-disputed',
      type: 'line',
      source: 'basemap',
      'source-layer': 'boundary',
      filter: ['all', ['==', ['get', 'admin_level'], 2], ['==', ['get', 'disputed'], 1]],
      paint: { 'line-color': p.boundary, 'line-width': zoomRamp(0, 0.6, 6, 1.4, 10, 2.2), 'line-dasharray': [2, 2] },
    },
    {
      id: 'waterway-label',
      type: 'symbol',
      source: 'basemap',
      'source-layer': 'waterway',
      minzoom: 6,
      layout: {
        'symbol-placement': 'line',
        'text-field': NAME,
        'text-font': ITALIC,
        'text-size': 11,
        'text-letter-spacing': 0.05,
      },
      paint: { 'text-color': p.waterText, 'text-halo-color': p.placeHalo, 'text-halo-width': 1.2 },
    },
    {
      id: 'water-name',
      type: 'symbol',
      source: 'basemap',
      'source-layer': 'water_name',
      layout: {
        'text-field': NAME,
        'text-font': ITALIC,
        // One zoom ramp whose stops depend on the class: expressions allow a single zoom interpolation.
        'text-size': ['interpolate', ['linear'], ['zoom'], 3, ['case', SEA, 12, 10], 10, ['case', SEA, 18, 14]],
        'text-letter-spacing': ['case', SEA, 0.2, 0.05],
        'text-max-width': 6,
        'symbol-sort-key': ['get', 'rank'],
      },
      paint: { 'text-color': p.waterText, 'text-halo-color': p.placeHalo, 'text-halo-width': 1 },
    },
    {
      id: 'place-town',
      type: 'symbol',
      source: 'basemap',
      'source-layer': 'place',
      minzoom: 5,
      filter: ['match', ['get', 'class'], ['town', 'village'], true, false],
      layout: {
        'icon-image': 'circle-stroked',
        'icon-size': 0.6,
        'text-field': NAME,
        'text-font': REGULAR,
        'text-size': zoomRamp(5, 10, 10, 13),
        'text-anchor': 'top',
        'text-offset': [0, 0.5],
        'text-max-width': 8,
        'symbol-sort-key': ['get', 'rank'],
      },
      paint: { 'text-color': p.text, 'text-halo-color': p.placeHalo, 'text-halo-width': 1.2 },
    },
    {
      id: 'place-city',
      type: 'symbol',
      source: 'basemap',
      'source-layer': 'place',
      filter: ['==', ['get', 'class'], 'city'],
      layout: {
        'icon-image': ['case', ['==', ['get', 'capital'], 2], 'star', 'circle'],
        'icon-size': ['case', ['==', ['get', 'capital'], 2], 0.9, 0.6],
        'text-field': NAME,
        'text-font': ['case', ['==', ['get', 'capital'], 2], ['literal', BOLD], ['literal', REGULAR]],
        'text-size': zoomRamp(3, 11, 10, 16),
        'text-anchor': 'top',
        'text-offset': [0, 0.6],
        'text-max-width': 8,
        'symbol-sort-key': ['get', 'rank'],
      },
      paint: { 'text-color': p.text, 'text-halo-color': p.placeHalo, 'text-halo-width': 1.4 },
    },
    {
      id: 'place-country',
      type: 'symbol',
      source: 'basemap',
      'source-layer': 'place',
      filter: ['==', ['get', 'class'], 'country'],
      layout: {
        'text-field': NAME,
        'text-font': BOLD,
        'text-size': zoomRamp(2, 11, 6, 16),
        'text-transform': 'uppercase',
        'text-letter-spacing': 0.12,
        'text-max-width': 7,
        'symbol-sort-key': ['get', 'rank'],
      },
      paint: { 'text-color': p.text, 'text-halo-color': p.placeHalo, 'text-halo-width': 1.6, 'text-opacity': 0.85 },
    },
  );
  return {
    version: 8,
    name: p.title,
    metadata: { 'mekan:variant': variant, 'mekan:schema': 'openmaptiles (see data/SCHEMA.md)' },
    center: p.center ?? [47.7, 40.3],
    zoom: p.zoom ?? 6,
    sources,
    sprite: `mekan://styles/${variant}/sprite`,
    glyphs: 'mekan://fonts/{fontstack}/{range}.pbf',
    layers,
  };
}

/** The file's text: what the committed template must equal (a test checks). */
export function styleTemplateText(variant: string): string {
  return JSON.stringify(styleTemplate(variant), null, 2) + '\n';
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const stylesDir = resolve(import.meta.dirname, '..', '..', 'styles');
  for (const variant of Object.keys(PALETTES)) {
    writeFileSync(join(stylesDir, `${variant}.json`), styleTemplateText(variant));
    console.log(`styles/${variant}.json`);
  }
}
