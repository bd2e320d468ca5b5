// A FeatureCollection far larger than the heap allows to parse whole is streamed in a child with a 256 MB heap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir } from '../support/tempDir.js';

const dir = makeTempDir('mekan-sources-stream-');
const FEATURES = 200_000;
const VERTICES = 20;
const BROKEN_EVERY = 10_000;

/** Writes the file in pieces so the test itself never holds it; every BROKEN_EVERY-th feature has no geometry. */
function writeLargeCollection(path: string): void {
  const descriptor = openSync(path, 'w');
  writeSync(descriptor, '{"type":"FeatureCollection","name":"large","features":[\n');
  let batch: string[] = [];
  for (let i = 0; i < FEATURES; i++) {
    const coordinates: number[][] = [];
    for (let k = 0; k < VERTICES; k++) coordinates.push([((i * 0.001) % 360) - 180 + k * 1e-4, ((i * 0.0007) % 170) - 85 + k * 1e-4]);
    const geometry = i % BROKEN_EVERY === BROKEN_EVERY - 1 ? null : { type: 'LineString', coordinates };
    batch.push(JSON.stringify({ type: 'Feature', properties: { id: i, name: `Yol ${i} — Şəki–Qax`, length: i * 0.25, paved: i % 2 === 0, tags: { lanes: 2 } }, geometry }));
    if (batch.length === 5000) {
      writeSync(descriptor, batch.join(',\n') + (i < FEATURES - 1 ? ',\n' : '\n'));
      batch = [];
    }
  }
  if (batch.length) writeSync(descriptor, batch.join(',\n') + '\n');
  writeSync(descriptor, ']}\n');
  closeSync(descriptor);
}

test('a ~170 MB FeatureCollection streams through a 256 MB heap and every feature is counted', () => {
  const path = join(dir, 'large.geojson');
  writeLargeCollection(path);
  const size = statSync(path).size;
  assert.ok(size > 120e6, `the file is ${size} bytes`);
  const helper = fileURLToPath(new URL('./countFeatures.js', import.meta.url));
  const output = execFileSync(process.execPath, ['--max-old-space-size=256', helper, path], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const counts = JSON.parse(output) as { features: number; problems: number; vertices: number; peakHeapUsed: number };
  const broken = FEATURES / BROKEN_EVERY;
  assert.equal(counts.features, FEATURES - broken);
  assert.equal(counts.problems, broken);
  assert.equal(counts.vertices, (FEATURES - broken) * VERTICES);
  // Streaming holds one chunk and one feature at a time (about 24 MB measured); a reader that kept the
  // file's text (170 MB) or the features it parsed (over 100 MB of objects) could not stay under 64 MB.
  assert.ok(counts.peakHeapUsed < 64 * 1024 * 1024, `peak heap ${Math.round(counts.peakHeapUsed / 1048576)} MB while streaming`);
});
