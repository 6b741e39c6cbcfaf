/**
 * Every failure of a snapshot operation is a `SnapshotError`: a stable `code` (for the CLI's --json
 * output and, later, the editor), a message that says where and what to do, and the path concerned.
 */
export type SnapshotErrorCode =
  | 'missing-path'          // the path to snapshot or check out does not exist
  | 'outside-root'          // a path outside the project root
  | 'reserved-path'         // the project root itself, .mlops/ or .git/
  | 'symlink-outside-root'  // a symbolic link whose target is outside the project root
  | 'broken-symlink'
  | 'symlink-cycle'
  | 'symlink-not-followed'  // checkout never writes through a link
  | 'special-file'          // FIFO, socket, device: not data
  | 'bad-file-name'         // a name that is not valid UTF-8
  | 'unreadable-file'
  | 'file-changed'          // modified while it was being read
  | 'cache-not-writable'
  | 'cache-busy'            // gc and a snapshot/pull would run at once (cacheLock.ts)
  | 'disk-full'
  | 'io-error'
  | 'bad-pointer'           // a pointer file that cannot be read or parsed
  | 'missing-pointer'
  | 'bad-manifest'          // malformed manifest object
  | 'unsafe-manifest'       // absolute path, `..`, duplicates: refused before anything is written
  | 'missing-object'        // an object the operation needs is not in the local cache
  | 'corrupt-object'
  | 'local-changes'         // checkout would destroy data that exists nowhere else
  | 'not-found'             // a snapshot reference (id, pointer, git revision) that names nothing
  | 'git-error';

export class SnapshotError extends Error {
  constructor(readonly code: SnapshotErrorCode, message: string, readonly path?: string) {
    super(message);
    this.name = 'SnapshotError';
  }
}

/** The errno code of a Node fs error, if any. */
export function errnoCode(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A short human reason for an errno (what `strerror` would say, for the codes users meet). */
export function describeErrno(err: unknown): string {
  switch (errnoCode(err)) {
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'ENOENT': return 'no such file or directory';
    case 'ENOTDIR': return 'a path component is not a directory';
    case 'EROFS': return 'read-only file system';
    case 'ENOSPC': return 'no space left on device';
    case 'EDQUOT': return 'disk quota exceeded';
    case 'EISDIR': return 'is a directory';
    case 'EIO': return 'input/output error';
    case 'ELOOP': return 'too many levels of symbolic links';
    default: return err instanceof Error ? err.message : String(err);
  }
}
