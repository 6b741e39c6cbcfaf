/** push / pull between two workspaces through a remote directory, with verification on arrival and clear config errors. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { checkout } from '../../../server/src/core/snapshots/checkout';
import { HashPool } from '../../../server/src/core/snapshots/hashPool';
import { pull, push, resolveRemote } from '../../../server/src/core/snapshots/remote';
import { snapshot } from '../../../server/src/core/snapshots/snapshot';
import { verifyCache } from '../../../server/src/core/snapshots/verify';
import { objectFile, objectsIn, project, rejectsWith, sha256sum, writeFiles } from './snapshotFixture';

const pool = new HashPool();
after(() => pool.close());

const remotes: string[] = [];
process.on('exit', () => {
  for (const dir of remotes) fs.rmSync(dir, { recursive: true, force: true });
});

function remoteDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-remote-'));
  remotes.push(dir);
  return dir;
}

function configure(root: string, remote: string): void {
  writeFiles(root, { '.mlops/config.yaml': `remotes:\n  share: { path: ${JSON.stringify(remote)} }\n  other: { path: ${JSON.stringify(remote + '-other')} }\ndefault: share\n` });
}

function remoteObject(remote: string, sha256: string): string {
  return path.join(remote, 'sha256', sha256.slice(0, 2), sha256.slice(2));
}

const sync = (fn: () => unknown): Promise<unknown> => Promise.resolve().then(fn);

async function workspaceA(remote: string): Promise<{ a: string; id: string }> {
  const a = project({ 'data/raw/x.csv': 'id,v\n1,2\n', 'data/raw/sub/y.bin': Buffer.alloc(300_000, 7), 'data/raw/z.csv': 'id,v\n1,2\n' });
  configure(a, remote);
  const s = await snapshot({ root: a, target: 'data/raw', cwd: a, pool });
  return { a, id: s.id };
}

function workspaceBFrom(a: string, remote: string): string {
  const b = project();
  configure(b, remote);
  fs.mkdirSync(path.join(b, 'data'));
  fs.copyFileSync(path.join(a, 'data/raw.snapshot'), path.join(b, 'data/raw.snapshot')); // "committed with git"
  return b;
}

describe('push / pull', () => {
  test('push from A, pull into a fresh B, checkout in B restores the same bytes; only missing objects move', async () => {
    const remote = remoteDir();
    const { a } = await workspaceA(remote);
    const objects = objectsIn(a);
    assert.equal(objects.length, 3); // x and z are identical, y, manifest

    const pushed = push({ root: a });
    assert.deepEqual({ n: pushed.count, skipped: pushed.skipped, remote: pushed.remote }, { n: 3, skipped: 0, remote: 'share' });
    assert.equal(pushed.bytes, objects.reduce((s, o) => s + fs.statSync(objectFile(a, o)).size, 0));
    for (const o of objects) {
      assert.equal(sha256sum(remoteObject(remote, o)), o);
      assert.equal(fs.statSync(remoteObject(remote, o)).mode & 0o777, 0o444, 'read-only on the remote');
    }
    assert.deepEqual(fs.readdirSync(path.join(remote, 'tmp')), [], 'no temporary file left');
    assert.deepEqual([push({ root: a }).count, push({ root: a }).skipped], [0, 3], 'a second push moves nothing');

    const b = workspaceBFrom(a, remote);
    const pulled = pull({ root: b });
    assert.deepEqual([pulled.count, pulled.bytes, pulled.skipped], [3, pushed.bytes, 0]);
    assert.deepEqual(objectsIn(b), objects);
    for (const o of objects) assert.equal(fs.statSync(objectFile(b, o)).mode & 0o777, 0o444);
    assert.deepEqual([pull({ root: b }).count, pull({ root: b }).skipped], [0, 3]);

    await checkout({ root: b, target: 'data/raw', cwd: b, pool });
    for (const f of ['x.csv', 'sub/y.bin', 'z.csv']) assert.deepEqual(fs.readFileSync(path.join(b, 'data/raw', f)), fs.readFileSync(path.join(a, 'data/raw', f)), f);
    assert.equal((await verifyCache({ root: b, pool })).ok, true);
  });

  test('pull fetches only what the local cache lacks', async () => {
    const remote = remoteDir();
    const { a } = await workspaceA(remote);
    push({ root: a });
    const b = workspaceBFrom(a, remote);
    // B already has x.csv's content (a snapshot of its own).
    writeFiles(b, { 'mine.csv': 'id,v\n1,2\n' });
    await snapshot({ root: b, target: 'mine.csv', cwd: b, pool });
    const r = pull({ root: b });
    assert.deepEqual([r.count, r.skipped], [2, 1]); // manifest + y copied; x (= z = mine.csv) was there
  });

  test('a corrupted object in the remote is refused on pull, with the object and the source named', async () => {
    const remote = remoteDir();
    const { a } = await workspaceA(remote);
    push({ root: a });
    const y = sha256sum(path.join(a, 'data/raw/sub/y.bin'));
    fs.chmodSync(remoteObject(remote, y), 0o644);
    const bytes = fs.readFileSync(remoteObject(remote, y));
    bytes[1000] ^= 1; // one flipped bit
    fs.writeFileSync(remoteObject(remote, y), bytes);
    const b = workspaceBFrom(a, remote);
    await rejectsWith(sync(() => pull({ root: b })), 'corrupt-object', new RegExp(`Object ${y} from remote 'share' \\(${remote.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\) is corrupt`));
    assert.equal(fs.existsSync(objectFile(b, y)), false, 'the bad object is not in the cache');
    assert.deepEqual(fs.readdirSync(path.join(b, '.mlops/cache/tmp')), [], 'its temporary copy is gone');
    assert.equal((await verifyCache({ root: b, pool })).corrupt.length, 0);
  });

  test('an object missing on the remote is a clear error', async () => {
    const remote = remoteDir();
    const { a } = await workspaceA(remote);
    push({ root: a });
    const y = sha256sum(path.join(a, 'data/raw/sub/y.bin'));
    fs.rmSync(remoteObject(remote, y));
    const b = workspaceBFrom(a, remote);
    await rejectsWith(sync(() => pull({ root: b })), 'missing-object', new RegExp(`${y} \\(needed by data/raw.snapshot\\) is not in remote 'share'`));
  });
});

describe('remote configuration (.mlops/config.yaml)', () => {
  test('unknown remote name, missing file, malformed YAML, bad entries, bad default', () => {
    const root = project();
    const err = (fn: () => unknown, pattern: RegExp): void => {
      assert.throws(fn, (e: unknown) => {
        assert.ok(e instanceof Error);
        assert.match(e.message, /\.mlops\/config\.yaml/);
        assert.match(e.message, pattern);
        return true;
      });
    };
    err(() => resolveRemote(root), /no such file/);
    writeFiles(root, { '.mlops/config.yaml': 'remotes:\n  share: { path: /mnt/x }\n' });
    assert.deepEqual(resolveRemote(root), { name: 'share', path: '/mnt/x' }, 'a single remote is the default');
    err(() => resolveRemote(root, 'nas'), /unknown remote 'nas' \(defined: share\)/);
    writeFiles(root, { '.mlops/config.yaml': 'remotes:\n  share: { path: /mnt/x }\n  nas: { path: rel/dir }\n' });
    err(() => resolveRemote(root), /several remotes \(share, nas\) and no 'default'/);
    assert.deepEqual(resolveRemote(root, 'nas'), { name: 'nas', path: path.join(root, 'rel/dir') });
    writeFiles(root, { '.mlops/config.yaml': 'remotes:\n  share: { path: /mnt/x }\ndefault: nas\n' });
    err(() => resolveRemote(root), /'default' must name one of the remotes \(share\)/);
    writeFiles(root, { '.mlops/config.yaml': 'remotes: [a, b\n' });
    err(() => resolveRemote(root), /is not valid YAML/);
    writeFiles(root, { '.mlops/config.yaml': 'remotes:\n  share: /mnt/x\n' });
    err(() => resolveRemote(root), /remote 'share' must be \{ path: DIR \}/);
    writeFiles(root, { '.mlops/config.yaml': 'default: share\n' });
    err(() => resolveRemote(root), /no 'remotes' are defined/);
  });

  test('push to an unknown remote or a missing directory fails before copying anything', async () => {
    const remote = remoteDir();
    const { a } = await workspaceA(remote);
    await rejectsWith(sync(() => push({ root: a, remote: 'nope' })), 'not-found', /unknown remote 'nope' \(defined: share, other\)/);
    await rejectsWith(sync(() => push({ root: a, remote: 'other' })), 'missing-path', /Remote 'other' .*no such file or directory\. Is the share mounted\?/);
    assert.deepEqual(fs.readdirSync(remote), []);
  });
});
