// No request can starve the server: while a second process hammers it with the most expensive requests a client
// may make (font stacks at the cap, documents of the largest metadata allowed, each under a new Host) and with
// the probe's 450-name stacks, tiles are answered within a bounded factor of their quiet time. The loads take
// turns in one test, so the machine's speed and what else runs on it fall on all of them alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { STYLES_DIR } from '../../src/server/assets.js';
import { MAX_FONTS_IN_STACK } from '../../src/server/glyphs/fontLibrary.js';
import { decodeGlyphs } from '../../src/server/glyphs/glyphPbf.js';
import { MAX_METADATA_TEXT, MAX_METADATA_VALUE_BYTES } from '../../src/archive/metadataLimits.js';
import { makeTempDir } from '../support/tempDir.js';
import { startHammer, type HammerRequest } from '../support/hammer.js';
import { spawnServe } from '../support/mekanProcess.js';
import { get, writeVectorArchive } from '../server/core/fixtures.js';

const dir = makeTempDir('mekan-starve-');
/** The bundled fonts the glyph tests read: real glyph ranges, so that every allowed stack below is combined for real (200). */
const FONTS_DIR = join(STYLES_DIR, 'fonts');
const FONTS = readdirSync(FONTS_DIR, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
/** The ranges every bundled Latin font has (Armenian and Georgian fonts have some of them): the costliest to combine. */
const RANGES = readdirSync(join(FONTS_DIR, 'Noto Sans Regular')).map((file) => Number(file.split('-')[0])).sort((a, b) => a - b);
/** The font-stack length limit (characters of the decoded stack). */
const MAX_STACK_CHARACTERS = MAX_FONTS_IN_STACK * 128;

/** Tiles of the fixture archive (its features lie in one tile a zoom). */
const TILES = ['0/0/0', '1/1/0', '2/2/1'];

/** Times of `count` tile requests made one after another from this process, in ms. */
async function tileTimes(url: string, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const answer = await get(url, `/tiles/basemap/${TILES[i % TILES.length]}.pbf`);
    times.push(performance.now() - started);
    assert.equal(answer.status, 200);
  }
  return times;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** The `n`th ordering of the fonts (of FONTS.length!), read as a number in the factorial base. */
function permutation(n: number): string[] {
  const left = [...FONTS];
  const order: string[] = [];
  for (let k = left.length; k > 0; k--) {
    order.push(left.splice(n % k, 1)[0]);
    n = Math.floor(n / k);
  }
  return order;
}

/** Every font once in the `n`th order, one named twice to make eight names, padded with spaces (trimmed away) to the length limit. */
function worstAllowedStack(n: number): string {
  const order = permutation((n * 7919) % 5040);
  const names = [...order, order[0]].slice(0, MAX_FONTS_IN_STACK);
  const padding = ' '.repeat(Math.floor((MAX_STACK_CHARACTERS - names.join(',').length) / names.length));
  return names.map((name) => encodeURIComponent(name + padding)).join(',');
}

/**
 * The `n`th allowed request at its costliest: eight names of real fonts over a range they share, in an order
 * (of 2,048 stack-and-range pairs, four times what the combined-stack cache holds) that no cache holds any more.
 */
function worstAllowedFonts(n: number): string {
  const start = RANGES[n % RANGES.length];
  return `/fonts/${worstAllowedStack(n)}/${start}-${start + 255}.pbf`;
}

/** What the probe sent: 450 names (of fonts that exist) in a 10 KB URL, in ever new orders and lengths. */
function hugeFonts(n: number): string {
  const names = Array.from({ length: 450 + (n % 64) }, (_, i) => FONTS[(i * (1 + (n % 5)) + (n >> 6)) % FONTS.length]);
  const start = RANGES[(n >> 3) % RANGES.length];
  return `/fonts/${names.map(encodeURIComponent).join(',')}/${start}-${start + 255}.pbf`;
}

/** A vector archive whose metadata is as large as the limits let through: a `json` row just under 1 MiB, texts at 16 KiB. */
function writeLargestAllowedMetadata(path: string): void {
  writeVectorArchive(path, { maxzoom: 2 });
  const layers: unknown[] = [];
  const field = (i: number) => [`property_${String(i).padStart(4, '0')}_of_this_layer`, 'String'];
  while (JSON.stringify({ vector_layers: layers }).length < MAX_METADATA_VALUE_BYTES - 20_000) layers.push({ id: `layer${layers.length}`, fields: Object.fromEntries(Array.from({ length: 100 }, (_, i) => field(i))) });
  const db = new Database(path);
  db.prepare("UPDATE metadata SET value = ? WHERE name = 'json'").run(JSON.stringify({ vector_layers: layers }));
  db.prepare("INSERT OR REPLACE INTO metadata (name, value) VALUES ('description', ?)").run('d'.repeat(MAX_METADATA_TEXT));
  db.close();
}

/**
 * Bound on the tile median beside any load, as a multiple of the quiet median. Measured here (2 cores, load
 * average 15–21 from other sessions): beside the costliest allowed font stacks ×8–×36, the largest documents
 * ×10–×31, cheap 404s alike ×6–×13 (eight clients keep the server's one thread busy, so a tile waits behind
 * several of their requests whatever they cost). What it catches: documents rebuilt per Host ×159–×237, font stacks
 * without the cap, de-duplication and range cache (the probe's finding) ×410.
 */
const MAX_SLOWDOWN = 100;
const ROUNDS = 4;
const TILES_PER_TURN = 15;

test('starvation: a second process sending the costliest allowed font stacks and documents slows tiles by a bounded factor; 450-name stacks are refused before any work', async () => {
  const folder = join(dir, 'hammered');
  mkdirSync(folder);
  writeVectorArchive(join(folder, 'basemap.mbtiles'), { maxzoom: 2 });
  writeLargestAllowedMetadata(join(folder, 'documents.mbtiles'));
  // As users run it: request logs on.
  const serve = await spawnServe([folder, '--port', '0']);
  try {
    // The fixture is real first: the allowed stacks name fonts that exist and come back as glyphs (200), one per range.
    const allowed = Array.from({ length: 2048 }, (_, n) => worstAllowedFonts(n));
    assert.ok(decodeURIComponent(worstAllowedStack(0)).length <= MAX_STACK_CHARACTERS && decodeURIComponent(worstAllowedStack(0)).length > MAX_STACK_CHARACTERS - 16);
    for (const path of allowed.slice(0, RANGES.length)) {
      const answer = await get(serve.url, path);
      assert.equal(answer.status, 200, `${path}: ${answer.body.toString()}`);
      const { name, glyphs } = decodeGlyphs(answer.body);
      assert.equal(new Set(name.split(',')).size, FONTS.length, name);
      assert.ok(glyphs.length > 0, path);
    }
    // Documents of the largest metadata allowed, each under a Host no cached copy was built for.
    const documentPaths = ['/tiles/documents.json', '/ogc/collections/documents', '/ogc/collections/documents/tiles/WebMercatorQuad', '/ogc/collections', '/catalog.json', '/wmts/1.0.0/WMTSCapabilities.xml'];
    const documents = Array.from({ length: 600 }, (_, n) => ({ path: documentPaths[n % documentPaths.length], headers: { host: `client${n}.example:8080` } }));
    const tileJson = await get(serve.url, '/tiles/documents.json');
    assert.equal(tileJson.status, 200);
    assert.ok(tileJson.body.length > MAX_METADATA_VALUE_BYTES * 0.9, `${tileJson.body.length} bytes`);

    // Loads alternate in short turns, several rounds, so that what else runs on the machine falls on all of them alike.
    const loads: [string, HammerRequest[] | undefined][] = [
      ['quiet', undefined],
      // The same load shape of cheap requests: an unknown font, 404 before any work, as long a URL as the allowed stacks.
      ['cheap requests', [`/fonts/nosuch/0-255.pbf?pad=${'x'.repeat(allowed[0].length - 20)}`]],
      ['allowed font stacks', allowed],
      ['450-name font stacks', Array.from({ length: 2048 }, (_, n) => hugeFonts(n))],
      ['largest documents', documents],
    ];
    const times = new Map<string, number[]>(loads.map(([name]) => [name, []]));
    const hammer = startHammer(serve.url);
    let answers: Record<string, Record<string, number>>;
    try {
      for (let round = 0; round < ROUNDS; round++) {
        for (const [name, requests] of loads) {
          await (requests ? hammer.load(name, requests) : hammer.pause());
          times.get(name)!.push(...(await tileTimes(serve.url, TILES_PER_TURN)));
        }
      }
    } finally {
      answers = await hammer.stop();
    }
    const quietMs = median(times.get('quiet')!);
    const medians = new Map([...times].map(([name, samples]) => [name, median(samples)]));
    console.log(`tile median ${[...medians].map(([name, ms]) => `${name} ${ms.toFixed(2)} ms (×${(ms / quietMs).toFixed(1)}) ${JSON.stringify(answers[name] ?? {})}`).join('; ')}`);
    // Every allowed request was served for real.
    assert.deepEqual(Object.keys(answers['allowed font stacks']), ['200']);
    assert.deepEqual(Object.keys(answers['largest documents']), ['200']);
    for (const [name, ms] of medians) assert.ok(ms <= quietMs * MAX_SLOWDOWN, `tile median beside ${name}: ${ms.toFixed(2)} ms, quiet ${quietMs.toFixed(2)} ms`);
    // And every over-long stack refused, with a reason.
    assert.deepEqual(Object.keys(answers['450-name font stacks']), ['400']);
    const refused = await get(serve.url, hugeFonts(0));
    assert.equal(refused.status, 400);
    assert.match(refused.body.toString(), /font stack: longer than/);
  } finally {
    serve.child.kill('SIGTERM');
    await serve.exited;
  }
});

test('metadata: 23 MB is left unread at load with a warning, malformed vector_layers and overlong texts are repaired; no answer is 5xx or carries megabytes', async () => {
  const folder = join(dir, 'metadata');
  mkdirSync(folder);
  const huge = join(folder, 'huge.mbtiles');
  const malformed = join(folder, 'malformed.mbtiles');
  writeVectorArchive(huge, { maxzoom: 2 });
  writeVectorArchive(malformed, { maxzoom: 2 });
  const layers = Array.from({ length: 2000 }, (_, i) => ({ id: `layer${i}`, fields: Object.fromEntries(Array.from({ length: 300 }, (_, f) => [`field_${f}_of_layer_${i}`, 'String'])) }));
  const hugeDb = new Database(huge);
  hugeDb.prepare("UPDATE metadata SET value = ? WHERE name = 'json'").run(JSON.stringify({ vector_layers: layers }));
  hugeDb.close();
  const malformedDb = new Database(malformed);
  // What the probe found (an entry without fields), and its cousins: no id, not an object, a field without a type name.
  malformedDb.prepare("UPDATE metadata SET value = ? WHERE name = 'json'").run(JSON.stringify({ vector_layers: [{ id: 'places' }, { fields: { a: 'String' } }, null, 7, { id: 'roads', fields: { name: 'String', lanes: { type: 'Number' } } }] }));
  malformedDb.prepare("UPDATE metadata SET value = ? WHERE name = 'description'").run('d'.repeat(200_000));
  malformedDb.close();
  const serve = await spawnServe([folder, '--port', '0']);
  try {
    for (const id of ['huge', 'malformed']) {
      for (const path of [`/tiles/${id}.json`, `/ogc/collections/${id}`, `/ogc/collections/${id}/tiles`, `/ogc/collections/${id}/tiles/WebMercatorQuad`, '/ogc/collections', '/catalog.json', `/tiles/${id}/0/0/0.pbf`]) {
        const answer = await get(serve.url, path);
        assert.equal(answer.status, 200, `${path}: ${answer.body.subarray(0, 200).toString()}`);
        assert.ok(answer.body.length < 100_000, `${path}: ${answer.body.length} bytes`);
      }
    }
    const ogc = (await get(serve.url, '/ogc/collections/malformed/tiles/WebMercatorQuad')).json<{ layers: { id: string; propertiesSchema: { properties: Record<string, unknown> } }[] }>();
    assert.deepEqual(ogc.layers.map((layer) => [layer.id, Object.keys(layer.propertiesSchema.properties)]), [['places', []], ['roads', ['name', 'lanes']]]);
    const tileJson = (await get(serve.url, '/tiles/malformed.json')).json<{ description: string }>();
    assert.equal(tileJson.description.length, 16 * 1024);
    const warnings = serve.stderr().split('\n').filter((line) => line.includes('"level":40')).join('\n');
    assert.match(warnings, /huge\.mbtiles: metadata json is \d+ bytes, above the 1048576-byte limit; ignored/);
    assert.match(warnings, /malformed\.mbtiles: metadata vector_layers: layer \\"places\\" has no fields object/);
    assert.match(warnings, /malformed\.mbtiles: metadata description is 200000 characters; trimmed to 16384/);
  } finally {
    serve.child.kill('SIGTERM');
    await serve.exited;
  }
});
