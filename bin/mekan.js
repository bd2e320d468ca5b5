#!/usr/bin/env node
// Entry point of the `mekan` command: runs the compiled CLI (npm ci/install compiles it via `prepare`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write('mekan: not compiled yet; run `npm install` in the project folder (it compiles), then `npx mekan …` again\n');
  process.exit(1);
}
await import(main.href);
