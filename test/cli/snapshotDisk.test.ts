/**
 * The built CLI against real file systems that say no: the cache on a 1 MiB tmpfs (a dataset larger
 * than the free space fails before anything is written) and on a read-only mount. Mounting needs
 * root (CI runs as root); elsewhere these tests are skipped, and say so.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';

const CLI = path.join(__dirname, '../../../server/out/cli.js');

function mlops(cwd: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const mounts: string[] = [];
const dirs: string[] = [];
after(() => {
  for (const m of mounts) spawnSync('umount', [m]);
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A project whose .mlops/cache is a tmpfs mounted with `options`; undefined when this user cannot mount. */
function projectWithCacheOn(options: string): string | undefined {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-disk-'));
  dirs.push(root);
  const cache = path.join(root, '.mlops', 'cache');
  fs.mkdirSync(cache, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', cache], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  mounts.push(cache);
  return root;
}

function writeData(root: string, files: number, bytes: number): void {
  const dir = path.join(root, 'data', 'raw');
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < files; i++) fs.writeFileSync(path.join(dir, `part-${i}.bin`), crypto.randomBytes(bytes));
}

const canMount = process.getuid?.() === 0;

describe('snapshot on a full or read-only cache disk', { skip: canMount ? false : 'needs root to mount a tmpfs' }, () => {
  test('a dataset larger than the free space fails before writing: no object, no pointer file', (t) => {
    const root = projectWithCacheOn('size=1m');
    if (!root) return t.skip('mount -t tmpfs failed here');
    writeData(root, 3, 1 << 20); // 3 MiB into 1 MiB
    const r = mlops(root, 'snapshot', 'data/raw', '--json');
    assert.equal(r.code, 1, r.stderr);
    const err = JSON.parse(r.stdout).error;
    assert.equal(err.code, 'disk-full');
    assert.match(err.message, /Not enough free disk space to snapshot data\/raw: 3\.00 MiB to store in \.mlops\/cache, [\d.]+ (KiB|MiB) free\. Nothing was written/);
    const objects = path.join(root, '.mlops', 'cache', 'sha256');
    assert.deepEqual(fs.existsSync(objects) ? execFileSync('find', [objects, '-type', 'f'], { encoding: 'utf8' }) : '', '', 'no object written');
    assert.equal(fs.existsSync(path.join(root, 'data', 'raw.snapshot')), false);

    // The same data fits once the space is there: nothing half-done stood in the way.
    spawnSync('mount', ['-o', 'remount,size=8m', path.join(root, '.mlops', 'cache')]);
    const ok = mlops(root, 'snapshot', 'data/raw', '--json');
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).files, 3);
    assert.equal(mlops(root, 'verify', '--json').code, 0);
  });

  test('a read-only cache disk is a located error, and the data is untouched', (t) => {
    const root = projectWithCacheOn('ro,size=1m');
    if (!root) return t.skip('mount -t tmpfs failed here');
    writeData(root, 2, 1024);
    const before = fs.readdirSync(path.join(root, 'data', 'raw'));
    const r = mlops(root, 'snapshot', 'data/raw', '--json');
    assert.equal(r.code, 1, r.stderr);
    const err = JSON.parse(r.stdout).error;
    assert.equal(err.code, 'cache-not-writable');
    assert.match(err.message, /\.mlops\/cache/);
    assert.match(err.message, /read-only/i);
    assert.deepEqual(fs.readdirSync(path.join(root, 'data', 'raw')), before);
    assert.equal(fs.existsSync(path.join(root, 'data', 'raw.snapshot')), false);
  });
});
