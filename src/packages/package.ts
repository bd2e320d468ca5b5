// An offline package: the extract of every tileset a style draws, the style rewritten for a local viewer and for
// MapLibre Native, the glyph ranges its labels need, its sprites, and a manifest of every file with its SHA-256.
//
// Layout (the web style's relative URLs are the server's own paths, so `mekan serve DIR` serves it as it is):
//   manifest.json                     kind, region, tilesets, files [{path, bytes, sha256}]
//   tiles/ID.mbtiles                  one extract per tileset the style draws
//   styles/STYLE/style.json           web: URLs relative to this file (../../tiles/ID.json, ../../fonts/…, sprite)
//   styles/STYLE/sprite[@2x].{png,json}
//   fonts/FONT/START-END.pbf          per font (the server combines stacks), and fonts/STACK/… combined (for Native)
//   style.native.json                 MapLibre Native: mbtiles://tiles/ID.mbtiles, fonts/…, styles/STYLE/sprite,
//                                     relative to the package folder (an app prefixes its absolute path)
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { archivesIn } from '../archive/discover.js';
import { createArchive, openArchive } from '../archive/open.js';
import { removeStaleEntries } from '../archive/tempFile.js';
import { InputError, messageOf } from '../errors.js';
import { STYLES_DIR } from '../server/assets.js';
import { FontLibrary } from '../server/glyphs/fontLibrary.js';
import { type StyleTemplate } from '../server/styles/resolveStyle.js';
import { StyleLibrary } from '../server/styles/styleLibrary.js';
import { extractTiles, type ExtractSummary } from './extract.js';
import { glyphRangeStarts, labelCodePoints, labelLayers } from './labels.js';
import { isPackageDir } from './layout.js';
import { writeManifest, zipFolder } from './packageFiles.js';
import type { Region } from './ranges.js';

export interface PackageOptions {
  /** A bundled style id (`standard`) or a style.json file whose sources are `mekan://tiles/ID.json`. */
  style: string;
  /** Archive files and folders, as `serve` takes them. */
  paths: string[];
  region: Region;
  /** A folder, or a `.zip` file. */
  output: string;
  /** Where bundled styles, sprites and fonts live (tests may point elsewhere). */
  stylesDir?: string;
  onStage?(line: string): void;
}

export interface PackageSummary {
  output: string;
  style: string;
  tilesets: { id: string; summary: ExtractSummary }[];
  fontstacks: number;
  glyphRanges: number[];
  files: number;
  bytes: number;
}

const TEMPLATE_TILES = /^mekan:\/\/tiles\/(.+)\.json$/;
const TEMPLATE_SPRITE = /^mekan:\/\/styles\/([^/]+)\/sprite$/;

interface LoadedStyle {
  id: string;
  template: StyleTemplate;
  /** Path of the sprite sheets without suffix (`…/sprite`), if the style has one. */
  sprite?: string;
}

function loadStyle(style: string, stylesDir: string): LoadedStyle {
  let id = style;
  let template: StyleTemplate;
  let base = join(stylesDir, 'sprites');
  if (style.endsWith('.json') && existsSync(style)) {
    id = basename(style, '.json').replace(/[^A-Za-z0-9_-]/g, '_');
    try {
      template = JSON.parse(readFileSync(style, 'utf8')) as StyleTemplate;
    } catch (error) {
      throw new InputError(style, `not a readable style: ${messageOf(error)}`);
    }
    if (template.version !== 8 || !Array.isArray(template.layers) || typeof template.sources !== 'object') throw new InputError(style, 'not a MapLibre style (version 8 with sources and layers)');
    base = dirname(resolve(style));
  } else {
    template = new StyleLibrary(stylesDir).template(style);
  }
  let sprite: string | undefined;
  if (typeof template.sprite === 'string') {
    const bundled = TEMPLATE_SPRITE.exec(template.sprite);
    if (bundled) sprite = join(stylesDir, 'sprites', bundled[1], 'sprite');
    else if (!/^[a-z][a-z0-9+.-]*:/i.test(template.sprite)) sprite = resolve(base, template.sprite);
    else throw new InputError(`style "${id}"`, `its sprite ${template.sprite} is not a local file; an offline package cannot hold it`);
  } else if (template.sprite !== undefined) {
    throw new InputError(`style "${id}"`, 'several sprites are not supported in a package');
  }
  if (template.glyphs !== undefined && !template.glyphs.startsWith('mekan://fonts/')) throw new InputError(`style "${id}"`, `its glyphs ${template.glyphs} are not Mekan's fonts; an offline package cannot hold them`);
  return { id, template, sprite };
}

/** source name → tileset id, for every source of the style (each must be a Mekan tileset). */
function styleTilesets(style: LoadedStyle): Map<string, string> {
  const tilesets = new Map<string, string>();
  for (const [name, source] of Object.entries(style.template.sources)) {
    const match = TEMPLATE_TILES.exec(source.url ?? '');
    if (!match) throw new InputError(`style "${style.id}" source "${name}"`, 'is not a Mekan tileset (mekan://tiles/ID.json); an offline package cannot hold it');
    tilesets.set(name, match[1]);
  }
  return tilesets;
}

/** A folder output may replace an earlier package, never anything else. */
function checkOutput(output: string): void {
  if (!existsSync(output)) return;
  if (output.endsWith('.zip')) {
    if (statSync(output).isDirectory()) throw new InputError(output, 'output path is a folder');
    return;
  }
  if (!statSync(output).isDirectory()) throw new InputError(output, 'exists and is a file; a package goes into a folder or a .zip');
  if (readdirSync(output).length > 0 && !isPackageDir(output)) throw new InputError(output, 'exists and is not a Mekan package; give a new folder');
}

function copySprites(sprite: string, target: string): void {
  for (const file of ['sprite.json', 'sprite.png', 'sprite@2x.json', 'sprite@2x.png']) {
    const from = sprite + file.slice('sprite'.length);
    if (!existsSync(from)) throw new InputError(from, 'sprite sheet not found (a package holds the sprites at 1x and 2x)');
    copyFileSync(from, join(target, file));
  }
}

/** Glyph ranges per font (for the server) and per stack of several fonts (for MapLibre Native, which asks for the stack's folder). */
function writeGlyphs(fonts: FontLibrary, fontsDir: string, stacks: string[][], starts: number[], target: string): void {
  const written = new Set<string>();
  for (const stack of stacks) {
    for (const font of stack) {
      if (written.has(font)) continue;
      written.add(font);
      if (!fonts.names().includes(font)) throw new InputError(`font "${font}"`, `used by the style's labels but not in ${fontsDir}`);
      mkdirSync(join(target, font), { recursive: true });
      for (const start of starts) {
        const file = `${start}-${start + 255}.pbf`;
        if (existsSync(join(fontsDir, font, file))) copyFileSync(join(fontsDir, font, file), join(target, font, file));
      }
    }
    const name = stack.join(',');
    if (stack.length < 2 || written.has(name)) continue;
    written.add(name);
    mkdirSync(join(target, name), { recursive: true });
    for (const start of starts) writeFileSync(join(target, name, `${start}-${start + 255}.pbf`), fonts.glyphs(name, start));
  }
}

/** The style for a browser served from the package (URLs relative to styles/STYLE/style.json), centred on the region. */
function webStyle(template: StyleTemplate, tilesets: Map<string, string>, centre: [number, number], zooms: [number, number]): StyleTemplate {
  const style = structuredClone(template);
  for (const [name, id] of tilesets) style.sources[name] = { ...style.sources[name], url: `../../tiles/${id}.json` };
  if (style.sprite !== undefined) style.sprite = 'sprite';
  if (style.glyphs !== undefined) style.glyphs = '../../fonts/{fontstack}/{range}.pbf';
  style.center = centre;
  style.zoom = Math.min(Math.max(typeof style.zoom === 'number' ? style.zoom : zooms[0], zooms[0]), zooms[1]);
  return style;
}

/** The style for MapLibre Native: archives as mbtiles:// sources, glyphs and sprites as files, all relative to the package folder. */
function nativeStyle(web: StyleTemplate, tilesets: Map<string, string>, styleId: string): StyleTemplate {
  const style = structuredClone(web);
  for (const [name, id] of tilesets) style.sources[name] = { ...style.sources[name], url: `mbtiles://tiles/${id}.mbtiles` };
  if (style.sprite !== undefined) style.sprite = `styles/${styleId}/sprite`;
  if (style.glyphs !== undefined) style.glyphs = 'fonts/{fontstack}/{range}.pbf';
  return style;
}

export async function writePackage(options: PackageOptions): Promise<PackageSummary> {
  const stylesDir = options.stylesDir ?? STYLES_DIR;
  const stage = options.onStage ?? (() => {});
  const output = resolve(options.output);
  checkOutput(output);
  const style = loadStyle(options.style, stylesDir);
  const tilesets = styleTilesets(style);
  const found = new Map(archivesIn(options.paths).map((archive) => [archive.id, archive.path]));
  for (const id of new Set(tilesets.values())) {
    if (!found.has(id)) throw new InputError(`tileset "${id}"`, `drawn by style "${style.id}" but no ${id}.mbtiles in ${options.paths.join(', ') || '(no paths)'}`);
  }

  removeStaleEntries(dirname(output), `${basename(output)}.tmp-`);
  const work = `${output}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  mkdirSync(join(work, 'tiles'), { recursive: true });
  try {
    const summaries: PackageSummary['tilesets'] = [];
    for (const id of new Set(tilesets.values())) {
      stage(`extracting ${id}`);
      const source = openArchive(found.get(id)!);
      try {
        summaries.push({ id, summary: await extractTiles({ sources: [source], region: options.region, output: createArchive(join(work, 'tiles', `${id}.mbtiles`)) }) });
      } finally {
        source.close();
      }
    }

    stage('choosing glyphs');
    const labels = labelLayers(style.template.layers);
    const codePoints = new Set<number>();
    for (const [name, id] of tilesets) {
      const extract = openArchive(join(work, 'tiles', `${id}.mbtiles`));
      try {
        await labelCodePoints(extract, labels.filter((layer) => layer.source === name), codePoints);
      } finally {
        extract.close();
      }
    }
    const starts = glyphRangeStarts(codePoints);
    const stacks = [...new Map(labels.flatMap((layer) => layer.fontstacks).map((stack) => [stack.join(','), stack])).values()];
    if (style.template.glyphs !== undefined && stacks.length > 0) {
      const fontsDir = join(stylesDir, 'fonts');
      writeGlyphs(new FontLibrary(fontsDir), fontsDir, stacks, starts, join(work, 'fonts'));
    }

    const styleDir = join(work, 'styles', style.id);
    mkdirSync(styleDir, { recursive: true });
    if (style.sprite) copySprites(style.sprite, styleDir);
    const first = summaries[0]?.summary;
    const bbox = first?.bbox ?? options.region.bbox ?? [-180, -85, 180, 85];
    const zooms: [number, number] = [Math.min(...summaries.map((s) => s.summary.minzoom)), Math.max(...summaries.map((s) => s.summary.maxzoom))];
    const web = webStyle(style.template, tilesets, [(bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2], zooms);
    writeFileSync(join(styleDir, 'style.json'), JSON.stringify(web, null, 2) + '\n');
    writeFileSync(join(work, 'style.native.json'), JSON.stringify(nativeStyle(web, tilesets, style.id), null, 2) + '\n');

    stage('writing the manifest');
    const files = await writeManifest(work, {
      name: style.template.name ?? style.id,
      style: style.id,
      webStyle: `styles/${style.id}/style.json`,
      nativeStyle: 'style.native.json',
      nativeUrls: 'relative to the package folder: mbtiles://PATH and file PATH are to be prefixed with its absolute path',
      bbox: options.region.bbox ?? null,
      minzoom: zooms[0],
      maxzoom: zooms[1],
      tilesets: Object.fromEntries(summaries.map(({ id, summary }) => [id, { path: `tiles/${id}.mbtiles`, format: summary.format, tiles: summary.tiles, bytes: summary.bytes }])),
      glyphRanges: starts.map((start) => `${start}-${start + 255}`),
      created: new Date().toISOString(),
    });

    if (output.endsWith('.zip')) {
      stage('zipping');
      const zipTemp = `${output}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
      try {
        await zipFolder(work, zipTemp);
        renameSync(zipTemp, output);
      } finally {
        rmSync(zipTemp, { force: true });
      }
      rmSync(work, { recursive: true, force: true });
    } else {
      rmSync(output, { recursive: true, force: true });
      renameSync(work, output);
    }
    return {
      output,
      style: style.id,
      tilesets: summaries,
      fontstacks: stacks.length,
      glyphRanges: starts,
      files: files.length + 1,
      bytes: output.endsWith('.zip') ? statSync(output).size : files.reduce((sum, file) => sum + file.bytes, 0),
    };
  } catch (error) {
    rmSync(work, { recursive: true, force: true });
    throw error;
  }
}
