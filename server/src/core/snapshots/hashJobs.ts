/**
 * The work done on a hashing thread, one file at a time, in one read pass:
 * - `hash`: stream the file through SHA-256;
 * - `store`: stream it through SHA-256 AND into a new temporary object file (fsynced, mode 0444),
 *   so that hashing overlaps the copy into the cache and the content is read once. The caller then
 *   links the temporary file to its content address (objectStore.ts) or drops it when the object
 *   already exists.
 * Memory is one 1 MiB buffer per thread whatever the file size. Plain data in and out (structured
 * clone), no exceptions: a failure is a result that names the file and the cause.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';

export type HashJob =
  | { op: 'hash'; file: string; size: number }
  | { op: 'store'; file: string; size: number; tmp: string };

export type HashJobResult =
  | {
      ok: true;
      sha256: string;
      /** Bytes actually read. */
      size: number;
      /** The file's stamp when it was opened; `changed` when it moved while being read. */
      mtimeNs: bigint;
      ino: bigint;
      changed: boolean;
    }
  | { ok: false; file: string; side: 'read' | 'write'; errno?: string; message: string };

const CHUNK = 1 << 20;
let buffer: Buffer | undefined;

export function runHashJob(job: HashJob): HashJobResult {
  return runHashJobDeferringSync(job, false).result;
}

/**
 * With `deferSync`, a store job returns its temporary file still open and not yet fsynced
 * (`pending`): the caller fsyncs and closes it (`finishStore`) while the next file is being read, so
 * waiting for the disk overlaps hashing instead of adding to it.
 */
export function runHashJobDeferringSync(job: HashJob, deferSync: boolean): { result: HashJobResult; pending?: number } {
  buffer ??= Buffer.allocUnsafe(CHUNK);
  const buf = buffer;
  let fd: number | undefined;
  let out: number | undefined;
  let side: 'read' | 'write' = 'read';
  try {
    fd = fs.openSync(job.file, 'r');
    const before = fs.fstatSync(fd, { bigint: true });
    if (!before.isFile()) return { result: { ok: false, file: job.file, side, message: 'not a regular file' } };
    if (job.op === 'store') {
      side = 'write';
      out = fs.openSync(job.tmp, 'wx', 0o444);
      side = 'read';
    }
    const hash = crypto.createHash('sha256');
    let total = 0;
    for (;;) {
      const n = fs.readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) break;
      total += n;
      const chunk = buf.subarray(0, n);
      hash.update(chunk);
      if (out !== undefined) {
        side = 'write';
        for (let off = 0; off < n; ) off += fs.writeSync(out, chunk, off, n - off);
        side = 'read';
      }
    }
    const after = fs.fstatSync(fd, { bigint: true });
    let pending: number | undefined;
    if (out !== undefined) {
      side = 'write';
      fs.fchmodSync(out, 0o444); // whatever the umask
      if (deferSync) pending = out;
      else {
        fs.fsyncSync(out);
        fs.closeSync(out);
      }
      out = undefined;
    }
    const changed = total !== Number(before.size) || after.size !== before.size || after.mtimeNs !== before.mtimeNs;
    return { result: { ok: true, sha256: hash.digest('hex'), size: total, mtimeNs: before.mtimeNs, ino: before.ino, changed }, pending };
  } catch (err) {
    return { result: failure(job, side, err) };
  } finally {
    if (fd !== undefined) closeQuietly(fd);
    if (out !== undefined) {
      closeQuietly(out);
      if (job.op === 'store') unlinkQuietly(job.tmp);
    }
  }
}

/** Completes a deferred store job: fsync and close its temporary file (removed on failure). */
export function finishStore(job: HashJob, fd: number, result: HashJobResult): Promise<HashJobResult> {
  return new Promise((resolve) => {
    fs.fsync(fd, (syncErr) => {
      fs.close(fd, (closeErr) => {
        const err = syncErr ?? closeErr;
        if (!err) return resolve(result);
        if (job.op === 'store') unlinkQuietly(job.tmp);
        resolve(failure(job, 'write', err));
      });
    });
  });
}

function failure(job: HashJob, side: 'read' | 'write', err: unknown): HashJobResult {
  const e = err as NodeJS.ErrnoException;
  return { ok: false, file: job.file, side, errno: typeof e.code === 'string' ? e.code : undefined, message: e.message ?? String(err) };
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    /* already failing */
  }
}

function unlinkQuietly(p: string): void {
  try {
    fs.unlinkSync(p);
  } catch {
    /* already failing */
  }
}

/** Messages between the pool and a worker: a batch of jobs, answered by their results in order. */
export interface WorkerRequest {
  batch: number;
  jobs: HashJob[];
}
export interface WorkerResponse {
  batch: number;
  results: HashJobResult[];
}
