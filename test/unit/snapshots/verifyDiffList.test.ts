/** verify (corrupt and missing objects), diff (ids, pointer files, git revisions) and list. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { diffSnapshotRefs } from '../../../server/src/core/snapshots/diff';
import { SnapshotError } from '../../../server/src/core/snapshots/errors';
import { HashPool } from '../../../server/src/core/snapshots/hashPool';
import { listSnapshots } from '../../../server/src/core/snapshots/list';
import { snapshot } from '../../../server/src/core/snapshots/snapshot';
import { verifyCache } from '../../../server/src/core/snapshots/verify';
import { objectFile, project, sha256sum } from './snapshotFixture';

const pool = new HashPool();
after(() => pool.close());

describe('verify', () => {
  test('a clean cache is ok', async () => {
    const root = project({ 'data/raw/a': 'a', 'data/raw/b': 'b', 'model.bin': 'm' });
    await snapshot({ root, target: 'data/raw', cwd: root, pool });
    await snapshot({ root, target: 'model.bin', cwd: root, pool });
    const r = await verifyCache({ root, pool });
    assert.deepEqual({ ...r, bytes: 0 }, { objects: 4, bytes: 0, corrupt: [], missing: [], strays: [], pointers: 2, temporaryFiles: 0, cancelled: false, ok: true });
  });

  test('an object whose bytes were rewritten is corrupt; a deleted one is missing, with who needs it', async () => {
    const root = project({ 'data/raw/a': 'aaa', 'data/raw/b': 'bbb' });
    await snapshot({ root, target: 'data/raw', cwd: root, pool });
    const a = sha256sum(path.join(root, 'data/raw/a'));
    const b = sha256sum(path.join(root, 'data/raw/b'));
    fs.chmodSync(objectFile(root, a), 0o644); // chmod u+w
    fs.writeFileSync(objectFile(root, a), 'aab');
    fs.rmSync(objectFile(root, b));
    const r = await verifyCache({ root, pool });
    assert.equal(r.ok, false);
    assert.deepEqual(r.corrupt, [{ sha256: a, object: `.mlops/cache/sha256/${a.slice(0, 2)}/${a.slice(2)}`, reason: 'hash-mismatch', actual: sha256sum(objectFile(root, a)) }]);
    assert.deepEqual(r.missing, [{ sha256: b, referencedBy: ['data/raw.snapshot'] }]);
  });

  test('stray files in the object folders are reported, temporary files are not', async () => {
    const root = project({ 'data/raw/a': 'a' });
    await snapshot({ root, target: 'data/raw', cwd: root, pool });
    fs.writeFileSync(path.join(root, '.mlops/cache/sha256/zz'), '');
    fs.writeFileSync(path.join(root, '.mlops/cache/tmp/123.tmp'), 'partial');
    const r = await verifyCache({ root, pool });
    assert.deepEqual(r.strays, ['.mlops/cache/sha256/zz']);
    assert.equal(r.corrupt.length, 0);
    assert.equal(r.temporaryFiles, 1);
    assert.equal(r.ok, true);
  });
});

describe('diff', () => {
  test('added, removed and modified paths with sizes, between ids and pointer files', async () => {
    const root = project({ 'data/raw/keep': 'k', 'data/raw/gone': 'gone', 'data/raw/mod': 'v1' });
    const v1 = await snapshot({ root, target: 'data/raw', cwd: root, pool });
    fs.rmSync(path.join(root, 'data/raw/gone'));
    fs.writeFileSync(path.join(root, 'data/raw/mod'), 'version 2');
    fs.mkdirSync(path.join(root, 'data/raw/sub'));
    fs.writeFileSync(path.join(root, 'data/raw/sub/new'), 'new!');
    await snapshot({ root, target: 'data/raw', cwd: root, pool });
    for (const b of ['data/raw.snapshot', 'data/raw']) {
      const d = diffSnapshotRefs(root, v1.id, b, root);
      assert.deepEqual(d.added, [{ path: 'sub/new', size: 4 }]);
      assert.deepEqual(d.removed, [{ path: 'gone', size: 4 }]);
      assert.deepEqual(d.modified, [{ path: 'mod', oldSize: 2, newSize: 9 }]);
      assert.equal(d.unchanged, 1);
      assert.equal(d.a.id, v1.id);
    }
    assert.equal(diffSnapshotRefs(root, v1.sha256, v1.id, root).unchanged, 3, 'a bare hex id works');
  });

  test('git revisions of a pointer file (git show through execFile)', async () => {
    const root = project({ 'data/raw/a': 'one' });
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: root, encoding: 'utf8' });
    git('init', '-q');
    git('config', 'user.email', 't@example.org');
    git('config', 'user.name', 'T');
    await snapshot({ root, target: 'data/raw', cwd: root, pool });
    git('add', 'data/raw.snapshot', 'data/.gitignore');
    git('commit', '-qm', 'v1');
    fs.writeFileSync(path.join(root, 'data/raw/a'), 'two!');
    await snapshot({ root, target: 'data/raw', cwd: root, pool });
    const d = diffSnapshotRefs(root, 'HEAD:data/raw.snapshot', 'data/raw.snapshot', root);
    assert.deepEqual(d.modified, [{ path: 'a', oldSize: 3, newSize: 4 }]);
    assert.equal(diffSnapshotRefs(root, 'HEAD:data/raw', 'data/raw', root).modified.length, 1, '.snapshot may be left out');
    assert.throws(() => diffSnapshotRefs(root, 'nosuchrev:data/raw.snapshot', 'data/raw', root), (e: unknown) => e instanceof SnapshotError && e.code === 'not-found' && /nosuchrev/.test(e.message));
    assert.throws(() => diffSnapshotRefs(root, '$(touch pwned):x', 'data/raw', root), SnapshotError);
    assert.equal(fs.existsSync(path.join(root, 'pwned')), false, 'no shell');
  });

  test('single-file snapshots compare as one entry', async () => {
    const root = project({ 'model.bin': 'v1' });
    const v1 = await snapshot({ root, target: 'model.bin', cwd: root, pool });
    fs.writeFileSync(path.join(root, 'model.bin'), 'v222');
    await snapshot({ root, target: 'model.bin', cwd: root, pool });
    const d = diffSnapshotRefs(root, v1.id, 'model.bin.snapshot', root);
    assert.deepEqual(d.modified, [{ path: 'model.bin', oldSize: 2, newSize: 4 }]);
  });

  test('an unknown reference is a clear error', () => {
    const root = project();
    assert.throws(() => diffSnapshotRefs(root, 'nothing', 'sha256:' + 'a'.repeat(64), root), /neither a snapshot id/);
    assert.throws(() => diffSnapshotRefs(root, 'sha256:' + 'a'.repeat(64), 'sha256:' + 'b'.repeat(64), root), /not in the local cache/);
  });
});

describe('list', () => {
  test('pointer files with id, size and files; snapshotted folders are not walked', async () => {
    const root = project({ 'data/raw/a': 'aa', 'data/raw/inner/x.snapshot': 'not walked', 'model.bin': 'm', 'node_modules/p/q.snapshot': 'skipped' });
    const r1 = await snapshot({ root, target: 'data/raw', cwd: root, pool, message: 'import' });
    const r2 = await snapshot({ root, target: 'model.bin', cwd: root, pool });
    fs.writeFileSync(path.join(root, 'broken.snapshot'), 'sha256: nope\n');
    const list = listSnapshots(root);
    assert.deepEqual(list.map((s) => s.pointer), ['broken.snapshot', 'data/raw.snapshot', 'model.bin.snapshot']);
    assert.match(list[0].error!, /sha256/);
    assert.deepEqual({ ...list[1], createdAt: undefined }, { pointer: 'data/raw.snapshot', path: 'data/raw', id: r1.id, sha256: r1.sha256, size: 12, files: 2, type: 'directory', message: 'import', createdAt: undefined, cached: true });
    assert.equal(list[2].id, r2.id);
    assert.equal(list[2].type, 'file');
  });
});
