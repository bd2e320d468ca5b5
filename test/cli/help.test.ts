// The command line as a newcomer meets it: help on every level, the version, and typos answered with the likely meaning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { MEKAN_BIN } from '../support/mekanProcess.js';

const run = promisify(execFile);

function mekan(...args: string[]) {
  return spawnSync(process.execPath, [MEKAN_BIN, ...args], { encoding: 'utf8' });
}

test('mekan --help: one line per command with what it does; mekan build --help lists the builders', () => {
  const help = mekan('--help');
  assert.equal(help.status, 0, help.stderr);
  for (const name of ['build vector', 'build raster', 'serve', 'inspect']) assert.match(help.stdout, new RegExp(`^  mekan ${name}\\s{3,}\\S.{10,}$`, 'm'), name);
  assert.equal(mekan().stdout, help.stdout);
  assert.equal(mekan('help').stdout, help.stdout);
  for (const args of [['build', '--help'], ['build'], ['help', 'build']]) {
    const build = mekan(...args);
    assert.equal(build.status, 0, `${args.join(' ')}: ${build.stderr}`);
    assert.match(build.stdout, /^ {2}mekan build vector\s+vector layers/m);
    assert.match(build.stdout, /^ {2}mekan build raster\s+GeoTIFF/m);
    assert.doesNotMatch(build.stdout, /mekan serve/);
  }
});

test('mekan help build vector is mekan build vector --help; mekan --version prints the package version', () => {
  const usage = mekan('build', 'vector', '--help');
  assert.equal(usage.status, 0);
  assert.match(usage.stdout, /^Usage: mekan build vector INPUT…/);
  assert.match(usage.stdout, /--maxzoom Z/);
  assert.equal(mekan('help', 'build', 'vector').stdout, usage.stdout);
  const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  const printed = mekan('--version');
  assert.equal(printed.status, 0);
  assert.match(printed.stdout, new RegExp(`^mekan ${version.replaceAll('.', '\\.')} \\(Node \\d+`));
});

test('a misspelled option: one line, one mekan: prefix, the closest option and a pointer to --help; exit 1', () => {
  const cases: [string[], string][] = [
    [['build', 'vector', 'in.geojson', '-o', 'out.mbtiles', '--maxzom', '5'], 'mekan: build vector: unknown option --maxzom (did you mean --maxzoom?); see mekan build vector --help\n'],
    [['build', 'raster', 'in.tif', '-o', 'out.mbtiles', '--band', '1'], 'mekan: build raster: unknown option --band (did you mean --bands?); see mekan build raster --help\n'],
    [['serve', '--prot', '8080'], 'mekan: serve: unknown option --prot (did you mean --port?); see mekan serve --help\n'],
    [['serve', '--frobnicate'], 'mekan: serve: unknown option --frobnicate; see mekan serve --help\n'],
    [['build', 'raster', 'in.tif', '-o'], 'mekan: build raster: -o expects a value; see mekan build raster --help\n'],
    [['serve', '--quiet=yes'], 'mekan: serve: --quiet takes no value; see mekan serve --help\n'],
    [['build', 'vector', 'in.geojson'], 'mekan: build vector: missing -o OUT.mbtiles\n'],
  ];
  for (const [args, expected] of cases) {
    const result = mekan(...args);
    assert.equal(result.stderr, expected, args.join(' '));
    assert.equal(result.status, 1, args.join(' '));
  }
});

test('a misspelled command names the closest command and exits 2', () => {
  for (const [args, expected] of [
    [['sevre'], 'mekan: unknown command "sevre" (did you mean mekan serve?); mekan --help lists the commands\n'],
    [['build', 'vectr', 'x'], 'mekan: unknown command "build vectr" (did you mean mekan build vector?); mekan --help lists the commands\n'],
    [['tiles'], 'mekan: unknown command "tiles"; mekan --help lists the commands\n'],
  ] as const) {
    const result = mekan(...args);
    assert.equal(result.stderr, expected);
    assert.equal(result.status, 2);
  }
});

test('every builder suggests from its own options, long, short and negated forms alike', async () => {
  // [command, typed flag, what the hint says]; each builder is given a typo of one of its own options.
  const cases: [string[], string, string | undefined][] = [
    [['build', 'vector', 'in.geojson', '-o', 'out.mbtiles'], '--layr', 'did you mean --layer?'],
    [['build', 'vector', 'in.geojson', '-o', 'out.mbtiles'], '-maxzoom', 'did you mean --maxzoom?'],
    [['build', 'vector', 'in.geojson', '-o', 'out.mbtiles'], '--no-strict', '--strict is off unless given; leave it out'],
    [['build', 'raster', 'in.tif', '-o', 'out.mbtiles'], '--alfa', 'did you mean --alpha?'],
    [['build', 'raster', 'in.tif', '-o', 'out.mbtiles'], '--nmae', 'did you mean --name?'],
    [['build', 'raster', 'in.tif', '-o', 'out.mbtiles'], '--skipbad', 'did you mean --skip-bad?'],
    [['build', 'raster', 'in.tif', '-o', 'out.mbtiles'], '--tiles', undefined],
    [['extract', 'in.mbtiles', '-o', 'out.mbtiles'], '--bboxx', 'did you mean --bbox?'],
    [['extract', 'in.mbtiles', '-o', 'out.mbtiles'], '-B', 'did you mean -b?'],
    [['merge', 'a.mbtiles', 'b.mbtiles'], '--o', 'did you mean -o?'],
    [['package', '--style', 'standard', '-o', 'out.zip'], '--maxzooom', 'did you mean --maxzoom?'],
    [['convert', 'a.mbtiles', 'b.pmtiles'], '--qiet', 'did you mean --quiet?'],
    [['convert', 'a.mbtiles', 'b.pmtiles'], '--no-quiet', '--quiet is off unless given; leave it out'],
  ];
  // The processes run side by side: each only parses its arguments, so the test costs one start-up, not thirteen.
  await Promise.all(
    cases.map(async ([args, typed, hint]) => {
      const command = args[0] === 'build' ? args.slice(0, 2).join(' ') : args[0];
      const failed = await run(process.execPath, [MEKAN_BIN, ...args, typed, ...(typed.startsWith('--no-') ? [] : ['1'])]).then(
        () => assert.fail(`${command} ${typed} succeeded`),
        (error: { stderr: string; code: number }) => error,
      );
      assert.equal(failed.stderr, `mekan: ${command}: unknown option ${typed}${hint ? ` (${hint})` : ''}; see mekan ${command} --help\n`, `${command} ${typed}`);
      assert.equal(failed.code, 1, `${command} ${typed}`);
    }),
  );
});
