/** The data path given to snapshot/checkout, checked against the project root. */
import * as fs from 'fs';
import * as path from 'path';
import { SnapshotError } from './errors';
import { POINTER_SUFFIX } from './pointerFile';
import { displayPath, relativeInside } from './paths';

export interface DataPath {
  /** Absolute, lexically resolved. */
  abs: string;
  /** Relative to the project root, POSIX separators. */
  rel: string;
  /** fs.realpathSync(root). */
  realRoot: string;
}

/**
 * `target` (absolute or relative to `cwd`) must be inside the project, not the root itself nor in
 * .mlops/ or .git/. With `acceptPointer`, `data/raw.snapshot` means `data/raw`.
 */
export function resolveDataPath(root: string, target: string, cwd: string, acceptPointer: boolean): DataPath {
  let abs = path.resolve(cwd, target);
  if (abs.endsWith(POINTER_SUFFIX)) {
    if (!acceptPointer) throw new SnapshotError('reserved-path', `${displayPath(abs, cwd)} is a pointer file. Give the path of the data (${displayPath(abs.slice(0, -POINTER_SUFFIX.length), cwd)}).`, abs);
    abs = abs.slice(0, -POINTER_SUFFIX.length);
  }
  const rootAbs = path.resolve(root);
  const rel = relativeInside(rootAbs, abs);
  if (rel === undefined) throw new SnapshotError('outside-root', `${displayPath(abs, cwd)} is outside the project (${rootAbs}). Run the command from inside the project that holds the data.`, abs);
  if (rel === '') throw new SnapshotError('reserved-path', `Cannot use the project root itself (${rootAbs}): give a folder or file inside it, e.g. data/raw.`, abs);
  const first = rel.split('/')[0];
  if (first === '.mlops' || first === '.git') throw new SnapshotError('reserved-path', `${displayPath(abs, cwd)} is inside ${first}/, which the tools manage. Give a data path.`, abs);
  const realRoot = fs.realpathSync(rootAbs);
  // The folder holding the data must really be inside the project (no parent link leading out).
  let parentReal: string | undefined;
  try {
    parentReal = fs.realpathSync(path.dirname(abs));
  } catch {
    parentReal = undefined; // does not exist: reported by the caller as a missing path
  }
  if (parentReal !== undefined && relativeInside(realRoot, parentReal) === undefined) {
    throw new SnapshotError('symlink-outside-root', `${displayPath(path.dirname(abs), cwd)} leads outside the project (to ${parentReal}) through a symbolic link.`, abs);
  }
  return { abs, rel, realRoot };
}
