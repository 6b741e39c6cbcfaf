/**
 * Lists the files of a snapshot target with their stamps (size, mtime in ns, inode) by stat only:
 * no content is read here.
 *
 * Symbolic links: one whose target is inside the project root is followed and stored as the
 * content it points to (a link to a directory is walked, with cycle detection); one pointing outside
 * the root, or nowhere, is refused with an error naming the link. FIFOs, sockets and devices are
 * refused (reading a FIFO would block). A name that is not valid UTF-8 is refused (a JS string
 * cannot carry it, so the manifest could not name it).
 */
import * as fs from 'fs';
import * as path from 'path';
import { SnapshotError, describeErrno, errnoCode } from './errors';
import { FileStamp } from './hashCache';
import { comparePaths } from './manifest';
import { displayPath, relativeInside } from './projectRoot';

export interface WalkedFile extends FileStamp {
  /** Relative to the snapshot target, POSIX separators ('' for a single-file target). */
  path: string;
  /** What to read (the link's target for a symlink). */
  real: string;
  /** The key for the stat cache: relative to the project root, POSIX separators. */
  rootRel: string;
  executable: boolean;
}

export interface WalkResult {
  type: 'directory' | 'file';
  files: WalkedFile[];
}

/** `abs` must be inside `root` (already checked by the caller); `realRoot` is fs.realpathSync(root). */
export function walkTarget(root: string, realRoot: string, abs: string): WalkResult {
  const rootRel = relativeInside(root, abs) ?? '';
  const top = statFollowing(abs, realRoot, abs);
  if (top.stat.isFile()) return { type: 'file', files: [fileEntry('', top.real, rootRel, top.stat)] };
  if (!top.stat.isDirectory()) throw special(abs);

  const files: WalkedFile[] = [];
  // Each pending directory carries the real paths of its ancestors (a linked list), to detect link cycles.
  const stack: { dir: string; rel: string; chain: Chain }[] = [{ dir: abs, rel: '', chain: { real: top.real } }];
  while (stack.length) {
    const { dir, rel, chain } = stack.pop()!;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      throw new SnapshotError('unreadable-file', `Cannot list the folder ${displayPath(dir)}: ${describeErrno(err)}. Fix its permissions and run the snapshot again.`, dir);
    }
    if (entries.some((d) => d.name.includes('\uFFFD'))) checkUtf8Names(dir);
    for (const d of entries) {
      const p = path.join(dir, d.name);
      const childRel = rel ? `${rel}/${d.name}` : d.name;
      const key = rootRel ? `${rootRel}/${childRel}` : childRel;
      if (d.isFile()) {
        files.push(fileEntry(childRel, p, key, lstat(p)));
      } else if (d.isDirectory()) {
        stack.push({ dir: p, rel: childRel, chain: { real: path.join(chain.real, d.name), up: chain } });
      } else if (d.isSymbolicLink()) {
        const t = statFollowing(p, realRoot, p);
        if (t.stat.isFile()) files.push(fileEntry(childRel, t.real, key, t.stat));
        else if (t.stat.isDirectory()) {
          if (inChain(chain, t.real)) throw new SnapshotError('symlink-cycle', `The link ${displayPath(p)} -> ${displayPath(t.real)} points to a folder that contains it (a cycle). Remove the link.`, p);
          stack.push({ dir: p, rel: childRel, chain: { real: t.real, up: chain } });
        } else throw special(p);
      } else throw special(p);
    }
  }
  files.sort((a, b) => comparePaths(a.path, b.path));
  return { type: 'directory', files };
}

interface Chain {
  real: string;
  up?: Chain;
}

function inChain(c: Chain | undefined, real: string): boolean {
  for (; c; c = c.up) if (c.real === real) return true;
  return false;
}

function fileEntry(rel: string, real: string, rootRel: string, st: fs.BigIntStats): WalkedFile {
  return { path: rel, real, rootRel, size: Number(st.size), mtimeNs: st.mtimeNs, ino: st.ino, executable: (st.mode & 0o100n) !== 0n };
}

function lstat(p: string): fs.BigIntStats {
  try {
    return fs.lstatSync(p, { bigint: true });
  } catch (err) {
    throw new SnapshotError(errnoCode(err) === 'ENOENT' ? 'file-changed' : 'unreadable-file', `Cannot read ${displayPath(p)}: ${describeErrno(err)}.`, p);
  }
}

/** stat() through links, refusing links that leave the root. */
function statFollowing(p: string, realRoot: string, shown: string): { stat: fs.BigIntStats; real: string } {
  const l = lstat(p);
  if (!l.isSymbolicLink()) return { stat: l, real: realOf(p) };
  let real: string;
  try {
    real = fs.realpathSync(p);
  } catch (err) {
    const target = readlinkQuietly(p);
    throw new SnapshotError('broken-symlink', `The symbolic link ${displayPath(shown)}${target ? ` -> ${target}` : ''} points nowhere (${describeErrno(err)}). Remove it or restore its target.`, p);
  }
  if (relativeInside(realRoot, real) === undefined) {
    throw new SnapshotError('symlink-outside-root', `The symbolic link ${displayPath(shown)} -> ${real} points outside the project (${realRoot}). Snapshots only store files inside the project: copy the data in, or remove the link.`, p);
  }
  return { stat: fs.statSync(real, { bigint: true }), real };
}

function realOf(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

function readlinkQuietly(p: string): string | undefined {
  try {
    return fs.readlinkSync(p);
  } catch {
    return undefined;
  }
}

function special(p: string): SnapshotError {
  return new SnapshotError('special-file', `${displayPath(p)} is not a regular file, folder or link (a FIFO, socket or device). Move it out of the folder to snapshot.`, p);
}

function checkUtf8Names(dir: string): void {
  for (const raw of fs.readdirSync(dir, { encoding: 'buffer' })) {
    if (!Buffer.from(raw.toString('utf8'), 'utf8').equals(raw)) {
      throw new SnapshotError('bad-file-name', `${displayPath(path.join(dir, raw.toString('utf8')))}: the file name is not valid UTF-8. Rename it to snapshot this folder.`, dir);
    }
  }
}
