// Child-process helper for the streaming test: reads a source and prints its feature and problem counts as JSON.
import { openSource } from '../../src/sources/open.js';

const source = await openSource(process.argv[2]);
let features = 0;
let problems = 0;
let vertices = 0;
for await (const feature of source.features(() => problems++)) {
  features++;
  if (feature.geometry.type === 'LineString') vertices += feature.geometry.coordinates.length;
}
process.stdout.write(JSON.stringify({ features, problems, vertices, heapUsed: process.memoryUsage().heapUsed }) + '\n');
