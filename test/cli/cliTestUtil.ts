/** What the CLI tests share: the built CLI run in a folder, its JSON document, temporary folders removed at the end. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after } from 'node:test';

/** The built CLI (the tests run from out/test/cli/). */
export const CLI = path.join(__dirname, '../../../server/out/cli.js');

export interface CliResult { code: number | null; stdout: string; stderr: string }

export function mlops(cwd: string, ...args: string[]): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' });
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
