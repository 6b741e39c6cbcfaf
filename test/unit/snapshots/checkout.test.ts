/** `checkout()`: round trips, local changes, modes, unsafe manifests, never a hard link. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { checkout } from '../../../server/src/core/snapshots/checkout';
import { HashPool } from '../../../server/src/core/snapshots/hashPool';
import { ObjectStore } from '../../../server/src/core/snapshots/objectStore';
import { formatPointer } from '../../../server/src/core/snapshots/pointerFile';
import { snapshot } from '../../../server/src/core/snapshots/snapshot';
import { objectFile, project, rejectsWith, sha256sum } from './snapshotFixture';

const pool = new HashPool();
after(() => pool.close());


/** Every file under dir: relative path -> [content, executable]. */
function tree(dir: string): Record<string, [string, boolean]> {
  const out: Record<string, [string, boolean]> = {};
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const p = path.join(e.parentPath, e.name);
    out[path.relative(dir, p).split(path.sep).join('/')] = [fs.readFileSync(p, 'latin1'), (fs.statSync(p).mode & 0o100) !== 0];
  }
  return out;
}

const FILES = {
  'data/raw/a.csv': 'a,b\n1,2\n',
  'data/raw/same.csv': 'a,b\n1,2\n',
  'data/raw/deep/er/x.bin': Buffer.from([0, 255, 10, 13]),
  'data/raw/run.sh': '#!/bin/sh\necho hi\n',
  'data/raw/empty': '',
};

async function snapshotted(): Promise<{ root: string; data: string; before: Record<string, [string, boolean]>; id: string }> {
  const root = project(FILES);
  const data = path.join(root, 'data/raw');
  fs.chmodSync(path.join(data, 'run.sh'), 0o755);
  const r = await snapshot({ root, target: data, pool });
  return { root, data, before: tree(data), id: r.id };
}

describe('checkout', () => {
  test('round trip: a deleted folder comes back byte for byte, with its executable bits', async () => {
    const { root, data, before, id } = await snapshotted();
    fs.rmSync(data, { recursive: true });
    const r = await checkout({ root, target: 'data/raw', cwd: root, pool });
    assert.equal(r.id, id);
    assert.equal(r.written, 5);
    assert.deepEqual(tree(data), before);
    assert.equal(before['run.sh'][1], true);
    assert.equal(before['a.csv'][1], false);
  });

  test('restored files are copies, not hard links to the read-only objects', async () => {
    const { root, data } = await snapshotted();
    fs.rmSync(data, { recursive: true });
    await checkout({ root, target: 'data/raw.snapshot', cwd: root, pool }); // the pointer file works too
    const file = path.join(data, 'a.csv');
    const obj = objectFile(root, sha256sum(file));
    assert.equal(fs.statSync(file).nlink, 1);
    assert.equal(fs.statSync(obj).nlink, 1);
    assert.notEqual(fs.statSync(file).ino, fs.statSync(obj).ino);
    fs.appendFileSync(file, 'edit');
    assert.equal(sha256sum(obj), path.basename(path.dirname(obj)) + path.basename(obj), 'editing the checkout leaves the object intact');
    assert.notEqual(fs.statSync(file).mode & 0o200, 0, 'writable by its owner, unlike the object');
  });

  test('an unchanged tree is left alone; a wrong executable bit is corrected', async () => {
    const { root, data, before } = await snapshotted();
    fs.chmodSync(path.join(data, 'run.sh'), 0o644);
    const ino = fs.statSync(path.join(data, 'a.csv')).ino;
    const r = await checkout({ root, target: 'data/raw', cwd: root, pool });
    assert.deepEqual([r.written, r.removed, r.unchanged, r.modesChanged], [0, 0, 5, 1]);
    assert.equal(fs.statSync(path.join(data, 'a.csv')).ino, ino);
    assert.deepEqual(tree(data), before);
  });

  test('local changes that are in no snapshot are refused without --force, and nothing is touched', async () => {
    const { root, data, before } = await snapshotted();
    fs.writeFileSync(path.join(data, 'a.csv'), 'precious edit');
    fs.writeFileSync(path.join(data, 'new.csv'), 'precious new file');
    await rejectsWith(checkout({ root, target: 'data/raw', cwd: root, pool }), 'local-changes', /a\.csv \(modified\), new\.csv \(not in the snapshot\).*--force/);
    assert.equal(fs.readFileSync(path.join(data, 'a.csv'), 'utf8'), 'precious edit');
    assert.ok(fs.existsSync(path.join(data, 'new.csv')));

    const r = await checkout({ root, target: 'data/raw', cwd: root, pool, force: true });
    assert.equal(r.written, 1);
    assert.equal(r.removed, 1);
    assert.deepEqual(tree(data), before);
  });

  test('files whose content is in the cache (an older snapshot) are replaced without --force', async () => {
    const { root, data, before } = await snapshotted();
    // Snapshot v2, then go back to the pointer of v1: the v2 content is safe in the cache.
    const v1 = fs.readFileSync(path.join(root, 'data/raw.snapshot'), 'utf8');
    fs.writeFileSync(path.join(data, 'a.csv'), 'version 2');
    fs.writeFileSync(path.join(data, 'extra.csv'), 'only in v2');
    fs.mkdirSync(path.join(data, 'newdir/sub'), { recursive: true });
    fs.writeFileSync(path.join(data, 'newdir/sub/f'), 'v2 too');
    await snapshot({ root, target: data, pool });
    fs.writeFileSync(path.join(root, 'data/raw.snapshot'), v1);
    const r = await checkout({ root, target: 'data/raw', cwd: root, pool });
    assert.equal(r.written, 1);
    assert.equal(r.removed, 4); // extra.csv, newdir/sub/f, newdir/sub, newdir
    assert.deepEqual(tree(data), before);
    assert.equal(fs.existsSync(path.join(data, 'newdir')), false);
  });

  test('a symlink in the data is replaced, never written through', async () => {
    const { root, data, before } = await snapshotted();
    const outside = project({ 'victim.txt': 'do not touch' });
    fs.rmSync(path.join(data, 'a.csv'));
    fs.symlinkSync(path.join(outside, 'victim.txt'), path.join(data, 'a.csv'));
    fs.rmSync(path.join(data, 'deep'), { recursive: true });
    fs.symlinkSync(outside, path.join(data, 'deep'));
    await checkout({ root, target: 'data/raw', cwd: root, pool });
    assert.equal(fs.readFileSync(path.join(outside, 'victim.txt'), 'utf8'), 'do not touch');
    assert.deepEqual(fs.readdirSync(outside), ['.mlops', 'victim.txt']);
    assert.deepEqual(tree(data), before);
    assert.equal(fs.lstatSync(path.join(data, 'deep')).isDirectory(), true);
  });

  test('a data path that is itself a link is refused', async () => {
    const { root, data } = await snapshotted();
    fs.renameSync(data, path.join(root, 'elsewhere'));
    fs.symlinkSync(path.join(root, 'elsewhere'), data);
    await rejectsWith(checkout({ root, target: 'data/raw', cwd: root, pool }), 'symlink-not-followed');
  });

  test('a single-file snapshot round trip, executable bit included', async () => {
    const root = project({ 'tools/train': '#!/usr/bin/env node\n' });
    fs.chmodSync(path.join(root, 'tools/train'), 0o750);
    await snapshot({ root, target: 'tools/train', cwd: root, pool });
    fs.rmSync(path.join(root, 'tools/train'));
    const r = await checkout({ root, target: 'tools/train', cwd: root, pool });
    assert.equal(r.type, 'file');
    assert.equal(fs.readFileSync(path.join(root, 'tools/train'), 'utf8'), '#!/usr/bin/env node\n');
    assert.notEqual(fs.statSync(path.join(root, 'tools/train')).mode & 0o100, 0);
  });

  test('a missing pointer file or a missing object is a clear error', async () => {
    const { root, data } = await snapshotted();
    await rejectsWith(checkout({ root, target: 'data/other', cwd: root, pool }), 'missing-pointer', /data\/other\.snapshot does not exist/);
    const a = sha256sum(path.join(data, 'a.csv'));
    fs.rmSync(objectFile(root, a));
    fs.rmSync(data, { recursive: true });
    await rejectsWith(checkout({ root, target: 'data/raw', cwd: root, pool }), 'missing-object', /1 object\(s\) .* a\.csv.*Nothing was changed/);
    assert.equal(fs.existsSync(data), false);
  });
});

describe('checkout of a hand-written manifest', () => {
  function pointTo(root: string, files: unknown[]): void {
    const store = new ObjectStore(root);
    store.prepareForWriting();
    const blob = store.putBytes(Buffer.from('pwned\n'));
    const manifest = store.putBytes(Buffer.from(JSON.stringify({ files: (files as { sha256?: string }[]).map((f) => ({ ...f, sha256: blob.sha256 })) })));
    fs.mkdirSync(path.join(root, 'data'), { recursive: true });
    fs.writeFileSync(path.join(root, 'data/raw.snapshot'), formatPointer({ sha256: manifest.sha256, size: 6, files: 1, type: 'directory' }, 'raw'));
  }

  test('a `..` path is refused before anything is written', async () => {
    const root = project();
    pointTo(root, [{ path: '../../evil.txt', size: 6 }]);
    await rejectsWith(checkout({ root, target: 'data/raw', cwd: root, pool }), 'unsafe-manifest', /"\.\.\/\.\.\/evil\.txt": '\.\.' segment/);
    assert.equal(fs.existsSync(path.join(root, 'evil.txt')), false);
    assert.equal(fs.existsSync(path.join(root, '..', 'evil.txt')), false);
    assert.equal(fs.existsSync(path.join(root, 'data/raw')), false);
  });

  test('an absolute path is refused', async () => {
    const root = project();
    const target = path.join(root, 'abs-evil.txt');
    pointTo(root, [{ path: target, size: 6 }]);
    await rejectsWith(checkout({ root, target: 'data/raw', cwd: root, pool }), 'unsafe-manifest', /absolute path/);
    assert.equal(fs.existsSync(target), false);
  });
});
