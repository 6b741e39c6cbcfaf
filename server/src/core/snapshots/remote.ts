/**
 * `mlops push` / `mlops pull`: exchange objects with a remote, a directory (a mounted share) with
 * the cache's layout (`<remote>/sha256/<2 hex>/<62 hex>`, temporary files in `<remote>/tmp/`),
 * named in `.mlops/config.yaml`:
 *
 *     remotes:
 *       share: { path: /mnt/share/mlops-cache }   # relative paths are relative to the project root
 *     default: share                              # optional when there is a single remote
 *
 * What moves: the objects the pointer files of the working tree need (each snapshot, and for a
 * directory snapshot every object of its manifest), and only those the destination lacks. Pull
 * fetches a missing manifest first, then the files it lists.
 *
 * Every object is verified on arrival: copied to a temporary name in the destination (copyFile,
 * a reflink where possible), re-read and hashed there, made read-only (0444) and fsynced, then
 * hard-linked to its address (rename where there are no hard links). A content whose hash is not
 * its name is refused with a `corrupt-object` error naming the object and where it came from;
 * nothing is written for it. Objects that arrived before an error stay: they are verified.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as jsyaml from 'js-yaml';
import * as path from 'path';
import { describeErrno, errnoCode, SnapshotError } from './errors';
import { collectRoots, referencedObjects, RootProvider, SnapshotRoot } from './gc';
import { fsyncDir, linkObject, ObjectStore, snapshotId } from './objectStore';
import { displayPath } from './paths';

export const CONFIG_FILE = path.join('.mlops', 'config.yaml');

export interface Remote {
  name: string;
  /** Absolute path of the remote directory. */
  path: string;
}

/** Reads .mlops/config.yaml and picks the remote `name` (else `default:`, else the only one). */
export function resolveRemote(root: string, name?: string): Remote {
  const file = path.join(root, CONFIG_FILE);
  const shown = displayPath(file);
  const bad = (problem: string): SnapshotError => new SnapshotError('not-found', `${shown}: ${problem}`, file);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') throw bad('no such file. Name a remote there, e.g.\n  remotes:\n    share: { path: /mnt/share/mlops-cache }\n  default: share');
    throw bad(`cannot be read: ${describeErrno(err)}.`);
  }
  let doc: unknown;
  try {
    doc = jsyaml.load(text);
  } catch (err) {
    throw bad(`is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) doc = {}; // only comments, as in a fresh project
  if (!isRecord(doc)) throw bad("expected a mapping with 'remotes' (and optionally 'default').");
  const remotes = doc.remotes;
  if (remotes === undefined) throw bad("no 'remotes' are defined (remotes: { NAME: { path: DIR } }).");
  if (!isRecord(remotes)) throw bad("'remotes' must be a mapping of names to { path: DIR }.");
  const names = Object.keys(remotes);
  if (!names.length) throw bad("'remotes' is empty.");
  for (const n of names) {
    const r = remotes[n];
    if (!isRecord(r) || typeof r.path !== 'string' || r.path.trim() === '') throw bad(`remote '${n}' must be { path: DIR } with a non-empty path.`);
  }
  const def = doc.default;
  if (def !== undefined && (typeof def !== 'string' || !names.includes(def))) throw bad(`'default' must name one of the remotes (${names.join(', ')}); it is ${JSON.stringify(def)}.`);
  let chosen: string;
  if (name !== undefined) {
    if (!names.includes(name)) throw bad(`unknown remote '${name}' (defined: ${names.join(', ')}).`);
    chosen = name;
  } else if (typeof def === 'string') chosen = def;
  else if (names.length === 1) chosen = names[0];
  else throw bad(`several remotes (${names.join(', ')}) and no 'default': pass --remote NAME or set default.`);
  const p = (remotes[chosen] as Record<string, string>).path;
  return { name: chosen, path: path.resolve(root, p) };
}

/** One side of a transfer: a folder of objects and a folder for temporary files on the same file system. */
interface ObjectDir {
  label: string;
  objectsDir: string;
  tmpDir: string;
}

function objectPathIn(d: ObjectDir, sha256: string): string {
  return path.join(d.objectsDir, sha256.slice(0, 2), sha256.slice(2));
}

function localDir(store: ObjectStore): ObjectDir {
  return { label: `the local cache ${displayPath(store.cacheDir)}`, objectsDir: store.objectsDir, tmpDir: store.tmpDir };
}

function remoteDir(remote: Remote): ObjectDir {
  return { label: `remote '${remote.name}' (${remote.path})`, objectsDir: path.join(remote.path, 'sha256'), tmpDir: path.join(remote.path, 'tmp') };
}

function checkRemoteExists(remote: Remote): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(remote.path);
  } catch (err) {
    throw new SnapshotError('missing-path', `Remote '${remote.name}' (${remote.path}, from ${CONFIG_FILE}): ${describeErrno(err)}. Is the share mounted?`, remote.path);
  }
  if (!st.isDirectory()) throw new SnapshotError('missing-path', `Remote '${remote.name}' (${remote.path}, from ${CONFIG_FILE}) is not a directory.`, remote.path);
}

export interface TransferOptions {
  root: string;
  remote?: string;
  providers?: readonly RootProvider[];
}

export interface TransferResult {
  remote: string;
  /** Objects copied. */
  count: number;
  bytes: number;
  /** Objects needed that the destination already had. */
  skipped: number;
}

export function push(opts: TransferOptions): TransferResult {
  const root = path.resolve(opts.root);
  const remote = resolveRemote(root, opts.remote);
  checkRemoteExists(remote);
  const store = new ObjectStore(root);
  const src = localDir(store);
  const dest = remoteDir(remote);
  const refs = referencedObjects(store, collectRoots(root, opts.providers));
  const toCopy: string[] = [];
  let skipped = 0;
  for (const [sha256, by] of [...refs].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (fs.existsSync(objectPathIn(dest, sha256))) skipped++;
    else if (!store.has(sha256)) throw new SnapshotError('missing-object', `Object ${sha256} (needed by ${by.join(', ')}) is neither in the local cache nor in ${dest.label}: snapshot the data again. Nothing was pushed.`, store.objectPath(sha256));
    else toCopy.push(sha256);
  }
  const moved = transfer(src, dest, toCopy);
  return { remote: remote.name, count: toCopy.length, bytes: moved, skipped };
}

export function pull(opts: TransferOptions): TransferResult {
  const root = path.resolve(opts.root);
  const remote = resolveRemote(root, opts.remote);
  checkRemoteExists(remote);
  const store = new ObjectStore(root);
  store.prepareForWriting();
  const src = remoteDir(remote);
  const dest = localDir(store);
  const roots = collectRoots(root, opts.providers);
  let count = 0;
  let bytes = 0;
  let skipped = 0;
  // First the snapshots themselves (manifests), so that their files can be listed.
  const rootShas = uniqueMissing(store, roots, src);
  bytes += transfer(src, dest, rootShas);
  count += rootShas.length;
  const refs = referencedObjects(store, roots);
  const toCopy: string[] = [];
  for (const [sha256, by] of [...refs].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (rootShas.includes(sha256)) continue;
    if (store.has(sha256)) skipped++;
    else if (!fs.existsSync(objectPathIn(src, sha256))) throw new SnapshotError('missing-object', `Object ${sha256} (needed by ${by.join(', ')}) is not in ${src.label}: push it from the workspace that made the snapshot.`, objectPathIn(src, sha256));
    else toCopy.push(sha256);
  }
  bytes += transfer(src, dest, toCopy);
  count += toCopy.length;
  return { remote: remote.name, count, bytes, skipped };
}

/** The roots missing locally (all must be on the remote). */
function uniqueMissing(store: ObjectStore, roots: readonly SnapshotRoot[], src: ObjectDir): string[] {
  const out: string[] = [];
  for (const r of roots) {
    if (store.has(r.sha256) || out.includes(r.sha256)) continue;
    if (!fs.existsSync(objectPathIn(src, r.sha256))) throw new SnapshotError('missing-object', `Snapshot ${snapshotId(r.sha256)} (named by ${r.source}) is neither in the local cache nor in ${src.label}: push it from the workspace that made it.`, objectPathIn(src, r.sha256));
    out.push(r.sha256);
  }
  return out;
}

/** Copies the objects with verification; returns the bytes copied. */
function transfer(src: ObjectDir, dest: ObjectDir, objects: readonly string[]): number {
  if (!objects.length) return 0;
  try {
    fs.mkdirSync(dest.objectsDir, { recursive: true });
    fs.mkdirSync(dest.tmpDir, { recursive: true });
  } catch (err) {
    throw writeError(dest, err, dest.objectsDir);
  }
  const dirty = new Set<string>();
  let bytes = 0;
  try {
    for (const sha256 of objects) bytes += copyVerified(src, dest, sha256, dirty);
  } finally {
    for (const d of dirty) fsyncDir(d);
    if (dirty.size) fsyncDir(dest.objectsDir);
  }
  return bytes;
}

let tmpCounter = 0;

function copyVerified(src: ObjectDir, dest: ObjectDir, sha256: string, dirty: Set<string>): number {
  const from = objectPathIn(src, sha256);
  const tmp = path.join(dest.tmpDir, `${process.pid}-${Date.now().toString(36)}-${(tmpCounter++).toString(36)}-${crypto.randomBytes(4).toString('hex')}.tmp`);
  let size = 0;
  try {
    try {
      fs.copyFileSync(from, tmp, fs.constants.COPYFILE_EXCL | fs.constants.COPYFILE_FICLONE);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' && !fs.existsSync(from)) throw new SnapshotError('missing-object', `Object ${sha256} is not in ${src.label}.`, from);
      try {
        fs.accessSync(from, fs.constants.R_OK); // which side failed? a read error names the source
      } catch (readErr) {
        throw new SnapshotError('io-error', `Cannot read ${from} (object ${sha256} in ${src.label}): ${describeErrno(readErr)}.`, from);
      }
      throw writeError(dest, err, tmp);
    }
    const fd = fs.openSync(tmp, 'r');
    try {
      const hash = crypto.createHash('sha256');
      const buf = Buffer.allocUnsafe(1 << 20);
      for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) {
        hash.update(buf.subarray(0, n));
        size += n;
      }
      const actual = hash.digest('hex');
      if (actual !== sha256) {
        throw new SnapshotError('corrupt-object', `Object ${sha256} from ${src.label} is corrupt: its content hashes to ${actual}. It was not copied. Remove ${from} (chmod u+w, rm) and push it again from a good copy.`, from);
      }
      fs.fchmodSync(fd, 0o444);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (linkObject(dest.objectsDir, tmp, sha256)) dirty.add(path.join(dest.objectsDir, sha256.slice(0, 2)));
  } catch (err) {
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* not created, or already moved */
    }
    throw err instanceof SnapshotError ? err : writeError(dest, err, tmp);
  }
  return size;
}

function writeError(dest: ObjectDir, err: unknown, where: string): SnapshotError {
  const code = errnoCode(err);
  if (code === 'ENOSPC' || code === 'EDQUOT') return new SnapshotError('disk-full', `${cap(dest.label)} is full (${describeErrno(err)}) while writing ${where}.`, where);
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return new SnapshotError('cache-not-writable', `Cannot write to ${dest.label}: ${describeErrno(err)} (${where}).`, where);
  return new SnapshotError('io-error', `Cannot write ${where} in ${dest.label}: ${describeErrno(err)}.`, where);
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
