/** walkTarget: the order of the files, and the same stamps whether a helper thread stats or not. */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { comparePaths } from '../../../server/src/core/snapshots/manifest';
import { walkTarget, WalkedFile, WalkOptions } from '../../../server/src/core/snapshots/walk';
import { isRoot, project, writeFiles } from './snapshotFixture';

/** The unprivileged user the root-only scenario runs as. */
const NOBODY = 65534;

function walk(root: string, target: string, options?: WalkOptions): WalkedFile[] {
  return walkTarget(root, fs.realpathSync(root), path.join(root, target), options).files;
}

/** The fields of each file as plain data (the walk's entries compute some of them). */
function plain(files: WalkedFile[]): object[] {
  return files.map((f) => ({ path: f.path, real: f.real, rootRel: f.rootRel, size: f.size, mtimeNs: f.mtimeNs, ino: f.ino, executable: f.executable }));
}

/** `count` files spread over nested folders, with a link to a file and a link to a folder among them. */
function bigTree(count: number): string {
  const files: Record<string, string> = { 'shared/target.csv': 'linked content\n' };
  for (let i = 0; i < count; i++) files[`data/raw/d${i % 7}/e${i % 13}/f${i}.txt`] = `file ${i}\n`.repeat(i % 5);
  const root = project(files);
  fs.symlinkSync('../../shared/target.csv', path.join(root, 'data/raw/link.csv'));
  fs.symlinkSync('d3', path.join(root, 'data/raw/d3-again'));
  fs.chmodSync(path.join(root, 'data/raw/d0/e0/f0.txt'), 0o755);
  return root;
}

describe('walkTarget', () => {
  test('files come out sorted by path as the manifest sorts them (UTF-16 code units), folders and links to folders included', () => {
    const names = ['a-b', 'a.b', 'a b', 'a0', 'B', 'é.csv', '\u{1F600}.txt', '\uE000', 'a/x', 'a/x-1', 'x/y/z', 'x-y', 'x.y', 'x/y-z', 'x/y.z'];
    const root = project(Object.fromEntries(names.map((n) => [`data/raw/${n}`, n])));
    fs.symlinkSync('x', path.join(root, 'data/raw/l'));
    const files = walk(root, 'data/raw');
    const expected = [...names, 'l/y/z', 'l/y-z', 'l/y.z'].sort(comparePaths);
    assert.deepEqual(files.map((f) => f.path), expected);
    // '-' < '.' < '/': a folder's files do not all come before its neighbours' (not a plain depth-first order).
    assert.deepEqual(expected.filter((p) => p.startsWith('x')), ['x-y', 'x.y', 'x/y-z', 'x/y.z', 'x/y/z']);
    assert.deepEqual(files.map((f) => f.rootRel), expected.map((p) => `data/raw/${p}`));
  });

  test('with a helper thread (forced from the first file) the files and their stamps are those of lstat, links included', () => {
    // Enough files that the walking thread is still at work when the helper thread is up.
    const count = 20_000;
    const root = bigTree(count);
    const alone = walk(root, 'data', { helperMinFiles: Infinity });
    const helped = walk(root, 'data', { helperMinFiles: 1 });
    let inD3 = 0;
    for (let i = 0; i < count; i++) if (i % 7 === 3) inD3++;
    assert.equal(helped.length, count + 1 + inD3, 'every file, the linked file and the linked folder\'s files');
    assert.deepEqual(plain(helped), plain(alone));
    for (const f of helped) {
      const st = fs.statSync(f.real, { bigint: true }); // through the links
      assert.deepEqual([f.size, f.mtimeNs, f.ino], [Number(st.size), st.mtimeNs, st.ino], f.path);
    }
    const link = helped.find((f) => f.path === 'raw/link.csv')!;
    assert.equal(link.real, path.join(fs.realpathSync(root), 'shared/target.csv'));
    assert.equal(link.size, 'linked content\n'.length);
    assert.equal(helped.find((f) => f.path === 'raw/d0/e0/f0.txt')!.executable, true);
    assert.equal(helped.filter((f) => f.executable).length, 1);
  });

  test('a file that cannot be stat()ed is named, whichever thread stats it', () => {
    const root = project();
    const files: Record<string, string> = {};
    for (let i = 0; i < 20_000; i++) files[`data/raw/a/f${i}`] = 'x';
    files['data/raw/z/locked.csv'] = 'y';
    writeFiles(root, files);
    // Readable (listed) but not searchable (its files cannot be stat()ed), last in the walk.
    const script = `
      const fs = require('fs');
      const { walkTarget } = require(${JSON.stringify(path.join(__dirname, '../../../server/src/core/snapshots/walk.js'))});
      const root = ${JSON.stringify(root)};
      const out = [];
      for (const helperMinFiles of [Infinity, 1]) {
        try {
          walkTarget(root, fs.realpathSync(root), root + '/data/raw', { helperMinFiles });
          out.push({ resolved: true });
        } catch (e) {
          out.push({ name: e.constructor.name, code: e.code, message: e.message });
        }
      }
      console.log(JSON.stringify(out));`;
    let r: ReturnType<typeof spawnSync>;
    if (isRoot) {
      // Root stats anything: run as nobody (65534), owner of the project.
      execFileSync('chown', ['-R', `${NOBODY}:${NOBODY}`, root]);
      fs.chmodSync(root, 0o755);
      fs.chmodSync(path.join(root, 'data/raw/z'), 0o644);
      r = spawnSync(process.execPath, ['-e', script], { cwd: root, uid: NOBODY, gid: NOBODY, encoding: 'utf8' });
    } else {
      fs.chmodSync(path.join(root, 'data/raw/z'), 0o644);
      r = spawnSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' });
    }
    fs.chmodSync(path.join(root, 'data/raw/z'), 0o755); // so that the fixture can remove it
    assert.equal(r.status, 0, String(r.stderr));
    const [alone, helped] = JSON.parse(String(r.stdout));
    assert.equal(alone.name, 'SnapshotError', JSON.stringify(alone));
    assert.equal(alone.code, 'unreadable-file');
    assert.match(alone.message, /data\/raw\/z\/locked\.csv: permission denied/);
    assert.deepEqual(helped, alone);
  });

  test('a single file', () => {
    const root = project({ 'data/one.csv': 'x\n' });
    const st = fs.statSync(path.join(root, 'data/one.csv'), { bigint: true });
    assert.deepEqual(plain(walk(root, 'data/one.csv')), [
      { path: '', real: path.join(fs.realpathSync(root), 'data/one.csv'), rootRel: 'data/one.csv', size: 2, mtimeNs: st.mtimeNs, ino: st.ino, executable: false },
    ]);
  });
});
