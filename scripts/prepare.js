// `prepare` (npm install, and npx, which installs this folder into its cache first): compiles the TypeScript.
// Where TypeScript is not installed yet (`npx mekan …` before `npm install`), it says what to run and succeeds:
// a failing prepare leaves npx's cache entry half made, and every later `npx mekan` fails until it is deleted by hand.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let tsc;
try {
  tsc = require.resolve('typescript/bin/tsc');
} catch {
  process.stderr.write('mekan: TypeScript is not installed here yet, so nothing was compiled; run `npm install` in the project folder first\n');
  process.exit(0);
}
const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { stdio: 'inherit' });
process.exit(result.status ?? 1);
