// An MBTiles file written front to back as SQLite pages, so that its bytes can leave while it is made.
//
// SQLite itself cannot do that: page 1 and every b-tree root sit at the front of its file and change until the
// last row is in. Here the file is laid out bottom-up instead (as SQLite's own CREATE INDEX sorter builds a b-tree):
// rows arrive in key order, each page is final when it is full and gets the next page number, parents follow their
// children and the root comes last. Only page 1 needs to know where that root will be: a first pass over the
// tiles' sizes alone (no tile data) runs the same layout and says, then the second pass writes the same pages with
// the data. Tiles are a WITHOUT ROWID table keyed (zoom_level, tile_column, tile_row): one b-tree that is both
// the rows and the index MBTiles readers search (MapLibre Native, GDAL, Mekan). Tiles are not deduplicated (the
// layout GDAL writes); the format is https://www.sqlite.org/fileformat2.html.

export const PAGE_SIZE = 4096;
/** Index b-tree payload limits for this page size (fileformat2 §1.6: X = (U-12)·64/255 − 23, M = (U-12)·32/255 − 23). */
const MAX_LOCAL = Math.floor(((PAGE_SIZE - 12) * 64) / 255) - 23;
const MIN_LOCAL = Math.floor(((PAGE_SIZE - 12) * 32) / 255) - 23;
/** Table b-tree leaf payload limit (page 1's schema rows): U − 35. */
const MAX_LEAF = PAGE_SIZE - 35;
const OVERFLOW_DATA = PAGE_SIZE - 4;
/** 'MPBX': the application_id the MBTiles 1.3 spec gives. */
const MBTILES_APPLICATION_ID = 0x4d504258;

const METADATA_SQL = 'CREATE TABLE metadata (name TEXT NOT NULL PRIMARY KEY, value TEXT) WITHOUT ROWID';
const TILES_SQL =
  'CREATE TABLE tiles (zoom_level INTEGER NOT NULL, tile_column INTEGER NOT NULL, tile_row INTEGER NOT NULL, tile_data BLOB, PRIMARY KEY (zoom_level, tile_column, tile_row)) WITHOUT ROWID';

function varintLength(value: number): number {
  let length = 1;
  while (value >= 0x80 && length < 8) {
    value = Math.floor(value / 0x80);
    length++;
  }
  if (value >= 0x80) throw new Error(`varint ${value} out of range`);
  return length;
}

/** SQLite's big-endian varint (7 bits a byte, high bit set on all but the last); values below 2^56. */
function writeVarint(target: Buffer, offset: number, value: number): number {
  const length = varintLength(value);
  for (let i = length - 1; i >= 0; i--) {
    target[offset + i] = (value % 0x80) | (i === length - 1 ? 0 : 0x80);
    value = Math.floor(value / 0x80);
  }
  return offset + length;
}

/** The serial type and body length of an integer: the smallest of 0 and 1 (types 8, 9), 1, 2, 3, 4, 6 or 8 bytes. */
function integerType(value: number): [type: number, bytes: number] {
  if (value === 0) return [8, 0];
  if (value === 1) return [9, 0];
  if (value >= -128 && value <= 127) return [1, 1];
  if (value >= -32768 && value <= 32767) return [2, 2];
  if (value >= -8388608 && value <= 8388607) return [3, 3];
  if (value >= -2147483648 && value <= 2147483647) return [4, 4];
  if (Number.isSafeInteger(value) && Math.abs(value) < 2 ** 47) return [5, 6];
  return [6, 8];
}

type Value = number | string | Buffer;

/** Length of a record of `values`, where a Buffer may stand in by its length alone (a size-only pass). */
function recordLayout(values: (Value | { blobBytes: number })[]): { types: number[]; bodies: number[]; headerLength: number; length: number } {
  const types: number[] = [];
  const bodies: number[] = [];
  for (const value of values) {
    if (typeof value === 'number') {
      const [type, bytes] = integerType(value);
      types.push(type);
      bodies.push(bytes);
    } else if (typeof value === 'string') {
      const bytes = Buffer.byteLength(value);
      types.push(bytes * 2 + 13);
      bodies.push(bytes);
    } else {
      const bytes = Buffer.isBuffer(value) ? value.length : value.blobBytes;
      types.push(bytes * 2 + 12);
      bodies.push(bytes);
    }
  }
  const typesLength = types.reduce((sum, type) => sum + varintLength(type), 0);
  let headerLength = typesLength + 1;
  if (varintLength(headerLength) > 1) headerLength = typesLength + varintLength(typesLength + 2);
  return { types, bodies, headerLength, length: headerLength + bodies.reduce((sum, bytes) => sum + bytes, 0) };
}

/** The record (SQLite's row format: a header of serial types, then the values) of `values`. */
function encodeRecord(values: Value[]): Buffer {
  const layout = recordLayout(values);
  const record = Buffer.alloc(layout.length);
  let offset = writeVarint(record, 0, layout.headerLength);
  for (const type of layout.types) offset = writeVarint(record, offset, type);
  values.forEach((value, i) => {
    const bytes = layout.bodies[i];
    if (typeof value === 'number') {
      if (bytes === 8) record.writeBigInt64BE(BigInt(value), offset);
      else if (bytes === 6) record.writeIntBE(value, offset, 6);
      else if (bytes > 0) record.writeIntBE(value, offset, bytes);
    } else if (typeof value === 'string') record.write(value, offset);
    else value.copy(record, offset);
    offset += bytes;
  });
  return record;
}

/** Bytes of a payload kept on its b-tree page; the rest goes to overflow pages (fileformat2 §1.6). */
function localBytes(payload: number, maxLocal: number): number {
  if (payload <= maxLocal) return payload;
  const surplus = MIN_LOCAL + ((payload - MIN_LOCAL) % OVERFLOW_DATA);
  return surplus <= maxLocal ? surplus : MIN_LOCAL;
}

/** Hands out page numbers in file order and, when writing, emits each page as it is numbered. */
class Pager {
  private next: number;
  constructor(
    first: number,
    /** Absent in the size-only pass. */
    private readonly emit: ((page: Buffer) => void) | undefined,
    /** The page count promised in page 1: the writing pass may not go past it. */
    private readonly limit = Infinity,
  ) {
    this.next = first;
  }

  get writing(): boolean {
    return this.emit !== undefined;
  }

  get pages(): number {
    return this.next - 1;
  }

  page(content: () => Buffer): number {
    const number = this.next++;
    if (number > this.limit) throw new Error(`the file outgrew its planned ${this.limit} pages (did the source change while it was read?)`);
    this.emit?.(content());
    return number;
  }
}

/** One entry of an index b-tree page: the local payload (absent in a size-only pass) and its first overflow page. */
interface Cell {
  payloadLength: number;
  local: Buffer | undefined;
  localLength: number;
  overflow: number;
  /** The subtree before this entry, once it sits in an interior page. */
  leftChild: number;
}

function cellLength(cell: Cell, interior: boolean): number {
  return (interior ? 4 : 0) + varintLength(cell.payloadLength) + cell.localLength + (cell.overflow ? 4 : 0);
}

/** A b-tree page: header, cell pointers, cells packed at the end (fileformat2 §1.6). `start` is 100 on page 1. */
function encodePage(type: number, cells: Buffer[], rightChild: number | undefined, start = 0): Buffer {
  const page = Buffer.alloc(PAGE_SIZE);
  const headerLength = rightChild === undefined ? 8 : 12;
  let content = PAGE_SIZE;
  cells.forEach((cell, i) => {
    content -= cell.length;
    cell.copy(page, content);
    page.writeUInt16BE(content, start + headerLength + i * 2);
  });
  page[start] = type;
  page.writeUInt16BE(cells.length, start + 3);
  page.writeUInt16BE(content, start + 5);
  if (rightChild !== undefined) page.writeUInt32BE(rightChild, start + 8);
  return page;
}

const INDEX_LEAF = 0x0a;
const INDEX_INTERIOR = 0x02;
const TABLE_LEAF = 0x0d;

/** Room for cells (with their 2-byte pointers) on a non-first page. */
const ROOM = { leaf: PAGE_SIZE - 8, interior: PAGE_SIZE - 12 };

/**
 * An index b-tree built from entries in key order: each full page is emitted and its last entry moves up as the
 * divider between it and the next page (index b-trees hold each entry once, interior entries included).
 */
class IndexTreeBuilder {
  private readonly levels: { cells: Cell[]; used: number }[] = [{ cells: [], used: 0 }];

  constructor(private readonly pager: Pager) {}

  /** Adds the next entry (greater than all before); `payload` absent means count only (`length` bytes). */
  add(length: number, payload: Buffer | undefined): void {
    const localLength = localBytes(length, MAX_LOCAL);
    let overflow = 0;
    if (localLength < length) {
      // The overflow chain goes out now, numbered consecutively: each page points at the next.
      const pages = Math.ceil((length - localLength) / OVERFLOW_DATA);
      for (let i = 0; i < pages; i++) {
        const number = this.pager.page(() => {
          const page = Buffer.alloc(PAGE_SIZE);
          const from = localLength + i * OVERFLOW_DATA;
          // Called as the page is numbered: `pager.pages` is this page's number.
          page.writeUInt32BE(i === pages - 1 ? 0 : this.pager.pages + 1, 0);
          payload!.copy(page, 4, from, Math.min(from + OVERFLOW_DATA, length));
          return page;
        });
        if (i === 0) overflow = number;
      }
    }
    this.push(0, { payloadLength: length, local: payload?.subarray(0, localLength), localLength, overflow, leftChild: 0 });
  }

  private push(level: number, cell: Cell): void {
    const interior = level > 0;
    const page = this.levels[level];
    const length = cellLength(cell, interior) + 2;
    if (page.used + length <= (interior ? ROOM.interior : ROOM.leaf)) {
      page.cells.push(cell);
      page.used += length;
      return;
    }
    // Full: the last entry becomes the divider above; an interior page's right child is that entry's left subtree.
    const divider = page.cells.pop()!;
    const number = this.emitPage(level, page.cells, interior ? divider.leftChild : undefined);
    this.levels[level] = { cells: [cell], used: length };
    if (!this.levels[level + 1]) this.levels.push({ cells: [], used: 0 });
    this.push(level + 1, { ...divider, leftChild: number });
  }

  /** Emits the pages still open, lowest first; the last is the root. */
  finish(): number {
    let child: number | undefined;
    this.levels.forEach((page, level) => {
      child = this.emitPage(level, page.cells, level > 0 ? child : undefined);
    });
    return child!;
  }

  private emitPage(level: number, cells: Cell[], rightChild: number | undefined): number {
    const interior = level > 0;
    return this.pager.page(() =>
      encodePage(
        interior ? INDEX_INTERIOR : INDEX_LEAF,
        cells.map((cell) => {
          const bytes = Buffer.alloc(cellLength(cell, interior));
          let offset = 0;
          if (interior) offset = bytes.writeUInt32BE(cell.leftChild, 0);
          offset = writeVarint(bytes, offset, cell.payloadLength);
          offset += cell.local!.copy(bytes, offset);
          if (cell.overflow) bytes.writeUInt32BE(cell.overflow, offset);
          return bytes;
        }),
        rightChild,
      ),
    );
  }
}

/** Where the size-only pass found the pieces: page 1 of the writing pass promises them. */
export interface StreamedLayout {
  /** Pages in the file (its size is pages × PAGE_SIZE). */
  pages: number;
  metadataRoot: number;
  tilesRoot: number;
  tiles: number;
}

/** Page 1: the file header and the schema (sqlite_master, a table b-tree leaf after the 100-byte header). */
function firstPage(layout: StreamedLayout): Buffer {
  const rows: Value[][] = [
    ['table', 'metadata', 'metadata', layout.metadataRoot, METADATA_SQL],
    ['table', 'tiles', 'tiles', layout.tilesRoot, TILES_SQL],
  ];
  const cells = rows.map((row, i) => {
    const record = encodeRecord(row);
    if (record.length > MAX_LEAF) throw new Error('schema row too long');
    const cell = Buffer.alloc(varintLength(record.length) + varintLength(i + 1) + record.length);
    record.copy(cell, writeVarint(cell, writeVarint(cell, 0, record.length), i + 1));
    return cell;
  });
  const page = encodePage(TABLE_LEAF, cells, undefined, 100);
  page.write('SQLite format 3\0', 0, 'latin1');
  page.writeUInt16BE(PAGE_SIZE, 16);
  page[18] = 1; // rollback journal, as any reader expects
  page[19] = 1;
  page[21] = 64; // payload fractions, fixed by the format
  page[22] = 32;
  page[23] = 32;
  page.writeUInt32BE(1, 24); // change counter …
  page.writeUInt32BE(layout.pages, 28); // … valid with this page count (offset 92 says so)
  page.writeUInt32BE(1, 40); // schema cookie
  page.writeUInt32BE(4, 44); // schema format 4
  page.writeUInt32BE(1, 56); // UTF-8
  page.writeUInt32BE(MBTILES_APPLICATION_ID, 68);
  page.writeUInt32BE(1, 92);
  page.writeUInt32BE(3046001, 96);
  return page;
}

/**
 * Lays out (no `emit`) or writes (with `emit` and the layout found before) an MBTiles file. The metadata rows go
 * first (pages 2…), then `addTile` for every tile in (zoom, column, TMS row) order, then `finish`.
 */
export class StreamedMBTiles {
  private readonly pager: Pager;
  private readonly tiles: IndexTreeBuilder;
  private readonly metadataRoot: number;
  private count = 0;
  private last: [number, number, number] = [-1, 0, 0];

  constructor(
    metadata: [name: string, value: string][],
    private readonly planned?: StreamedLayout,
    emit?: (page: Buffer) => void,
  ) {
    if (planned && !emit) throw new Error('a planned layout is for writing');
    this.pager = new Pager(2, emit, planned?.pages);
    if (planned) emit!(firstPage(planned));
    const metadataTree = new IndexTreeBuilder(this.pager);
    // BINARY collation: names in byte order.
    const sorted = [...new Map(metadata)].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const [name, value] of sorted) {
      const record = encodeRecord([name, value]);
      metadataTree.add(record.length, emit ? record : undefined);
    }
    this.metadataRoot = metadataTree.finish();
    this.tiles = new IndexTreeBuilder(this.pager);
  }

  /** The next tile in key order; `data` is needed when writing, `bytes` alone when laying out. */
  addTile(zoom: number, column: number, row: number, bytes: number, data?: Buffer): void {
    const [z, c, r] = this.last;
    if (zoom < z || (zoom === z && (column < c || (column === c && row <= r)))) throw new Error(`tile ${zoom}/${column}/${row} (TMS) out of key order after ${z}/${c}/${r}`);
    this.last = [zoom, column, row];
    this.count++;
    if (!this.pager.writing) {
      this.tiles.add(recordLayout([zoom, column, row, { blobBytes: bytes }]).length, undefined);
      return;
    }
    if (!data || data.length !== bytes) throw new Error(`tile ${zoom}/${column}/${row} (TMS) is ${data?.length ?? 0} bytes, ${bytes} expected`);
    const record = encodeRecord([zoom, column, row, data]);
    this.tiles.add(record.length, record);
  }

  /** Emits the last pages; the layout found (which a writing pass checks against what its page 1 promised). */
  finish(): StreamedLayout {
    const layout = { pages: 0, metadataRoot: this.metadataRoot, tilesRoot: this.tiles.finish(), tiles: this.count };
    layout.pages = this.pager.pages;
    const planned = this.planned;
    if (planned && (planned.pages !== layout.pages || planned.tilesRoot !== layout.tilesRoot || planned.tiles !== layout.tiles)) {
      throw new Error(`the file came out as ${layout.pages} pages (root ${layout.tilesRoot}, ${layout.tiles} tiles), not the ${planned.pages} planned (root ${planned.tilesRoot}, ${planned.tiles} tiles): did the source change while it was read?`);
    }
    return layout;
  }
}
