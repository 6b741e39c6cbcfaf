/**
 * "Compare with Previous Snapshot": the version of a pointer file to compare the current one with.
 * When the pointer file differs from HEAD (a new snapshot not yet committed), that is HEAD's
 * version; otherwise the version before the last commit that changed it. git is run through
 * execFile with argument arrays: no shell sees the path.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import { diffSnapshotRefs, SnapshotDiff } from './diff';
import { SnapshotError } from './errors';

export interface PreviousVersion {
  /** `REV:path` as resolveSnapshotRef reads it, relative to the repository root. */
  ref: string;
  /** The repository root (where `ref` is resolved). */
  repoRoot: string;
  /** For people: "HEAD" or "3f2a1b0". */
  revision: string;
}

export function previousPointerVersion(pointerFile: string): PreviousVersion {
  const dir = path.dirname(pointerFile);
  const repoRoot = git(dir, ['rev-parse', '--show-toplevel'], `${path.basename(pointerFile)} is not in a git repository, so it has no previous version. Commit it to keep its history.`).trim();
  const rel = path.relative(repoRoot, pointerFile).split(path.sep).join('/');
  const commits = git(repoRoot, ['log', '--format=%H', '-n', '2', '--', rel], `${rel} has no history in git yet.`).split('\n').filter(Boolean);
  if (commits.length === 0) throw new SnapshotError('not-found', `${rel} is not committed yet, so it has no previous version. Commit it, snapshot again, and compare.`, pointerFile);
  if (differsFromHead(repoRoot, rel)) return { ref: `HEAD:${rel}`, repoRoot, revision: 'HEAD' };
  if (commits.length < 2) throw new SnapshotError('not-found', `${rel} has a single version in git (commit ${commits[0].slice(0, 7)}): there is no previous snapshot to compare with.`, pointerFile);
  return { ref: `${commits[1]}:${rel}`, repoRoot, revision: commits[1].slice(0, 7) };
}

/** The snapshot a pointer file names against its previous version. */
export function compareWithPrevious(root: string, pointerFile: string): SnapshotDiff & { previous: PreviousVersion } {
  const previous = previousPointerVersion(pointerFile);
  return { ...diffSnapshotRefs(root, previous.ref, pointerFile, previous.repoRoot), previous };
}

function differsFromHead(repoRoot: string, rel: string): boolean {
  try {
    execFileSync('git', ['diff', '--quiet', 'HEAD', '--', rel], { cwd: repoRoot, stdio: 'ignore' });
    return false;
  } catch {
    return true;
  }
}

function git(cwd: string, args: string[], whenFailing: string): string {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { code?: string };
    throw new SnapshotError('git-error', e.code === 'ENOENT' ? 'git is not installed: comparing with a previous snapshot needs the history of the pointer file.' : whenFailing);
  }
}
