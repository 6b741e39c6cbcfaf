/**
 * The snapshot stat cache: path -> (size, mtime in ns, inode) -> SHA-256, so that a file whose
 * `fs.statSync(p, { bigint: true })` is unchanged is never read again (as git's index does).
 *
 * Paths are relative to the project root with POSIX separators ("data/raw/a.csv"). mtimeNs and
 * ino are bigints, stored losslessly as 64-bit integers: ino (an unsigned 64-bit number in the
 * kernel) is kept as the signed integer with the same bits (`BigInt.asIntN(64, ino)`) and given
 * back with `BigInt.asUintN(64, ...)`, so even inode numbers above 2^63 round-trip exactly.
 *
 * Racily clean files: a file rewritten with the same size within the file system's timestamp
 * granularity of the moment it was hashed keeps its mtime. A caller that knows when it started
 * reading files passes `readStartedAtNs` to recordMany, and files modified too close to that
 * moment are not cached (they are hashed again next time), as git does for its index.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { Store } from './store';

/** What fs.statSync(p, { bigint: true }) says about a file; size may be a number or a bigint. */
export interface FileStat {
  size: number | bigint;
  mtimeNs: bigint;
  ino: bigint;
}

/** A file to look up: its path (relative, POSIX) and its current stat. */
export interface StatQuery extends FileStat {
  path: string;
}

/** A file to record: its path, the stat it had when hashed, and its SHA-256 (64 lowercase hex). */
export interface StatRecord extends StatQuery {
  sha256: string;
}

/** A row of the cache, as read back. */
export interface StatCacheEntry {
  path: string;
  size: number;
  mtimeNs: bigint;
  ino: bigint;
  sha256: string;
}

export interface RecordOptions {
  /**
   * Wall-clock time in ns (e.g. `BigInt(Date.now()) * 1_000_000n`) taken just before the first of
   * these files was read. Entries whose mtime is not older than that by more than
   * RACY_WINDOW_NS are not cached (and any older row for them is removed), because a rewrite
   * right after the read could leave size, mtime and inode unchanged. Omitted: no such check.
   */
  readStartedAtNs?: bigint;
}

/** Coarse file timestamps advance once per kernel tick: at most 10 ms (HZ=100). */
export const RACY_WINDOW_NS = 10_000_000n;

/** Below this many queries, lookupMany does one indexed get per path. */
const BULK_MIN = 256;

const SHA256_HEX = /^[0-9a-f]{64}$/;
const BAD_SEGMENT = /(^|\/)\.{0,2}(\/|$)/; // "", "." or ".." as a path segment

// Rows are read as ONE string each, `size:mtime_ns:ino<TAB>sha256<TAB>path` (path last, so that
// a tab or newline in a file name cannot shift the fields): better-sqlite3 pays per column and
// per BigInt, and this is about twice as fast as reading five columns with safe integers.
const KEY_SHA = "size || ':' || mtime_ns || ':' || ino || char(9) || sha256";
const PACKED = `${KEY_SHA} || char(9) || path`;
// Under a prefix P: the row P itself and the rows from P + '/' up to P + '0' ('0' follows '/'),
// as one primary-key range scan [P, P + '0') in path order; the filter drops siblings such as
// "P.csv" or "P-old" that fall in the range.
const UNDER = 'path >= ? AND path < ? AND (path = ? OR path >= ?)';

export class StatCache {
  private readonly getStmt: BetterSqlite3.Statement<[string], string>;
  private readonly packedAllStmt: BetterSqlite3.Statement<[], string>;
  private readonly packedUnderStmt: BetterSqlite3.Statement<UnderArgs, string>;
  private readonly packedBelowStmt: BetterSqlite3.Statement<[string, string], string>;
  private readonly countAllStmt: BetterSqlite3.Statement<[], number>;
  private readonly countUnderStmt: BetterSqlite3.Statement<UnderArgs, number>;
  private readonly upsertStmt: BetterSqlite3.Statement<[string, number | bigint, bigint, bigint, string]>;
  private readonly deleteStmt: BetterSqlite3.Statement<[string]>;
  private readonly deleteAllStmt: BetterSqlite3.Statement<[]>;
  private readonly deleteUnderStmt: BetterSqlite3.Statement<UnderArgs>;

  constructor(private readonly store: Store) {
    const db = store.db;
    this.getStmt = db.prepare<[string], string>(`SELECT ${KEY_SHA} FROM stat_cache WHERE path = ?`).pluck();
    this.packedAllStmt = db.prepare<[], string>(`SELECT ${PACKED} FROM stat_cache ORDER BY path`).pluck();
    this.packedUnderStmt = db.prepare<UnderArgs, string>(`SELECT ${PACKED} FROM stat_cache WHERE ${UNDER} ORDER BY path`).pluck();
    // Strictly below a folder P: [P + '/', P + '0').
    this.packedBelowStmt = db.prepare<[string, string], string>(`SELECT ${PACKED} FROM stat_cache WHERE path >= ? AND path < ? ORDER BY path`).pluck();
    this.countAllStmt = db.prepare<[], number>('SELECT count(*) FROM stat_cache').pluck();
    this.countUnderStmt = db.prepare<UnderArgs, number>(`SELECT count(*) FROM stat_cache WHERE ${UNDER}`).pluck();
    this.upsertStmt = db.prepare<[string, number | bigint, bigint, bigint, string]>(
      `INSERT INTO stat_cache (path, size, mtime_ns, ino, sha256) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns,
         ino = excluded.ino, sha256 = excluded.sha256`);
    this.deleteStmt = db.prepare<[string]>('DELETE FROM stat_cache WHERE path = ?');
    this.deleteAllStmt = db.prepare<[]>('DELETE FROM stat_cache');
    this.deleteUnderStmt = db.prepare<UnderArgs>(`DELETE FROM stat_cache WHERE ${UNDER}`);
  }

  /** The SHA-256 recorded for `path` if size, mtime (ns) and inode all match `stat`, else undefined. */
  lookup(path: string, stat: FileStat): string | undefined {
    let row: string | undefined;
    try {
      row = this.getStmt.get(path);
    } catch (e) {
      this.store.rethrow(e);
    }
    return row === undefined ? undefined : hashIfSame(row, stat);
  }

  /**
   * lookup() for many files at once: result[i] is the hash for queries[i] or undefined. A large
   * batch reads the rows under the queries' common folder in one range scan and walks them
   * alongside the queries, which is fastest when the queries are sorted by path (as a manifest
   * is); unsorted queries are matched through a map instead. Either way a hit needs the exact
   * path, size, mtime and inode.
   */
  lookupMany(queries: readonly StatQuery[]): (string | undefined)[] {
    const n = queries.length;
    const out = new Array<string | undefined>(n);
    if (n < BULK_MIN) {
      for (let i = 0; i < n; i++) out[i] = this.lookup(queries[i].path, queries[i]);
      return out;
    }
    const prefix = commonFolder(queries);
    // A few files in a folder with many more cached rows: per-file gets read less.
    if (this.countUnder(prefix) > 4 * n) {
      for (let i = 0; i < n; i++) out[i] = this.lookup(queries[i].path, queries[i]);
      return out;
    }
    // Every query path is strictly below `prefix`.
    const rows = this.read(() => prefix === '' ? this.packedAllStmt.all() : this.packedBelowStmt.all(`${prefix}/`, `${prefix}0`));
    const r = rows.length;
    let j = 0;
    let i = 0;
    // Merge walk: rows are in path order; so are the queries as long as each path is greater
    // than the previous one.
    for (let prev = ''; i < n; i++) {
      const q = queries[i];
      const p = q.path;
      if (i > 0 && !(prev < p)) break;
      prev = p;
      out[i] = undefined;
      while (j < r) {
        const row = rows[j];
        const pathAt = row.indexOf('\t') + 66; // the key, a tab, 64 hex digits, a tab
        if (row.length - pathAt === p.length && row.endsWith(p)) {
          out[i] = hashIfSame(row, q);
          j++;
          break;
        }
        if (row.slice(pathAt) < p) j++; // a cached file that is not queried (deleted since)
        else break;                      // a queried file that is not cached (new)
      }
    }
    if (i < n) {
      // Unsorted queries: match the rest by path.
      const byPath = new Map<string, string>();
      for (const row of rows) byPath.set(row.slice(row.indexOf('\t') + 66), row);
      for (; i < n; i++) {
        const row = byPath.get(queries[i].path);
        out[i] = row === undefined ? undefined : hashIfSame(row, queries[i]);
      }
    }
    return out;
  }

  /** Every cached row for `prefix` and below ('' for all), in one query, by path. */
  entriesUnder(prefix: string): Map<string, StatCacheEntry> {
    const p = trimSlashes(prefix);
    const rows = this.read(() => p === '' ? this.packedAllStmt.all() : this.packedUnderStmt.all(...underArgs(p)));
    const map = new Map<string, StatCacheEntry>();
    for (const row of rows) {
      const tab = row.indexOf('\t');
      const [size, mtimeNs, ino] = row.slice(0, tab).split(':');
      const path = row.slice(tab + 66);
      map.set(path, { path, size: Number(size), mtimeNs: BigInt(mtimeNs), ino: BigInt.asUintN(64, BigInt(ino)), sha256: row.slice(tab + 1, tab + 65) });
    }
    return map;
  }

  /**
   * Records (inserts or replaces) the hashes of `entries` in ONE transaction; returns how many
   * were cached (fewer than given when `readStartedAtNs` marks some as racily clean). Throws a
   * TypeError, recording nothing, if an entry has an absolute or non-normalised path, a hash that
   * is not 64 lowercase hex digits, or a number instead of a bigint for mtimeNs/ino.
   */
  recordMany(entries: readonly StatRecord[], options: RecordOptions = {}): number {
    if (entries.length === 0) return 0;
    for (const e of entries) checkRecord(e);
    const racyFrom = options.readStartedAtNs === undefined ? undefined : options.readStartedAtNs - RACY_WINDOW_NS;
    return this.store.transaction(() => {
      let stored = 0;
      for (const e of entries) {
        if (racyFrom !== undefined && e.mtimeNs >= racyFrom) {
          this.deleteStmt.run(e.path);
          continue;
        }
        this.upsertStmt.run(e.path, e.size, BigInt.asIntN(64, e.mtimeNs), BigInt.asIntN(64, e.ino), e.sha256);
        stored++;
      }
      return stored;
    });
  }

  /** Forgets `prefix` and everything below it ('' for everything); returns the rows removed. */
  forgetUnder(prefix: string): number {
    const p = trimSlashes(prefix);
    return this.store.transaction(() =>
      p === '' ? this.deleteAllStmt.run().changes : this.deleteUnderStmt.run(...underArgs(p)).changes);
  }

  /** Number of cached rows under `prefix` ('' or omitted: all). */
  countUnder(prefix = ''): number {
    const p = trimSlashes(prefix);
    return this.read(() => p === '' ? this.countAllStmt.get()! : this.countUnderStmt.get(...underArgs(p))!);
  }

  /** A read, with SQLite's environmental errors (damaged file...) turned into StoreErrors. */
  private read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      return this.store.rethrow(e);
    }
  }
}

type UnderArgs = [string, string, string, string];

/**
 * The hash in a row `size:mtime_ns:ino<TAB>sha256...` (the integers as SQLite prints them, ino as
 * a signed 64-bit number) when size, mtime and inode are those of `stat`. Compared piece by piece
 * in place: cheaper than building the key string.
 */
function hashIfSame(row: string, stat: FileStat): string | undefined {
  const { size, mtimeNs, ino } = stat;
  if (typeof mtimeNs !== 'bigint' || typeof ino !== 'bigint') {
    throw new TypeError('stat cache: mtimeNs and ino must be bigints (fs.statSync(p, { bigint: true }))');
  }
  const a = String(size);
  if (!row.startsWith(a) || row.charCodeAt(a.length) !== 58 /* : */) return undefined;
  let at = a.length + 1;
  const b = BigInt.asIntN(64, mtimeNs).toString();
  if (!row.startsWith(b, at) || row.charCodeAt(at + b.length) !== 58) return undefined;
  at += b.length + 1;
  const c = BigInt.asIntN(64, ino).toString();
  if (!row.startsWith(c, at) || row.charCodeAt(at + c.length) !== 9 /* tab */) return undefined;
  at += c.length + 1;
  return row.slice(at, at + 64);
}

function underArgs(prefix: string): UnderArgs {
  return [prefix, `${prefix}0`, prefix, `${prefix}/`];
}
function trimSlashes(prefix: string): string {
  let p = prefix;
  if (p === '.' || p === './') return '';
  while (p.endsWith('/')) p = p.slice(0, -1);
  return p;
}

/** The deepest folder containing every query's path ('' when they only share the root). */
function commonFolder(queries: readonly StatQuery[]): string {
  const first = queries[0].path;
  let prefix = first.includes('/') ? first.slice(0, first.lastIndexOf('/')) : '';
  for (let i = 1; i < queries.length && prefix !== ''; i++) {
    const p = queries[i].path;
    while (prefix !== '' && !(p.length > prefix.length && p.startsWith(prefix) && p.charCodeAt(prefix.length) === 47 /* / */)) {
      const cut = prefix.lastIndexOf('/');
      prefix = cut < 0 ? '' : prefix.slice(0, cut);
    }
  }
  return prefix;
}

function checkRecord(e: StatRecord): void {
  const p = e.path;
  if (typeof p !== 'string' || p === '' || p.startsWith('/') || p.includes('\0') || BAD_SEGMENT.test(p)) {
    throw new TypeError(`stat cache: path ${JSON.stringify(p)} must be relative to the project root, with "/" separators and no "", "." or ".." segment`);
  }
  if (typeof e.sha256 !== 'string' || !SHA256_HEX.test(e.sha256)) {
    throw new TypeError(`stat cache: ${p}: sha256 must be 64 lowercase hex digits, got ${JSON.stringify(e.sha256)}`);
  }
  if (typeof e.mtimeNs !== 'bigint' || typeof e.ino !== 'bigint') {
    throw new TypeError(`stat cache: ${p}: mtimeNs and ino must be bigints (fs.statSync(p, { bigint: true }))`);
  }
  if (!(typeof e.size === 'bigint' ? e.size >= 0n : Number.isSafeInteger(e.size) && e.size >= 0)) {
    throw new TypeError(`stat cache: ${p}: size must be a non-negative integer, got ${String(e.size)}`);
  }
}
