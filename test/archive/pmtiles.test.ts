// PMTiles v3: what we write, the official `pmtiles` reader reads tile for tile and header for header; what other
// writers lay out differently (unclustered, uncompressed directories, leaves, runs, header-only zooms) we read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Compression, PMTiles, SharedPromiseCache, TileType, zxyToTileId, type Entry, type RangeResponse, type Source } from 'pmtiles';
import { createArchive, openArchive } from '../../src/archive/open.js';
import { PMTilesReader } from '../../src/archive/pmtiles/reader.js';
import type { ArchiveMetadata, ArchiveTile } from '../../src/archive/types.js';
import { InputError } from '../../src/errors.js';
import { MEKAN_BIN } from '../support/mekanProcess.js';
import { makeTempDir } from '../support/tempDir.js';

const dir = makeTempDir('mekan-pmtiles-');

/** How the official reader is fed from a file in Node (its FileSource is the browser's File API). */
class NodeFileSource implements Source {
  constructor(private readonly path: string) {}
  getKey(): string {
    return this.path;
  }
  getBytes(offset: number, length: number): Promise<RangeResponse> {
    const fd = openSync(this.path, 'r');
    const buffer = Buffer.alloc(length);
    const read = readSync(fd, buffer, 0, length, offset);
    closeSync(fd);
    return Promise.resolve({ data: buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + read) });
  }
}

/** Deterministic pseudo-random order (the writer must not depend on the order tiles come in). */
function shuffled<T>(items: T[], seed = 7): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Every tile of zooms 0–7 (21,845, 17,000+ entries: leaf directories); a quarter of zoom 7 (a Hilbert run) and some scattered tiles repeat one "ocean" tile a zoom. */
function sampleTiles(maxzoom = 7): Map<string, Buffer> {
  const tiles = new Map<string, Buffer>();
  for (let z = 0; z <= maxzoom; z++) {
    const ocean = gzipSync(Buffer.from(`ocean at zoom ${z}`));
    for (let x = 0; x < 2 ** z; x++) for (let y = 0; y < 2 ** z; y++) tiles.set(`${z}/${x}/${y}`, (z === 7 && x < 64 && y < 64) || (x + y) % 50 === 1 ? ocean : gzipSync(Buffer.from(`land ${z}/${x}/${y}`)));
  }
  return tiles;
}

const METADATA: ArchiveMetadata = {
  name: 'Sample',
  format: 'pbf',
  minzoom: 0,
  maxzoom: 7,
  bounds: [44.7633701, 38.3892918, 50.6250775, 41.9123402],
  center: [49.8671, 40.4093, 6],
  attribution: '© Mekan test',
  description: 'every tile of zooms 0–7',
  version: '2',
  type: 'baselayer',
  vector_layers: [{ id: 'water', fields: { name: 'String' }, minzoom: 0, maxzoom: 7 }],
  layerStats: [{ layer: 'water', count: 3, geometry: 'Polygon' }],
  extra: { generator: 'mekan test', strategies: [{ dropped: 0 }] },
};

function writeSample(path: string, tiles: Map<string, Buffer>): void {
  const writer = createArchive(path);
  // One tile put twice: the last wins, as MBTiles' INSERT OR REPLACE.
  writer.putTile(3, 1, 1, gzipSync(Buffer.from('superseded')));
  for (const key of shuffled([...tiles.keys()])) {
    const [z, x, y] = key.split('/').map(Number);
    writer.putTile(z, x, y, tiles.get(key)!);
  }
  writer.setMetadata(METADATA);
  writer.finish();
}

test('the official pmtiles reader reads our archive tile for tile and header for header: clustered, Hilbert-ordered, deduplicated, leaf directories', async () => {
  const tiles = sampleTiles();
  const path = join(dir, 'sample.pmtiles');
  writeSample(path, tiles);
  const official = new PMTiles(new NodeFileSource(path));
  const header = await official.getHeader();
  const distinct = new Set([...tiles.values()].map((data) => data.toString('base64'))).size;
  assert.equal(header.specVersion, 3);
  assert.equal(header.clustered, true);
  assert.equal(header.tileType, TileType.Mvt);
  assert.equal(header.tileCompression, Compression.Gzip);
  assert.equal(header.internalCompression, Compression.Gzip);
  assert.equal(header.numAddressedTiles, tiles.size);
  assert.equal(header.numTileContents, distinct);
  assert.ok(header.numTileEntries < tiles.size, `runs of the repeated ocean tile make fewer entries (${header.numTileEntries}) than tiles`);
  assert.ok(header.leafDirectoryLength! > 0, 'leaf directories');
  assert.ok(header.rootDirectoryOffset + header.rootDirectoryLength <= 16384, 'header and root within the first 16 KiB');
  assert.deepEqual([header.minZoom, header.maxZoom, header.centerZoom], [0, 7, 6]);
  assert.deepEqual([header.minLon, header.minLat, header.maxLon, header.maxLat], METADATA.bounds);
  assert.deepEqual([header.centerLon, header.centerLat], METADATA.center!.slice(0, 2));

  for (const [key, data] of tiles) {
    const [z, x, y] = key.split('/').map(Number);
    const answer = await official.getZxy(z, x, y);
    assert.ok(answer, `tile ${key}`);
    assert.deepEqual(Buffer.from(answer.data), gunzipSync(data), `tile ${key}`);
  }
  assert.equal(await official.getZxy(8, 0, 0), undefined);
  const json = (await official.getMetadata()) as Record<string, unknown>;
  assert.deepEqual(json.vector_layers, METADATA.vector_layers);
  assert.equal(json.attribution, METADATA.attribution);

  // Clustered (spec §5): in tile-id order, every content not seen before starts where the previous one ended.
  const cache = new SharedPromiseCache();
  const source = new NodeFileSource(path);
  const entries: Entry[] = [];
  const walk = async (offset: number, length: number): Promise<void> => {
    for (const entry of await cache.getDirectory(source, offset, length, header)) {
      if (entry.runLength === 0) await walk(header.leafDirectoryOffset + entry.offset, entry.length);
      else entries.push(entry);
    }
  };
  await walk(header.rootDirectoryOffset, header.rootDirectoryLength);
  let end = 0;
  for (let i = 0; i < entries.length; i++) {
    if (i > 0) assert.ok(entries[i].tileId >= entries[i - 1].tileId + entries[i - 1].runLength, 'ids ascending, runs disjoint');
    if (entries[i].offset >= end) {
      assert.equal(entries[i].offset, end, `entry ${i} starts a new content where the last ended`);
      end += entries[i].length;
    }
  }
  assert.equal(end, header.tileDataLength);
  assert.equal(entries.reduce((sum, entry) => sum + entry.runLength, 0), tiles.size);
  assert.equal(entries[0].tileId, zxyToTileId(0, 0, 0));
});

test('mekan convert MBTiles → PMTiles → MBTiles keeps every tile and the metadata; inspect reads both alike', async () => {
  const tiles = sampleTiles(5);
  const source = join(dir, 'source.mbtiles');
  const writer = createArchive(source);
  for (const [key, data] of tiles) writer.putTile(...(key.split('/').map(Number) as [number, number, number]), data);
  writer.setMetadata({ ...METADATA, maxzoom: 5 });
  writer.finish();
  const pmtiles = join(dir, 'converted.pmtiles');
  const back = join(dir, 'back.mbtiles');
  execFileSync(process.execPath, [MEKAN_BIN, 'convert', source, pmtiles, '--quiet']);
  execFileSync(process.execPath, [MEKAN_BIN, 'convert', pmtiles, back, '--quiet']);
  const readers = [source, pmtiles, back].map((path) => openArchive(path));
  try {
    for (const reader of readers.slice(1)) assert.deepEqual(reader.metadata, readers[0].metadata);
    for (const [key, data] of tiles) {
      const [z, x, y] = key.split('/').map(Number);
      for (const reader of readers) {
        const tile = await reader.getTile(z, x, y);
        assert.ok(tile, `${reader.path} ${key}`);
        assert.deepEqual(tile.data, data);
        // One ETag for one tile, whichever format serves it.
        assert.equal(tile.hash, (await readers[0].getTile(z, x, y))!.hash);
      }
    }
    const inspect = (path: string) => JSON.parse(execFileSync(process.execPath, [MEKAN_BIN, 'inspect', path, '--json'], { encoding: 'utf8' })) as { zooms: unknown; metadata: unknown };
    assert.deepEqual(inspect(pmtiles).zooms, inspect(source).zooms);
    assert.deepEqual(inspect(pmtiles).metadata, inspect(source).metadata);
  } finally {
    for (const reader of readers) reader.close();
  }
  assert.throws(() => execFileSync(process.execPath, [MEKAN_BIN, 'convert', pmtiles, pmtiles], { stdio: 'pipe' }), /the output is the input/);
});

/**
 * An archive laid out as other writers may (spec-legal, unlike ours): tiles not clustered (data in reverse id
 * order), uncompressed directories, every entry in leaves, a run of 4 tiles, metadata with only what tippecanoe
 * writes (zooms, bounds and center only in the header), raw PNG tiles. Written here from the spec.
 */
function writeForeignArchive(path: string): Map<string, Buffer> {
  const tiles = new Map<string, Buffer>();
  const png = (n: number) => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from(`pixels ${n}`)]);
  const entries: { id: number; data: Buffer; run: number }[] = [];
  let n = 0;
  for (const [z, x, y] of [[0, 0, 0], [1, 0, 0], [1, 1, 1], [2, 1, 2], [3, 5, 3], [4, 9, 6]]) entries.push({ id: zxyToTileId(z, x, y), data: png(n++), run: 1 });
  const runStart = zxyToTileId(5, 0, 0);
  entries.push({ id: runStart, data: png(99), run: 4 });
  entries.sort((a, b) => a.id - b.id);
  // Data in reverse order: offsets go down as ids go up (not clustered).
  let offset = 0;
  const placed = [...entries].reverse().map((entry) => {
    const at = offset;
    offset += entry.data.length;
    return { ...entry, offset: at };
  });
  placed.reverse();
  for (const entry of placed) for (let k = 0; k < entry.run; k++) tiles.set(`${idToKey(entry.id + k)}`, entry.data);
  const varints = (values: number[]) => {
    const bytes: number[] = [];
    for (let value of values) {
      while (value >= 0x80) {
        bytes.push((value % 0x80) | 0x80);
        value = Math.floor(value / 0x80);
      }
      bytes.push(value);
    }
    return Buffer.from(bytes);
  };
  const directory = (list: { id: number; run: number; length: number; offset: number }[]) => {
    let last = 0;
    const ids = list.map((entry) => {
      const delta = entry.id - last;
      last = entry.id;
      return delta;
    });
    return varints([list.length, ...ids, ...list.map((e) => e.run), ...list.map((e) => e.length), ...list.map((e) => e.offset + 1)]);
  };
  const leafA = directory(placed.slice(0, 3).map((e) => ({ id: e.id, run: e.run, length: e.data.length, offset: e.offset })));
  const leafB = directory(placed.slice(3).map((e) => ({ id: e.id, run: e.run, length: e.data.length, offset: e.offset })));
  const root = directory([
    { id: placed[0].id, run: 0, length: leafA.length, offset: 0 },
    { id: placed[3].id, run: 0, length: leafB.length, offset: leafA.length },
  ]);
  const json = Buffer.from(JSON.stringify({ name: 'Foreign', format: 'png', generator: 'spec by hand', vector_layers: [] }));
  const data = Buffer.concat([...placed].reverse().map((e) => e.data));
  const header = Buffer.alloc(127);
  header.write('PMTiles', 0, 'latin1');
  header[7] = 3;
  const sections = [127, root.length, 127 + root.length, json.length, 127 + root.length + json.length, leafA.length + leafB.length];
  const dataOffset = sections[4] + sections[5];
  [...sections, dataOffset, data.length, tiles.size, placed.length, placed.length].forEach((value, i) => header.writeBigUInt64LE(BigInt(value), 8 + i * 8));
  header[96] = 0; // not clustered
  header[97] = Compression.None;
  header[98] = Compression.None;
  header[99] = TileType.Png;
  header[100] = 0;
  header[101] = 5;
  [40, 30, 60, 50].forEach((degrees, i) => header.writeInt32LE(degrees * 1e7, 102 + i * 4));
  header[118] = 3;
  header.writeInt32LE(50 * 1e7, 119);
  header.writeInt32LE(40 * 1e7, 123);
  writeFileSync(path, Buffer.concat([header, root, json, leafA, leafB, data]));
  return tiles;
}

function idToKey(id: number): string {
  for (let z = 0; z <= 30; z++) {
    for (let x = 0; x < 2 ** z && z < 6; x++) for (let y = 0; y < 2 ** z; y++) if (zxyToTileId(z, x, y) === id) return `${z}/${x}/${y}`;
  }
  throw new Error(`id ${id} not found`);
}

test('an archive laid out as other writers do (unclustered, plain directories in leaves, runs, header-only zooms) reads tile for tile', async () => {
  const path = join(dir, 'foreign.pmtiles');
  const tiles = writeForeignArchive(path);
  // The official reader agrees with what the file is meant to hold: the fixture follows the spec.
  const official = new PMTiles(new NodeFileSource(path));
  for (const [key, data] of tiles) assert.deepEqual(Buffer.from((await official.getZxy(...(key.split('/').map(Number) as [number, number, number])))!.data), data);

  const reader = PMTilesReader.openFile(path);
  try {
    assert.deepEqual(
      { name: reader.metadata.name, format: reader.metadata.format, minzoom: reader.metadata.minzoom, maxzoom: reader.metadata.maxzoom, bounds: reader.metadata.bounds, center: reader.metadata.center },
      { name: 'Foreign', format: 'png', minzoom: 0, maxzoom: 5, bounds: [40, 30, 60, 50], center: [50, 40, 3] },
    );
    for (const [key, data] of tiles) {
      const answer = reader.getTile(...(key.split('/').map(Number) as [number, number, number]));
      // A local file is read as SQLite reads an MBTiles: the tile itself, no promise for the server to wait on.
      assert.ok(!(answer instanceof Promise), `${key} answered synchronously`);
      const tile = await answer;
      assert.ok(tile, key);
      assert.deepEqual(tile.data, data, key);
      assert.equal(tile.gzipped, false);
    }
    assert.equal(await reader.getTile(5, 31, 31), undefined);
    const streamed: ArchiveTile[] = [];
    for await (const tile of reader.tiles()) streamed.push(tile);
    assert.deepEqual(new Map(streamed.map((tile) => [`${tile.z}/${tile.x}/${tile.y}`, tile.data])), tiles);
    const summary = await reader.summarize();
    assert.deepEqual(summary.map((zoom) => [zoom.zoom, zoom.tiles]), [[0, 1], [1, 2], [2, 1], [3, 1], [4, 1], [5, 4]]);
  } finally {
    reader.close();
  }
});

test('a file that is not a PMTiles archive, or one compressed with what we cannot serve, is refused naming the file', () => {
  const notPmtiles = join(dir, 'not.pmtiles');
  writeFileSync(notPmtiles, 'SQLite format 3\0 and more bytes than a header needs'.repeat(5));
  assert.throws(() => openArchive(notPmtiles), (error: Error) => error.message.includes(notPmtiles) && /not a PMTiles archive/.test(error.message));
  const brotli = join(dir, 'brotli.pmtiles');
  writeForeignArchive(brotli);
  const bytes = Buffer.from(execFileSync('cat', [brotli]));
  bytes[98] = Compression.Brotli;
  writeFileSync(brotli, bytes);
  assert.throws(() => openArchive(brotli), /tile compression Brotli is not supported/);
});

/** An archive whose root points at a leaf that points at itself: a walk without a depth limit never ends. */
function writeLoopingArchive(path: string): void {
  // One entry (tile id 0, run 0: a leaf) at offset 0 of the leaf section, 5 bytes long: the leaf itself.
  const leaf = Buffer.from([1, 0, 0, 5, 1]);
  const json = Buffer.from(JSON.stringify({ name: 'Loop', format: 'png' }));
  const header = Buffer.alloc(127);
  header.write('PMTiles', 0, 'latin1');
  header[7] = 3;
  const sections = [127, leaf.length, 127 + leaf.length, json.length, 127 + leaf.length + json.length, leaf.length];
  [...sections, sections[4] + leaf.length, 0, 1, 1, 1].forEach((value, i) => header.writeBigUInt64LE(BigInt(value), 8 + i * 8));
  header[97] = Compression.None;
  header[98] = Compression.None;
  header[99] = TileType.Png;
  writeFileSync(path, Buffer.concat([header, leaf, json, leaf]));
}

test('directories nested deeper than three leaf levels (a leaf pointing at itself) are refused naming the archive, local and remote, not walked for ever', async () => {
  const path = join(dir, 'loop.pmtiles');
  writeLoopingArchive(path);
  const nested = (where: string) => (error: Error) => error instanceof InputError && error.subject === where && /nest deeper than 3 levels/.test(error.message);
  const local = PMTilesReader.openFile(path);
  try {
    assert.throws(() => local.getTile(0, 0, 0), nested(path));
    await assert.rejects(async () => {
      for await (const tile of local.tiles()) assert.fail(`a tile ${tile.z}/${tile.x}/${tile.y} from a loop`);
    }, nested(path));
  } finally {
    local.close();
  }
  // The remote walk is the same walk, over range requests.
  const bytes = readFileSync(path);
  const server = createServer((request, response) => {
    const [start, end] = /^bytes=(\d+)-(\d+)$/.exec(request.headers.range ?? '')!.slice(1).map(Number);
    const last = Math.min(end, bytes.length - 1);
    response.writeHead(206, { 'Content-Range': `bytes ${start}-${last}/${bytes.length}` }).end(bytes.subarray(start, last + 1));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/loop.pmtiles`;
  try {
    const remote = await PMTilesReader.openUrl(url);
    await assert.rejects(async () => remote.getTile(0, 0, 0), nested(url));
    remote.close();
  } finally {
    server.close();
  }
});
