/**
 * The stat cache seen from the snapshot code: (path, size, mtime in ns, inode) -> SHA-256. The real
 * one lives in SQLite (core/store/statCache.ts); anything with these methods will do, which keeps the
 * snapshot logic testable with the in-memory `MemoryHashCache`.
 *
 * Paths are relative to the project root with POSIX separators. A hit means "this file was hashed
 * when it had exactly this size, mtime and inode", so its content is not read again.
 */
export interface FileStamp {
  size: number;
  mtimeNs: bigint;
  ino: bigint;
}

export interface HashCacheEntry extends FileStamp {
  path: string;
  sha256: string;
}

export interface HashCache {
  lookup(relPath: string, stamp: FileStamp): string | undefined;
  /** Optional bulk form: result[i] is the hash for queries[i] (one range scan instead of one query per file). */
  lookupMany?(queries: readonly (FileStamp & { path: string })[]): (string | undefined)[];
  /**
   * The caller only records files whose mtime is older than the file system's clock when their
   * reading started (see fileHashes.ts), so no racy-clean check is needed here.
   */
  recordMany(entries: HashCacheEntry[]): void;
}

/** The cached hash of each file (by its project-relative path and stamp), undefined when unknown or stale. */
export function lookupAll(cache: HashCache, files: readonly (FileStamp & { rootRel: string })[]): (string | undefined)[] {
  if (cache.lookupMany) return cache.lookupMany(files.map((f) => ({ path: f.rootRel, size: f.size, mtimeNs: f.mtimeNs, ino: f.ino })));
  return files.map((f) => cache.lookup(f.rootRel, f));
}

/** A HashCache in a Map: for tests, and when the SQLite store cannot be opened. */
export class MemoryHashCache implements HashCache {
  readonly entries = new Map<string, HashCacheEntry>();
  lookups = 0;
  hits = 0;

  lookup(relPath: string, stamp: FileStamp): string | undefined {
    this.lookups++;
    const e = this.entries.get(relPath);
    if (!e || e.size !== stamp.size || e.mtimeNs !== stamp.mtimeNs || e.ino !== stamp.ino) return undefined;
    this.hits++;
    return e.sha256;
  }

  recordMany(entries: HashCacheEntry[]): void {
    for (const e of entries) this.entries.set(e.path, { ...e });
  }
}

/** No cache at all: every file is hashed. */
export const NO_HASH_CACHE: HashCache = { lookup: () => undefined, recordMany: () => undefined };
