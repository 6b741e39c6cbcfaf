/**
 * The Snapshots requests of the editor (protocol.ts). Reads (list of pointers, entries, compare)
 * happen here, on pointer files and cache objects; whatever hashes or writes data (status,
 * snapshot, checkout, verify) runs as an `mlops` process (cliProcess.ts).
 *
 * A workspace folder belongs to the project found the way the CLI finds it from that folder: the
 * nearest ancestor with .mlops/ or .git/.
 */
import * as path from 'path';
import { CancellationToken, Connection, LSPErrorCodes, ResponseError } from 'vscode-languageserver/node';
import { describeSnapshot, topLevelEntries } from '../core/snapshots/browse';
import { ObjectStore } from '../core/snapshots/objectStore';
import { snapshotEntries, snapshotType } from '../core/snapshots/resolve';
import { formatBytes } from '../core/units';
import { SnapshotError } from '../core/snapshots/errors';
import { compareWithPrevious } from '../core/snapshots/history';
import { findProjectRoot } from '../core/workspace/projectRoot';
import type { SnapshotStatus } from '../core/snapshots/status';
import type { VerifyReport } from '../core/snapshots/verify';
import {
  CheckoutSnapshotRequest, CheckoutSnapshotResult, CompareWithPreviousRequest, CreateSnapshotRequest, CreateSnapshotResult, DescribeSnapshotRequest, ListSnapshotsRequest,
  ListSnapshotsResult, OperationProgressNotification, ProgressParams, SnapshotComparison, SnapshotEntriesRequest, SnapshotErrorData, SnapshotSummary,
  VerifyCacheRequest, VerifyCacheResult,
} from '../protocol';
import { actorArgs, runCliJson } from './cliProcess';
import { ServerWorkspace } from './serverWorkspace';

export function registerSnapshotRequests(connection: Connection, workspace: ServerWorkspace): void {
  const projects = (): string[] => [...new Set(workspace.roots.map((r) => findProjectRoot(r)))];
  const progress = (p: ProgressParams): ((done: number, total: number) => void) | undefined => {
    const token = p.progressToken;
    return token === undefined ? undefined : (done, total) => void connection.sendNotification(OperationProgressNotification, { token, done, total });
  };

  connection.onRequest(ListSnapshotsRequest, async (_params, token): Promise<ListSnapshotsResult> => {
    const result: ListSnapshotsResult = { snapshots: [], problems: [] };
    for (const root of projects()) {
      try {
        const { snapshots } = await runCliJson<{ snapshots: SnapshotStatus[] }>(['status'], { cwd: root, token });
        for (const s of snapshots) result.snapshots.push(summary(root, s));
      } catch (err) {
        if (isCancelled(err)) throw err;
        result.problems.push(`${root}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return result;
  });

  connection.onRequest(SnapshotEntriesRequest, ({ pointer }) => located(() => ({ entries: topLevelEntries(findProjectRoot(path.dirname(pointer)), pointer) })));

  connection.onRequest(CreateSnapshotRequest, async (params, token): Promise<CreateSnapshotResult> => {
    const root = findProjectRoot(path.dirname(params.path));
    const args = ['snapshot', params.path, ...(params.message ? ['--message', params.message] : []), ...actorArgs(params.by)];
    const r = await runCliJson<Omit<CreateSnapshotResult, 'pointer'>>(args, { cwd: root, token, onProgress: progress(params) });
    return { ...r, pointer: `${params.path}.snapshot` };
  });

  connection.onRequest(CheckoutSnapshotRequest, async (params, token): Promise<CheckoutSnapshotResult> => {
    const root = findProjectRoot(path.dirname(params.path));
    return runCliJson<CheckoutSnapshotResult>(['checkout', params.path, ...(params.force ? ['--force'] : []), ...actorArgs(params.by)], { cwd: root, token });
  });

  connection.onRequest(CompareWithPreviousRequest, ({ pointer }) => located((): SnapshotComparison => {
    const d = compareWithPrevious(findProjectRoot(path.dirname(pointer)), pointer);
    const name = path.basename(pointer);
    return {
      a: { label: `${name} at ${d.previous.revision}`, id: d.a.id, files: d.a.files, size: d.a.size },
      b: { label: `${name} (working tree)`, id: d.b.id, files: d.b.files, size: d.b.size },
      added: d.added, removed: d.removed, modified: d.modified, unchanged: d.unchanged,
    };
  }));

  connection.onRequest(DescribeSnapshotRequest, ({ pipelineFile, id }) => located(() => {
    if (!SNAPSHOT_ID.test(id)) throw new ResponseError(LSPErrorCodes.RequestFailed, `'${id}' is not a snapshot id (sha256: and 64 hex digits)`);
    return { text: snapshotText(findProjectRoot(path.dirname(pipelineFile)), id.slice('sha256:'.length)) };
  }));

  connection.onRequest(VerifyCacheRequest, async (params, token: CancellationToken) => {
    const results: VerifyCacheResult[] = [];
    for (const root of projects()) {
      const r = await runCliJson<VerifyReport>(['verify'], { cwd: root, token, onProgress: progress(params) });
      results.push({ root, objects: r.objects, bytes: r.bytes, corrupt: r.corrupt, missing: r.missing, ok: r.ok });
    }
    return { projects: results };
  });
}

function summary(root: string, s: SnapshotStatus): SnapshotSummary {
  const abs = (rel: string): string => path.join(root, ...rel.split('/'));
  return {
    root, pointer: abs(s.pointer), dataPath: abs(s.path), id: s.id, size: s.size, files: s.files, type: s.type,
    message: s.message, createdAt: s.createdAt, cached: s.cached, state: s.state, currentId: s.currentId, error: s.error,
  };
}

const SNAPSHOT_ID = /^sha256:[0-9a-f]{64}$/;
const LISTED_FILES = 10_000;

/** What a run's data link shows: the snapshot's facts, then its files (path, size, sha256). */
function snapshotText(root: string, sha256: string): string {
  const info = describeSnapshot(root, sha256);
  const lines = [`Snapshot ${info.id}`];
  if (info.files !== undefined) lines.push(`${info.files} file(s), ${formatBytes(info.size ?? 0)}${info.createdAt ? `, taken ${info.createdAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}` : ''}`);
  if (info.message) lines.push(`Message: ${info.message}`);
  lines.push(info.pointers.length ? `Named by: ${info.pointers.join(', ')}` : 'No pointer file of this project names it now (it was replaced by a newer snapshot).');
  if (!info.cached) return `${[...lines, '', 'Not in the local cache: mlops pull fetches it from the remote.'].join('\n')}\n`;
  const store = new ObjectStore(root);
  // A file snapshot has one entry, named after its pointer file (data/x.csv.snapshot -> x.csv).
  const fileName = info.pointers.length ? path.basename(info.pointers[0], '.snapshot') : 'file';
  const entries = snapshotEntries(store, sha256, info.type ?? snapshotType(store, sha256), fileName);
  lines.push('', ...entries.slice(0, LISTED_FILES).map((e) => `${e.path}  ${formatBytes(e.size)}  sha256:${e.sha256.slice(0, 12)}`));
  if (entries.length > LISTED_FILES) lines.push(`... and ${entries.length - LISTED_FILES} more (mlops snapshots diff lists them all)`);
  return `${lines.join('\n')}\n`;
}

/** A SnapshotError becomes a request error carrying its code and path; anything else is a bug and propagates. */
function located<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof SnapshotError) throw new ResponseError<SnapshotErrorData>(LSPErrorCodes.RequestFailed, err.message, { code: err.code, path: err.path });
    throw err;
  }
}

function isCancelled(err: unknown): boolean {
  return err instanceof ResponseError && err.code === LSPErrorCodes.RequestCancelled;
}
