/**
 * Long snapshot operations run as `mlops` CLI processes, as the DVC extension runs `dvc`: the
 * server stays responsive and small (no native SQLite module, no hashing threads in it), a crash
 * of the operation cannot take the language server down, and cancelling is killing the process,
 * which the snapshot code is built to survive (crash-safe cache, resumable).
 *
 * The CLI is the bundle beside this one (server/out/cli.js), run by this process's own runtime;
 * its arguments go as an array, never through a shell.
 */
import { spawn } from 'child_process';
import * as path from 'path';
import { CancellationToken, LSPErrorCodes, ResponseError } from 'vscode-languageserver/node';
import { SnapshotErrorData } from '../protocol';

export const CLI_SCRIPT = path.join(__dirname, 'cli.js');

/** `--by USER` for the CLI when the client named who acts (ActorParams), else nothing (the CLI's default). */
export function actorArgs(by: string | undefined): string[] {
  return by?.trim() ? ['--by', by.trim()] : [];
}

export interface CliOptions {
  cwd: string;
  token?: CancellationToken;
  /** Called for each `progress DONE TOTAL` line the command prints (it is run with --progress then). */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Runs `mlops ARGS --json` and returns its JSON document. A document `{"error":...}` (a located
 * SnapshotError) becomes a ResponseError whose data carries the error's code and path.
 */
export function runCliJson<T>(args: string[], opts: CliOptions): Promise<T> {
  const argv = [CLI_SCRIPT, ...args, '--json', ...(opts.onProgress ? ['--progress'] : [])];
  return new Promise<T>((resolve, reject) => {
    // Cancelled before it started (the token of a request cancelled while queued never fires).
    if (opts.token?.isCancellationRequested) {
      reject(cancelledError());
      return;
    }
    // ELECTRON_RUN_AS_NODE: when the server runs on the editor's Electron runtime, so does the CLI.
    const child = spawn(process.execPath, argv, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
    let stdout = '';
    let stderr = '';
    let pending = '';
    let cancelled = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      pending += d;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const m = /^progress (\d+) (\d+)$/.exec(line);
        if (m) opts.onProgress?.(Number(m[1]), Number(m[2]));
        else stderr += `${line}\n`;
      }
    });
    const cancellation = opts.token?.onCancellationRequested(() => {
      cancelled = true;
      child.kill('SIGTERM');
    });
    child.on('error', (err) => {
      cancellation?.dispose();
      reject(new ResponseError(LSPErrorCodes.RequestFailed, `Cannot run the mlops CLI (${CLI_SCRIPT}): ${err.message}`));
    });
    child.on('close', (code, signal) => {
      cancellation?.dispose();
      stderr += pending;
      if (cancelled) {
        reject(cancelledError());
        return;
      }
      let doc: unknown;
      try {
        doc = JSON.parse(stdout);
      } catch {
        const why = signal ? `was killed (${signal})` : `exited with code ${code}`;
        reject(new ResponseError(LSPErrorCodes.RequestFailed, `mlops ${args[0]} ${why}: ${stderr.trim() || 'no output'}`));
        return;
      }
      const error = (doc as { error?: { code: string; message: string; path?: string } }).error;
      if (error) reject(new ResponseError<SnapshotErrorData>(LSPErrorCodes.RequestFailed, error.message, { code: error.code, path: error.path }));
      else resolve(doc as T);
    });
  });
}

function cancelledError(): ResponseError<void> {
  return new ResponseError(LSPErrorCodes.RequestCancelled, 'Cancelled. What was already stored stays in the cache; running the operation again continues from there.');
}
