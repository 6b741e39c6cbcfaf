/** The snapshot commands of the built CLI on real files: --json documents and exit codes. */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';

const REPO = path.join(__dirname, '../../..');
const CLI = path.join(REPO, 'server/out/cli.js');

function mlops(cwd: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function json(r: { code: number | null; stdout: string; stderr: string }): any {
  try {
    return JSON.parse(r.stdout);
  } catch {
    assert.fail(`not one JSON document: ${r.stdout}\nstderr: ${r.stderr}`);
  }
}

/** A git work tree with data/raw (mtimes set to a whole second in the past, so they can be set back exactly). */
const created: string[] = [];
process.on('exit', () => {
  for (const dir of created) fs.rmSync(dir, { recursive: true, force: true });
});

function workspace(): { root: string; t0: number } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-snapcli-'));
  created.push(root);
  execFileSync('git', ['init', '-q'], { cwd: root });
  const files: Record<string, string> = { 'data/raw/a.csv': 'id,v\n1,2\n', 'data/raw/b.csv': 'id,v\n1,2\n', 'data/raw/sub/c.txt': 'hello\n' };
  const t0 = Math.floor(Date.now() / 1000) - 60;
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), content);
    fs.utimesSync(path.join(root, rel), t0, t0);
  }
  return { root, t0 };
}

function sha256sum(file: string): string {
  return execFileSync('sha256sum', ['--', file], { encoding: 'utf8' }).split(' ')[0];
}

describe('mlops snapshot', () => {
  test('--json prints {id, files, size, stored}; the id is the sha256sum of the manifest object', () => {
    const { root } = workspace();
    const r = mlops(root, 'snapshot', 'data/raw', '--json', '--message', 'first');
    assert.equal(r.code, 0, r.stderr);
    const out = json(r);
    assert.deepEqual(Object.keys(out), ['id', 'files', 'size', 'stored']);
    assert.match(out.id, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual([out.files, out.size, out.stored], [3, 24, 3]);
    // What git sees: the pointer file and the two .gitignore files, never the data, cache or database.
    const gitSees = execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: root, encoding: 'utf8' });
    assert.deepEqual(gitSees.trim().split('\n').sort(), ['?? .mlops/.gitignore', '?? data/.gitignore', '?? data/raw.snapshot']);
    const hex = out.id.slice(7);
    const manifest = path.join(root, '.mlops/cache/sha256', hex.slice(0, 2), hex.slice(2));
    assert.equal(sha256sum(manifest), hex);
    assert.match(fs.readFileSync(path.join(root, 'data/raw.snapshot'), 'utf8'), new RegExp(`^sha256: ${hex}\\nsize: 24\\nfiles: 3\\n`, 'm'));
    assert.match(fs.readFileSync(path.join(root, 'data/raw.snapshot'), 'utf8'), /^message: first$/m);
    assert.equal(fs.readFileSync(path.join(root, 'data/.gitignore'), 'utf8'), '/raw\n');
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: root, encoding: 'utf8' });
    const seen = status.trim().split('\n').filter((l) => !l.startsWith('?? .mlops/mlops.db')); // the database is the store's business
    assert.deepEqual(seen.sort(), ['?? .mlops/.gitignore', '?? data/.gitignore', '?? data/raw.snapshot'], 'git sees the pointer, not the data nor the cache');
  });

  test('the stat cache (.mlops/mlops.db) spares unchanged files: content edited behind an unchanged stamp is not read', () => {
    const { root, t0 } = workspace();
    const first = json(mlops(root, 'snapshot', 'data/raw', '--json'));
    // Same size, same inode, same mtime: only reading the content could notice.
    const a = path.join(root, 'data/raw/a.csv');
    fs.writeFileSync(a, 'id,v\n9,9\n', { flag: 'r+' });
    fs.utimesSync(a, t0, t0);
    const second = json(mlops(root, 'snapshot', 'data/raw', '--json'));
    assert.deepEqual(second, { ...first, stored: 0 });
    // A new mtime: read again, new id.
    fs.utimesSync(a, t0 + 1, t0 + 1);
    const third = json(mlops(root, 'snapshot', 'data/raw', '--json'));
    assert.notEqual(third.id, first.id);
    assert.equal(third.stored, 2);
  });

  test('from a subfolder the project root is found above; a single file works', () => {
    const { root } = workspace();
    const r = mlops(path.join(root, 'data'), 'snapshot', 'raw/sub/c.txt', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(json(r).id, `sha256:${sha256sum(path.join(root, 'data/raw/sub/c.txt'))}`);
    assert.ok(fs.existsSync(path.join(root, '.mlops/cache/sha256')));
    assert.ok(fs.existsSync(path.join(root, 'data/raw/sub/c.txt.snapshot')));
  });

  test('errors: exit 1 with {"error":{code,message,path}}; usage errors exit 2', () => {
    const { root } = workspace();
    const missing = mlops(root, 'snapshot', 'data/nope', '--json');
    assert.equal(missing.code, 1);
    assert.equal(json(missing).error.code, 'missing-path');
    assert.match(missing.stderr, /data\/nope: no such file or folder/);
    const text = mlops(root, 'snapshot', 'data/nope');
    assert.equal(text.code, 1);
    assert.equal(text.stdout, '');
    const outside = path.join(root, '..', `${path.basename(root)}-secret`);
    fs.writeFileSync(outside, 'secret');
    created.push(outside);
    fs.symlinkSync(outside, path.join(root, 'data/raw/host'));
    const link = mlops(root, 'snapshot', 'data/raw', '--json');
    assert.equal(link.code, 1);
    assert.equal(json(link).error.code, 'symlink-outside-root');
    assert.match(json(link).error.message, /data\/raw\/host -> .*secret points outside the project/);
    assert.equal(json(link).error.path, path.join(root, 'data/raw/host'));
    assert.equal(mlops(root, 'snapshot').code, 2);
    assert.equal(mlops(root, 'snapshot', 'data/raw', '--frobnicate').code, 2);
    assert.equal(mlops(root, 'snapshots', 'nope').code, 2);
  });
});

describe('mlops checkout, snapshots list|diff, verify', () => {
  test('checkout restores a deleted folder; refuses local changes (exit 1) unless --force', () => {
    const { root } = workspace();
    const snap = json(mlops(root, 'snapshot', 'data/raw', '--json'));
    const before = fs.readFileSync(path.join(root, 'data/raw/sub/c.txt'));
    fs.rmSync(path.join(root, 'data/raw'), { recursive: true });
    const r = mlops(root, 'checkout', 'data/raw', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(json(r), { id: snap.id, path: 'data/raw', files: 3, written: 3, removed: 0, unchanged: 0, modesChanged: 0 });
    assert.deepEqual(fs.readFileSync(path.join(root, 'data/raw/sub/c.txt')), before);

    fs.writeFileSync(path.join(root, 'data/raw/a.csv'), 'my unsaved work');
    const refused = mlops(root, 'checkout', 'data/raw', '--json');
    assert.equal(refused.code, 1);
    assert.equal(json(refused).error.code, 'local-changes');
    assert.match(json(refused).error.message, /a\.csv \(modified\)/);
    assert.equal(fs.readFileSync(path.join(root, 'data/raw/a.csv'), 'utf8'), 'my unsaved work');
    const forced = mlops(root, 'checkout', 'data/raw', '--force', '--json');
    assert.equal(forced.code, 0);
    assert.equal(json(forced).written, 1);
    assert.equal(fs.readFileSync(path.join(root, 'data/raw/a.csv'), 'utf8'), 'id,v\n1,2\n');
  });

  test('list and diff', () => {
    const { root } = workspace();
    const v1 = json(mlops(root, 'snapshot', 'data/raw', '--json'));
    fs.writeFileSync(path.join(root, 'data/raw/new.csv'), 'n');
    fs.rmSync(path.join(root, 'data/raw/b.csv'));
    const v2 = json(mlops(root, 'snapshot', 'data/raw', '--json'));
    const list = json(mlops(root, 'snapshots', 'list', '--json'));
    assert.equal(list.snapshots.length, 1);
    assert.deepEqual([list.snapshots[0].path, list.snapshots[0].id, list.snapshots[0].files, list.snapshots[0].size], ['data/raw', v2.id, 3, v2.size]);
    const d = mlops(root, 'snapshots', 'diff', v1.id, 'data/raw.snapshot', '--json');
    assert.equal(d.code, 0, d.stderr);
    const diff = json(d);
    assert.deepEqual([diff.added, diff.removed, diff.modified], [[{ path: 'new.csv', size: 1 }], [{ path: 'b.csv', size: 9 }], []]);
    const text = mlops(root, 'snapshots', 'diff', v1.id, 'data/raw');
    assert.match(text.stdout, /^\+ new\.csv \(1 B\)$/m);
    assert.match(text.stdout, /^- b\.csv \(9 B\)$/m);
  });

  test('verify: exit 0 on a good cache, 1 with the corrupt object listed', () => {
    const { root } = workspace();
    mlops(root, 'snapshot', 'data/raw', '--json');
    const ok = mlops(root, 'verify', '--json');
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(json(ok).ok, true);
    assert.equal(json(ok).objects, 3);
    const c = sha256sum(path.join(root, 'data/raw/sub/c.txt'));
    const obj = path.join(root, '.mlops/cache/sha256', c.slice(0, 2), c.slice(2));
    fs.chmodSync(obj, 0o644);
    fs.writeFileSync(obj, 'hellO\n');
    const bad = mlops(root, 'verify', '--json');
    assert.equal(bad.code, 1);
    assert.deepEqual(json(bad).corrupt.map((x: { sha256: string; reason: string }) => [x.sha256, x.reason]), [[c, 'hash-mismatch']]);
    const text = mlops(root, 'verify');
    assert.equal(text.code, 1);
    assert.match(text.stdout, /1 corrupt, 0 missing/);
  });
});

describe('mlops gc, push, pull', () => {
  test('gc --dry-run lists, gc removes the unreferenced objects', () => {
    const { root } = workspace();
    mlops(root, 'snapshot', 'data/raw', '--json');
    fs.writeFileSync(path.join(root, 'data/raw/sub/c.txt'), 'changed\n');
    mlops(root, 'snapshot', 'data/raw', '--json');
    const dry = mlops(root, 'gc', '--dry-run', '--json');
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual([json(dry).dryRun, json(dry).removed, json(dry).kept], [true, 2, 3]);
    assert.match(mlops(root, 'gc', '--dry-run').stdout, /Would remove 2 unreferenced object\(s\)/);
    const r = json(mlops(root, 'gc', '--json'));
    assert.deepEqual([r.removed, r.bytes], [2, json(dry).bytes]);
    assert.equal(json(mlops(root, 'gc', '--json')).removed, 0);
    assert.equal(json(mlops(root, 'verify', '--json')).ok, true);
    assert.equal(mlops(root, 'gc', 'data').code, 2);
  });

  test('gc refuses to run while a snapshot is writing (naming it), and runs once it is done', async () => {
    const { root } = workspace();
    const big = path.join(root, 'data', 'big');
    fs.mkdirSync(big);
    for (let i = 0; i < 6; i++) fs.writeFileSync(path.join(big, `part-${i}.bin`), crypto.randomBytes(48 << 20));
    const child = spawn(process.execPath, [CLI, 'snapshot', 'data/big', '--json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    // The snapshot holds its lock from before its first object until its pointer file is written.
    const locks = path.join(root, '.mlops', 'locks');
    let running = true;
    void exited.then(() => (running = false));
    while (running && !(fs.existsSync(locks) && fs.readdirSync(locks).some((n) => n.startsWith('write-')))) await new Promise((r) => setTimeout(r, 2));
    assert.ok(running, 'the snapshot was seen holding its lock');
    const gc = mlops(root, 'gc', '--json');
    assert.equal(gc.code, 1, gc.stderr);
    const err = json(gc).error;
    assert.equal(err.code, 'cache-busy');
    assert.match(err.message, new RegExp(`snapshot of data/big, process ${child.pid}`));

    assert.equal(await exited, 0);
    assert.equal(JSON.parse(out).files, 6);
    const after = mlops(root, 'gc', '--json');
    assert.equal(after.code, 0, after.stderr);
    assert.equal(json(after).removed, 0, 'everything the snapshot stored is referenced');
    assert.equal(mlops(root, 'verify', '--json').code, 0);
  });

  test('push and pull print {pushed|pulled, bytes, skipped}; an unknown remote is a located error', () => {
    const { root } = workspace();
    const remote = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-snapcli-remote-'));
    created.push(remote);
    fs.mkdirSync(path.join(root, '.mlops'));
    fs.writeFileSync(path.join(root, '.mlops/config.yaml'), `remotes:\n  share: { path: ${JSON.stringify(remote)} }\ndefault: share\n`);
    mlops(root, 'snapshot', 'data/raw', '--json');
    const p = mlops(root, 'push', '--json');
    assert.equal(p.code, 0, p.stderr);
    assert.deepEqual(Object.keys(json(p)), ['pushed', 'bytes', 'skipped']);
    assert.deepEqual([json(p).pushed, json(p).skipped], [3, 0]);
    const { root: b } = workspace();
    fs.rmSync(path.join(b, 'data/raw'), { recursive: true });
    fs.mkdirSync(path.join(b, '.mlops'));
    fs.copyFileSync(path.join(root, '.mlops/config.yaml'), path.join(b, '.mlops/config.yaml'));
    fs.copyFileSync(path.join(root, 'data/raw.snapshot'), path.join(b, 'data/raw.snapshot'));
    const q = mlops(b, 'pull', '--remote', 'share', '--json');
    assert.equal(q.code, 0, q.stderr);
    assert.deepEqual(json(q), { pulled: 3, bytes: json(p).bytes, skipped: 0 });
    assert.equal(mlops(b, 'checkout', 'data/raw', '--json').code, 0);
    assert.equal(fs.readFileSync(path.join(b, 'data/raw/sub/c.txt'), 'utf8'), 'hello\n');
    const bad = mlops(b, 'pull', '--remote', 'nas', '--json');
    assert.equal(bad.code, 1);
    assert.equal(json(bad).error.code, 'not-found');
    assert.match(json(bad).error.message, /\.mlops\/config\.yaml: unknown remote 'nas' \(defined: share\)/);
    assert.match(bad.stderr, /unknown remote 'nas'/);
    assert.equal(mlops(b, 'pull', '--remote').code, 2);
  });
});
