// dBASE (.dbf) records to attribute objects: text in the file's encoding, numbers, logicals and dates typed.
import { InputError } from '../errors.js';
import { TextDecoder } from 'node:util';
import { BlockReader } from './blockReader.js';
import type { PropertyValue } from './types.js';

interface Field {
  name: string;
  type: string;
  offset: number;
  length: number;
}

export class DbfEncodingError extends Error {
  constructor(readonly field: string) {
    super(`attribute ${field} is not valid in the file's encoding`);
  }
}

export class DbfReader {
  private readonly reader: BlockReader;
  readonly fields: Field[] = [];
  readonly recordCount: number;
  private readonly recordLength: number;
  private readonly decoder: TextDecoder;
  private readonly isUtf8: boolean;

  constructor(path: string, encoding: string) {
    this.reader = new BlockReader(path);
    const header = this.reader.take(32);
    if (!header) throw new InputError(path, 'not a dBASE file (header too short)');
    this.recordCount = header.readUInt32LE(4);
    const headerLength = header.readUInt16LE(8);
    this.recordLength = header.readUInt16LE(10);
    if (headerLength <= 32 || this.recordLength < 1) throw new InputError(path, 'not a dBASE file (bad header)');
    this.isUtf8 = encoding === 'utf-8';
    // UTF-8 is decoded strictly so that wrongly encoded text is reported, not passed on with U+FFFD in it.
    this.decoder = new TextDecoder(encoding, { fatal: this.isUtf8 });
    const descriptors = this.reader.take(headerLength - 32);
    if (!descriptors) throw new InputError(path, 'not a dBASE file (field descriptors cut short)');
    let offset = 1; // byte 0 of every record is the deletion flag
    for (let at = 0; at + 32 <= descriptors.length && descriptors[at] !== 0x0d; at += 32) {
      const nameEnd = descriptors.indexOf(0, at);
      const name = this.decodeLenient(descriptors.subarray(at, nameEnd === -1 || nameEnd > at + 11 ? at + 11 : nameEnd));
      const length = descriptors[at + 16];
      this.fields.push({ name, type: String.fromCharCode(descriptors[at + 11]).toUpperCase(), offset, length });
      offset += length;
    }
  }

  /**
   * The attributes of the next record, or undefined when the table has no more (or the file is cut short). The
   * values are as a vector tile carries them (text, finite numbers, booleans, null): nothing to flatten.
   */
  next(): Record<string, PropertyValue> | undefined {
    const record = this.reader.take(this.recordLength);
    if (!record || record[0] === 0x1a) return undefined;
    const properties: Record<string, PropertyValue> = {};
    // Fields are read in place (offsets into the record): a Buffer view a field was most of the reading's cost.
    for (const field of this.fields) properties[field.name] = this.value(field, record, field.offset, field.offset + field.length);
    return properties;
  }

  close(): void {
    this.reader.close();
  }

  private value(field: Field, record: Buffer, start: number, end: number): PropertyValue {
    switch (field.type) {
      case 'C':
        return this.text(field, record, start, end);
      case 'N':
      case 'F': {
        const text = record.toString('latin1', start, end).trim();
        if (text === '' || text[0] === '*') return null;
        const value = Number(text);
        return Number.isFinite(value) ? value : null;
      }
      case 'L': {
        const flag = String.fromCharCode(record[start]).toUpperCase();
        return flag === 'T' || flag === 'Y' ? true : flag === 'F' || flag === 'N' ? false : null;
      }
      case 'D': {
        const text = record.toString('latin1', start, end).trim();
        return /^\d{8}$/.test(text) && text !== '00000000' ? `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}` : null;
      }
      case 'I':
      case '+':
        return end - start >= 4 ? record.readInt32LE(start) : null;
      case 'O': {
        if (end - start < 8) return null;
        const value = record.readDoubleLE(start);
        return Number.isFinite(value) ? value : null;
      }
      default:
        return null; // memo pointers and binary fields carry nothing a tile can use
    }
  }

  private text(field: Field, record: Buffer, start: number, end: number): string | null {
    while (end > start && (record[end - 1] === 0x20 || record[end - 1] === 0)) end--;
    if (end === start) return null;
    // Plain ASCII, the common case, decodes the same in every code page and needs no TextDecoder.
    let ascii = true;
    for (let i = start; i < end; i++) if (record[i] >= 0x80) { ascii = false; break; }
    if (ascii) return record.toString('latin1', start, end);
    try {
      return this.decoder.decode(record.subarray(start, end));
    } catch {
      throw new DbfEncodingError(field.name);
    }
  }

  private decodeLenient(bytes: Buffer): string {
    return new TextDecoder(this.isUtf8 ? 'utf-8' : this.decoder.encoding).decode(bytes).trim();
  }
}
