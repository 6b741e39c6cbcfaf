/** Where the project (and its `.mlops/` cache) is, and paths relative to it. */
import * as fs from 'fs';
import * as path from 'path';

/** The nearest ancestor of `start` (itself included) holding `.mlops/` or `.git/`, else `start`. */
export function findProjectRoot(start: string): string {
  const from = path.resolve(start);
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (isDir(path.join(dir, '.mlops')) || fs.existsSync(path.join(dir, '.git'))) return dir; // .git may be a file (worktrees)
    if (path.dirname(dir) === dir) return from;
  }
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** `p` relative to `root` with POSIX separators, or undefined when it is outside `root`. '' is the root itself. */
export function relativeInside(root: string, p: string): string | undefined {
  const rel = path.relative(root, p);
  if (rel === '') return '';
  if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return undefined;
  return rel.split(path.sep).join('/');
}

/** For messages: `p` relative to the current directory when inside it, else absolute. */
export function displayPath(p: string, cwd = process.cwd()): string {
  const rel = path.relative(cwd, p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}
