/** What the CLI tests share: the built CLI run in a folder, its JSON document, temporary folders removed at the end. */
import assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after } from 'node:test';

/** The built CLI (the tests run from out/test/cli/). */
export const CLI = path.join(__dirname, '../../../server/out/cli.js');

export interface CliResult { code: number | null; stdout: string; stderr: string }

export function mlops(cwd: string, ...args: string[]): CliResult {
  return mlopsWithEnv({}, cwd, ...args);
}

/** `mlops` with these environment variables changed (undefined removes one, e.g. MLOPS_USER). */
export function mlopsWithEnv(env: Record<string, string | undefined>, cwd: string, ...args: string[]): CliResult {
  const merged = Object.fromEntries(Object.entries({ ...process.env, ...env }).filter(([, v]) => v !== undefined));
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: merged });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The one JSON document a `--json` command printed. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function json(r: CliResult): any {
  try {
    return JSON.parse(r.stdout);
  } catch {
    assert.fail(`not one JSON document (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A new folder under the system temp folder, removed when the test file ends. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** How a CLI process started with spawnMlops ended (an exit code, or the signal that killed it), and how long it ran (ms). */
export interface TimedCliResult extends CliResult { signal: NodeJS.Signals | null; ms: number }

/** Starts the built CLI without waiting for it: the child (to kill it) and the promise of how it ended. */
export function spawnMlops(cwd: string, args: string[]): { child: ChildProcess; done: Promise<TimedCliResult> } {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<TimedCliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
  });
  return { child, done };
}

/** Whether a process exists (kill with signal 0); a zombie still counts. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
