/**
 * The snapshot commands: `mlops snapshot`, `mlops checkout`, `mlops snapshots list|diff`, `mlops verify`,
 * `mlops gc`, `mlops push`, `mlops pull`.
 * Each takes --json and then prints exactly one JSON document on stdout, errors included
 * (`{"error":{"code":...,"message":...,"path":...}}`, exit 1); the message also goes to stderr.
 * The project root is the nearest ancestor of the current directory with `.mlops/` or `.git/`.
 */
import * as fs from 'fs';
import { resolveActor } from '../core/audit/actor';
import type { AuditEntryInput } from '../core/audit/auditLog';
import { auditAfterWrite, checkoutChanged, snapshotCheckedOut, snapshotCreated } from '../core/audit/snapshotAudit';
import { checkout } from '../core/snapshots/checkout';
import { diffSnapshotRefs, SnapshotDiff } from '../core/snapshots/diff';
import { gc, GcReport, pointerFileRoots, RootProvider } from '../core/snapshots/gc';
import { HashCache, MemoryHashCache } from '../core/snapshots/hashCache';
import { listSnapshots } from '../core/snapshots/list';
import { displayPath } from '../core/snapshots/paths';
import { formatBytes } from '../core/units';
import { findProjectRoot } from '../core/workspace/projectRoot';
import { pull, push } from '../core/snapshots/remote';
import { snapshot } from '../core/snapshots/snapshot';
import { snapshotStatus, SnapshotStatus } from '../core/snapshots/status';
import type { Store } from '../core/store/store';
import { verifyCache, VerifyReport } from '../core/snapshots/verify';
import { optionValue, parseArgs, UsageError } from './args';
import { checkOptions, reportErrors } from './commandErrors';

export const SNAPSHOT_USAGE = 'mlops snapshot PATH [--message M] [--progress] [--by USER] [--json]';
export const CHECKOUT_USAGE = 'mlops checkout PATH [--force] [--by USER] [--json]';
export const SNAPSHOTS_LIST_USAGE = 'mlops snapshots list [--json]';
export const SNAPSHOTS_DIFF_USAGE = 'mlops snapshots diff A B [--json]';
export const STATUS_USAGE = 'mlops status [--json]';
export const VERIFY_USAGE = 'mlops verify [--progress] [--json]';
export const GC_USAGE = 'mlops gc [--dry-run] [--by USER] [--json]';
export const PUSH_USAGE = 'mlops push [--remote NAME] [--by USER] [--json]';
export const PULL_USAGE = 'mlops pull [--remote NAME] [--by USER] [--json]';

type Out = NodeJS.WritableStream;

/** Appends the audit entry of a change the command has just made to files (core/audit/snapshotAudit.ts). */
type AuditRecorder = (entry: AuditEntryInput) => void;

export async function snapshotCommand(argv: string[], out: Out, err: Out): Promise<number> {
  const { positionals, options } = parseArgs(argv, new Set(['message', 'by']));
  checkOptions(options, ['message', 'progress', 'by', 'json']);
  const json = options.has('json');
  if (positionals.length !== 1) throw new UsageError(`snapshot needs exactly one PATH (got ${positionals.length})`);
  const message = optionValue(options, 'message');
  const by = optionValue(options, 'by');
  return reportErrors(json, out, err, async () => {
    const root = findProjectRoot(process.cwd());
    // Before the change: a refused actor must not leave a change without its entry.
    const actor = resolveActor(root, by);
    const r = await withHashCache(root, err, async (cache, record) => {
      const taken = await snapshot({ root, target: positionals[0], cache, message, onProgress: options.has('progress') ? progressLines(err) : undefined });
      // An unchanged pointer file means the same snapshot as before: nothing changed to record.
      if (taken.pointerWritten) record(snapshotCreated(root, actor, taken, message));
      return taken;
    });
    if (json) out.write(`${JSON.stringify({ id: r.id, files: r.files, size: r.size, stored: r.stored })}\n`);
    else {
      out.write(`Snapshot ${r.id} of ${displayPath(r.pointerFile.slice(0, -'.snapshot'.length))}: ${r.files} file(s), ${formatBytes(r.size)}, ${r.stored} new object(s).\n`);
      out.write(r.pointerWritten ? `Wrote ${displayPath(r.pointerFile)}: commit it with git.\n` : `${displayPath(r.pointerFile)} is unchanged.\n`);
    }
    return 0;
  });
}

export async function checkoutCommand(argv: string[], out: Out, err: Out): Promise<number> {
  const { positionals, options } = parseArgs(argv, new Set(['by']));
  checkOptions(options, ['force', 'by', 'json']);
  const json = options.has('json');
  if (positionals.length !== 1) throw new UsageError(`checkout needs exactly one PATH (got ${positionals.length})`);
  const by = optionValue(options, 'by');
  return reportErrors(json, out, err, async () => {
    const root = findProjectRoot(process.cwd());
    const actor = resolveActor(root, by);
    const r = await withHashCache(root, err, async (cache, record) => {
      const restored = await checkout({ root, target: positionals[0], cache, force: options.has('force') });
      if (checkoutChanged(restored)) record(snapshotCheckedOut(root, actor, restored));
      return restored;
    });
    if (json) out.write(`${JSON.stringify({ id: r.id, path: displayPath(r.path), files: r.files, written: r.written, removed: r.removed, unchanged: r.unchanged, modesChanged: r.modesChanged })}\n`);
    else out.write(`Checked out ${r.id} into ${displayPath(r.path)}: ${r.written} file(s) written, ${r.removed} removed, ${r.unchanged} unchanged.\n`);
    return 0;
  });
}

export async function snapshotsCommand(argv: string[], out: Out, err: Out): Promise<number> {
  const [sub, ...rest] = argv;
  const { positionals, options } = parseArgs(rest, new Set());
  checkOptions(options, ['json']);
  const json = options.has('json');
  if (sub === 'list') {
    if (positionals.length) throw new UsageError('snapshots list takes no PATH');
    return reportErrors(json, out, err, async () => {
      const snapshots = listSnapshots(findProjectRoot(process.cwd()));
      if (json) out.write(`${JSON.stringify({ snapshots })}\n`);
      else if (!snapshots.length) out.write('No snapshots (no *.snapshot pointer file) in this project.\n');
      else {
        for (const s of snapshots) {
          if (s.error) out.write(`${s.pointer}  error: ${s.error}\n`);
          else out.write(`${s.path}  ${s.id!.slice(0, 19)}  ${s.files} file(s)  ${formatBytes(s.size!)}${s.cached ? '' : '  (not in the local cache)'}${s.message ? `  ${s.message}` : ''}\n`);
        }
      }
      return 0;
    });
  }
  if (sub === 'diff') {
    if (positionals.length !== 2) throw new UsageError('snapshots diff needs two snapshots A B (ids, pointer files or REV:path.snapshot)');
    return reportErrors(json, out, err, async () => {
      const d = diffSnapshotRefs(findProjectRoot(process.cwd()), positionals[0], positionals[1]);
      out.write(json ? `${JSON.stringify(d)}\n` : formatDiff(d));
      return 0;
    });
  }
  throw new UsageError(sub === undefined ? 'snapshots needs a subcommand: list or diff' : `unknown snapshots subcommand '${sub}': use list or diff`);
}

export async function statusCommand(argv: string[], out: Out, err: Out): Promise<number> {
  const { positionals, options } = parseArgs(argv, new Set());
  checkOptions(options, ['json']);
  const json = options.has('json');
  if (positionals.length) throw new UsageError('status takes no PATH: it checks every pointer file of the project');
  return reportErrors(json, out, err, async () => {
    const root = findProjectRoot(process.cwd());
    const snapshots = await withHashCache(root, err, (cache) => snapshotStatus({ root, cache }));
    out.write(json ? `${JSON.stringify({ snapshots })}\n` : formatStatus(snapshots));
    return 0;
  });
}

export async function verifyCommand(argv: string[], out: Out, err: Out): Promise<number> {
  const { positionals, options } = parseArgs(argv, new Set());
  checkOptions(options, ['progress', 'json']);
  const json = options.has('json');
  if (positionals.length) throw new UsageError('verify takes no PATH: it checks the whole cache');
  return reportErrors(json, out, err, async () => {
    const report = await verifyCache({ root: findProjectRoot(process.cwd()), onProgress: options.has('progress') ? progressLines(err) : undefined });
    out.write(json ? `${JSON.stringify(report)}\n` : formatVerify(report));
    return report.ok ? 0 : 1;
  });
}

export async function gcCommand(argv: string[], out: Out, err: Out): Promise<number> {
  const { positionals, options } = parseArgs(argv, new Set(['by']));
  checkOptions(options, ['dry-run', 'by', 'json']);
  const json = options.has('json');
  if (positionals.length) throw new UsageError('gc takes no PATH: it cleans the whole cache');
  const by = optionValue(options, 'by');
  return reportErrors(json, out, err, async () => {
    const root = findProjectRoot(process.cwd());
    const actor = resolveActor(root, by);
    const r = await withReferenceProviders(root, async (providers, record) => {
      const collected = gc({ root, dryRun: options.has('dry-run'), providers });
      if (!collected.dryRun && collected.removed + collected.temporaryFiles > 0) {
        record({
          actor, action: 'cache.gc', entity: 'cache:local',
          details: { objects: collected.removed, bytes: collected.bytes, temporaryFiles: collected.temporaryFiles, temporaryBytes: collected.temporaryBytes },
        });
      }
      return collected;
    });
    out.write(json ? `${JSON.stringify(r)}\n` : formatGc(r));
    return 0;
  });
}

export function pushCommand(argv: string[], out: Out, err: Out): Promise<number> {
  return transferCommand('push', argv, out, err);
}

export function pullCommand(argv: string[], out: Out, err: Out): Promise<number> {
  return transferCommand('pull', argv, out, err);
}

async function transferCommand(which: 'push' | 'pull', argv: string[], out: Out, err: Out): Promise<number> {
  const { positionals, options } = parseArgs(argv, new Set(['remote', 'by']));
  checkOptions(options, ['remote', 'by', 'json']);
  const json = options.has('json');
  if (positionals.length) throw new UsageError(`${which} takes no PATH: it moves the objects of every pointer file`);
  const remote = optionValue(options, 'remote');
  const by = optionValue(options, 'by');
  return reportErrors(json, out, err, async () => {
    const root = findProjectRoot(process.cwd());
    const actor = resolveActor(root, by);
    const r = await withReferenceProviders(root, async (providers, record) => {
      const moved = (which === 'push' ? push : pull)({ root, remote, providers });
      if (moved.count) record({ actor, action: `cache.${which}`, entity: `remote:${moved.remote}`, details: { objects: moved.count, bytes: moved.bytes, skipped: moved.skipped } });
      return moved;
    });
    const key = which === 'push' ? 'pushed' : 'pulled';
    if (json) out.write(`${JSON.stringify({ [key]: r.count, bytes: r.bytes, skipped: r.skipped })}\n`);
    else out.write(`${which === 'push' ? 'Pushed' : 'Pulled'} ${r.count} object(s), ${formatBytes(r.bytes)} ${which === 'push' ? 'to' : 'from'} remote '${r.remote}'; ${r.skipped} already there.\n`);
    return 0;
  });
}

/**
 * The SQLite stat cache of the project (.mlops/mlops.db), loaded lazily so that the commands that do
 * not need it (validate) never load the native module, and the audit log of the same database.
 * When it cannot be opened the command still works, reading every file, and says so, as it says
 * that its change is not in the audit log.
 */
async function withHashCache<T>(root: string, err: Out, fn: (cache: HashCache, record: AuditRecorder) => Promise<T>): Promise<T> {
  let close: (() => void) | undefined;
  let cache: HashCache;
  let record: AuditRecorder;
  try {
    const { Store } = await import('../core/store/store');
    const { StatCache } = await import('../core/store/statCache');
    const store = Store.open(root);
    close = () => store.close();
    cache = new StatCache(store);
    record = (entry) => auditAfterWrite(store, entry);
  } catch (e) {
    err.write(`mlops: warning: the stat cache is unavailable, every file will be read (${e instanceof Error ? e.message : String(e)})\n`);
    cache = new MemoryHashCache();
    record = (entry) => err.write(`mlops: warning: ${entry.action} of ${entry.entity} is not in the audit log: the database could not be opened (above)\n`);
  }
  try {
    return await fn(cache, record);
  } finally {
    close?.();
  }
}

/**
 * What keeps objects alive: the pointer files and the runs of the project's database, whose audit
 * log records what gc, push and pull change. A database that cannot be opened is an error (gc must
 * never guess its references). The store is opened only when there is a database to read runs
 * from (checked when the roots are collected, which gc does under its lock) or a change to record:
 * a dry run, or a push with nothing to send, in a project without one creates nothing.
 */
async function withReferenceProviders<T>(root: string, fn: (providers: RootProvider[], record: AuditRecorder) => Promise<T>): Promise<T> {
  const { Store } = await import('../core/store/store');
  const { runRoots } = await import('../core/runs/runRoots');
  let store: Store | undefined;
  const open = (): Store => (store ??= Store.open(root));
  const runs: RootProvider = { name: 'runs', roots: (dir) => (fs.existsSync(Store.pathFor(root)) ? runRoots(open()).roots(dir) : []) };
  try {
    return await fn([pointerFileRoots, runs], (entry) => auditAfterWrite(open(), entry));
  } finally {
    store?.close();
  }
}

/**
 * `--progress`: a line `progress DONE TOTAL` on stderr as work advances, at most every 100 ms (the
 * editor turns them into its progress notification).
 */
export function progressLines(err: Out): (done: number, total: number) => void {
  let last = 0;
  return (done, total) => {
    const now = Date.now();
    if (done < total && now - last < 100) return;
    last = now;
    err.write(`progress ${done} ${total}\n`);
  };
}

const STATE_LABELS: Record<SnapshotStatus['state'], string> = {
  unchanged: 'unchanged', modified: 'modified since its snapshot', 'data-missing': 'data missing (mlops checkout restores it)', error: 'error',
};

function formatStatus(snapshots: SnapshotStatus[]): string {
  if (!snapshots.length) return 'No snapshots (no *.snapshot pointer file) in this project.\n';
  const lines = snapshots.map((s) => `${s.path}  ${STATE_LABELS[s.state]}${s.error ? `: ${s.error}` : ''}${s.currentId ? ` (now ${s.currentId.slice(0, 19)})` : ''}`);
  const changed = snapshots.filter((s) => s.state !== 'unchanged').length;
  lines.push(changed ? `${changed} of ${snapshots.length} snapshot(s) differ from their data: run mlops snapshot PATH to record the data, or mlops checkout PATH to restore it.` : `All ${snapshots.length} snapshot(s) match their data.`);
  return `${lines.join('\n')}\n`;
}

function formatDiff(d: SnapshotDiff): string {
  const lines = [`${d.a.id} (${d.a.ref}) -> ${d.b.id} (${d.b.ref})`];
  for (const x of d.added) lines.push(`+ ${x.path} (${formatBytes(x.size)})`);
  for (const x of d.removed) lines.push(`- ${x.path} (${formatBytes(x.size)})`);
  for (const x of d.modified) lines.push(`M ${x.path} (${formatBytes(x.oldSize)} -> ${formatBytes(x.newSize)})`);
  lines.push(`${d.added.length} added, ${d.removed.length} removed, ${d.modified.length} modified, ${d.unchanged} unchanged.`);
  return `${lines.join('\n')}\n`;
}

function formatVerify(r: VerifyReport): string {
  const lines: string[] = [];
  for (const c of r.corrupt) lines.push(`corrupt: ${c.object} (${c.reason}${c.actual ? `: content hashes to ${c.actual}` : ''}${c.detail ? `: ${c.detail}` : ''})`);
  for (const m of r.missing) lines.push(`missing: ${m.sha256} (needed by ${m.referencedBy.join(', ')})`);
  for (const s of r.strays) lines.push(`stray file in the cache: ${s}`);
  lines.push(`${r.objects} object(s), ${formatBytes(r.bytes)} checked: ${r.corrupt.length} corrupt, ${r.missing.length} missing.`);
  if (r.temporaryFiles) lines.push(`${r.temporaryFiles} temporary file(s) left by interrupted snapshots in .mlops/cache/tmp/ (harmless).`);
  if (r.corrupt.length) lines.push('Corrupt objects must be removed (chmod u+w, rm) and the data snapshotted again from a good copy.');
  return `${lines.join('\n')}\n`;
}

function formatGc(r: GcReport): string {
  const verb = r.dryRun ? 'Would remove' : 'Removed';
  const lines = r.dryRun ? r.objects.map((o) => `would remove ${o}`) : [];
  lines.push(`${verb} ${r.removed} unreferenced object(s), ${formatBytes(r.bytes)}; kept ${r.kept}.`);
  if (r.temporaryFiles) lines.push(`${verb} ${r.temporaryFiles} old temporary file(s), ${formatBytes(r.temporaryBytes)}, from .mlops/cache/tmp/.`);
  return `${lines.join('\n')}\n`;
}
