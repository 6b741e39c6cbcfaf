/**
 * Helpers for the store tests: temporary project folders and child Node processes that load the
 * compiled store, to test what happens when several processes use one database at once.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** The compiled core modules (the tests run from out/test/unit/store/). */
export const STORE_JS = path.resolve(__dirname, '../../../server/src/core/store/store.js');
export const STAT_CACHE_JS = path.resolve(__dirname, '../../../server/src/core/store/statCache.js');

const made: string[] = [];

/** A new empty folder under the system temp folder, removed by `removeTempDirs`. */
export function tempProject(tag = 'store'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mlops-${tag}-`));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of made.splice(0)) {
    // Give back write permission first (tests make folders read-only).
    try { fs.chmodSync(dir, 0o700); fs.chmodSync(path.join(dir, '.mlops'), 0o700); } catch { /* not there */ }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The last stdout line parsed as JSON, when there is one. */
  json?: unknown;
}

export interface ChildOptions {
  env?: Record<string, string>;
  uid?: number;
  gid?: number;
  timeoutMs?: number;
}

/** Runs `node -e script` with `STORE_JS` and `STAT_CACHE_JS` in its environment. */
export function runNode(script: string, options: ChildOptions = {}): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], {
      env: { ...process.env, STORE_JS, STAT_CACHE_JS, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      uid: options.uid,
      gid: options.gid,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').pop() ?? '';
      let json: unknown;
      try { json = last ? JSON.parse(last) : undefined; } catch { json = undefined; }
      resolve({ code, stdout, stderr, json });
    });
  });
}

/** A wall-clock moment a little in the future, for children to start work at the same time. */
export function startSoon(ms = 400): string {
  return String(Date.now() + ms);
}

/** Script prologue for children: waits (spinning) until START_AT, after loading the modules. */
export const WAIT_FOR_START = `
  const startAt = Number(process.env.START_AT || 0);
  while (Date.now() < startAt) { /* spin: all children begin together */ }
`;
