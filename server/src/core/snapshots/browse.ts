/**
 * Read-only looks into snapshots for the editor: the top-level entries of a snapshot (the Snapshots
 * view expands a pointer into them) and what an id stands for (hover on `snapshot: sha256:...`).
 * Only pointer files and cache objects are read, never the data.
 */
import * as fs from 'fs';
import * as path from 'path';
import { SnapshotError } from './errors';
import { listSnapshots } from './list';
import { ObjectStore, snapshotId } from './objectStore';
import { readPointer, SnapshotType } from './pointerFile';
import { snapshotEntries, snapshotType } from './resolve';

export interface TopLevelEntry {
  name: string;
  type: 'file' | 'directory';
  /** Bytes of the file, or of every file under the folder. */
  size: number;
  /** 1 for a file; the files under a folder. */
  files: number;
}

/** The entries directly under a directory snapshot (folders aggregated), folders first, then by name. */
export function topLevelEntries(root: string, pointerFile: string): TopLevelEntry[] {
  const abs = path.resolve(root, pointerFile);
  const pointer = readPointer(abs);
  const store = new ObjectStore(path.resolve(root));
  const type = snapshotType(store, pointer.sha256, pointer);
  const byName = new Map<string, TopLevelEntry>();
  for (const e of snapshotEntries(store, pointer.sha256, type, path.basename(abs).replace(/\.snapshot$/, ''), pointer)) {
    const slash = e.path.indexOf('/');
    const name = slash < 0 ? e.path : e.path.slice(0, slash);
    const entry = byName.get(name) ?? { name, type: slash < 0 ? 'file' : 'directory', size: 0, files: 0 };
    entry.size += e.size;
    entry.files++;
    byName.set(name, entry);
  }
  return [...byName.values()].sort((a, b) => (a.type === b.type ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.type === 'directory' ? -1 : 1));
}

export interface SnapshotInfo {
  id: string;
  /** The snapshot's object (manifest or file) is in the local cache. */
  cached: boolean;
  type?: SnapshotType;
  size?: number;
  files?: number;
  /** From the pointer file that names it, else when its object entered the cache. */
  createdAt?: string;
  message?: string;
  /** Pointer files of the project naming this id (relative to the root). */
  pointers: string[];
}

/** What the snapshot `sha256` is, from the project's pointer files and the local cache. */
export function describeSnapshot(root: string, sha256: string): SnapshotInfo {
  const store = new ObjectStore(path.resolve(root));
  const naming = listSnapshots(root).filter((s) => s.sha256 === sha256);
  const info: SnapshotInfo = { id: snapshotId(sha256), cached: store.has(sha256), pointers: naming.map((s) => s.pointer) };
  const named = naming[0];
  if (named) return { ...info, type: named.type, size: named.size, files: named.files, createdAt: named.createdAt, message: named.message };
  if (!info.cached) return info;
  try {
    const type = snapshotType(store, sha256);
    const entries = snapshotEntries(store, sha256, type, '');
    const storedAt = fs.statSync(store.objectPath(sha256)).mtime.toISOString();
    return { ...info, type, files: entries.length, size: entries.reduce((n, e) => n + e.size, 0), createdAt: storedAt };
  } catch (err) {
    if (err instanceof SnapshotError) return info;
    throw err;
  }
}
