/**
 * gc must never run while a snapshot (or a pull) is writing: the new objects exist before the
 * pointer file that names them, and an object the snapshot found already cached (so did not write)
 * may be unreferenced garbage at that moment. Writers take a shared lock, gc the exclusive one:
 *
 *   .mlops/locks/write-<host>-<pid>-<random>   one per writer, removed when it ends
 *   .mlops/locks/gc                            created with O_EXCL by gc
 *
 * (Beside the cache, not in it: taking the lock creates nothing in .mlops/cache, so a snapshot that
 * fails its free-space check has written nothing there.)
 *
 * Each side first publishes its own file, then looks for the other's: whichever looks second sees
 * the first, so they never both proceed (and at worst both back off and say why). A lock file of
 * a process that no longer exists on this host (killed: the crash test does that) is stale and
 * ignored; one from another host (a shared cache folder) is honoured until it is an hour old.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describeErrno, errnoCode, SnapshotError } from './errors';
import { ensureLocalFilesIgnored } from '../workspace/projectRoot';
import { displayPath } from './paths';

const GC_LOCK = 'gc';
const WRITER_PREFIX = 'write-';
/** A lock from another host older than this is taken as left behind by a crash. */
const FOREIGN_LOCK_MAX_AGE_MS = 60 * 60 * 1000;

interface LockOwner {
  host: string;
  pid: number;
  what: string;
}

export interface CacheLock {
  release(): void;
}

/** Taken by snapshot for as long as it writes objects and its pointer file. Throws `cache-busy` while gc runs. */
export function lockForWriting(root: string, what: string): CacheLock {
  const dir = locksDir(root);
  const file = path.join(dir, `${WRITER_PREFIX}${os.hostname()}-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
  writeOwner(file, what, 'w');
  const gc = liveOwner(path.join(dir, GC_LOCK));
  if (gc) {
    removeQuietly(file);
    throw new SnapshotError('cache-busy', `mlops gc is cleaning the cache (${describe(gc)}). Run the ${what} again when it has finished.`, path.join(dir, GC_LOCK));
  }
  return { release: () => removeQuietly(file) };
}

/** Taken by gc. Throws `cache-busy` while any writer (or another gc) holds the cache. */
export function lockForGc(root: string): CacheLock {
  const dir = locksDir(root);
  const file = path.join(dir, GC_LOCK);
  for (let attempt = 0; ; attempt++) {
    try {
      writeOwner(file, 'gc', 'wx');
      break;
    } catch (err) {
      if (!(err instanceof SnapshotError) || err.code !== 'cache-busy' || attempt > 0) throw err;
      const holder = liveOwner(file);
      if (holder) throw new SnapshotError('cache-busy', `Another mlops gc is running (${describe(holder)}).`, file);
      removeQuietly(file); // stale: its process is gone
    }
  }
  const writers: LockOwner[] = [];
  for (const name of names(dir).filter((n) => n.startsWith(WRITER_PREFIX))) {
    const owner = liveOwner(path.join(dir, name));
    if (owner) writers.push(owner);
    else removeQuietly(path.join(dir, name)); // left by a killed snapshot
  }
  if (writers.length) {
    removeQuietly(file);
    throw new SnapshotError('cache-busy', `${writers.length === 1 ? 'A' : writers.length} ${writers.map((w) => w.what).join(', ')} ${writers.length === 1 ? 'is' : 'are'} writing to the cache (${writers.map(describe).join('; ')}). Run gc again when ${writers.length === 1 ? 'it has' : 'they have'} finished: gc now could remove objects they are about to name.`, dir);
  }
  return { release: () => removeQuietly(file) };
}

function locksDir(root: string): string {
  const mlops = path.join(root, '.mlops');
  const dir = path.join(mlops, 'locks');
  try {
    if (!fs.existsSync(dir)) {
      fs.mkdirSync(dir, { recursive: true });
      ensureLocalFilesIgnored(mlops);
    }
  } catch (err) {
    throw new SnapshotError('cache-not-writable', `Cannot create ${displayPath(dir)}: ${describeErrno(err)}. The project's .mlops folder must be writable.`, dir);
  }
  return dir;
}

function writeOwner(file: string, what: string, flag: 'w' | 'wx'): void {
  const owner: LockOwner = { host: os.hostname(), pid: process.pid, what };
  try {
    fs.writeFileSync(file, JSON.stringify(owner), { flag });
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') throw new SnapshotError('cache-busy', `${displayPath(file)} exists.`, file);
    throw new SnapshotError('cache-not-writable', `Cannot write ${displayPath(file)}: ${describeErrno(err)}. The project's .mlops folder must be writable.`, file);
  }
}

/** The owner of a lock file when it still holds (its process is alive, or it is recent and from another host). */
function liveOwner(file: string): LockOwner | undefined {
  let owner: LockOwner;
  let mtimeMs: number;
  try {
    owner = JSON.parse(fs.readFileSync(file, 'utf8')) as LockOwner;
    mtimeMs = fs.statSync(file).mtimeMs;
  } catch {
    return undefined; // gone, or half-written by a process killed at that instant: not a holder
  }
  if (owner.host !== os.hostname()) return Date.now() - mtimeMs < FOREIGN_LOCK_MAX_AGE_MS ? owner : undefined;
  if (owner.pid === process.pid) return owner;
  try {
    process.kill(owner.pid, 0);
    return owner;
  } catch (err) {
    return errnoCode(err) === 'EPERM' ? owner : undefined; // EPERM: alive, another user's
  }
}

function describe(o: LockOwner): string {
  return `${o.what}, process ${o.pid} on ${o.host}`;
}

function names(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function removeQuietly(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    // already gone
  }
}
