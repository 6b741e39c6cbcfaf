/**
 * From a reference to a snapshot to its files. A reference is an id (`sha256:<hex>` or the bare
 * hex), a pointer file (`data/raw.snapshot`, or the data path `data/raw` beside it), or a git
 * revision of a pointer file (`HEAD~1:data/raw.snapshot`, read with `git show` through execFile with
 * an argument array: no shell is involved whatever the reference contains).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { SnapshotError } from './errors';
import { looksLikeManifest, ManifestEntry, parseManifest } from './manifest';
import { HEX64, ObjectStore, snapshotId } from './objectStore';
import { parsePointer, POINTER_SUFFIX, PointerFile, readPointer, SnapshotType } from './pointerFile';
import { displayPath } from './paths';

export interface ResolvedSnapshot {
  /** How the user named it. */
  ref: string;
  sha256: string;
  pointer?: PointerFile;
  /** The data's name (basename of the pointer's data path), when a pointer named it. */
  name?: string;
}

export function parseId(ref: string): string | undefined {
  const hex = ref.startsWith('sha256:') ? ref.slice(7) : ref;
  return HEX64.test(hex) ? hex : undefined;
}

export function resolveSnapshotRef(ref: string, cwd: string): ResolvedSnapshot {
  const id = parseId(ref);
  if (id) return { ref, sha256: id };
  for (const candidate of ref.endsWith(POINTER_SUFFIX) ? [ref] : [ref + POINTER_SUFFIX, ref]) {
    const p = path.resolve(cwd, candidate);
    if (fs.existsSync(p) && fs.statSync(p).isFile()) {
      const pointer = readPointer(p);
      return { ref, sha256: pointer.sha256, pointer, name: path.basename(p).replace(/\.snapshot$/, '') };
    }
  }
  const colon = ref.indexOf(':');
  if (colon > 0) {
    const rev = ref.slice(0, colon);
    let file = ref.slice(colon + 1);
    if (!file.endsWith(POINTER_SUFFIX)) file += POINTER_SUFFIX;
    const spec = `${rev}:${file}`;
    let text: string;
    try {
      text = execFileSync('git', ['show', '--end-of-options', spec], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 16 << 20 });
    } catch (err) {
      const e = err as { stderr?: string; code?: string; message: string };
      if (e.code === 'ENOENT') throw new SnapshotError('git-error', `Cannot read ${spec}: git is not installed.`);
      const why = (e.stderr ?? e.message).trim().split('\n')[0];
      throw new SnapshotError('not-found', `Cannot read ${spec} from git: ${why}. Use REV:PATH with PATH as git sees it (relative to the repository root, or ./PATH relative to the current folder).`);
    }
    const pointer = parsePointer(text, spec);
    return { ref, sha256: pointer.sha256, pointer, name: path.posix.basename(file).replace(/\.snapshot$/, '') };
  }
  throw new SnapshotError('not-found', `'${ref}' is neither a snapshot id (sha256:<64 hex>), a pointer file, nor a git revision of one (REV:path/to/data.snapshot).`);
}

/** Directory or file snapshot: as the pointer says, else by looking at the object. */
export function snapshotType(store: ObjectStore, sha256: string, pointer?: PointerFile): SnapshotType {
  if (pointer?.type) return pointer.type;
  let head: Buffer;
  try {
    const fd = fs.openSync(store.objectPath(sha256), 'r');
    try {
      head = Buffer.alloc(16);
      head = head.subarray(0, fs.readSync(fd, head, 0, 16, 0));
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    throw new SnapshotError('missing-object', `Snapshot ${snapshotId(sha256)} is not in the local cache (${displayPath(store.objectsDir)}).`, store.objectPath(sha256));
  }
  if (!looksLikeManifest(head)) return 'file';
  try {
    parseManifest(store.read(sha256), snapshotId(sha256));
    return 'directory';
  } catch {
    return 'file';
  }
}

/** The files of a snapshot; a file snapshot is one entry named `fileName`. */
export function snapshotEntries(store: ObjectStore, sha256: string, type: SnapshotType, fileName: string, pointer?: PointerFile): ManifestEntry[] {
  if (type === 'directory') {
    if (!store.has(sha256)) throw new SnapshotError('missing-object', `The manifest of snapshot ${snapshotId(sha256)} is not in the local cache (${displayPath(store.objectsDir)}). Snapshot the data again on this machine, or fetch the objects from where they were made.`, store.objectPath(sha256));
    return parseManifest(store.read(sha256), `manifest ${snapshotId(sha256)}`);
  }
  const size = store.sizeOf(sha256) ?? pointer?.size;
  if (size === undefined) throw new SnapshotError('missing-object', `Snapshot ${snapshotId(sha256)} is not in the local cache (${displayPath(store.objectsDir)}).`, store.objectPath(sha256));
  return [{ path: fileName, sha256, size }];
}
