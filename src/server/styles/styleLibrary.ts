// The style templates on disk (styles/<id>.json) and their sprite sheets (styles/sprites/<id>/).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, messageOf } from '../../errors.js';
import type { StyleTemplate } from './resolveStyle.js';

const SPRITE_FILE = /^sprite(@2x)?\.(png|json)$/;

export interface SpriteFile {
  body: Buffer;
  contentType: string;
}

export class StyleLibrary {
  private readonly templates = new Map<string, StyleTemplate>();

  /**
   * Reads every template now, so that a broken one stops the server at start, not a client later. Two layouts: the bundled one (`<id>.json`, sprites in `sprites/<id>/`) and an offline package's
   * (`<id>/style.json` with its sprites beside it).
   */
  constructor(private readonly dir: string) {
    if (!existsSync(dir)) return;
    const files = readdirSync(dir, { withFileTypes: true })
      .flatMap((entry) => (entry.isFile() && entry.name.endsWith('.json') ? [entry.name] : entry.isDirectory() && existsSync(join(dir, entry.name, 'style.json')) ? [`${entry.name}/style.json`] : []))
      .sort();
    for (const file of files) {
      const path = join(dir, file);
      let template: StyleTemplate;
      try {
        template = JSON.parse(readFileSync(path, 'utf8')) as StyleTemplate;
      } catch (error) {
        throw new InputError(path, `not a valid style template: ${messageOf(error)}`);
      }
      if (template.version !== 8 || !Array.isArray(template.layers) || typeof template.sources !== 'object') {
        throw new InputError(path, 'not a MapLibre style (version 8 with sources and layers)');
      }
      this.templates.set(file.endsWith('/style.json') ? file.slice(0, -'/style.json'.length) : file.slice(0, -'.json'.length), template);
    }
  }

  ids(): string[] {
    return [...this.templates.keys()];
  }

  /** The template of a style; 404 for an unknown one. */
  template(id: string): StyleTemplate {
    const template = this.templates.get(id);
    if (!template) throw new InputError(`style "${id}"`, 'not found', 404);
    return template;
  }

  /** `sprite.png`, `sprite@2x.json`… of a known style; the file name is matched, never joined into a path unchecked. */
  sprite(id: string, file: string): SpriteFile {
    this.template(id);
    if (!SPRITE_FILE.test(file)) throw new InputError(`style "${id}" file "${file}"`, 'not found', 404);
    const beside = join(this.dir, id, file);
    const path = existsSync(beside) ? beside : join(this.dir, 'sprites', id, file);
    if (!existsSync(path)) throw new InputError(`style "${id}" sprite`, 'not found', 404);
    return { body: readFileSync(path), contentType: file.endsWith('.png') ? 'image/png' : 'application/json; charset=utf-8' };
  }
}
