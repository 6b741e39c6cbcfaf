/** `mlops snapshots diff A B`: which paths were added, removed or modified, with their sizes. */
import * as path from 'path';
import { comparePaths, ManifestEntry } from './manifest';
import { ObjectStore, snapshotId } from './objectStore';
import { resolveSnapshotRef, ResolvedSnapshot, snapshotEntries, snapshotType } from './resolve';

export interface SnapshotDiff {
  a: { ref: string; id: string; files: number; size: number };
  b: { ref: string; id: string; files: number; size: number };
  added: { path: string; size: number }[];
  removed: { path: string; size: number }[];
  modified: { path: string; oldSize: number; newSize: number }[];
  unchanged: number;
}

export function diffSnapshotRefs(root: string, refA: string, refB: string, cwd = process.cwd()): SnapshotDiff {
  const store = new ObjectStore(path.resolve(root));
  const a = resolveSnapshotRef(refA, cwd);
  const b = resolveSnapshotRef(refB, cwd);
  const ta = snapshotType(store, a.sha256, a.pointer);
  const tb = snapshotType(store, b.sha256, b.pointer);
  // Two file snapshots compare as one entry under a common name.
  const fileName = a.name ?? b.name ?? '.';
  const ea = load(store, a, ta, fileName);
  const eb = load(store, b, tb, fileName);
  return { ...diffEntries(ea, eb), a: summary(a, ea), b: summary(b, eb) };
}

function load(store: ObjectStore, s: ResolvedSnapshot, type: 'directory' | 'file', fileName: string): ManifestEntry[] {
  return snapshotEntries(store, s.sha256, type, fileName, s.pointer);
}

function summary(s: ResolvedSnapshot, entries: ManifestEntry[]): SnapshotDiff['a'] {
  return { ref: s.ref, id: snapshotId(s.sha256), files: entries.length, size: entries.reduce((n, e) => n + e.size, 0) };
}

/** Both lists sorted by path (manifests are). */
export function diffEntries(a: ManifestEntry[], b: ManifestEntry[]): Omit<SnapshotDiff, 'a' | 'b'> {
  const added: SnapshotDiff['added'] = [];
  const removed: SnapshotDiff['removed'] = [];
  const modified: SnapshotDiff['modified'] = [];
  let unchanged = 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const c = i >= a.length ? 1 : j >= b.length ? -1 : comparePaths(a[i].path, b[j].path);
    if (c < 0) {
      removed.push({ path: a[i].path, size: a[i].size });
      i++;
    } else if (c > 0) {
      added.push({ path: b[j].path, size: b[j].size });
      j++;
    } else {
      if (a[i].sha256 !== b[j].sha256) modified.push({ path: a[i].path, oldSize: a[i].size, newSize: b[j].size });
      else unchanged++;
      i++;
      j++;
    }
  }
  return { added, removed, modified, unchanged };
}
