/** The manifest bytes exactly as PRODUCT.md fixes them, and what a manifest may contain. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SnapshotError } from '../../../server/src/core/snapshots/errors';
import { parseManifest, serializeManifest, unsafePathReason } from '../../../server/src/core/snapshots/manifest';

const H1 = 'a'.repeat(64);
const H2 = 'b'.repeat(64);

describe('manifest bytes', () => {
  test('compact JSON, keys path/sha256/size, sorted by path, no trailing newline', () => {
    const bytes = serializeManifest([
      { path: 'b.csv', sha256: H2, size: 2 },
      { path: 'a/b.csv', sha256: H1, size: 123 },
    ]);
    assert.equal(bytes.toString('utf8'), `{"files":[{"path":"a/b.csv","sha256":"${H1}","size":123},{"path":"b.csv","sha256":"${H2}","size":2}]}`);
  });

  test('sort is JS string order (UTF-16 code units), not locale order', () => {
    const paths = ['b', 'a/b', 'a-b', 'B', 'é', 'z', '😀', '\uFF01'];
    const bytes = serializeManifest(paths.map((p) => ({ path: p, sha256: H1, size: 0 })));
    const order = (JSON.parse(bytes.toString('utf8')) as { files: { path: string }[] }).files.map((f) => f.path);
    // U+1F600 is the surrogate pair D83D DE00, which sorts before U+FF01 in UTF-16 order.
    assert.deepEqual(order, ['B', 'a-b', 'a/b', 'b', 'z', 'é', '😀', '\uFF01']);
  });

  test('non-ASCII names are raw UTF-8, quotes and control characters escaped as JSON.stringify does', () => {
    const bytes = serializeManifest([{ path: 'données/"x"\n.csv', sha256: H1, size: 1 }]);
    assert.equal(bytes.toString('utf8'), `{"files":[{"path":"données/\\"x\\"\\n.csv","sha256":"${H1}","size":1}]}`);
    assert.ok(bytes.includes(Buffer.from('données', 'utf8')));
  });

  test('the same bytes as JSON.stringify({ files }) for awkward names, sorted or not', () => {
    const names = ['z', 'a"b', 'c\\d', 'tab\there', '\u0001ctl', 'ünï', '😀', 'x/y/z', '\u2028sep'];
    const entries = names.map((p, i) => ({ path: p, sha256: i % 2 ? H1 : H2, size: i * 1000 }));
    const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const expected = JSON.stringify({ files: sorted.map((e) => ({ path: e.path, sha256: e.sha256, size: e.size })) });
    assert.equal(serializeManifest(entries).toString('utf8'), expected);
    assert.equal(serializeManifest(sorted).toString('utf8'), expected);
  });

  test('an empty folder has the manifest {"files":[]}', () => {
    const bytes = serializeManifest([]);
    assert.equal(bytes.toString(), '{"files":[]}');
  });
});

describe('parseManifest', () => {
  const manifest = (files: unknown[]): Buffer => Buffer.from(JSON.stringify({ files }));
  const refused = (files: unknown[], code: string, pattern: RegExp): void => {
    assert.throws(() => parseManifest(manifest(files), 'm'), (e: unknown) => e instanceof SnapshotError && e.code === code && pattern.test(e.message));
  };

  test('round trip', () => {
    const entries = [{ path: 'a/b.csv', sha256: H1, size: 3 }, { path: 'c', sha256: H2, size: 0 }];
    assert.deepEqual(parseManifest(serializeManifest(entries), 'm'), entries);
  });

  test('path traversal, absolute paths and odd segments are refused', () => {
    refused([{ path: '../evil', sha256: H1, size: 1 }], 'unsafe-manifest', /'\.\.' segment/);
    refused([{ path: 'a/../../evil', sha256: H1, size: 1 }], 'unsafe-manifest', /'\.\.' segment/);
    refused([{ path: '/etc/passwd', sha256: H1, size: 1 }], 'unsafe-manifest', /absolute path/);
    refused([{ path: 'a//b', sha256: H1, size: 1 }], 'unsafe-manifest', /segment/);
    refused([{ path: './a', sha256: H1, size: 1 }], 'unsafe-manifest', /segment/);
    refused([{ path: '', sha256: H1, size: 1 }], 'unsafe-manifest', /empty path/);
    refused([{ path: 'a\0b', sha256: H1, size: 1 }], 'unsafe-manifest', /NUL/);
  });

  test('duplicates, a path that is a file and a folder, unsorted entries and bad fields are refused', () => {
    refused([{ path: 'a', sha256: H1, size: 1 }, { path: 'a', sha256: H2, size: 1 }], 'unsafe-manifest', /duplicate/);
    refused([{ path: 'a', sha256: H1, size: 1 }, { path: 'a/b', sha256: H2, size: 1 }], 'unsafe-manifest', /both a file and a directory/);
    refused([{ path: 'b', sha256: H1, size: 1 }, { path: 'a', sha256: H2, size: 1 }], 'bad-manifest', /not sorted/);
    refused([{ path: 'a', sha256: 'XYZ', size: 1 }], 'bad-manifest', /sha256/);
    refused([{ path: 'a', sha256: H1, size: -1 }], 'bad-manifest', /size/);
    refused([{ path: 'a', sha256: H1, size: 1, mode: 0o755 }], 'bad-manifest', /entry 0/);
    assert.throws(() => parseManifest(Buffer.from('not json'), 'm'), /not a valid manifest/);
  });

  test('unsafePathReason accepts ordinary relative paths', () => {
    for (const p of ['a', 'a/b.csv', 'x y/z', '.hidden/f', 'a..b', 'back\\slash']) assert.equal(unsafePathReason(p), undefined, p);
  });
});
