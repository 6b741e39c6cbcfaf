/** Hashes of files on disk: from the stat cache when the stamp matches, else read on the pool. */
import { describeErrno, SnapshotError } from './errors';
import { FileStamp, HashCache, HashCacheEntry, lookupAll } from './hashCache';
import { HashPool } from './hashPool';
import { displayPath } from './paths';

export interface StampedFile extends FileStamp {
  /** What to read. */
  real: string;
  /** Stat-cache key (relative to the project root). */
  rootRel: string;
}

/**
 * The SHA-256 of each file, in order. Files read here whose mtime is before `fsNow` (the file
 * system's clock when the operation started) are recorded in the cache; a file modified in the same
 * clock tick as the start is "racily clean" (a later write in that tick would keep its stamp), so it
 * is not recorded and will be read again next time, as git does for its index.
 */
export async function hashFiles(files: readonly StampedFile[], cache: HashCache, pool: HashPool, fsNow: bigint): Promise<{ hashes: string[]; read: number }> {
  const hashes: string[] = new Array(files.length);
  const todo: number[] = [];
  lookupAll(cache, files).forEach((h, i) => {
    if (h) hashes[i] = h;
    else todo.push(i);
  });
  if (!todo.length) return { hashes, read: 0 };
  const results = await pool.run(todo.map((i) => ({ op: 'hash' as const, file: files[i].real, size: files[i].size })));
  const record: HashCacheEntry[] = [];
  const failed = results.find((r) => r && !r.ok);
  if (failed && !failed.ok) throw readError(failed.file, failed.errno, failed.message);
  results.forEach((r, k) => {
    if (!r) return;
    const f = files[todo[k]];
    if (!r.ok) return;
    if (r.changed || r.size !== f.size || r.mtimeNs !== f.mtimeNs || r.ino !== f.ino) throw changedError(f.real);
    hashes[todo[k]] = r.sha256;
    if (r.mtimeNs < fsNow) record.push({ path: f.rootRel, size: f.size, mtimeNs: f.mtimeNs, ino: f.ino, sha256: r.sha256 });
  });
  if (record.length) cache.recordMany(record);
  return { hashes, read: todo.length };
}

export function readError(file: string, errno: string | undefined, message: string): SnapshotError {
  if (errno === 'ENOENT') return changedError(file, 'disappeared');
  const reason = errno ? describeErrno({ code: errno, message }) : message;
  return new SnapshotError('unreadable-file', `Cannot read ${displayPath(file)}: ${reason}. Fix its permissions (or move it out of the folder) and run the command again.`, file);
}

export function changedError(file: string, what = 'changed'): SnapshotError {
  return new SnapshotError('file-changed', `${displayPath(file)} ${what} while it was being read. Run the command again once nothing writes to the data.`, file);
}
