// No request can starve the server: while a second process hammers it with the most expensive requests a client
// can make (huge font stacks, documents of huge metadata), tiles are answered about as fast as while it
// hammers with cheap ones. Compared in the same test, so the machine's speed cancels out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '../support/tempDir.js';
import { spawnServe } from '../support/mekanProcess.js';
import { get, writeVectorArchive } from '../server/core/fixtures.js';

const dir = makeTempDir('mekan-starve-');
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
