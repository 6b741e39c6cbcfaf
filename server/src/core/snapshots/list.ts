/**
 * The pointer files of a workspace. The walk skips .git/, .mlops/, node_modules/ and every folder
 * that is itself snapshotted (a sibling `NAME.snapshot` exists), so a 100,000-file dataset is not
 * listed to find its one pointer; links are not followed.
 */
import * as fs from 'fs';
import * as path from 'path';
import { SnapshotError } from './errors';
import { ObjectStore, snapshotId } from './objectStore';
import { POINTER_SUFFIX, readPointer, SnapshotType } from './pointerFile';

export interface ListedSnapshot {
  /** The pointer file, relative to the root, POSIX separators. */
  pointer: string;
  /** The data it stands for. */
  path: string;
  id?: string;
  sha256?: string;
  size?: number;
  files?: number;
  type?: SnapshotType;
  message?: string;
  createdAt?: string;
  /** The snapshot's object (manifest or file) is in the local cache. */
  cached?: boolean;
  /** Why the pointer file could not be read. */
  error?: string;
}

const SKIP = new Set(['.git', '.mlops', 'node_modules']);

export function findPointerFiles(root: string): string[] {
  const found: string[] = [];
  const stack = [root];
  while (stack.length) {
    const dir = stack.pop()!;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      continue; // unreadable folder: not ours to report here
    }
    const names = new Set(entries.map((d) => d.name));
    for (const d of entries) {
      if (d.isFile() && d.name.endsWith(POINTER_SUFFIX) && d.name.length > POINTER_SUFFIX.length) found.push(path.join(dir, d.name));
      else if (d.isDirectory() && !SKIP.has(d.name) && !names.has(d.name + POINTER_SUFFIX)) stack.push(path.join(dir, d.name));
    }
  }
  return found.sort();
}

export function listSnapshots(root: string): ListedSnapshot[] {
  const store = new ObjectStore(root);
  return findPointerFiles(root).map((file) => {
    const pointer = path.relative(root, file).split(path.sep).join('/');
    const item: ListedSnapshot = { pointer, path: pointer.slice(0, -POINTER_SUFFIX.length) };
    try {
      const p = readPointer(file);
      Object.assign(item, { id: snapshotId(p.sha256), sha256: p.sha256, size: p.size, files: p.files, type: p.type, message: p.message, createdAt: p.createdAt, cached: store.has(p.sha256) });
    } catch (err) {
      item.error = err instanceof SnapshotError ? err.message : String(err);
    }
    return item;
  });
}
