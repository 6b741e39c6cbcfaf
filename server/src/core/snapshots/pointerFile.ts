/**
 * The pointer file `PATH.snapshot` that git tracks in place of the data, and the `.gitignore` entry
 * that keeps the data itself out of git (as DVC does).
 *
 *     # mlops snapshot of raw (restore it with `mlops checkout`); commit this file
 *     sha256: 3f2a...            # 64 hex, no prefix: the manifest's hash (directory) or the file's
 *     size: 123456               # total bytes of the files
 *     files: 42
 *     type: directory            # directory | file (optional; inferred from the object when absent)
 *     executable: [bin/run.sh]   # optional: files with the executable bit (see checkout.ts)
 *     message: first import      # optional
 *     createdAt: "2025-01-01T00:00:00.000Z"  # optional
 *
 * `sha256`, `size` and `files` are required; unknown keys are ignored when reading, so newer
 * versions can add some. Read with the failsafe schema: every scalar stays the string written, so
 * a hash made only of digits and an `e` is never taken for a number.
 */
import * as fs from 'fs';
import * as jsyaml from 'js-yaml';
import * as path from 'path';
import { describeErrno, errnoCode, SnapshotError } from './errors';
import { HEX64 } from './objectStore';
import { displayPath } from './paths';

export const POINTER_SUFFIX = '.snapshot';

export type SnapshotType = 'directory' | 'file';

export interface PointerFile {
  sha256: string;
  size: number;
  files: number;
  type?: SnapshotType;
  executable?: string[];
  message?: string;
  createdAt?: string;
}

export function pointerPathFor(dataPath: string): string {
  return dataPath + POINTER_SUFFIX;
}

export function formatPointer(p: PointerFile, dataName: string): string {
  const doc: Record<string, unknown> = { sha256: p.sha256, size: p.size, files: p.files };
  if (p.type) doc.type = p.type;
  if (p.executable?.length) doc.executable = p.executable;
  if (p.message !== undefined) doc.message = p.message;
  if (p.createdAt !== undefined) doc.createdAt = p.createdAt;
  const header = `# mlops snapshot of ${dataName.replace(/[\r\n]/g, ' ')}: commit this file; \`mlops checkout\` restores the data from it\n`;
  return header + jsyaml.dump(doc, { lineWidth: -1, noRefs: true, flowLevel: 1 });
}

export function parsePointer(text: string, where: string): PointerFile {
  let doc: unknown;
  try {
    doc = jsyaml.load(text, { schema: jsyaml.FAILSAFE_SCHEMA });
  } catch (err) {
    throw new SnapshotError('bad-pointer', `${where} is not valid YAML: ${(err as Error).message.split('\n')[0]}`, where);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new SnapshotError('bad-pointer', `${where} is not a snapshot pointer file (expected sha256, size and files).`, where);
  const d = doc as Record<string, unknown>;
  const str = (k: string): string | undefined => (typeof d[k] === 'string' ? (d[k] as string) : undefined);
  const sha = str('sha256')?.replace(/^sha256:/, '');
  if (!sha || !HEX64.test(sha)) throw new SnapshotError('bad-pointer', `${where}: 'sha256' must be 64 lowercase hex characters.`, where);
  const num = (k: string): number => {
    const v = str(k);
    if (v === undefined || !/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new SnapshotError('bad-pointer', `${where}: '${k}' must be a whole number.`, where);
    return Number(v);
  };
  const p: PointerFile = { sha256: sha, size: num('size'), files: num('files') };
  const type = str('type');
  if (type !== undefined) {
    if (type !== 'directory' && type !== 'file') throw new SnapshotError('bad-pointer', `${where}: 'type' must be directory or file.`, where);
    p.type = type;
  }
  if (d.executable !== undefined) {
    if (!Array.isArray(d.executable) || !d.executable.every((x) => typeof x === 'string')) throw new SnapshotError('bad-pointer', `${where}: 'executable' must be a list of paths.`, where);
    p.executable = d.executable as string[];
  }
  if (str('message') !== undefined) p.message = str('message');
  if (str('createdAt') !== undefined) p.createdAt = str('createdAt');
  return p;
}

export function readPointer(file: string): PointerFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') throw new SnapshotError('missing-pointer', `${displayPath(file)} does not exist: snapshot the data first (mlops snapshot ${displayPath(file.slice(0, -POINTER_SUFFIX.length))}).`, file);
    throw new SnapshotError('bad-pointer', `Cannot read ${displayPath(file)}: ${describeErrno(err)}.`, file);
  }
  return parsePointer(text, displayPath(file));
}

/** Writes the pointer file atomically (temporary file in the same directory, then rename). */
export function writePointer(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, text, { mode: 0o666 });
    const fd = fs.openSync(tmp, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* not created */
    }
    throw new SnapshotError('io-error', `Cannot write ${displayPath(file)}: ${describeErrno(err)}.`, file);
  }
}

/** Same content apart from the optional message and date? (Then an unchanged re-snapshot leaves the file alone.) */
export function samePointerData(a: PointerFile, b: PointerFile): boolean {
  return a.sha256 === b.sha256 && a.size === b.size && a.files === b.files && (a.type ?? '') === (b.type ?? '') && (a.executable ?? []).join('\0') === (b.executable ?? []).join('\0');
}

/** The .gitignore line for a name in the same directory: anchored, glob characters escaped. */
export function gitignoreEntry(name: string): string {
  let e = name.replace(/[\\*?[\]]/g, (c) => `\\${c}`);
  if (e.startsWith('#') || e.startsWith('!')) e = `\\${e}`;
  if (e.endsWith(' ')) e = `${e.slice(0, -1)}\\ `;
  return `/${e}`;
}

/** Adds `/NAME` to the .gitignore beside the data (idempotent). Returns true when the file changed. */
export function addToGitignore(dataPath: string): boolean {
  const file = path.join(path.dirname(dataPath), '.gitignore');
  const entry = gitignoreEntry(path.basename(dataPath));
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw new SnapshotError('io-error', `Cannot read ${displayPath(file)}: ${describeErrno(err)}.`, file);
  }
  if (text.split(/\r?\n/).some((l) => l === entry || l.replace(/(?<!\\)\s+$/, '') === entry)) return false;
  const sep = text === '' || text.endsWith('\n') ? '' : '\n';
  try {
    fs.appendFileSync(file, `${sep}${entry}\n`);
  } catch (err) {
    throw new SnapshotError('io-error', `Cannot update ${displayPath(file)}: ${describeErrno(err)}.`, file);
  }
  return true;
}
