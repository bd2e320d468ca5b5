// Makes styles/sprites/<style>/sprite{,@2x}.{png,json}: Maki icons (CC0) in each style's colours, packed into one sheet.
//
// Run by a maintainer when the icon list or colours change (the output is committed):
//   npx tsc -p tsconfig.json && node dist/scripts/build-sprites.js
// Icons are rendered with sharp (librsvg) at 1x and 2x; a halo in the style's background colour keeps
// them readable over water, boundaries and imagery.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';

/** The icons in every sheet. The styles use star (capitals), circle (cities) and circle-stroked (towns). */
export const SPRITE_ICONS = [
  'star',
  'star-stroked',
  'circle',
  'circle-stroked',
  'square',
  'square-stroked',
  'triangle',
  'triangle-stroked',
  'marker',
  'city',
  'town',
  'village',
  'airport',
  'harbor',
  'mountain',
  'water',
];

/** Icon and halo colours per style variant. */
const PALETTES: Record<string, { fill: string; halo: string }> = {
  standard: { fill: '#5b4a3f', halo: '#ffffff' },
  grey: { fill: '#555555', halo: '#ffffff' },
  dark: { fill: '#d8d8d8', halo: '#1c1f24' },
  imagery: { fill: '#ffffff', halo: '#202020' },
};

const MAKI_SIZE = 15;
const HALO = 1.5;
const PADDING = 1;

const root = resolve(import.meta.dirname, '..', '..');
const makiDir = join(root, 'node_modules', '@mapbox', 'maki', 'icons');

/** Wraps a Maki icon's shapes in a group with the palette's fill and a halo stroke drawn under the fill. */
function recolour(svg: string, palette: { fill: string; halo: string }): string {
  const inner = svg.replace(/^[\s\S]*?<svg[^>]*>/, '').replace(/<\/svg>\s*$/, '');
  const size = MAKI_SIZE + 2 * HALO;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="${-HALO} ${-HALO} ${size} ${size}">` +
    `<g fill="${palette.fill}" stroke="${palette.halo}" stroke-width="${2 * HALO}" stroke-linejoin="round" paint-order="stroke">` +
    `${inner}</g></svg>`
  );
}

interface SpriteEntry {
  width: number;
  height: number;
  x: number;
  y: number;
  pixelRatio: number;
}

async function buildSheet(style: string, pixelRatio: number): Promise<void> {
  const palette = PALETTES[style];
  const images = await Promise.all(
    SPRITE_ICONS.map(async (icon) => {
      const svg = recolour(readFileSync(join(makiDir, `${icon}.svg`), 'utf8'), palette);
      const { data, info } = await sharp(Buffer.from(svg), { density: 72 * pixelRatio }).png().toBuffer({ resolveWithObject: true });
      return { icon, data, width: info.width, height: info.height };
    }),
  );
  // All Maki icons share one size, so a fixed grid packs them without waste.
  const cell = Math.max(...images.map((image) => Math.max(image.width, image.height))) + 2 * PADDING * pixelRatio;
  const columns = Math.ceil(Math.sqrt(images.length));
  const rows = Math.ceil(images.length / columns);
  const index: Record<string, SpriteEntry> = {};
  const composites = images.map((image, i) => {
    const x = (i % columns) * cell + PADDING * pixelRatio;
    const y = Math.floor(i / columns) * cell + PADDING * pixelRatio;
    index[image.icon] = { width: image.width, height: image.height, x, y, pixelRatio };
    return { input: image.data, left: x, top: y };
  });
  const sheet = await sharp({ create: { width: columns * cell, height: rows * cell, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
    .composite(composites)
    .png({ compressionLevel: 9 })
    .toBuffer();
  const dir = join(root, 'styles', 'sprites', style);
  mkdirSync(dir, { recursive: true });
  const suffix = pixelRatio === 1 ? '' : `@${pixelRatio}x`;
  writeFileSync(join(dir, `sprite${suffix}.png`), sheet);
  writeFileSync(join(dir, `sprite${suffix}.json`), JSON.stringify(index, null, 1) + '\n');
  console.log(`styles/sprites/${style}/sprite${suffix}: ${images.length} icons, ${columns * cell}x${rows * cell} px, ${sheet.length} bytes`);
}

for (const style of Object.keys(PALETTES)) {
  for (const pixelRatio of [1, 2]) await buildSheet(style, pixelRatio);
}
