import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigFile } from '../../src/config/schema.js';
import { DEFAULT_CACHE_CONTROL, serverOptionsFrom } from '../../src/config/serverOptions.js';
import { InputError } from '../../src/errors.js';
import { makeTempDir } from '../support/tempDir.js';

const dir = makeTempDir('mekan-config-');

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

test('a YAML configuration: paths relative to the file, tilesets, and every server setting', () => {
  const file = write(
    'serve.yaml',
    `paths: [tiles, /srv/other]
tilesets:
  ortho: { path: imagery/ortho.mbtiles, cacheControl: "public, max-age=86400" }
  basemap: { cacheControl: "public, max-age=60" }
host: 0.0.0.0
port: 9000
publicUrl: https://tiles.example.az/basemap
workers: 2
trustProxy: true
cors: { origins: [https://map.example.az] }
cacheControl: public, max-age=600
log: { level: warn, requests: false, sampleRate: 0.1 }
cache: { tilesMb: 8, etagsMb: 0 }
`,
  );
  const config = loadConfigFile(file);
  assert.deepEqual(config.paths, [join(dir, 'tiles'), '/srv/other']);
  assert.equal(config.tilesets!.ortho.path, join(dir, 'imagery/ortho.mbtiles'));
  assert.equal(config.tilesets!.basemap.path, undefined);
  const options = serverOptionsFrom({}, config);
  assert.equal(options.host, '0.0.0.0');
  assert.equal(options.port, 9000);
  assert.equal(options.publicUrl, 'https://tiles.example.az/basemap');
  assert.equal(options.workers, 2);
  assert.equal(options.trustProxy, true);
  assert.deepEqual(options.corsOrigins, ['https://map.example.az']);
  assert.equal(options.cacheControl, 'public, max-age=600');
  assert.deepEqual(options.log, { level: 'warn', requests: false, sampleRate: 0.1 });
  assert.deepEqual(options.cache, { tilesMb: 8, etagsMb: 0 });
});

test('flags win over the file, the file over defaults', () => {
  const config = loadConfigFile(write('serve.json', JSON.stringify({ port: 9000, host: '0.0.0.0', workers: 2, paths: ['a'] })));
  const options = serverOptionsFrom({ port: '7000', paths: ['b.mbtiles'], publicUrl: 'http://x.example.az/' }, config);
  assert.equal(options.port, 7000);
  assert.equal(options.host, '0.0.0.0');
  assert.equal(options.workers, 2);
  assert.equal(options.publicUrl, 'http://x.example.az');
  assert.deepEqual(options.paths, [join(process.cwd(), 'b.mbtiles'), join(dir, 'a')]);
  const defaults = serverOptionsFrom({});
  assert.equal(defaults.port, 8080);
  assert.equal(defaults.host, '127.0.0.1');
  assert.equal(defaults.cacheControl, DEFAULT_CACHE_CONTROL);
  assert.deepEqual(defaults.corsOrigins, ['*']);
  assert.equal(defaults.trustProxy, false);
  assert.equal(serverOptionsFrom({ quiet: true }).log.requests, false);
  assert.deepEqual(defaults.log, { level: 'info', requests: true, sampleRate: 1 });
  assert.deepEqual(defaults.cache, { tilesMb: 64, etagsMb: 16 });
});

test('configuration errors name the file and the key', () => {
  const cases: [string, string, RegExp][] = [
    ['port.yaml', 'port: eighty\n', /port\.yaml: port: .*number/],
    ['deep.yaml', 'tilesets:\n  ortho:\n    cacheControl: 5\n', /deep\.yaml: tilesets\.ortho\.cacheControl: .*string/],
    ['unknown.yaml', 'tilesets:\n  ortho:\n    pth: x.mbtiles\n', /unknown\.yaml: tilesets\.ortho\.pth: unknown key/],
    ['top.json', '{"prot": 80}', /top\.json: prot: unknown key/],
    ['url.yaml', 'publicUrl: ftp://x\n', /url\.yaml: publicUrl: /],
    ['cors.yaml', 'cors:\n  origins: "*"\n', /cors\.yaml: cors\.origins: .*array/],
    ['paths.yaml', 'paths: [ok, 3]\n', /paths\.yaml: paths\[1\]: /],
    ['broken.yaml', 'port: [1, 2\n', /broken\.yaml: not valid YAML/],
    ['broken.json', '{"port": 1,}', /broken\.json: not valid JSON/],
    ['sample.yaml', 'log: { sampleRate: 0 }\n', /sample\.yaml: log\.sampleRate: /],
    ['cache.yaml', 'cache: { tilesMb: -1 }\n', /cache\.yaml: cache\.tilesMb: /],
  ];
  for (const [name, text, expected] of cases) {
    const path = write(name, text);
    assert.throws(() => loadConfigFile(path), (error: unknown) => error instanceof InputError && expected.test(error.message) && error.message.startsWith(path), name);
  }
  assert.throws(() => loadConfigFile(join(dir, 'missing.yaml')), /missing\.yaml: cannot read/);
  assert.throws(() => serverOptionsFrom({ port: '80a' }), /--port: expected an integer/);
  assert.throws(() => serverOptionsFrom({ workers: '0' }), /--workers: expected an integer 1\.\.64/);
  assert.throws(() => serverOptionsFrom({ publicUrl: 'tiles.example.az' }), /--public-url: expected an absolute http\(s\) URL/);
});
