/**
 * The project root: the folder holding `.mlops/` (the cache, the store, config.yaml). The CLI, the
 * language server's checks and the editor's views all find it this one way, so that they agree on
 * which cache a path belongs to.
 */
import * as fs from 'fs';
import * as path from 'path';

/** `dir` holds `.mlops/`, or `.git` (a folder, or a file in a worktree): a project not yet snapshotted. */
export function isProjectRoot(dir: string): boolean {
  try {
    if (fs.statSync(path.join(dir, '.mlops')).isDirectory()) return true;
  } catch {
    // no .mlops here
  }
  return fs.existsSync(path.join(dir, '.git'));
}

/** The nearest ancestor of `start` (itself included) that is a project root, else `start`. */
export function findProjectRoot(start: string, isRoot: (dir: string) => boolean = isProjectRoot): string {
  const from = path.resolve(start);
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (isRoot(dir)) return dir;
    if (path.dirname(dir) === dir) return from;
  }
}

/** What `.mlops/.gitignore` keeps out of git: everything local to this machine (config.yaml is shared). */
const LOCAL_FILES = ['/cache', '/locks', '/runs', '/mlops.db', '/mlops.db-wal', '/mlops.db-shm'];

/**
 * Makes `.mlops/.gitignore` list the machine-local files (as `.dvc/.gitignore` does), adding the
 * missing lines to one that exists. Called before the cache or the database is first written.
 */
export function ensureLocalFilesIgnored(mlopsDir: string): void {
  const file = path.join(mlopsDir, '.gitignore');
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    // not there yet
  }
  const have = new Set(text.split(/\r?\n/).map((l) => l.trim()));
  const missing = LOCAL_FILES.filter((l) => !have.has(l));
  if (!missing.length) return;
  fs.writeFileSync(file, `${text}${text && !text.endsWith('\n') ? '\n' : ''}${missing.join('\n')}\n`);
}
