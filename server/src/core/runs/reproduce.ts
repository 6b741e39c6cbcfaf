/**
 * `mlops reproduce ID`: run a recorded run again from its four ingredients and say whether it gave
 * the same bytes.
 *
 * 1. Git: the current commit and dirty state against the recorded ones. A difference is a warning,
 *    not a refusal (the user may want to see whether another commit still reproduces).
 * 2. Data: each dataset the run recorded whose path now holds other content is restored to the
 *    recorded snapshot with `checkout`, which restores what the pointer file names: when the pointer
 *    names another snapshot, it is first rewritten for the recorded one (size, files and type from
 *    the manifest; the executable bits a pointer may list are not recorded by runs, so restored
 *    files are not executable), and the output says so. Checkout never discards changes that are in
 *    no snapshot: then the data is not restorable, the pointer file is put back, nothing is rerun.
 * 3. The stage runs again as a new run with the recorded params as overrides.
 * 4. Each artifact of the original run is compared (same path, same SHA-256) with the new run's;
 *    any other ingredient that differs (params, command, data, environment) is a warning.
 */
import * as fs from 'fs';
import * as path from 'path';
import { auditAfterWrite, snapshotCheckedOut } from '../audit/snapshotAudit';
import { checkout, CheckoutResult } from '../snapshots/checkout';
import { SnapshotError } from '../snapshots/errors';
import { HashCache } from '../snapshots/hashCache';
import { ObjectStore } from '../snapshots/objectStore';
import { formatPointer, parsePointer, pointerPathFor, PointerFile, writePointer } from '../snapshots/pointerFile';
import { snapshotEntries, snapshotType } from '../snapshots/resolve';
import { currentContentId } from '../snapshots/status';
import { Store } from '../store/store';
import { gitState, loadPipeline, PipelineDoc, runStage, RunStageOptions } from './runStage';
import { RunRecord, RunStatus, RunStore } from './runStore';

export class ReproduceError extends Error {
  constructor(readonly code: 'unknown-run' | 'run-running' | 'missing-pipeline' | 'unknown-stage' | 'unknown-dataset' | 'pinned-elsewhere' | 'data-not-restorable', message: string) {
    super(message);
    this.name = 'ReproduceError';
  }
}

export interface ReproduceOptions {
  root: string;
  store: Store;
  /** The run to reproduce (a unique id prefix will do). */
  runId: string;
  /** Who reproduces it: the audit log records the data restored and the new run as theirs. */
  actor: string;
  cache: HashCache;
  signal?: AbortSignal;
  onEvent?: RunStageOptions['onEvent'];
  now?: () => number;
}

export interface DatasetCheck {
  name: string;
  /** Relative to the project root, POSIX separators. */
  path: string;
  /** The snapshot id the run recorded. */
  snapshot: string;
  /** The data held something else and was checked out from the cache. */
  restored: boolean;
  /** Its pointer file named another snapshot and was rewritten for this one. */
  pointerWritten: boolean;
}

export interface ArtifactCheck {
  path: string;
  sha256: string;
  /** The new run's artifact at the same path, null when it made none there. */
  reproducedSha256: string | null;
  identical: boolean;
}

export interface ReproduceReport {
  original: string;
  run: string;
  status: Exclude<RunStatus, 'running'>;
  /** Same commit as recorded, and neither tree had uncommitted changes. */
  gitMatches: boolean;
  warnings: string[];
  data: DatasetCheck[];
  artifacts: ArtifactCheck[];
  /** The rerun completed and every artifact is bit-identical. */
  reproduced: boolean;
}

export async function reproduce(opts: ReproduceOptions): Promise<ReproduceReport> {
  const root = path.resolve(opts.root);
  const runs = new RunStore(opts.store);
  const original = runs.get(opts.runId);
  if (!original) throw new ReproduceError('unknown-run', `No run '${opts.runId}' in this project (mlops runs list shows them; a short id must be unique).`);
  if (original.status === 'running') throw new ReproduceError('run-running', `Run ${original.id} is still running: reproduce it once it has ended (or cancel it: mlops runs cancel ${original.id}).`);
  const pipelineFile = path.join(root, ...original.pipelineFile.split('/'));
  if (!fs.existsSync(pipelineFile)) {
    throw new ReproduceError('missing-pipeline', `${original.pipelineFile}, the pipeline of run ${original.id}, does not exist any more.${original.gitCommit ? ` Check out the run's commit (git checkout ${original.gitCommit.slice(0, 12)}) and reproduce again.` : ''}`);
  }
  const pipeline = loadPipeline(pipelineFile, root);
  if (!pipeline.stages[original.stage]) throw new ReproduceError('unknown-stage', `${original.pipelineFile} has no stage '${original.stage}' any more (run ${original.id} ran it). Its stages: ${Object.keys(pipeline.stages).join(', ')}.`);

  const warnings: string[] = [];
  if (original.status !== 'completed') warnings.push(`Run ${original.id} ended ${original.status}: its artifacts may be incomplete.`);
  const gitMatches = compareGit(root, original, warnings);
  const data = await restoreData(root, pipelineFile, pipeline, original, opts, warnings);

  const outcome = await runStage({
    root, store: opts.store, pipelineFile, stage: original.stage, actor: opts.actor, overrides: paramOverrides(original.params), cache: opts.cache,
    signal: opts.signal, onEvent: opts.onEvent, now: opts.now,
  });
  const rerun = runs.get(outcome.runId)!;
  compareIngredients(original, rerun, warnings);

  const produced = new Map(rerun.artifacts.map((a) => [a.path, a.sha256]));
  const artifacts = original.artifacts.map((a) => {
    const reproducedSha256 = produced.get(a.path) ?? null;
    return { path: a.path, sha256: a.sha256, reproducedSha256, identical: reproducedSha256 === a.sha256 };
  });
  const extra = rerun.artifacts.filter((a) => !original.artifacts.some((o) => o.path === a.path)).map((a) => a.path);
  if (extra.length) warnings.push(`The rerun produced artifacts the original run did not: ${extra.join(', ')}.`);
  return {
    original: original.id, run: rerun.id, status: outcome.status, gitMatches, warnings, data, artifacts,
    reproduced: outcome.status === 'completed' && artifacts.every((a) => a.identical),
  };
}

/** Recorded params as `key=value` overrides, values as JSON (which YAML reads back exactly). */
export function paramOverrides(params: Record<string, unknown>): string[] {
  // A null leaf is left out: an override `k=null` would be read back as the string "null". When
  // params.yaml no longer has it null, the params hash differs and that is reported.
  return Object.entries(leaves(params)).filter(([, v]) => v !== null).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
}

function leaves(v: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) leaves(x, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) out[prefix] = v;
  return out;
}

function compareGit(root: string, original: RunRecord, warnings: string[]): boolean {
  const now = gitState(root);
  const short = (c: string): string => c.slice(0, 12);
  if (!original.gitCommit) warnings.push(`Run ${original.id} recorded no git commit (the project was not a git repository with a commit then): the code it ran cannot be checked.`);
  else if (!now.commit) warnings.push(`The run was made at commit ${short(original.gitCommit)}, but ${root} is not a git repository with a commit now: the code cannot be compared.`);
  else if (now.commit !== original.gitCommit) warnings.push(`The run was made at commit ${short(original.gitCommit)}; HEAD is now ${short(now.commit)}: the code may differ (git checkout ${short(original.gitCommit)} runs exactly its code).`);
  if (original.gitDirty) warnings.push(`The run was made with uncommitted changes: the exact code it ran is not in git.`);
  if (now.dirty) warnings.push(`The working tree has uncommitted changes (git status): the rerun may not run the code of the run.`);
  return original.gitCommit !== undefined && now.commit === original.gitCommit && original.gitDirty === false && now.dirty === false;
}

async function restoreData(root: string, pipelineFile: string, pipeline: PipelineDoc, original: RunRecord, opts: ReproduceOptions, warnings: string[]): Promise<DatasetCheck[]> {
  const pipelineShown = original.pipelineFile;
  const datasets = Object.entries(original.data).map(([name, snapshot]) => {
    const entry = pipeline.data?.[name];
    if (!entry) throw new ReproduceError('unknown-dataset', `Run ${original.id} used the dataset '${name}', which ${pipelineShown} no longer defines. Add it back to data: (or check out the run's commit) and reproduce again.`);
    if (entry.snapshot && entry.snapshot !== snapshot) {
      throw new ReproduceError('pinned-elsewhere', `${pipelineShown} pins the dataset '${name}' to ${entry.snapshot.slice(0, 19)}…, but run ${original.id} used ${snapshot.slice(0, 19)}…: the stage would refuse the run's data. Pin ${snapshot} (or check out the run's commit) and reproduce again.`);
    }
    const abs = path.resolve(path.dirname(pipelineFile), entry.path);
    return { name, snapshot, abs, shown: path.relative(root, abs).split(path.sep).join('/') };
  });
  const checks: DatasetCheck[] = [];
  for (const d of datasets) {
    const current = fs.existsSync(d.abs) ? `sha256:${await currentContentId(root, d.abs, opts.cache)}` : undefined;
    if (current === d.snapshot) {
      checks.push({ name: d.name, path: d.shown, snapshot: d.snapshot, restored: false, pointerWritten: false });
      continue;
    }
    const pointer = await checkoutSnapshot(root, d, opts.cache, original.id);
    const rewritten = pointer.written ? `; its pointer file ${pointer.previous ? `named ${pointer.previous}` : 'was missing or unreadable'} and was rewritten` : '';
    auditAfterWrite(opts.store, snapshotCheckedOut(root, opts.actor, pointer.checkout, `restored to reproduce run ${original.id}${rewritten}`));
    checks.push({ name: d.name, path: d.shown, snapshot: d.snapshot, restored: true, pointerWritten: pointer.written });
    const was = current ? `held ${current.slice(0, 19)}…` : 'was missing';
    const before = pointer.previous ? `named ${pointer.previous.slice(0, 19)}…` : 'was missing or unreadable';
    warnings.push(`Dataset '${d.name}' (${d.shown}) ${was}: restored the run's snapshot ${d.snapshot.slice(0, 19)}… before the rerun.${pointer.written
      ? ` Its pointer file ${d.shown}.snapshot ${before} and now names the run's snapshot: commit it, or go back with git checkout ${d.shown}.snapshot && mlops checkout ${d.shown}.`
      : ''}`);
  }
  return checks;
}

/**
 * Checks out `d.snapshot` into `d.abs`, first pointing its pointer file at it when it names another
 * snapshot (`previous`, undefined when there was no readable pointer); `checkout` is what the checkout did.
 */
async function checkoutSnapshot(root: string, d: { name: string; snapshot: string; abs: string; shown: string }, cache: HashCache, runId: string): Promise<{ written: boolean; previous?: string; checkout: CheckoutResult }> {
  const store = new ObjectStore(root);
  const sha256 = d.snapshot.replace(/^sha256:/, '');
  const notRestorable = (why: string): ReproduceError => new ReproduceError('data-not-restorable', `Cannot restore the dataset '${d.name}' (${d.shown}) to ${d.snapshot.slice(0, 19)}…, the snapshot run ${runId} used: ${why}`);
  let pointer: PointerFile;
  try {
    const type = snapshotType(store, sha256);
    const entries = snapshotEntries(store, sha256, type, path.basename(d.abs));
    const missing = entries.filter((e) => !store.has(e.sha256));
    if (missing.length) throw notRestorable(`${missing.length} of its ${entries.length} file object(s) are not in the local cache (mlops pull fetches them from a remote). Nothing was changed.`);
    pointer = { sha256, size: entries.reduce((s, e) => s + e.size, 0), files: entries.length, type };
  } catch (err) {
    if (err instanceof SnapshotError && err.code === 'missing-object') throw notRestorable('it is not in the local cache (mlops pull fetches it from a remote). Nothing was changed.');
    throw err;
  }

  const pointerFile = pointerPathFor(d.abs);
  const before = fs.existsSync(pointerFile) ? fs.readFileSync(pointerFile, 'utf8') : undefined;
  let named: string | undefined;
  try {
    named = before === undefined ? undefined : parsePointer(before, pointerFile).sha256;
  } catch {
    named = undefined; // an unreadable pointer is rewritten (and put back if checkout fails)
  }
  const rewrite = named !== sha256;
  if (rewrite) writePointer(pointerFile, formatPointer(pointer, path.basename(d.abs)));
  let restored: CheckoutResult;
  try {
    restored = await checkout({ root, target: d.abs, cwd: root, cache });
  } catch (err) {
    if (rewrite) {
      if (before === undefined) fs.rmSync(pointerFile, { force: true });
      else writePointer(pointerFile, before);
    }
    if (err instanceof SnapshotError && err.code === 'local-changes') {
      throw notRestorable(`it holds changes that are in no snapshot, which checking out would lose. Snapshot them first (mlops snapshot ${d.shown}) and reproduce again. Nothing was changed.`);
    }
    throw err;
  }
  return { written: rewrite, previous: named && `sha256:${named}`, checkout: restored };
}

/** Params, command, data and environment of the rerun against the run's: each difference is a warning. */
function compareIngredients(original: RunRecord, rerun: RunRecord, warnings: string[]): void {
  if (rerun.paramsHash !== original.paramsHash) {
    const was = leaves(original.params);
    const now = leaves(rerun.params);
    const differing = [...new Set([...Object.keys(was), ...Object.keys(now)])].sort()
      .filter((k) => JSON.stringify(was[k]) !== JSON.stringify(now[k]))
      .map((k) => `${k} ${k in was ? JSON.stringify(was[k]) : '(not in the run)'} -> ${k in now ? JSON.stringify(now[k]) : '(not in params.yaml now)'}`);
    warnings.push(`The rerun's params differ from the run's (params.yaml changed): ${differing.join(', ')}.`);
  }
  if (rerun.command !== original.command) warnings.push(`The stage's command changed since the run: it was \`${original.command}\`, it is now \`${rerun.command}\`.`);
  const dataNames = [...new Set([...Object.keys(original.data), ...Object.keys(rerun.data)])].sort();
  const dataDiffs = dataNames.filter((n) => original.data[n] !== rerun.data[n]);
  if (dataDiffs.length) warnings.push(`The rerun used other data than the run (the stage's deps changed): ${dataDiffs.map((n) => `${n} ${original.data[n]?.slice(0, 19) ?? '(none)'} -> ${rerun.data[n]?.slice(0, 19) ?? '(none)'}`).join(', ')}.`);
  const envKeys = [...new Set([...Object.keys(original.environment), ...Object.keys(rerun.environment)])].sort();
  const envDiffs = envKeys.filter((k) => original.environment[k] !== rerun.environment[k]);
  if (envDiffs.length) warnings.push(`The environment differs from the run's: ${envDiffs.map((k) => `${k} ${original.environment[k] ?? '(none)'} -> ${rerun.environment[k] ?? '(none)'}`).join(', ')}.`);
}
