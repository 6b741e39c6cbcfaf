/**
 * `mlops checkout PATH`: make PATH exactly the snapshot its pointer file PATH.snapshot names.
 *
 * - Files are copied out of the cache with `copyFile(COPYFILE_FICLONE)`: a reflink (copy-on-write
 *   clone) where the file system has them (Btrfs, XFS, APFS...), else libuv falls back by itself to
 *   an ordinary kernel copy. Never a hard link: an edit through a link would corrupt the object.
 *   Each file is written to a temporary name beside it and renamed over the old one, so a file is
 *   always either its old or its new content.
 * - Local changes: a file that differs from the snapshot, or is not in it, is overwritten or removed
 *   only if its current content is itself an object in the cache (so nothing is lost: it can be
 *   checked out again, as DVC does). Otherwise checkout refuses, listing such files, unless `force`.
 *   Symbolic links, FIFOs and the like are removed (removing a link loses no data), never followed:
 *   checkout never writes through a link. PATH itself being a link is refused.
 * - Modes: the manifest format is fixed and has no modes, so, like git, only the executable bit is
 *   kept, in the pointer file's `executable:` list (written by `snapshot`). Files are restored as
 *   0666, or 0777 when executable, minus the umask; a file kept because its content is unchanged
 *   only gets its executable bit corrected. Owners, other mode bits, times and empty directories are
 *   not restored.
 * - Every path of the manifest is checked (no absolute path, no `..`, no duplicate, see
 *   manifest.ts) and every object must be in the cache before anything is touched.
 */
import * as fs from 'fs';
import * as path from 'path';
import { resolveDataPath } from './dataPath';
import { describeErrno, errnoCode, SnapshotError } from './errors';
import { hashFiles, StampedFile } from './fileHashes';
import { HashCache, NO_HASH_CACHE } from './hashCache';
import { HashPool } from './hashPool';
import { ManifestEntry } from './manifest';
import { ObjectStore, snapshotId } from './objectStore';
import { pointerPathFor, readPointer, SnapshotType } from './pointerFile';
import { displayPath, relativeInside } from './paths';
import { snapshotEntries, snapshotType } from './resolve';

export interface CheckoutOptions {
  root: string;
  /** The data path (or its pointer file), absolute or relative to `cwd`. */
  target: string;
  cwd?: string;
  cache?: HashCache;
  pool?: HashPool;
  force?: boolean;
}

export interface CheckoutResult {
  id: string;
  sha256: string;
  type: SnapshotType;
  path: string;
  files: number;
  /** Files copied from the cache. */
  written: number;
  /** Files, links and folders removed because the snapshot does not have them. */
  removed: number;
  /** Files already as in the snapshot. */
  unchanged: number;
  /** Unchanged files whose executable bit was corrected. */
  modesChanged: number;
}

interface Existing {
  kind: 'file' | 'dir' | 'other';
  abs: string;
  mode: number;
  stamp?: StampedFile;
}

const COPY_CONCURRENCY = 8;

export async function checkout(opts: CheckoutOptions): Promise<CheckoutResult> {
  const cwd = opts.cwd ?? process.cwd();
  const root = path.resolve(opts.root);
  const { abs } = resolveDataPath(root, opts.target, cwd, true);
  const shown = displayPath(abs, cwd);
  const pointer = readPointer(pointerPathFor(abs));
  const store = new ObjectStore(root);
  const type = snapshotType(store, pointer.sha256, pointer);
  const entries: ManifestEntry[] = snapshotEntries(store, pointer.sha256, type, '', pointer);
  const missing = entries.filter((e) => !store.has(e.sha256));
  if (missing.length) {
    const distinct = new Set(missing.map((e) => e.sha256)).size;
    throw new SnapshotError('missing-object', `${distinct} object(s) of snapshot ${snapshotId(pointer.sha256)} are not in the local cache, e.g. ${missing.slice(0, 3).map((e) => `${e.path || path.basename(abs)} (${e.sha256.slice(0, 12)})`).join(', ')}. Nothing was changed.`, store.objectPath(missing[0].sha256));
  }

  const existing = scanExisting(root, abs, shown);
  const { now: fsNow, umask } = probeClock(path.dirname(abs));
  const existingFiles = [...existing].filter(([, x]) => x.kind === 'file');
  const pool = opts.pool ?? new HashPool();
  let hashes: string[];
  try {
    hashes = (await hashFiles(existingFiles.map(([, x]) => x.stamp!), opts.cache ?? NO_HASH_CACHE, pool, fsNow)).hashes;
  } finally {
    if (!opts.pool) await pool.close();
  }

  const desired = new Map(entries.map((e) => [e.path, e]));
  const executable = new Set(type === 'file' ? (pointer.executable?.length ? [''] : []) : (pointer.executable ?? []));
  const neededDirs = new Set<string>(type === 'directory' ? [''] : []);
  for (const e of entries) for (let k = e.path.indexOf('/'); k >= 0; k = e.path.indexOf('/', k + 1)) neededDirs.add(e.path.slice(0, k));

  const keep = new Set<string>();
  const conflicts: string[] = [];
  const removeFiles: string[] = [];
  existingFiles.forEach(([rel], i) => {
    const want = desired.get(rel);
    if (want && want.sha256 === hashes[i]) keep.add(rel);
    else {
      if (!store.has(hashes[i])) conflicts.push(`${rel || path.basename(abs)} (${want ? 'modified' : 'not in the snapshot'})`);
      if (!want) removeFiles.push(rel);
    }
  });
  for (const [rel, x] of existing) if (x.kind === 'other' && !desired.has(rel)) removeFiles.push(rel);
  const removeDirs = [...existing].filter(([rel, x]) => x.kind === 'dir' && !neededDirs.has(rel)).map(([rel]) => rel);

  if (conflicts.length && !opts.force) {
    conflicts.sort();
    throw new SnapshotError('local-changes', `Checkout would overwrite local changes in ${shown} that are in no snapshot: ${conflicts.slice(0, 10).join(', ')}${conflicts.length > 10 ? ` and ${conflicts.length - 10} more` : ''}. Snapshot them first (mlops snapshot ${shown}) or use --force to discard them. Nothing was changed.`, abs);
  }

  // 1. Remove what the snapshot does not have (files first, then folders, deepest first).
  let removed = 0;
  for (const rel of removeFiles.sort()) {
    const p = existing.get(rel)!.abs;
    try {
      fs.unlinkSync(p);
      removed++;
    } catch (err) {
      throw new SnapshotError('io-error', `Cannot remove ${displayPath(p, cwd)}: ${describeErrno(err)}.`, p);
    }
  }
  for (const rel of removeDirs.sort((a, b) => depth(b) - depth(a) || (a < b ? 1 : -1))) {
    const p = existing.get(rel)!.abs;
    try {
      fs.rmdirSync(p);
      removed++;
    } catch (err) {
      throw new SnapshotError('io-error', `Cannot remove the folder ${displayPath(p, cwd)}: ${describeErrno(err)}.`, p);
    }
  }

  // 2. Correct the executable bit of unchanged files.
  let modesChanged = 0;
  for (const rel of keep) {
    const x = existing.get(rel)!;
    const want = executable.has(rel);
    if (((x.mode & 0o100) !== 0) === want) continue;
    fs.chmodSync(x.abs, want ? x.mode | ((x.mode & 0o444) >> 2) : x.mode & ~0o111);
    modesChanged++;
  }

  // 3. Copy the rest out of the cache.
  const toWrite = entries.filter((e) => !keep.has(e.path));
  if (type === 'directory') fs.mkdirSync(abs, { recursive: true });
  let next = 0;
  let counter = 0;
  const writeOne = async (e: ManifestEntry): Promise<void> => {
    const dest = e.path ? path.join(abs, ...e.path.split('/')) : abs;
    if (relativeInside(abs, dest) === undefined) throw new SnapshotError('unsafe-manifest', `Refusing ${JSON.stringify(e.path)}: outside ${shown}.`, dest); // belt and braces, see parseManifest
    const dir = path.dirname(dest);
    const tmp = path.join(dir, `.${path.basename(dest)}.${process.pid}-${counter++}.mlops-tmp`);
    const mode = (executable.has(e.path) ? 0o777 : 0o666) & ~umask;
    try {
      await fs.promises.mkdir(dir, { recursive: true });
      await fs.promises.copyFile(store.objectPath(e.sha256), tmp, fs.constants.COPYFILE_FICLONE);
      await fs.promises.chmod(tmp, mode);
      const size = (await fs.promises.stat(tmp)).size;
      if (size !== e.size) throw new SnapshotError('corrupt-object', `Object ${e.sha256} has ${size} bytes, the snapshot says ${e.size} for ${e.path || path.basename(abs)}: the cache is corrupt. Run mlops verify.`, store.objectPath(e.sha256));
      await fs.promises.rename(tmp, dest);
    } catch (err) {
      await fs.promises.unlink(tmp).catch(() => undefined);
      if (err instanceof SnapshotError) throw err;
      const code = errnoCode(err);
      throw new SnapshotError(code === 'ENOSPC' || code === 'EDQUOT' ? 'disk-full' : 'io-error', `Cannot write ${displayPath(dest, cwd)}: ${describeErrno(err)}. Files already restored are kept; fix the cause and run checkout again.`, dest);
    }
  };
  let failure: unknown;
  await Promise.all(
    Array.from({ length: Math.min(COPY_CONCURRENCY, toWrite.length) }, async () => {
      while (next < toWrite.length && failure === undefined) {
        try {
          await writeOne(toWrite[next++]);
        } catch (err) {
          failure ??= err;
        }
      }
    }),
  );
  if (failure !== undefined) throw failure;

  return { id: snapshotId(pointer.sha256), sha256: pointer.sha256, type, path: abs, files: entries.length, written: toWrite.length, removed, unchanged: keep.size, modesChanged };
}

function depth(rel: string): number {
  return rel === '' ? 0 : rel.split('/').length;
}

/** What is at the data path now, by lstat only (links are entries, never followed). */
function scanExisting(root: string, abs: string, shown: string): Map<string, Existing> {
  const out = new Map<string, Existing>();
  let top: fs.BigIntStats;
  try {
    top = fs.lstatSync(abs, { bigint: true });
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return out;
    throw new SnapshotError('unreadable-file', `Cannot read ${shown}: ${describeErrno(err)}.`, abs);
  }
  if (top.isSymbolicLink()) {
    throw new SnapshotError('symlink-not-followed', `${shown} is a symbolic link; checkout does not write through links. Remove the link (its target is left alone) and run checkout again.`, abs);
  }
  const add = (rel: string, p: string, st: fs.BigIntStats): void => {
    const kind = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other';
    const x: Existing = { kind, abs: p, mode: Number(st.mode & 0o7777n) };
    if (kind === 'file') x.stamp = { real: p, rootRel: relativeInside(root, p) ?? p, size: Number(st.size), mtimeNs: st.mtimeNs, ino: st.ino };
    out.set(rel, x);
  };
  add('', abs, top);
  if (!top.isDirectory()) return out;
  const stack: { dir: string; rel: string }[] = [{ dir: abs, rel: '' }];
  while (stack.length) {
    const { dir, rel } = stack.pop()!;
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch (err) {
      throw new SnapshotError('unreadable-file', `Cannot list the folder ${displayPath(dir)}: ${describeErrno(err)}.`, dir);
    }
    for (const name of names) {
      const p = path.join(dir, name);
      const childRel = rel ? `${rel}/${name}` : name;
      const st = fs.lstatSync(p, { bigint: true });
      add(childRel, p, st);
      if (st.isDirectory()) stack.push({ dir: p, rel: childRel });
    }
  }
  return out;
}

/**
 * The file system's clock now (mtime of a probe file in `dir`) and the process umask (from the
 * probe's mode, created 0777), without process.umask()'s deprecated read form.
 */
function probeClock(dir: string): { now: bigint; umask: number } {
  const probe = path.join(dir, `.mlops-probe-${process.pid}-${Date.now()}.tmp`);
  try {
    const fd = fs.openSync(probe, 'wx', 0o777);
    try {
      const st = fs.fstatSync(fd, { bigint: true });
      return { now: st.mtimeNs, umask: 0o777 & ~Number(st.mode & 0o777n) };
    } finally {
      fs.closeSync(fd);
      fs.unlinkSync(probe);
    }
  } catch (err) {
    throw new SnapshotError('io-error', `Cannot write in ${displayPath(dir)}: ${describeErrno(err)}. Checkout needs to write there.`, dir);
  }
}
