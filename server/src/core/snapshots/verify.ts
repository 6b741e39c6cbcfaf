/**
 * `mlops verify`: re-hash every object of the cache on the hashing threads and report
 * - corrupt objects: content whose SHA-256 is not the object's name, or unreadable;
 * - missing objects: named by a pointer file of the workspace (the snapshot itself, or a file of its
 *   manifest) but not in the cache;
 * - strays: files under .mlops/cache/sha256/ that are not named like objects.
 * Temporary files of an interrupted snapshot (.mlops/cache/tmp/) are not objects: they are only
 * counted (`temporaryFiles`), for `gc` to remove.
 */
import * as fs from 'fs';
import * as path from 'path';
import { HashPool } from './hashPool';
import { parseManifest } from './manifest';
import { ObjectStore } from './objectStore';
import { listSnapshots } from './list';

export interface VerifyOptions {
  root: string;
  pool?: HashPool;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface CorruptObject {
  sha256: string;
  /** The object file, relative to the root. */
  object: string;
  reason: 'hash-mismatch' | 'unreadable' | 'bad-manifest';
  actual?: string;
  detail?: string;
}

export interface MissingObject {
  sha256: string;
  /** Pointer files (relative to the root) whose snapshot needs it. */
  referencedBy: string[];
}

export interface VerifyReport {
  objects: number;
  bytes: number;
  corrupt: CorruptObject[];
  missing: MissingObject[];
  strays: string[];
  pointers: number;
  /** Leftovers of interrupted snapshots in .mlops/cache/tmp/. */
  temporaryFiles: number;
  cancelled: boolean;
  ok: boolean;
}

export async function verifyCache(opts: VerifyOptions): Promise<VerifyReport> {
  const root = path.resolve(opts.root);
  const store = new ObjectStore(root);
  const rel = (p: string): string => path.relative(root, p).split(path.sep).join('/');
  const { objects, strays } = store.listObjects();
  const sizes = objects.map((o) => {
    try {
      return fs.statSync(store.objectPath(o)).size;
    } catch {
      return 0;
    }
  });
  const pool = opts.pool ?? new HashPool();
  const corrupt: CorruptObject[] = [];
  let bytes = 0;
  let results;
  try {
    results = await pool.run(
      objects.map((o, i) => ({ op: 'hash' as const, file: store.objectPath(o), size: sizes[i] })),
      { stopOnError: false, signal: opts.signal, onProgress: opts.onProgress },
    );
  } finally {
    if (!opts.pool) await pool.close();
  }
  results.forEach((r, i) => {
    if (!r) return;
    const sha256 = objects[i];
    const object = rel(store.objectPath(sha256));
    if (!r.ok) corrupt.push({ sha256, object, reason: 'unreadable', detail: r.message });
    else {
      bytes += r.size;
      if (r.sha256 !== sha256) corrupt.push({ sha256, object, reason: 'hash-mismatch', actual: r.sha256 });
    }
  });
  const corruptSet = new Set(corrupt.map((c) => c.sha256));

  const missing = new Map<string, Set<string>>();
  const need = (sha256: string, by: string): void => {
    if (store.has(sha256)) return;
    if (!missing.has(sha256)) missing.set(sha256, new Set());
    missing.get(sha256)!.add(by);
  };
  const snapshots = listSnapshots(root);
  for (const s of snapshots) {
    if (!s.sha256) continue;
    need(s.sha256, s.pointer);
    if (s.type !== 'directory' || !store.has(s.sha256) || corruptSet.has(s.sha256)) continue;
    try {
      for (const e of parseManifest(store.read(s.sha256), `manifest of ${s.pointer}`)) need(e.sha256, s.pointer);
    } catch (err) {
      corrupt.push({ sha256: s.sha256, object: rel(store.objectPath(s.sha256)), reason: 'bad-manifest', detail: (err as Error).message });
    }
  }
  const missingList = [...missing].map(([sha256, by]) => ({ sha256, referencedBy: [...by].sort() })).sort((a, b) => (a.sha256 < b.sha256 ? -1 : 1));
  const cancelled = opts.signal?.aborted ?? false;
  return {
    objects: objects.length,
    bytes,
    corrupt,
    missing: missingList,
    strays: strays.map(rel),
    pointers: snapshots.length,
    temporaryFiles: countFiles(store.tmpDir),
    cancelled,
    ok: !cancelled && corrupt.length === 0 && missingList.length === 0,
  };
}

function countFiles(dir: string): number {
  try {
    return fs.readdirSync(dir).length;
  } catch {
    return 0;
  }
}
