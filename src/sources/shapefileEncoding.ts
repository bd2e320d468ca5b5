// Which text encoding a Shapefile's attributes use: the .cpg file, else the .dbf language driver byte, else a default.
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { InputError } from '../errors.js';

/** dBASE language driver IDs (byte 29 of the .dbf header) that name a code page TextDecoder knows. */
const LANGUAGE_DRIVERS: Record<number, string> = {
  0x03: 'windows-1252',
  0x57: 'windows-1252',
  0x58: 'windows-1252',
  0x59: 'windows-1252',
  0x26: 'ibm866',
  0x65: 'ibm866',
  0x64: 'ibm866',
  0xc8: 'windows-1250',
  0xc9: 'windows-1251',
  0xca: 'windows-1254',
  0xcb: 'windows-1253',
  0xcc: 'windows-1257',
  0x7d: 'windows-1255',
  0x7e: 'windows-1256',
  0x4d: 'gbk',
  0x4e: 'euc-kr',
  0x4f: 'big5',
  0x13: 'shift_jis',
  0x7b: 'shift_jis',
  0x7a: 'gbk',
};

/** Without a .cpg or language driver, dBASE text is traditionally an ANSI code page (GDAL assumes ISO-8859-1). */
const DEFAULT_ENCODING = 'windows-1252';

export interface ShapefileEncoding {
  /** A label TextDecoder accepts. */
  encoding: string;
  /** Where it came from, for messages. */
  from: '.cpg' | 'language driver' | 'option' | 'default';
}

export function shapefileEncoding(dbfPath: string, cpgPath: string, fallback: string | undefined): ShapefileEncoding {
  if (existsSync(cpgPath)) {
    const declared = readFileSync(cpgPath, 'latin1').trim();
    if (declared) return { encoding: checkedLabel(codePageLabel(declared), cpgPath), from: '.cpg' };
  }
  const driver = existsSync(dbfPath) ? languageDriver(dbfPath) : 0;
  if (driver && LANGUAGE_DRIVERS[driver]) return { encoding: LANGUAGE_DRIVERS[driver], from: 'language driver' };
  if (fallback) return { encoding: checkedLabel(codePageLabel(fallback), 'encoding option'), from: 'option' };
  return { encoding: DEFAULT_ENCODING, from: 'default' };
}

/** Turns the names found in .cpg files (`UTF-8`, `65001`, `1251`, `CP1251`, `ANSI 1251`, `88591`, `ISO 8859-5`) into WHATWG labels. */
export function codePageLabel(name: string): string {
  const text = name.trim();
  if (/^(utf-?8|65001)$/i.test(text)) return 'utf-8';
  const windows = /^(?:cp|windows-?|ansi[ _-]?|win)?(125\d)$/i.exec(text);
  if (windows) return `windows-${windows[1]}`;
  const iso = /^(?:iso[-_ ]?)?8859[-_ ]?(\d{1,2})$/i.exec(text) ?? /^(?:iso[-_ ]?)?8859(\d)$/i.exec(text);
  if (iso) return `iso-8859-${iso[1]}`;
  if (/^(cp|ibm)?866$/i.test(text)) return 'ibm866';
  return text.toLowerCase();
}

function checkedLabel(label: string, source: string): string {
  try {
    new TextDecoder(label);
  } catch {
    throw new InputError(source, `unsupported text encoding "${label}"`);
  }
  return label;
}

function languageDriver(dbfPath: string): number {
  const descriptor = openSync(dbfPath, 'r');
  try {
    const header = Buffer.alloc(32);
    return readSync(descriptor, header, 0, 32, 0) === 32 ? header[29] : 0;
  } finally {
    closeSync(descriptor);
  }
}
