/** Real projects in temp directories for the snapshot tests. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SnapshotError } from '../../../server/src/core/snapshots/errors';

const created: string[] = [];
process.on('exit', () => {
  for (const dir of created) fs.rmSync(dir, { recursive: true, force: true });
});

/** A new project root (with .mlops/ so that it is found as the root) holding `files`; removed when the process exits. */
export function project(files: Record<string, string | Buffer> = {}): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-snap-'));
  created.push(root);
  fs.mkdirSync(path.join(root, '.mlops'));
  writeFiles(root, files);
  return root;
}

export function writeFiles(root: string, files: Record<string, string | Buffer>): void {
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(root, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
  }
}

/**
 * Moves every file's mtime one minute into the past: files written just now are "racily clean"
 * (modified in the clock tick the snapshot starts in) and are rightly hashed again next time.
 */
export function ageFiles(dir: string): void {
  const past = new Date(Date.now() - 60_000);
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) fs.utimesSync(path.join(e.parentPath, e.name), past, past);
  }
}

/** What the `sha256sum` program says. */
export function sha256sum(file: string): string {
  return execFileSync('sha256sum', ['--', file], { encoding: 'utf8' }).split(' ')[0];
}

export function sha256sumOfBytes(bytes: Buffer): string {
  return execFileSync('sha256sum', [], { input: bytes, encoding: 'utf8' }).split(' ')[0];
}

export function objectFile(root: string, sha256: string): string {
  return path.join(root, '.mlops', 'cache', 'sha256', sha256.slice(0, 2), sha256.slice(2));
}

/** Every object in the cache. */
export function objectsIn(root: string): string[] {
  const dir = path.join(root, '.mlops', 'cache', 'sha256');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).flatMap((d) => fs.readdirSync(path.join(dir, d)).map((f) => d + f)).sort();
}

export const isRoot = process.getuid?.() === 0;

/** Asserts that `p` rejects with a SnapshotError of this code (and message). */
export function rejectsWith(p: Promise<unknown>, code: string, pattern?: RegExp): Promise<void> {
  return assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof SnapshotError, String(e));
    assert.equal(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    return true;
  });
}
