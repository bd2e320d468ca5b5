// Reads a JSON or YAML file (JSON by the .json extension, YAML otherwise) with errors that name the file.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { InputError, messageOf } from './errors.js';

/** `what` names the file's role in the error (`configuration`, `recipe`). */
export function readStructuredFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputError(path, `cannot read the ${what}: ${messageOf(error)}`);
  }
  const isJson = extname(path).toLowerCase() === '.json';
  try {
    return isJson ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new InputError(path, `not valid ${isJson ? 'JSON' : 'YAML'}: ${messageOf(error).split('\n')[0]}`);
  }
}
