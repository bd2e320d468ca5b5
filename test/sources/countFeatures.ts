// Child-process helper for the streaming test: reads a source and prints its feature and problem counts and peak heap as JSON.
import { openSource } from '../../src/sources/open.js';

const source = await openSource(process.argv[2]);
let features = 0;
let problems = 0;
let vertices = 0;
// Sampled as it goes: a reader that held the whole file, or every parsed feature, would show here long before the end.
let peakHeapUsed = 0;
for await (const feature of source.features(() => problems++)) {
  features++;
  if (features % 2000 === 0) peakHeapUsed = Math.max(peakHeapUsed, process.memoryUsage().heapUsed);
  if (feature.geometry.type === 'LineString') vertices += feature.geometry.coordinates.length;
}
process.stdout.write(JSON.stringify({ features, problems, vertices, peakHeapUsed }) + '\n');
