/**
 * The Runs requests of the editor (protocol.ts). Runs are read and started through `mlops`
 * processes (cliProcess.ts), as snapshots are: a run survives the editor reloading, and a run
 * started from a terminal shows up the same way.
 *
 * The view is told when to list again by watching each project's `.mlops/` folder: every write to
 * the run store (a run created, a metric batch, a run ended; by any process) touches mlops.db-wal,
 * and a burst of such writes becomes one StoreChanged notification.
 */
import { execFile, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Connection, LSPErrorCodes, ResponseError } from 'vscode-languageserver/node';
import { findProjectRoot } from '../core/workspace/projectRoot';
import {
  BackgroundCommandEndedNotification, CancelRunRequest, DeleteRunRequest, ListRunsRequest, ReproduceRunRequest, RunDetails, RunDetailsRequest, RunItem,
  StoreChangedNotification, ShowCommitRequest, StartRunRequest, StartSweepRequest,
} from '../protocol';
import { actorArgs, CLI_SCRIPT, runCliJson } from './cliProcess';
import { ServerWorkspace } from './serverWorkspace';

const CHANGE_DEBOUNCE_MS = 250;
const LIST_LIMIT = '200';

export function registerRunRequests(connection: Connection, workspace: ServerWorkspace): StoreWatcher {
  const watcher = new StoreWatcher(() => void connection.sendNotification(StoreChangedNotification, {}));
  const projects = (): string[] => {
    const roots = [...new Set(workspace.roots.map((r) => findProjectRoot(r)))];
    for (const root of roots) watcher.watch(root);
    return roots;
  };

  connection.onRequest(ListRunsRequest, async (_params, token) => {
    const runs: RunItem[] = [];
    const problems: string[] = [];
    for (const root of projects()) {
      try {
        const r = await runCliJson<{ runs: (Omit<RunItem, 'dir'>)[] }>(['runs', 'list', '--limit', LIST_LIMIT], { cwd: root, token });
        for (const run of r.runs) runs.push({ ...run, pipelineFile: path.join(root, ...run.pipelineFile.split('/')), dir: path.join(root, '.mlops', 'runs', run.id) });
      } catch (err) {
        problems.push(`${root}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    runs.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
    return { runs, problems };
  });

  const projectOf = (pipelineFile: string): string => {
    const root = findProjectRoot(path.dirname(pipelineFile));
    watcher.watch(root);
    return root;
  };

  connection.onRequest(StartRunRequest, async (params) => {
    const args = ['run', ...(params.stage ? [params.stage] : []), '--pipeline', params.pipelineFile, ...(params.overrides ?? []).flatMap((o) => ['--set', o]), ...actorArgs(params.by)];
    await startInBackground(args, projectOf(params.pipelineFile));
    return { started: true as const };
  });

  const announceEnd = (command: 'sweep' | 'reproduce') => (ok: boolean, summary: string): void =>
    void connection.sendNotification(BackgroundCommandEndedNotification, { command, ok, summary });

  connection.onRequest(StartSweepRequest, async (params) => {
    const args = ['sweep', '--pipeline', params.pipelineFile, ...(params.stage ? ['--stage', params.stage] : []), ...(params.parallel ? ['--parallel', String(params.parallel)] : []), ...actorArgs(params.by)];
    await startInBackground(args, projectOf(params.pipelineFile), announceEnd('sweep'));
    return { started: true as const };
  });

  connection.onRequest(ReproduceRunRequest, async ({ pipelineFile, id, by }) => {
    await startInBackground(['reproduce', id, ...actorArgs(by)], projectOf(pipelineFile), announceEnd('reproduce'));
    return { started: true as const };
  });

  connection.onRequest(ShowCommitRequest, async ({ pipelineFile, commit }) => {
    if (!/^[0-9a-f]{7,64}$/.test(commit)) throw new ResponseError(LSPErrorCodes.RequestFailed, `'${commit}' is not a commit id`);
    return { text: await gitShow(findProjectRoot(path.dirname(pipelineFile)), commit) };
  });

  connection.onRequest(RunDetailsRequest, async ({ pipelineFile, id }, token): Promise<RunDetails> => {
    const root = findProjectRoot(path.dirname(pipelineFile));
    const r = await runCliJson<Omit<RunDetails, 'pipelineFile' | 'dir' | 'logTail'> & { pipelineFile: string }>(['runs', 'show', id, '--series'], { cwd: root, token });
    const dir = path.join(root, '.mlops', 'runs', r.id);
    return { ...r, pipelineFile: path.join(root, ...r.pipelineFile.split('/')), dir, logTail: tailOf(path.join(dir, 'log.txt')) };
  });

  connection.onRequest(CancelRunRequest, async ({ pipelineFile, id, by }) => {
    const r = await runCliJson<{ cancelled: boolean }>(['runs', 'cancel', id, ...actorArgs(by)], { cwd: findProjectRoot(path.dirname(pipelineFile)) });
    return { cancelled: r.cancelled };
  });

  connection.onRequest(DeleteRunRequest, async ({ pipelineFile, id, by }) => {
    const r = await runCliJson<{ deleted: boolean }>(['runs', 'delete', id, ...actorArgs(by)], { cwd: findProjectRoot(path.dirname(pipelineFile)) });
    return { deleted: r.deleted };
  });

  return watcher;
}

const LOG_TAIL_BYTES = 64 * 1024;

/** The end of a log (whole lines), read without loading a huge file. */
function tailOf(file: string): string {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const start = Math.max(0, size - LOG_TAIL_BYTES);
    const buf = Buffer.alloc(size - start);
    fs.readSync(fd, buf, 0, buf.length, start);
    const text = buf.toString('utf8');
    return start > 0 ? text.slice(text.indexOf('\n') + 1) : text;
  } catch {
    return '';
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Starts `mlops run|sweep|reproduce ...` and returns once its first run is created (the CLI says so on stderr), so
 * that a pipeline that does not validate, or a bad override, is an error of the request. The run
 * then goes on in the background; it is not tied to this request.
 */
function startInBackground(args: string[], cwd: string, onEnded?: (ok: boolean, summary: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    // Its stdin stays open as long as this server runs: when the server goes (window closed, server
    // killed), the CLI sees it end and stops the job, and the run ends `interrupted`.
    const child = spawn(process.execPath, [CLI_SCRIPT, ...args, '--stop-with-stdin'], { cwd, stdio: ['pipe', onEnded ? 'pipe' : 'ignore', 'pipe'], env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
    child.stdin?.on('error', () => undefined); // the CLI ended first
    let stderr = '';
    let stdout = '';
    let settled = false;
    // "mlops: run ID started", "mlops: trial 1/6: run ID started", "mlops: rerun ID started"
    const started = /^mlops: (?:trial \d+\/\d+: )?(?:re)?run \S+ started/m;
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout = (stdout + d).slice(-SUMMARY_BYTES);
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr = settled ? (stderr + d).slice(-SUMMARY_BYTES) : stderr + d;
      if (!settled && started.test(stderr)) {
        settled = true;
        resolve();
      }
    });
    child.on('error', (err) => {
      if (!settled) reject(new ResponseError(LSPErrorCodes.RequestFailed, `Cannot run the mlops CLI (${CLI_SCRIPT}): ${err.message}`));
      settled = true;
    });
    child.on('close', (code) => {
      if (settled) {
        onEnded?.(code === 0, lastLine(stdout) || lastLine(stderr.replace(/^mlops: /gm, '')) || `mlops ${args[0]} exited with code ${code}`);
        return;
      }
      settled = true;
      if (code === 0) resolve(); // every stage was unchanged: nothing to start
      else reject(new ResponseError(LSPErrorCodes.RequestFailed, stderr.replace(/^mlops: /gm, '').trim() || `mlops ${args.join(' ')} exited with code ${code}`));
    });
  });
}

/** How much of a background command's output is kept for its summary. */
const SUMMARY_BYTES = 4096;

function lastLine(text: string): string {
  return text.trimEnd().split('\n').pop() ?? '';
}

const COMMIT_TEXT_BYTES = 2 * 1024 * 1024;

/** `git show --stat --patch` of one commit (the patch cut at 2 MiB: a notebook diff can be huge). */
function gitShow(root: string, commit: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', ['show', '--no-color', '--format=fuller', '--stat', '--patch', commit, '--'], { cwd: root, maxBuffer: COMMIT_TEXT_BYTES, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) resolve(stdout);
      else if ((err as { code?: unknown }).code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') resolve(`${stdout}\n[cut at ${COMMIT_TEXT_BYTES / 1048576} MiB: git show ${commit} in a terminal shows the rest]\n`);
      else reject(new ResponseError(LSPErrorCodes.RequestFailed, `git show ${commit.slice(0, 12)} in ${root}: ${stderr.trim() || err.message}. Was the commit made in another clone and not pushed, or is this not a git repository?`));
    });
  });
}

/**
 * Watches the `.mlops/` folder of each project (or the project folder until `.mlops/` appears).
 * A listing itself opens and closes the database, which touches its -wal and -shm files: so an
 * event only counts when the database's contents may have changed (the size or mtime of mlops.db,
 * or of a non-empty -wal), else every listing would cause the next one.
 */
export class StoreWatcher {
  private readonly watchers = new Map<string, fs.FSWatcher>();
  private readonly fingerprints = new Map<string, string>();
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly changed: () => void) {}

  watch(root: string): void {
    if (this.watchers.has(root)) return;
    const mlops = path.join(root, '.mlops');
    this.fingerprints.set(root, fingerprint(mlops));
    try {
      const w = fs.existsSync(mlops)
        ? fs.watch(mlops, (_event, name) => {
          if (name?.startsWith('mlops.db')) this.schedule(root);
        })
        : fs.watch(root, (_event, name) => {
          if (name !== '.mlops' || !fs.existsSync(mlops)) return;
          this.watchers.get(root)?.close();
          this.watchers.delete(root);
          this.watch(root);
          this.schedule(root);
        });
      w.on('error', () => this.watchers.delete(root));
      this.watchers.set(root, w);
    } catch {
      // a folder that cannot be watched: the view still lists on demand
    }
  }

  private schedule(root: string): void {
    this.pending.add(root);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      let changed = false;
      for (const r of this.pending) {
        const now = fingerprint(path.join(r, '.mlops'));
        if (now !== this.fingerprints.get(r)) changed = true;
        this.fingerprints.set(r, now);
      }
      this.pending.clear();
      if (changed) this.changed();
    }, CHANGE_DEBOUNCE_MS);
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }
}

/** What changes when the run store's contents may have: mlops.db, and a -wal with content in it. */
function fingerprint(mlops: string): string {
  const stamp = (file: string): string => {
    try {
      const st = fs.statSync(file);
      return st.size === 0 ? '0' : `${st.size}:${st.mtimeMs}`;
    } catch {
      return '-';
    }
  };
  return `${stamp(path.join(mlops, 'mlops.db'))}|${stamp(path.join(mlops, 'mlops.db-wal'))}`;
}
