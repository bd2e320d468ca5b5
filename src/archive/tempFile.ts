// Write-then-rename: a build writes beside its target and renames into place only when complete.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, accessSync, constants } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { InputError, messageOf } from '../errors.js';

const TEMP_MARK = '.tmp-';

/** A fresh temp path beside `target`, after checking the folder can be written. */
export function tempPathFor(target: string): string {
  const folder = dirname(target);
  try {
    makeFolder(folder);
    if (!statSync(folder).isDirectory()) throw new Error(`${folder} is a file, not a folder`);
    accessSync(folder, constants.W_OK);
  } catch (error) {
    throw new InputError(target, `cannot write to ${folder}: ${messageOf(error)}`);
  }
  if (existsSync(target) && statSync(target).isDirectory()) throw new InputError(target, 'output path is a folder');
  removeStaleTemps(target);
  return `${target}${TEMP_MARK}${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * `mkdir -p`, one level at a time: Node 20's recursive mkdirSync spins forever where mkdir answers ENOENT
 * for a parent that exists (e.g. under /proc), so a bad output path would hang the build instead of failing.
 */
function makeFolder(folder: string): void {
  if (existsSync(folder)) return;
  const parent = dirname(folder);
  if (parent !== folder) makeFolder(parent);
  mkdirSync(folder);
}

/** Temp files of builds that were killed (their process is gone) must not pile up. */
export function removeStaleTemps(target: string): void {
  removeStaleEntries(dirname(target), basename(target) + TEMP_MARK);
}

/**
 * Removes the entries of `folder` named `<prefix><pid>-…` whose process is gone: what a build killed
 * outright (SIGKILL, power loss) left behind. Entries of live processes, this one included, stay.
 */
export function removeStaleEntries(folder: string, prefix: string): void {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    rmSync(join(folder, name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Flushes the finished temp file to disk and renames it over the target atomically. */
export function commitTemp(tempPath: string, target: string): void {
  const fd = openSync(tempPath, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tempPath, target);
}

export function discardTemp(tempPath: string): void {
  for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(tempPath + suffix, { force: true });
}
