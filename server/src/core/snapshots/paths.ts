/** Paths relative to the project root, and as messages show them. */
import * as path from 'path';

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
