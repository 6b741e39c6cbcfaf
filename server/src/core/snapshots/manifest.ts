/**
 * The manifest of a directory snapshot, byte for byte as PRODUCT.md fixes it: the compact JSON
 * `{"files":[{"path":"a/b.csv","sha256":"...","size":123},...]}`, keys in that order, no spaces,
 * no trailing newline, stored as an object; the snapshot id is the SHA-256 of these bytes.
 *
 * - `path` is relative to the snapshotted directory, POSIX separators, as the file system spells it
 *   (no Unicode normalisation; names that are not valid UTF-8 are refused when snapshotting).
 * - Sort order: JavaScript string comparison (`a < b`), i.e. by UTF-16 code units. It equals the
 *   byte order of the UTF-8 encoding for every path except those mixing characters above U+FFFF with
 *   characters U+E000-U+FFFF at the same position; we chose it because every JS implementation gets
 *   it identical without a custom comparator (`Array.prototype.sort()` default). Another
 *   implementation must sort the same way to reproduce an id.
 * - JSON escaping is JSON.stringify's: `"` `\` and control characters escaped, everything else raw UTF-8.
 * - Only regular files are listed (empty directories are not recorded; symlinks inside the project
 *   are stored as the content they point to).
 */
import * as crypto from 'crypto';
import { SnapshotError } from './errors';
import { HEX64 } from './objectStore';

export interface ManifestEntry {
  path: string;
  sha256: string;
  size: number;
}

export function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The manifest bytes of some entries (sorted here; the entries must have distinct paths). */
export function serializeManifest(entries: readonly ManifestEntry[]): Buffer {
  return Buffer.from(manifestText(entries), 'utf8');
}

/** serializeManifest as a string (its UTF-8 encoding is the manifest): hashed without a copy into a Buffer. */
export function manifestText(entries: readonly ManifestEntry[]): string {
  const files = entries.map((e) => ({ path: e.path, sha256: e.sha256, size: e.size }));
  for (let i = 1; i < files.length; i++) {
    if (comparePaths(files[i - 1].path, files[i].path) > 0) {
      files.sort((a, b) => comparePaths(a.path, b.path));
      break;
    }
  }
  return JSON.stringify({ files });
}

/** The manifest text of files with these hashes (`hashes[i]` is the hash of `files[i]`). */
export function manifestOf(files: readonly { path: string; size: number }[], hashes: readonly string[]): string {
  return manifestText(files.map((f, i) => ({ path: f.path, sha256: hashes[i], size: f.size })));
}

/** A directory snapshot's id: the SHA-256 of its manifest's UTF-8 bytes. */
export function manifestId(text: string): string {
  return crypto.createHash('sha256').update(text, 'utf8').digest('hex');
}

const PREFIX = Buffer.from('{"files":[', 'utf8');

/** Cheap test: could these bytes be a manifest? (Used to tell a directory snapshot from a file one by its object alone.) */
export function looksLikeManifest(head: Buffer): boolean {
  return head.length >= PREFIX.length && head.subarray(0, PREFIX.length).equals(PREFIX);
}

/**
 * Parses and checks a manifest. Anything unexpected is refused before a single file is written:
 * unknown keys, bad hashes or sizes, unsorted or duplicate paths, a path that is both a file and a
 * directory, and unsafe paths (absolute, `..`, `.`, empty segments, NUL).
 */
export function parseManifest(bytes: Buffer, where: string): ManifestEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new SnapshotError('bad-manifest', `${where} is not a valid manifest: ${(err as Error).message}.`);
  }
  if (!isRecord(doc) || !Array.isArray(doc.files) || Object.keys(doc).length !== 1) {
    throw new SnapshotError('bad-manifest', `${where} is not a valid manifest: expected {"files":[...]}.`);
  }
  const entries: ManifestEntry[] = [];
  doc.files.forEach((f: unknown, i: number) => {
    if (!isRecord(f) || typeof f.path !== 'string' || typeof f.sha256 !== 'string' || typeof f.size !== 'number' || Object.keys(f).length !== 3) {
      throw new SnapshotError('bad-manifest', `${where}: entry ${i} must be {"path":string,"sha256":string,"size":number}.`);
    }
    const unsafe = unsafePathReason(f.path);
    if (unsafe) throw new SnapshotError('unsafe-manifest', `${where}: refusing entry ${i} ${JSON.stringify(f.path)}: ${unsafe}. A manifest may only name paths inside the snapshot.`);
    if (!HEX64.test(f.sha256)) throw new SnapshotError('bad-manifest', `${where}: entry ${JSON.stringify(f.path)} has a bad sha256 (64 lowercase hex expected).`);
    if (!Number.isSafeInteger(f.size) || f.size < 0) throw new SnapshotError('bad-manifest', `${where}: entry ${JSON.stringify(f.path)} has a bad size.`);
    entries.push({ path: f.path, sha256: f.sha256, size: f.size });
  });
  for (let i = 1; i < entries.length; i++) {
    const prev = entries[i - 1].path;
    const cur = entries[i].path;
    if (comparePaths(prev, cur) >= 0) {
      throw new SnapshotError(prev === cur ? 'unsafe-manifest' : 'bad-manifest', `${where}: ${prev === cur ? `duplicate path ${JSON.stringify(cur)}` : `paths not sorted (${JSON.stringify(prev)} before ${JSON.stringify(cur)})`}.`);
    }
  }
  // A path that is also a directory prefix of another ("a" and "a/b") cannot be checked out.
  const paths = new Set(entries.map((e) => e.path));
  for (const e of entries) {
    for (let k = e.path.indexOf('/'); k >= 0; k = e.path.indexOf('/', k + 1)) {
      if (paths.has(e.path.slice(0, k))) throw new SnapshotError('unsafe-manifest', `${where}: ${JSON.stringify(e.path.slice(0, k))} is both a file and a directory.`);
    }
  }
  return entries;
}

/** Why a manifest path is unsafe to join under a directory, or undefined when it is fine. */
export function unsafePathReason(p: string): string | undefined {
  if (p === '') return 'empty path';
  if (p.includes('\0')) return 'NUL character';
  if (p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\')) return 'absolute path';
  for (const seg of p.split('/')) {
    if (seg === '..') return "'..' segment";
    if (seg === '.' || seg === '') return 'empty or "." segment';
  }
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
