/** gc and writers (snapshot, pull) never hold the cache at once; locks of dead processes do not block. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { lockForGc, lockForWriting } from '../../../server/src/core/snapshots/cacheLock';
import { SnapshotError } from '../../../server/src/core/snapshots/errors';
import { project } from './snapshotFixture';


function busy(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SnapshotError, String(e));
    assert.equal(e.code, 'cache-busy');
    assert.match(e.message, pattern);
    return true;
  });
}

/** The pid of a process that has exited (its lock files are stale). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('cache locks', () => {
  test('gc refuses while a snapshot writes, naming it; proceeds once it has finished', () => {
    const root = project();
    const writer = lockForWriting(root, 'snapshot of data/raw');
    busy(() => lockForGc(root), new RegExp(`snapshot of data/raw is writing to the cache \\(snapshot of data/raw, process ${process.pid}`));
    writer.release();
    lockForGc(root).release();
  });

  test('a snapshot refuses while gc runs; two snapshots at once are fine', () => {
    const root = project();
    const gc = lockForGc(root);
    busy(() => lockForWriting(root, 'snapshot'), /mlops gc is cleaning the cache.*Run the snapshot again/);
    busy(() => lockForGc(root), /Another mlops gc is running/);
    gc.release();
    const a = lockForWriting(root, 'snapshot');
    const b = lockForWriting(root, 'pull');
    a.release();
    b.release();
    assert.deepEqual(fs.readdirSync(path.join(root, '.mlops', 'locks')), [], 'released locks leave no file');
  });

  test('locks left by killed processes on this host are stale: they block nothing and gc removes them', () => {
    const root = project();
    const locks = path.join(root, '.mlops', 'locks');
    fs.mkdirSync(locks, { recursive: true });
    const pid = deadPid();
    fs.writeFileSync(path.join(locks, `write-${os.hostname()}-${pid}-abcd`), JSON.stringify({ host: os.hostname(), pid, what: 'snapshot' }));
    fs.writeFileSync(path.join(locks, 'write-half-written'), '{"host":');
    lockForGc(root).release();
    assert.deepEqual(fs.readdirSync(locks), [], 'stale writer locks removed by gc');

    fs.writeFileSync(path.join(locks, 'gc'), JSON.stringify({ host: os.hostname(), pid, what: 'gc' }));
    lockForWriting(root, 'snapshot').release();
    lockForGc(root).release();
  });

  test('a recent lock from another host (a shared cache folder) is honoured', () => {
    const root = project();
    const locks = path.join(root, '.mlops', 'locks');
    fs.mkdirSync(locks, { recursive: true });
    fs.writeFileSync(path.join(locks, 'write-other-host-1-abcd'), JSON.stringify({ host: 'other-host', pid: 1, what: 'snapshot' }));
    busy(() => lockForGc(root), /process 1 on other-host/);
    const hourAgo = new Date(Date.now() - 61 * 60 * 1000);
    fs.utimesSync(path.join(locks, 'write-other-host-1-abcd'), hourAgo, hourAgo);
    lockForGc(root).release();
  });
});
