// The archives that files and folders name, with their ids (file name without extension), as `serve` finds them.
import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { InputError, messageOf } from '../errors.js';
import { isArchivePath } from './open.js';

export interface FoundArchive {
  id: string;
  path: string;
}

/** Archives in `paths` (files, or folders read one level deep), first of an id wins; a path that cannot be read is an input error. */
export function archivesIn(paths: string[]): FoundArchive[] {
  const found = new Map<string, FoundArchive>();
  const add = (path: string) => {
    const id = basename(path, extname(path));
    if (!found.has(id)) found.set(id, { id, path });
  };
  for (const path of paths) {
    let isFolder: boolean;
    try {
      isFolder = statSync(path).isDirectory();
    } catch (error) {
      throw new InputError(path, `cannot read: ${messageOf(error)}`);
    }
    if (isFolder) for (const name of readdirSync(path).filter(isArchivePath).sort()) add(join(path, name));
    else add(path);
  }
  return [...found.values()];
}
