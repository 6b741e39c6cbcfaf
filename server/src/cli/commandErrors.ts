/**
 * How every `mlops` command reports a located error: one JSON document `{"error":{code,message,path}}`
 * on stdout with --json, the message on stderr, exit code 1. Errors of other kinds are bugs and
 * propagate (the CLI prints them as internal errors, exit 3).
 */
import * as fs from 'fs';
import * as path from 'path';
import { AuditError } from '../core/audit/auditLog';
import { RegistryError } from '../core/registry/errors';
import { RunError } from '../core/runs/runStage';
import { RunRegisteredError } from '../core/runs/runStore';
import { SnapshotError } from '../core/snapshots/errors';
import { StoreError } from '../core/store/store';
import { UsageError } from './args';

type Out = NodeJS.WritableStream;

export async function reportErrors(json: boolean, out: Out, err: Out, fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (e) {
    const located = locate(e);
    if (!located) throw e;
    const message = (e as Error).message;
    if (json) out.write(`${JSON.stringify({ error: { ...located, message } })}\n`);
    err.write(`mlops: ${message}\n`);
    return 1;
  }
}

function locate(e: unknown): { code: string; path?: string } | undefined {
  if (e instanceof SnapshotError) return { code: e.code, path: e.path };
  if (e instanceof StoreError) return { code: e.code, path: e.dbPath };
  if (e instanceof AuditError) return { code: e.code, ...(e.path !== undefined && { path: e.path }) };
  if (e instanceof OutputFileError) return { code: e.code, path: e.path };
  if (e instanceof RunError || e instanceof RunRegisteredError || e instanceof RegistryError) return { code: e.code };
  return undefined;
}

export function checkOptions(options: Map<string, string | true>, allowed: string[]): void {
  for (const k of options.keys()) if (!allowed.includes(k)) throw new UsageError(`unknown option --${k}`);
}

/** The file a command was asked to write (--out) cannot be written: the message says why and what to do. */
export class OutputFileError extends Error {
  readonly code = 'cannot-write';

  constructor(readonly path: string, message: string) {
    super(message);
    this.name = 'OutputFileError';
  }
}

/**
 * Writes `file` (an --out) whole or not at all, with what `produce` passes to its `write`: into
 * FILE.partial, synced, then renamed over FILE, so that a failure never leaves a file that looks
 * complete; on failure the partial file is removed. A failure of the file system is an
 * OutputFileError naming `what` ("the card") and suggesting a name like `example` when FILE is a
 * folder; anything `produce` throws propagates as it is.
 */
export function writeWholeFile<T>(file: string, what: string, example: string, produce: (write: (chunk: string) => void) => T): T {
  const target = path.resolve(file);
  const cannot = (why: string): OutputFileError => new OutputFileError(target, `Cannot write ${what} to ${target}: ${why}.`);
  const isFolder = `it is a folder: give --out a file name, e.g. ${path.join(target, example)}`;
  const fsStep = <R>(step: () => R): R => {
    try {
      return step();
    } catch (e) {
      throw isErrnoException(e) ? cannot(e.code === 'EISDIR' ? isFolder : writeFailure(e, target)) : e;
    }
  };
  // A trailing slash names a folder even when there is none yet: FILE.partial would be a file inside it.
  if (/[/\\]$/.test(file) || fsStep(() => fs.statSync(target, { throwIfNoEntry: false }))?.isDirectory()) throw cannot(isFolder);
  const partial = `${target}.partial`;
  const fd = fsStep(() => fs.openSync(partial, 'w'));
  let closed = false;
  try {
    const result = produce((chunk) => fsStep(() => fs.writeFileSync(fd, chunk)));
    fsStep(() => fs.fsyncSync(fd));
    closed = true; // a failed close is not retried (POSIX leaves the descriptor's state unspecified)
    fsStep(() => fs.closeSync(fd));
    fsStep(() => fs.renameSync(partial, target));
    return result;
  } catch (e) {
    if (!closed) {
      try { fs.closeSync(fd); } catch { /* already failing */ }
    }
    fs.rmSync(partial, { force: true });
    throw e;
  }
}

function isErrnoException(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string';
}

/** Why writing `target` failed, and what to do, in words. */
function writeFailure(e: NodeJS.ErrnoException, target: string): string {
  const folder = path.dirname(target);
  switch (e.code) {
    case 'ENOENT':
      return `the folder ${folder} does not exist. Create it, or give --out a file in an existing folder`;
    case 'ENOTDIR':
      return `part of ${folder} is a file, not a folder. Give --out a file in an existing folder`;
    case 'EACCES':
    case 'EPERM':
      return `you may not write in ${folder}. Choose a folder you can write to, or change its permissions`;
    case 'EROFS':
      return `${folder} is on a read-only file system. Choose another place`;
    case 'ENOSPC':
    case 'EDQUOT':
      return 'the disk is full (or your quota is used up). Free some space, or choose another disk';
    default:
      return `${e.message}. Check the path and try again`;
  }
}
