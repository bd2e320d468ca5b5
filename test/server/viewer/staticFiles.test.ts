import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { StaticFolder } from '../../../src/server/viewer/staticFiles.js';
import { makeTempDir } from '../../support/tempDir.js';

test('a static folder returns only regular files of known types inside it', () => {
  const dir = makeTempDir('mekan-static-');
  const root = join(dir, 'public');
  mkdirSync(join(root, 'sub'), { recursive: true });
  writeFileSync(join(root, 'app.js'), 'export const answer = 42;\n'.repeat(50));
  writeFileSync(join(root, 'sub', 'style.css'), 'body { margin: 0 }');
  writeFileSync(join(root, 'notes.txt'), 'unknown type');
  writeFileSync(join(dir, 'secret.js'), 'outside');
  symlinkSync(join(dir, 'secret.js'), join(root, 'link.js'));
  const folder = new StaticFolder(root);

  const app = folder.get('app.js')!;
  assert.equal(app.contentType, 'text/javascript; charset=utf-8');
  assert.match(app.etag, /^"[0-9a-f]{40}"$/);
  assert.equal(gunzipSync(app.gzipped!).toString(), app.body.toString());
  assert.equal(folder.get('sub/style.css')!.contentType, 'text/css; charset=utf-8');

  for (const attempt of ['../secret.js', 'sub/../../secret.js', '/etc/passwd', join(dir, 'secret.js'), 'link.js', 'notes.txt', 'sub', '', 'app.js\0.css', '..\\secret.js', 'missing.js']) {
    assert.equal(folder.get(attempt), undefined, JSON.stringify(attempt));
  }
});
