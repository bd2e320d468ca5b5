// Code page names as found in .cpg files, and the .cpg > language driver > option > default order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '../support/tempDir.js';
import { InputError } from '../../src/errors.js';
import { codePageLabel, shapefileEncoding } from '../../src/sources/shapefileEncoding.js';

const dir = makeTempDir('mekan-sources-cpg-');

test('.cpg spellings map to encodings TextDecoder knows', () => {
  const cases: [string, string][] = [
    ['UTF-8', 'utf-8'], ['utf8', 'utf-8'], ['65001', 'utf-8'],
    ['1251', 'windows-1251'], ['CP1251', 'windows-1251'], ['ANSI 1251', 'windows-1251'], ['windows-1254', 'windows-1254'],
    ['88591', 'iso-8859-1'], ['ISO-8859-5', 'iso-8859-5'], ['ISO 8859-9', 'iso-8859-9'], ['cp866', 'ibm866'], ['KOI8-R', 'koi8-r'],
  ];
  for (const [name, label] of cases) assert.equal(codePageLabel(name), label, name);
});

test('the .cpg wins over the language driver, which wins over the option; an unknown .cpg is an InputError', () => {
  const dbf = join(dir, 'a.dbf');
  const header = Buffer.alloc(32);
  header[29] = 0xc9; // Windows-1251 language driver
  writeFileSync(dbf, header);
  assert.deepEqual(shapefileEncoding(dbf, join(dir, 'none.cpg'), 'utf-8'), { encoding: 'windows-1251', from: 'language driver' });
  writeFileSync(join(dir, 'a.cpg'), 'UTF-8\r\n');
  assert.deepEqual(shapefileEncoding(dbf, join(dir, 'a.cpg'), undefined), { encoding: 'utf-8', from: '.cpg' });
  header[29] = 0;
  writeFileSync(dbf, header);
  assert.deepEqual(shapefileEncoding(dbf, join(dir, 'none.cpg'), 'CP1254'), { encoding: 'windows-1254', from: 'option' });
  assert.deepEqual(shapefileEncoding(dbf, join(dir, 'none.cpg'), undefined), { encoding: 'windows-1252', from: 'default' });
  writeFileSync(join(dir, 'bad.cpg'), 'EBCDIC-XYZ');
  assert.throws(() => shapefileEncoding(dbf, join(dir, 'bad.cpg'), undefined), (error: unknown) => error instanceof InputError && error.message.includes('bad.cpg'));
});
