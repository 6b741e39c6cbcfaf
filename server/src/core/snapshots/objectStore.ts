/**
 * The content-addressed object cache: `<root>/.mlops/cache/sha256/<2 hex>/<62 hex>`, each object the
 * bytes whose SHA-256 is its name (files and manifests alike).
 *
 * Writing an object: the bytes go to a temporary file in `.mlops/cache/tmp/` (same file system as
 * the objects, so the final step is atomic), which is fsynced and made read-only (0444); it is then
 * hard-linked to its content address and the temporary name removed. `link` fails when the object
 * exists, so an existing object is never rewritten, not even by two processes racing (where the file
 * system has no hard links, an existence check and `rename` do the same). The object directories are
 * fsynced before anything (manifest, pointer file, stat cache) refers to the new objects. The
 * temporary files live in tmp/ rather than beside the object because the address is only known once
 * the content has been read, and the content is read once (hashJobs.ts). Killing the process at any
 * moment leaves at worst a stray file in tmp/, never a partial object.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ensureLocalFilesIgnored } from '../workspace/projectRoot';
import { describeErrno, errnoCode, SnapshotError } from './errors';
import { displayPath } from './paths';

export const HEX64 = /^[0-9a-f]{64}$/;

export class ObjectStore {
  readonly cacheDir: string;
  readonly objectsDir: string;
  readonly tmpDir: string;
  private readonly dirtyDirs = new Set<string>();
  private tmpCounter = 0;

  constructor(readonly root: string) {
    this.cacheDir = path.join(root, '.mlops', 'cache');
    this.objectsDir = path.join(this.cacheDir, 'sha256');
    this.tmpDir = path.join(this.cacheDir, 'tmp');
  }

  objectPath(sha256: string): string {
    return path.join(this.objectsDir, sha256.slice(0, 2), sha256.slice(2));
  }

  has(sha256: string): boolean {
    return fs.existsSync(this.objectPath(sha256));
  }

  /** Size of an object, or undefined when it is not in the cache. */
  sizeOf(sha256: string): number | undefined {
    try {
      return fs.statSync(this.objectPath(sha256)).size;
    } catch {
      return undefined;
    }
  }

  read(sha256: string): Buffer {
    try {
      return fs.readFileSync(this.objectPath(sha256));
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') throw new SnapshotError('missing-object', `Object ${sha256} is not in the local cache (${displayPath(this.objectsDir)}).`, this.objectPath(sha256));
      throw new SnapshotError('io-error', `Cannot read object ${displayPath(this.objectPath(sha256))}: ${describeErrno(err)}.`, this.objectPath(sha256));
    }
  }

  /**
   * Creates the cache directories and checks that they are writable; returns the file system's
   * current time (the mtime of a probe file), which the stat cache uses to tell racily-clean files.
   */
  prepareForWriting(): bigint {
    try {
      makeDirs(this.objectsDir);
      makeDirs(this.tmpDir);
      // Keep the cache (and the database) out of git, as .dvc/.gitignore does; pointer files are what git tracks.
      ensureLocalFilesIgnored(path.dirname(this.cacheDir));
      return this.fileSystemClock();
    } catch (err) {
      throw this.writeError(err, this.cacheDir);
    }
  }

  /**
   * The file system's clock (the mtime of a probe file in tmp/, which must exist): a file modified
   * at or after it is "racily clean" and its stamp is not cached (see fileHashes.ts).
   */
  fileSystemClock(): bigint {
    const probe = this.newTempPath();
    const fd = fs.openSync(probe, 'wx', 0o600);
    try {
      return fs.fstatSync(fd, { bigint: true }).mtimeNs;
    } finally {
      fs.closeSync(fd);
      fs.unlinkSync(probe);
    }
  }

  newTempPath(): string {
    return path.join(this.tmpDir, `${process.pid}-${Date.now().toString(36)}-${(this.tmpCounter++).toString(36)}-${crypto.randomBytes(4).toString('hex')}.tmp`);
  }

  /**
   * Moves a complete, fsynced, read-only temporary file to its content address. Returns true when the
   * object is new, false when it already existed (the temporary file is then dropped).
   */
  commitTemp(tmp: string, sha256: string): boolean {
    const dest = path.join(this.objectsDir, sha256.slice(0, 2), sha256.slice(2));
    try {
      const stored = linkObject(this.objectsDir, tmp, sha256);
      if (stored) this.dirtyDirs.add(path.dirname(dest));
      return stored;
    } catch (err) {
      throw this.writeError(err, dest);
    }
  }

  /** Stores bytes held in memory (manifests). */
  putBytes(bytes: Buffer): { sha256: string; stored: boolean } {
    const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
    if (this.has(sha256)) return { sha256, stored: false };
    const tmp = this.newTempPath();
    try {
      const fd = fs.openSync(tmp, 'wx', 0o444);
      try {
        for (let off = 0; off < bytes.length; ) off += fs.writeSync(fd, bytes, off, bytes.length - off);
        fs.fchmodSync(fd, 0o444);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    } catch (err) {
      try {
        fs.unlinkSync(tmp);
      } catch {
        /* nothing to clean */
      }
      throw this.writeError(err, tmp);
    }
    const stored = this.commitTemp(tmp, sha256);
    this.syncDirs();
    return { sha256, stored };
  }

  /** Makes the new directory entries durable (call before anything refers to the new objects). */
  syncDirs(): void {
    for (const dir of this.dirtyDirs) fsyncDir(dir);
    if (this.dirtyDirs.size) fsyncDir(this.objectsDir);
    this.dirtyDirs.clear();
  }

  removeTempQuietly(tmp: string): void {
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* gone already */
    }
  }

  /** Every file under sha256/: well-formed object names and anything else found there. */
  listObjects(): { objects: string[]; strays: string[] } {
    const objects: string[] = [];
    const strays: string[] = [];
    let top: fs.Dirent[];
    try {
      top = fs.readdirSync(this.objectsDir, { withFileTypes: true });
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return { objects, strays };
      throw new SnapshotError('io-error', `Cannot list the cache ${displayPath(this.objectsDir)}: ${describeErrno(err)}.`, this.objectsDir);
    }
    for (const d of top) {
      const p = path.join(this.objectsDir, d.name);
      if (!d.isDirectory() || !/^[0-9a-f]{2}$/.test(d.name)) {
        strays.push(p);
        continue;
      }
      for (const f of fs.readdirSync(p, { withFileTypes: true })) {
        const sha256 = d.name + f.name;
        if (f.isFile() && HEX64.test(sha256)) objects.push(sha256);
        else strays.push(path.join(p, f.name));
      }
    }
    objects.sort();
    return { objects, strays };
  }

  /** Free bytes for an unprivileged user on the cache's file system. */
  freeBytes(): number {
    const s = fs.statfsSync(fs.existsSync(this.cacheDir) ? this.cacheDir : this.root);
    return s.bavail * s.bsize;
  }

  writeError(err: unknown, where: string): SnapshotError {
    if (err instanceof SnapshotError) return err;
    const code = errnoCode(err);
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      return new SnapshotError('disk-full', `The cache ${displayPath(this.cacheDir)} is full (${describeErrno(err)}) while writing ${displayPath(where)}. Free some space (or remove unused objects) and run the command again.`, where);
    }
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOTDIR' || code === 'EEXIST') {
      return new SnapshotError('cache-not-writable', `Cannot write to the cache ${displayPath(this.cacheDir)}: ${describeErrno(err)} (${displayPath(where)}). Make .mlops/cache a writable directory on a writable disk.`, where);
    }
    return new SnapshotError('io-error', `Cannot write ${displayPath(where)}: ${describeErrno(err)}.`, where);
  }
}

/**
 * mkdir -p, reporting the real cause: Node's recursive mkdir says ENOENT where the disk is read-only
 * (EROFS), which would make "the cache is not writable" read as "no such file".
 */
function makeDirs(dir: string): void {
  try {
    fs.mkdirSync(dir);
  } catch (err) {
    if (errnoCode(err) === 'EEXIST' && fs.statSync(dir).isDirectory()) return;
    if (errnoCode(err) !== 'ENOENT' || path.dirname(dir) === dir) throw err;
    makeDirs(path.dirname(dir));
    fs.mkdirSync(dir);
  }
}

export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a directory; the data itself is already synced.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** `sha256:<hex>` for display and JSON. */
export function snapshotId(sha256: string): string {
  return `sha256:${sha256}`;
}

/**
 * Gives a complete, fsynced, read-only temporary file its content address under `objectsDir`
 * (a local cache or a remote). Linking never overwrites an existing object; where hard links are
 * unavailable it checks, then renames (a race can then only replace an object with the same bytes).
 * Returns true when the object is new (its directory then needs an fsync), false when it existed.
 */
export function linkObject(objectsDir: string, tmp: string, sha256: string): boolean {
  const dir = path.join(objectsDir, sha256.slice(0, 2));
  const dest = path.join(dir, sha256.slice(2));
  fs.mkdirSync(dir, { recursive: true });
  try {
    fs.linkSync(tmp, dest);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'EEXIST') {
      fs.unlinkSync(tmp);
      return false;
    }
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV' && code !== 'EMLINK') throw err;
    if (fs.existsSync(dest)) {
      fs.unlinkSync(tmp);
      return false;
    }
    fs.renameSync(tmp, dest);
    return true;
  }
  fs.unlinkSync(tmp);
  return true;
}
