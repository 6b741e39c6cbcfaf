/**
 * `mlops gc`: remove the objects of the cache that nothing references, and the temporary files that
 * interrupted snapshots left in .mlops/cache/tmp/ more than an hour ago.
 *
 * What is referenced is the union of what the ROOT PROVIDERS name. Today there is one: the pointer
 * files of the working tree (`pointerFileRoots`). Runs (the snapshots a run used) and registry
 * versions (the snapshots a model version was trained on) will be further providers: add one to
 * `DEFAULT_ROOT_PROVIDERS` (or pass `providers`) and gc keeps what it names, nothing else changes.
 * A provider names snapshot ids (roots); gc itself expands a directory snapshot to every object its
 * manifest lists (`referencedObjects`, also used by push/pull).
 *
 * Safety first: when the references cannot be known for sure (a pointer file that does not parse,
 * a directory snapshot whose manifest is missing or unreadable), gc removes nothing and says why.
 * Objects are read-only (0444); unlinking only needs the directory writable. gc never runs while a
 * snapshot is being taken (the new objects exist before the pointer file that names them): they
 * exclude each other through cacheLock.ts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { lockForGc } from './cacheLock';
import { describeErrno, SnapshotError } from './errors';
import { findPointerFiles } from './list';
import { parseManifest } from './manifest';
import { ObjectStore, snapshotId } from './objectStore';
import { readPointer, SnapshotType } from './pointerFile';
import { displayPath } from './paths';
import { snapshotType } from './resolve';

/** A snapshot something needs kept. */
export interface SnapshotRoot {
  sha256: string;
  /** Who needs it, for messages (e.g. `data/raw.snapshot`, later `run 42`). */
  source: string;
  /** When known; otherwise found by looking at the object. */
  type?: SnapshotType;
}

/** A source of references: pointer files today; runs and registry versions later. */
export interface RootProvider {
  name: string;
  roots(root: string): SnapshotRoot[];
}

/** Every pointer file of the working tree. A pointer file that cannot be read is an error (its references would be unknown). */
export const pointerFileRoots: RootProvider = {
  name: 'pointer files',
  roots(root: string): SnapshotRoot[] {
    return findPointerFiles(root).map((file) => {
      const p = readPointer(file);
      return { sha256: p.sha256, source: path.relative(root, file).split(path.sep).join('/'), type: p.type };
    });
  },
};

export const DEFAULT_ROOT_PROVIDERS: readonly RootProvider[] = [pointerFileRoots];

export function collectRoots(root: string, providers: readonly RootProvider[] = DEFAULT_ROOT_PROVIDERS): SnapshotRoot[] {
  return providers.flatMap((p) => p.roots(root));
}

/**
 * Every object the roots need: each root, and for a directory snapshot each object of its manifest.
 * Returns sha256 -> the sources that need it. Throws `missing-object` when a directory snapshot's
 * manifest is not in `store` (its files cannot be known), and the manifest's error when it is bad.
 */
export function referencedObjects(store: ObjectStore, roots: readonly SnapshotRoot[]): Map<string, string[]> {
  const refs = new Map<string, string[]>();
  const add = (sha256: string, source: string): void => {
    const by = refs.get(sha256);
    if (!by) refs.set(sha256, [source]);
    else if (!by.includes(source)) by.push(source);
  };
  for (const r of roots) {
    add(r.sha256, r.source);
    if (r.type === 'file') continue;
    if (!store.has(r.sha256)) {
      throw new SnapshotError('missing-object', `${r.source} names snapshot ${snapshotId(r.sha256)}, which is not in the local cache, so the files it needs are unknown. Pull it (mlops pull) or snapshot the data again first.`, store.objectPath(r.sha256));
    }
    if (snapshotType(store, r.sha256, r.type ? { sha256: r.sha256, size: 0, files: 0, type: r.type } : undefined) !== 'directory') continue;
    for (const e of parseManifest(store.read(r.sha256), `manifest ${snapshotId(r.sha256)} (named by ${r.source})`)) add(e.sha256, r.source);
  }
  return refs;
}

export interface GcOptions {
  root: string;
  dryRun?: boolean;
  providers?: readonly RootProvider[];
  /** Temporary files younger than this are kept (a snapshot may be writing them). Default one hour. */
  tmpMaxAgeMs?: number;
  now?: number;
}

export interface GcReport {
  dryRun: boolean;
  /** Objects kept because something references them. */
  kept: number;
  /** Objects removed (or, with dryRun, that would be). */
  removed: number;
  bytes: number;
  /** Their sha256, sorted. */
  objects: string[];
  /** Temporary files older than tmpMaxAgeMs removed (or that would be). */
  temporaryFiles: number;
  temporaryBytes: number;
}

export const TMP_MAX_AGE_MS = 60 * 60 * 1000;

export function gc(opts: GcOptions): GcReport {
  const root = path.resolve(opts.root);
  const store = new ObjectStore(root);
  const dryRun = opts.dryRun ?? false;
  if (dryRun) return collect(root, store, opts, dryRun);
  const lock = lockForGc(root);
  try {
    return collect(root, store, opts, dryRun);
  } finally {
    lock.release();
  }
}

function collect(root: string, store: ObjectStore, opts: GcOptions, dryRun: boolean): GcReport {
  const refs = referencedObjects(store, collectRoots(root, opts.providers));
  const { objects } = store.listObjects();
  const garbage = objects.filter((o) => !refs.has(o));
  let bytes = 0;
  const removed: string[] = [];
  for (const o of garbage) {
    const file = store.objectPath(o);
    let size: number;
    try {
      size = fs.statSync(file).size;
    } catch {
      continue; // gone meanwhile
    }
    if (!dryRun) {
      try {
        fs.unlinkSync(file);
      } catch (err) {
        throw new SnapshotError('cache-not-writable', `Cannot remove ${displayPath(file)}: ${describeErrno(err)}. Make the folders of .mlops/cache writable (the objects themselves stay read-only).`, file);
      }
    }
    bytes += size;
    removed.push(o);
  }

  const maxAge = opts.tmpMaxAgeMs ?? TMP_MAX_AGE_MS;
  const now = opts.now ?? Date.now();
  let temporaryFiles = 0;
  let temporaryBytes = 0;
  let tmpNames: string[] = [];
  try {
    tmpNames = fs.readdirSync(store.tmpDir);
  } catch {
    /* no tmp/ */
  }
  for (const name of tmpNames) {
    const file = path.join(store.tmpDir, name);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(file);
    } catch {
      continue;
    }
    if (!st.isFile() || now - st.mtimeMs < maxAge) continue;
    if (!dryRun) {
      try {
        fs.unlinkSync(file);
      } catch (err) {
        throw new SnapshotError('cache-not-writable', `Cannot remove ${displayPath(file)}: ${describeErrno(err)}.`, file);
      }
    }
    temporaryFiles++;
    temporaryBytes += st.size;
  }
  return { dryRun, kept: objects.length - garbage.length, removed: removed.length, bytes, objects: removed, temporaryFiles, temporaryBytes };
}
