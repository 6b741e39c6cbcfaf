/**
 * `mlops status`: for each pointer file, whether the data beside it is still what it names (as
 * `dvc status` tells). Files whose stamp is in the stat cache are not read; the others are hashed,
 * without storing anything, and recorded in the stat cache so the next status is a stat per file.
 */
import * as fs from 'fs';
import * as path from 'path';
import { resolveDataPath } from './dataPath';
import { SnapshotError } from './errors';
import { hashFiles } from './fileHashes';
import { HashCache } from './hashCache';
import { HashPool } from './hashPool';
import { manifestId, manifestOf } from './manifest';
import { ListedSnapshot, listSnapshots } from './list';
import { ObjectStore } from './objectStore';
import { SnapshotType } from './pointerFile';
import { walkTarget } from './walk';

/**
 * unchanged: the data hashes to the pointer's id; modified: it does not; data-missing: the data path
 * does not exist (e.g. a fresh clone before `mlops checkout`); error: the pointer or the data cannot
 * be read (see `error`).
 */
export type DataState = 'unchanged' | 'modified' | 'data-missing' | 'error';

export interface SnapshotStatus extends ListedSnapshot {
  state: DataState;
  /** The id the data has now, when modified. */
  currentId?: string;
}

export interface StatusOptions {
  root: string;
  cache: HashCache;
  pool?: HashPool;
  /** Only these pointer files (relative to the root, POSIX), default all. */
  only?: string[];
}

export async function snapshotStatus(opts: StatusOptions): Promise<SnapshotStatus[]> {
  const root = path.resolve(opts.root);
  const store = new ObjectStore(root);
  const fsNow = fileSystemClock(store);
  const listed = listSnapshots(root).filter((s) => !opts.only || opts.only.includes(s.pointer));
  const pool = opts.pool ?? new HashPool();
  try {
    const out: SnapshotStatus[] = [];
    for (const s of listed) out.push(await statusOf(root, s, opts.cache, pool, fsNow));
    return out;
  } finally {
    if (!opts.pool) await pool.close();
  }
}

async function statusOf(root: string, s: ListedSnapshot, cache: HashCache, pool: HashPool, fsNow: bigint): Promise<SnapshotStatus> {
  if (s.error || !s.sha256) return { ...s, state: 'error' };
  try {
    const abs = path.join(root, ...s.path.split('/'));
    if (!fs.existsSync(abs)) return { ...s, state: 'data-missing' };
    const current = await contentIdOf(root, abs, cache, pool, fsNow);
    return current === s.sha256 ? { ...s, state: 'unchanged' } : { ...s, state: 'modified', currentId: `sha256:${current}` };
  } catch (err) {
    return { ...s, state: 'error', error: err instanceof SnapshotError ? err.message : String(err) };
  }
}

/**
 * The snapshot id (hex) the data at `abs` has now, as `mlops snapshot` would compute it; only files
 * the stat cache does not know are read, and nothing is stored.
 */
export async function currentContentId(root: string, abs: string, cache: HashCache): Promise<string> {
  const pool = new HashPool();
  try {
    return await contentIdOf(path.resolve(root), abs, cache, pool, fileSystemClock(new ObjectStore(path.resolve(root))));
  } finally {
    await pool.close();
  }
}

async function contentIdOf(root: string, abs: string, cache: HashCache, pool: HashPool, fsNow: bigint): Promise<string> {
  const { realRoot } = resolveDataPath(root, abs, root, false);
  const walked = walkTarget(root, realRoot, abs);
  const { hashes } = await hashFiles(walked.files, cache, pool, fsNow);
  return contentId(walked.type, walked.files, hashes);
}

/** The snapshot id that files with these hashes have: the manifest's hash, or the single file's. */
function contentId(type: SnapshotType, files: readonly { path: string; size: number }[], hashes: readonly string[]): string {
  return type === 'file' ? hashes[0] : manifestId(manifestOf(files, hashes));
}

/**
 * The file system's clock from the cache, or 0 (record no stamp) when there is no cache yet (status
 * creates nothing) or it cannot be written (status must work on a read-only checkout).
 */
function fileSystemClock(store: ObjectStore): bigint {
  try {
    return store.fileSystemClock();
  } catch {
    return 0n;
  }
}
