/** `snapshot()` on real files: objects, manifest bytes and ids checked against sha256sum, the stat cache, safety. */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { MemoryHashCache } from '../../../server/src/core/snapshots/hashCache';
import { HashPool } from '../../../server/src/core/snapshots/hashPool';
import { readPointer } from '../../../server/src/core/snapshots/pointerFile';
import { snapshot } from '../../../server/src/core/snapshots/snapshot';
import { StatCache } from '../../../server/src/core/store/statCache';
import { Store } from '../../../server/src/core/store/store';
import { ageFiles, isRoot, objectFile, objectsIn, project, rejectsWith, sha256sum, sha256sumOfBytes, writeFiles } from './snapshotFixture';

/** The unprivileged user the root-only scenarios run as. */
const NOBODY = 65534;

const pool = new HashPool();
after(() => pool.close());


describe('snapshot of a folder', () => {
  test('every file is an object named by its sha256sum; identical content is stored once', async () => {
    const root = project({ 'data/raw/a.csv': 'x,y\n1,2\n', 'data/raw/sub/copy.csv': 'x,y\n1,2\n', 'data/raw/b.bin': Buffer.from([0, 1, 2, 255]) });
    const r = await snapshot({ root, target: path.join(root, 'data/raw'), pool });
    assert.equal(r.files, 3);
    assert.equal(r.size, 8 + 8 + 4);
    assert.equal(r.stored, 3); // two file objects and the manifest
    const a = sha256sum(path.join(root, 'data/raw/a.csv'));
    const b = sha256sum(path.join(root, 'data/raw/b.bin'));
    assert.equal(sha256sum(path.join(root, 'data/raw/sub/copy.csv')), a);
    assert.deepEqual(objectsIn(root), [a, b, r.sha256].sort());
    for (const h of [a, b, r.sha256]) {
      assert.equal(sha256sum(objectFile(root, h)), h, 'the object content hashes to its name');
      assert.equal(fs.statSync(objectFile(root, h)).mode & 0o777, 0o444, 'objects are read-only');
    }
    assert.deepEqual(fs.readFileSync(objectFile(root, b)), Buffer.from([0, 1, 2, 255]));
    assert.deepEqual(fs.readdirSync(path.join(root, '.mlops/cache/tmp')), [], 'no temporary file left');
  });

  test('the manifest is exactly the compact sorted JSON and the id is its sha256sum', async () => {
    const root = project({ 'data/raw/b.csv': 'bbb', 'data/raw/a/b.csv': 'ab', 'data/raw/a-b.csv': '', 'data/raw/Z.txt': 'zz\n' });
    const r = await snapshot({ root, target: 'data/raw', cwd: root, pool });
    const h = (rel: string): string => sha256sum(path.join(root, 'data/raw', rel));
    const expected =
      '{"files":[' +
      `{"path":"Z.txt","sha256":"${h('Z.txt')}","size":3},` +
      `{"path":"a-b.csv","sha256":"${h('a-b.csv')}","size":0},` +
      `{"path":"a/b.csv","sha256":"${h('a/b.csv')}","size":2},` +
      `{"path":"b.csv","sha256":"${h('b.csv')}","size":3}` +
      ']}';
    const manifestObject = objectFile(root, r.sha256);
    assert.equal(fs.readFileSync(manifestObject, 'utf8'), expected);
    assert.equal(r.id, `sha256:${sha256sumOfBytes(Buffer.from(expected, 'utf8'))}`);
    assert.equal(sha256sum(manifestObject), r.sha256);
    assert.equal(r.type, 'directory');
  });

  test('the pointer file holds sha256, size and files; the data goes into the .gitignore beside it, once', async () => {
    const root = project({ 'data/raw/run.sh': '#!/bin/sh\n', 'data/raw/x': 'x', 'data/.gitignore': 'other' });
    fs.chmodSync(path.join(root, 'data/raw/run.sh'), 0o755);
    const r = await snapshot({ root, target: 'data/raw', cwd: root, pool, message: 'first import', now: () => new Date('2025-01-02T03:04:05.000Z') });
    assert.equal(r.pointerFile, path.join(root, 'data/raw.snapshot'));
    const text = fs.readFileSync(r.pointerFile, 'utf8');
    assert.match(text, new RegExp(`^sha256: ${r.sha256}$`, 'm'));
    assert.match(text, /^size: 11$/m);
    assert.match(text, /^files: 2$/m);
    assert.deepEqual(readPointer(r.pointerFile), { sha256: r.sha256, size: 11, files: 2, type: 'directory', executable: ['run.sh'], message: 'first import', createdAt: '2025-01-02T03:04:05.000Z' });
    assert.equal(fs.readFileSync(path.join(root, 'data/.gitignore'), 'utf8'), 'other\n/raw\n');
    await snapshot({ root, target: 'data/raw', cwd: root, pool });
    assert.equal(fs.readFileSync(path.join(root, 'data/.gitignore'), 'utf8'), 'other\n/raw\n', 'idempotent');
    assert.equal(fs.readFileSync(path.join(root, '.mlops/.gitignore'), 'utf8'), '/cache\n/locks\n/runs\n/mlops.db\n/mlops.db-wal\n/mlops.db-shm\n');
  });

  test('a single file: its id is its own hash, no manifest', async () => {
    const root = project({ 'models/model.bin': 'weights' });
    const r = await snapshot({ root, target: 'models/model.bin', cwd: root, pool });
    assert.equal(r.id, `sha256:${sha256sum(path.join(root, 'models/model.bin'))}`);
    assert.equal(r.type, 'file');
    assert.equal(r.stored, 1);
    assert.deepEqual(objectsIn(root), [r.sha256]);
    assert.equal(readPointer(path.join(root, 'models/model.bin.snapshot')).type, 'file');
    assert.match(fs.readFileSync(path.join(root, 'models/.gitignore'), 'utf8'), /^\/model\.bin$/m);
  });

  test('big files stream through (several read chunks), on the hashing threads', async () => {
    const big = Buffer.alloc(5 * 1024 * 1024 + 7);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 13)) & 0xff;
    const root = project({ 'data/big/a.bin': big, 'data/big/b.bin': big.subarray(1) });
    assert.equal(pool.inline, false, 'the worker script is found beside hashPool.js');
    const r = await snapshot({ root, target: 'data/big', cwd: root, pool });
    assert.equal(sha256sum(objectFile(root, sha256sum(path.join(root, 'data/big/a.bin')))), sha256sum(path.join(root, 'data/big/a.bin')));
    assert.equal(r.stored, 3);
  });
});

describe('the stat cache', () => {
  test('re-snapshot of an unchanged tree reads no content; a modified file is the only one read and changes the id', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 300; i++) files[`data/raw/d${i % 7}/f${i}.csv`] = `row ${i}\n`;
    const root = project(files);
    ageFiles(path.join(root, 'data'));
    const cache = new MemoryHashCache();
    const first = await snapshot({ root, target: 'data/raw', cwd: root, cache, pool });
    assert.equal(first.read, 300);
    assert.equal(cache.entries.size, 300);

    const jobs = pool.jobsRun;
    const bytes = pool.bytesRead;
    const pointerBefore = fs.statSync(first.pointerFile, { bigint: true }).mtimeNs;
    const second = await snapshot({ root, target: 'data/raw', cwd: root, cache, pool });
    assert.equal(pool.jobsRun, jobs, 'no file was given to a hashing thread');
    assert.equal(pool.bytesRead, bytes);
    assert.equal(second.read, 0);
    assert.equal(second.stored, 0);
    assert.equal(second.id, first.id);
    assert.equal(fs.statSync(first.pointerFile, { bigint: true }).mtimeNs, pointerBefore, 'pointer file left alone');

    fs.writeFileSync(path.join(root, 'data/raw/d3/f3.csv'), 'row 3 changed\n');
    const past = new Date(Date.now() - 30_000); // not racily clean, and a different mtime from before
    fs.utimesSync(path.join(root, 'data/raw/d3/f3.csv'), past, past);
    const third = await snapshot({ root, target: 'data/raw', cwd: root, cache, pool });
    assert.equal(pool.jobsRun, jobs + 1);
    assert.equal(third.read, 1);
    assert.equal(third.stored, 2); // the new file and the new manifest
    assert.notEqual(third.id, first.id);
  });

  test('files modified in the clock tick the snapshot starts in are not cached (racily clean)', async () => {
    const root = project({ 'data/raw/a': 'a' });
    const cache = new MemoryHashCache();
    const future = new Date(Date.now() + 3_600_000);
    fs.utimesSync(path.join(root, 'data/raw/a'), future, future);
    await snapshot({ root, target: 'data/raw', cwd: root, cache, pool });
    assert.equal(cache.entries.size, 0);
  });

  test('a deleted cache is filled again even when every hash is known', async () => {
    const root = project({ 'data/raw/a': 'a', 'data/raw/b': 'b' });
    ageFiles(path.join(root, 'data'));
    const cache = new MemoryHashCache();
    const first = await snapshot({ root, target: 'data/raw', cwd: root, cache, pool });
    fs.rmSync(path.join(root, '.mlops/cache'), { recursive: true });
    const second = await snapshot({ root, target: 'data/raw', cwd: root, cache, pool });
    assert.equal(second.id, first.id);
    assert.equal(second.stored, 3);
    assert.equal(objectsIn(root).length, 3);
  });

  test('with the SQLite stat cache (core/store), a second snapshot reads nothing', async () => {
    const root = project({ 'data/raw/a': 'a', 'data/raw/sub/b': 'b' });
    ageFiles(path.join(root, 'data'));
    const store = Store.open(root);
    try {
      const cache = new StatCache(store);
      const first = await snapshot({ root, target: 'data/raw', cwd: root, cache, pool });
      assert.equal(first.read, 2);
      const second = await snapshot({ root, target: 'data/raw', cwd: root, cache, pool });
      assert.equal(second.read, 0);
      assert.equal(second.id, first.id);
    } finally {
      store.close();
    }
  });
});

describe('safety and errors', () => {
  test('a symlink pointing outside the root is refused, naming the link', async () => {
    const outside = project({ 'secret.txt': 'secret' });
    const root = project({ 'data/raw/a': 'a' });
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'data/raw/leak'));
    await rejectsWith(snapshot({ root, target: 'data/raw', cwd: root, pool }), 'symlink-outside-root', /data\/raw\/leak -> .*secret\.txt points outside the project/);
    assert.deepEqual(objectsIn(root), [], 'nothing stored');
    assert.equal(fs.existsSync(path.join(root, 'data/raw.snapshot')), false);
  });

  test('a symlink inside the root is stored as the content it points to', async () => {
    const root = project({ 'data/raw/a': 'a', 'shared/b': 'bee' });
    fs.symlinkSync('../../shared/b', path.join(root, 'data/raw/b'));
    const r = await snapshot({ root, target: 'data/raw', cwd: root, pool });
    const entries = JSON.parse(fs.readFileSync(objectFile(root, r.sha256), 'utf8')).files;
    assert.deepEqual(entries.map((e: { path: string; size: number }) => [e.path, e.size]), [['a', 1], ['b', 3]]);
  });

  test('a link cycle, a FIFO and a broken link are refused', async () => {
    const root = project({ 'data/raw/a': 'a' });
    fs.symlinkSync('..', path.join(root, 'data/raw/loop'));
    await rejectsWith(snapshot({ root, target: 'data/raw', cwd: root, pool }), 'symlink-cycle', /loop/);
    fs.unlinkSync(path.join(root, 'data/raw/loop'));
    fs.symlinkSync('nowhere', path.join(root, 'data/raw/dangling'));
    await rejectsWith(snapshot({ root, target: 'data/raw', cwd: root, pool }), 'broken-symlink', /dangling/);
    fs.unlinkSync(path.join(root, 'data/raw/dangling'));
    require('node:child_process').execFileSync('mkfifo', [path.join(root, 'data/raw/pipe')]);
    await rejectsWith(snapshot({ root, target: 'data/raw', cwd: root, pool }), 'special-file', /data\/raw\/pipe/);
  });

  test('a missing path, a path outside the project and the root itself are refused', async () => {
    const root = project();
    await rejectsWith(snapshot({ root, target: 'data/nope', cwd: root, pool }), 'missing-path', /data\/nope: no such file or folder/);
    await rejectsWith(snapshot({ root, target: '/tmp', cwd: root, pool }), 'outside-root');
    await rejectsWith(snapshot({ root, target: '.', cwd: root, pool }), 'reserved-path');
    await rejectsWith(snapshot({ root, target: '.mlops', cwd: root, pool }), 'reserved-path');
  });

  test('a dataset larger than the free disk space fails before writing anything', async () => {
    const root = project({ 'data/raw/a': 'a'.repeat(1000) });
    await rejectsWith(snapshot({ root, target: 'data/raw', cwd: root, pool, freeBytes: () => 500 }), 'disk-full', /Not enough free disk space .* 500 B free\. Nothing was written/);
    assert.equal(fs.existsSync(path.join(root, '.mlops/cache')), false);
    assert.equal(fs.existsSync(path.join(root, 'data/raw.snapshot')), false);
  });

  test('a cache that cannot be written is reported with the cache path', async () => {
    const root = project({ 'data/raw/a': 'a' });
    fs.writeFileSync(path.join(root, '.mlops/cache'), 'not a folder');
    await rejectsWith(snapshot({ root, target: 'data/raw', cwd: root, pool }), 'cache-not-writable', /Cannot write to the cache .*\.mlops\/cache/);
  });

  test('an unreadable file is named', async () => {
    const root = project({ 'data/raw/a': 'a', 'data/raw/locked.csv': 'b' });
    if (isRoot) {
      // Root reads any file: run the same scenario in a child process as nobody (65534), which owns
      // the project except for the permission bits of locked.csv.
      execFileSync('chown', ['-R', `${NOBODY}:${NOBODY}`, root]);
      fs.chmodSync(root, 0o755);
      fs.chmodSync(path.join(root, 'data/raw/locked.csv'), 0);
      const script = `
        const { snapshot } = require(${JSON.stringify(path.join(__dirname, '../../../server/src/core/snapshots/snapshot.js'))});
        snapshot({ root: ${JSON.stringify(root)}, target: 'data/raw', cwd: ${JSON.stringify(root)} }).then(
          () => console.log(JSON.stringify({ resolved: true })),
          (e) => console.log(JSON.stringify({ name: e.constructor.name, code: e.code, message: e.message })));`;
      const r = spawnSync(process.execPath, ['-e', script], { cwd: root, uid: NOBODY, gid: NOBODY, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const e = JSON.parse(r.stdout);
      assert.equal(e.name, 'SnapshotError', r.stdout);
      assert.equal(e.code, 'unreadable-file', e.message);
      assert.match(e.message, /locked\.csv: permission denied/);
    } else {
      fs.chmodSync(path.join(root, 'data/raw/locked.csv'), 0);
      await rejectsWith(snapshot({ root, target: 'data/raw', cwd: root, pool }), 'unreadable-file', /locked\.csv: permission denied/);
    }
    assert.deepEqual(fs.readdirSync(path.join(root, '.mlops/cache/tmp')), [], 'no temporary file left');
  });

  test('a file name that is not UTF-8 is refused', async (t) => {
    const root = project({ 'data/raw/a': 'a' });
    try {
      fs.writeFileSync(Buffer.concat([Buffer.from(path.join(root, 'data/raw') + '/'), Buffer.from([0x66, 0xff, 0x66])]), 'x');
    } catch {
      t.skip('the file system refuses non-UTF-8 names');
      return;
    }
    await rejectsWith(snapshot({ root, target: 'data/raw', cwd: root, pool }), 'bad-file-name', /not valid UTF-8/);
  });

  test('writeFiles helper sanity', () => {
    const root = project();
    writeFiles(root, { 'x/y': 'z' });
    assert.equal(fs.readFileSync(path.join(root, 'x/y'), 'utf8'), 'z');
  });
});
