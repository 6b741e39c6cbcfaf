/**
 * `mlops run STAGE`: one stage of a pipeline as a tracked run.
 *
 * 1. The pipeline must validate without errors (the same validator as the editor).
 * 2. Params: params.yaml resolved with `--set KEY=VALUE` overrides (values read as YAML scalars;
 *    the key must name an existing leaf); hashed as canonical JSON.
 * 3. Data: each `data.NAME` dep is snapshotted (or, when pinned with `snapshot:`, checked to be
 *    exactly that snapshot): the run records the ids of the bytes it saw.
 * 4. Git commit and dirty state, environment (Node, Python, OS), command with `${params.x}`
 *    substituted shell-quoted (values never become shell syntax).
 * 5. The job runs on an Executor with the training contract's environment; metric points are
 *    ingested while it runs; files it leaves in MLOPS_OUTPUT_DIR become content-addressed
 *    artifacts; it ends completed, failed (exit code) or cancelled.
 */
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as jsyaml from 'js-yaml';
import * as os from 'os';
import * as path from 'path';
import { auditAfterWrite, snapshotCreated } from '../audit/snapshotAudit';
import { canonicalJson } from '../canonicalJson';
import { HashCache } from '../snapshots/hashCache';
import { runHashJob } from '../snapshots/hashJobs';
import { ObjectStore, snapshotId } from '../snapshots/objectStore';
import { snapshot } from '../snapshots/snapshot';
import { currentContentId } from '../snapshots/status';
import { Store } from '../store/store';
import { validateFile } from '../validation/validator';
import { LineIndex } from '../yaml/lineIndex';
import { diskSource, ParseCache, paramsPathFor } from '../workspace/workspaceFiles';
import { Executor, RUN_INTERRUPTED } from './executor';
import { LocalExecutor } from './localExecutor';
import { MetricsTail } from './metricsTail';
import { Artifact, RunStatus, RunStore } from './runStore';

export class RunError extends Error {
  constructor(readonly code: 'invalid-pipeline' | 'unknown-stage' | 'unsupported-executor' | 'bad-override' | 'data-not-pinned-snapshot' | 'missing-data', message: string) {
    super(message);
    this.name = 'RunError';
  }
}

export interface RunStageOptions {
  root: string;
  store: Store;
  /** Absolute path of the pipeline file. */
  pipelineFile: string;
  stage: string;
  /** Who starts the run, as the audit log records it (resolveActor). */
  actor: string;
  /** `--set` overrides: "train.lr=0.1". */
  overrides?: string[];
  cache: HashCache;
  executor?: Executor;
  sweepId?: string;
  /** Called once the run is recorded (its id is known) and once the job has started. */
  onEvent?: (e: { type: 'created' | 'started' | 'ended'; runId: string; status?: RunStatus }) => void;
  /** Aborting cancels the job (its whole process tree). */
  signal?: AbortSignal;
  /** Skip the stage when its last completed run had exactly these inputs (as `dvc repro` does). */
  skipIfUnchanged?: boolean;
  now?: () => number;
}

export interface RunOutcome {
  /** The new run, or the earlier one that made running again unnecessary. */
  runId: string;
  stage: string;
  status: Exclude<RunStatus, 'running'>;
  exitCode: number | null;
  /** Not run: the inputs (command, params used, data snapshots, file deps) equal those of `runId`. */
  skipped: boolean;
}

interface StageSpec {
  cmd: string;
  needs?: string[];
  deps?: string[];
  params?: string[];
  env?: Record<string, string | number | boolean>;
  executor?: string;
}

export interface PipelineDoc {
  name: string;
  params?: string;
  data?: Record<string, { path: string; snapshot?: string }>;
  stages: Record<string, StageSpec>;
}

export async function runStage(opts: RunStageOptions): Promise<RunOutcome> {
  const now = opts.now ?? Date.now;
  const root = path.resolve(opts.root);
  const pipeline = loadPipeline(opts.pipelineFile, root);
  const stage = pipeline.stages[opts.stage];
  if (!stage) throw new RunError('unknown-stage', `${rel(root, opts.pipelineFile)} has no stage '${opts.stage}'. Its stages: ${Object.keys(pipeline.stages).join(', ')}.`);
  const executorKind = stage.executor ?? 'local';
  if (!opts.executor && executorKind !== 'local') {
    throw new RunError('unsupported-executor', `Stage '${opts.stage}' runs with executor: ${executorKind}, which this version cannot run yet (only local). Set executor: local to run it on this machine.`);
  }
  const paramsFile = paramsPathFor(opts.pipelineFile, pipeline.params, { source: diskSource, cache: new ParseCache(), roots: [root] });
  const params = applyOverrides(loadParams(paramsFile), opts.overrides ?? []);
  const paramsHash = sha256(canonicalJson(params));
  const dir = path.dirname(opts.pipelineFile);

  const data: Record<string, string> = {};
  const dataPaths: Record<string, string> = {};
  for (const dep of stage.deps ?? []) {
    if (!dep.startsWith('data.')) continue;
    const name = dep.slice(5);
    const entry = pipeline.data?.[name];
    if (!entry) continue; // the validator reports unknown datasets
    const abs = path.resolve(dir, entry.path);
    if (!fs.existsSync(abs)) throw new RunError('missing-data', `Dataset '${name}' (${rel(root, abs)}) does not exist. Run the stage that writes it, or \`mlops checkout ${rel(root, abs)}\`.`);
    dataPaths[name] = abs;
    if (entry.snapshot) {
      const current = await currentContentId(root, abs, opts.cache);
      if (`sha256:${current}` !== entry.snapshot) {
        throw new RunError('data-not-pinned-snapshot', `Dataset '${name}' is pinned to ${entry.snapshot.slice(0, 19)}… but ${rel(root, abs)} now holds ${snapshotId(current).slice(0, 19)}…. Restore it with \`mlops checkout ${rel(root, abs)}\`, or pin the new snapshot.`);
      }
      data[name] = entry.snapshot;
    } else {
      const taken = await snapshot({ root, target: abs, cwd: root, cache: opts.cache });
      if (taken.pointerWritten) auditAfterWrite(opts.store, snapshotCreated(root, opts.actor, taken));
      data[name] = taken.id;
    }
  }

  const command = substituteParams(stage.cmd, params);
  const usedParams = Object.fromEntries((stage.params ?? []).map((k) => [k, leafAt(params, k)]));
  const fileDeps = Object.fromEntries((stage.deps ?? []).filter((d) => !d.startsWith('data.')).map((d) => [d, fileHashOrMissing(path.resolve(dir, d))]));
  const inputsHash = sha256(canonicalJson({ command, params: usedParams, data, files: fileDeps }));
  const runs = new RunStore(opts.store);
  if (opts.skipIfUnchanged) {
    const previous = runs.lastCompletedWithInputs(rel(root, opts.pipelineFile), opts.stage, inputsHash);
    if (previous) return { runId: previous.id, stage: opts.stage, status: 'completed', exitCode: previous.exitCode ?? 0, skipped: true };
  }
  const git = gitState(root);

  const runId = newId();
  const runDir = path.join(root, '.mlops', 'runs', runId);
  const outputDir = path.join(runDir, 'output');
  fs.mkdirSync(outputDir, { recursive: true });
  const paramsJson = path.join(runDir, 'params.json');
  fs.writeFileSync(paramsJson, `${JSON.stringify(params, null, 2)}\n`);
  const metricsFile = path.join(runDir, 'metrics.jsonl');
  const logFile = path.join(runDir, 'log.txt');
  const executor = opts.executor ?? new LocalExecutor();
  runs.create({
    id: runId, pipeline: pipeline.name, pipelineFile: rel(root, opts.pipelineFile), stage: opts.stage, sweepId: opts.sweepId, startedAt: now(),
    gitCommit: git.commit, gitDirty: git.dirty, paramsHash, params, data, environment: environmentOf(executor.kind), command, inputsHash,
    executor: executor.kind, host: os.hostname(), pid: process.pid,
  }, opts.actor);
  opts.onEvent?.({ type: 'created', runId });

  const env: Record<string, string> = {
    ...Object.fromEntries(Object.entries(stage.env ?? {}).map(([k, v]) => [k, String(v)])),
    MLOPS_RUN_ID: runId,
    MLOPS_PARAMS: paramsJson,
    MLOPS_OUTPUT_DIR: outputDir,
    MLOPS_METRICS: metricsFile,
    ...Object.fromEntries(Object.entries(dataPaths).map(([name, p]) => [`MLOPS_DATA_${name.toUpperCase()}`, p])),
  };
  const tail = new MetricsTail({
    file: metricsFile,
    onPoints: (points) => runs.appendMetrics(runId, points),
    onBadLine: (line, text, reason) => fs.appendFileSync(logFile, `[mlops] ${path.basename(metricsFile)}:${line}: ignored (${reason}): ${text.slice(0, 200)}\n`),
  });
  let status: Exclude<RunStatus, 'running'>;
  let exitCode: number | null = null;
  try {
    const job = await executor.start({ runId, command, cwd: dir, env, logFile });
    runs.setJobPid(runId, job.pid);
    tail.start();
    opts.onEvent?.({ type: 'started', runId });
    const cancel = (): void => job.cancel();
    opts.signal?.addEventListener('abort', cancel, { once: true });
    const exit = await job.done;
    opts.signal?.removeEventListener('abort', cancel);
    await tail.stop();
    exitCode = exit.exitCode;
    const interrupted = exit.cancelled && opts.signal?.reason === RUN_INTERRUPTED;
    if (interrupted) fs.appendFileSync(logFile, '[mlops] interrupted: the process that started this run went away (the editor closed, or its language server stopped)\n');
    status = interrupted ? 'interrupted' : exit.cancelled ? 'cancelled' : exit.exitCode === 0 ? 'completed' : 'failed';
    runs.addArtifacts(runId, storeArtifacts(root, outputDir));
  } catch (err) {
    await tail.stop();
    fs.appendFileSync(logFile, `[mlops] the job could not run: ${err instanceof Error ? err.message : String(err)}\n`);
    status = 'failed';
  }
  // A run cancelled from elsewhere (`mlops runs cancel`) is already ended: finish keeps that.
  if (!runs.finish(runId, status, exitCode, now(), opts.actor)) status = runs.get(runId)?.status as Exclude<RunStatus, 'running'>;
  opts.onEvent?.({ type: 'ended', runId, status });
  return { runId, stage: opts.stage, status, exitCode, skipped: false };
}

/**
 * Every stage of the pipeline in `needs` order (file order among independent stages). Stages whose
 * inputs are unchanged since their last completed run are skipped unless `force`; the first stage
 * that does not complete stops the pipeline (the stages after it are not run).
 */
export async function runPipeline(opts: Omit<RunStageOptions, 'stage' | 'skipIfUnchanged'> & { force?: boolean }): Promise<RunOutcome[]> {
  const pipeline = loadPipeline(opts.pipelineFile, path.resolve(opts.root));
  const outcomes: RunOutcome[] = [];
  for (const stage of stageOrder(pipeline.stages)) {
    const outcome = await runStage({ ...opts, stage, skipIfUnchanged: !opts.force });
    outcomes.push(outcome);
    if (outcome.status !== 'completed' || opts.signal?.aborted) break;
  }
  return outcomes;
}

/** Kahn's algorithm, taking ready stages in file order (the validator has refused cycles). */
export function stageOrder(stages: Record<string, { needs?: string[] }>): string[] {
  const names = Object.keys(stages);
  const done = new Set<string>();
  const order: string[] = [];
  while (order.length < names.length) {
    const ready = names.find((n) => !done.has(n) && (stages[n].needs ?? []).every((d) => done.has(d) || !(d in stages)));
    if (!ready) throw new RunError('invalid-pipeline', `The stages ${names.filter((n) => !done.has(n)).join(', ')} depend on each other in a cycle.`);
    done.add(ready);
    order.push(ready);
  }
  return order;
}

export function loadPipeline(file: string, root: string): PipelineDoc {
  const text = fs.readFileSync(file, 'utf8');
  const result = validateFile(file, text, { source: diskSource, cache: new ParseCache(), roots: [root] });
  const errors = (result?.problems ?? []).filter((p) => p.severity === 'error');
  if (!result || errors.length) {
    const lines = new LineIndex(text);
    const shown = errors.slice(0, 3).map((p) => `${rel(root, file)}:${lines.positionAt(p.start).line + 1}: ${p.message}`);
    throw new RunError('invalid-pipeline', `${shown.join('\n')}${errors.length > 3 ? `\n(and ${errors.length - 3} more)` : ''}\nFix the pipeline (mlops validate shows every problem) and run again.`);
  }
  return jsyaml.load(text) as PipelineDoc;
}

function loadParams(file: string): Record<string, unknown> {
  if (!fs.existsSync(file)) return {};
  const doc = (jsyaml.load(fs.readFileSync(file, 'utf8')) ?? {}) as Record<string, unknown>;
  const { search: _searchSpace, ...params } = doc; // the search space is not a parameter
  void _searchSpace;
  return params;
}

/** `train.lr=0.1`: the value is read as a YAML scalar (0.1 a number, true a boolean, [a, b] a list). */
export function applyOverrides(params: Record<string, unknown>, overrides: readonly string[]): Record<string, unknown> {
  const out = structuredClone(params);
  for (const o of overrides) {
    const eq = o.indexOf('=');
    if (eq <= 0) throw new RunError('bad-override', `--set ${o}: expected KEY=VALUE, e.g. --set train.lr=0.1.`);
    const key = o.slice(0, eq);
    const parts = key.split('.');
    let node: Record<string, unknown> = out;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) throw new RunError('bad-override', `--set ${key}: params.yaml has no group '${parts.slice(0, parts.indexOf(part) + 1).join('.')}'.`);
      node = next as Record<string, unknown>;
    }
    const last = parts[parts.length - 1];
    if (!(last in node)) throw new RunError('bad-override', `--set ${key}: params.yaml has no parameter '${key}'${Object.keys(node).length ? ` (here: ${Object.keys(node).join(', ')})` : ''}.`);
    let value: unknown;
    try {
      value = jsyaml.load(o.slice(eq + 1));
    } catch {
      value = o.slice(eq + 1);
    }
    node[last] = value ?? o.slice(eq + 1);
  }
  return out;
}

function leafAt(params: Record<string, unknown>, key: string): unknown {
  let node: unknown = params;
  for (const part of key.split('.')) node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[part] : undefined;
  return node;
}

/** `${params.a.b}` becomes the value, single-quoted for /bin/sh: a value can never become shell syntax. */
export function substituteParams(cmd: string, params: Record<string, unknown>): string {
  return cmd.replace(/\$\{\s*params\.([^}\s]*)\s*\}/g, (_m, key: string) => {
    const v = leafAt(params, key);
    return shellQuote(typeof v === 'string' ? v : JSON.stringify(v));
  });
}

export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function sha256(text: string): string {
  return crypto.createHash('sha256').update(text, 'utf8').digest('hex');
}

function fileHashOrMissing(file: string): string {
  try {
    return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  } catch {
    return 'missing';
  }
}

export function gitState(root: string): { commit?: string; dirty?: boolean } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
    return { commit, dirty };
  } catch {
    return {}; // not a git repository (or no commit yet): the run says so by having no commit
  }
}

function environmentOf(executor: string): Record<string, string> {
  const env: Record<string, string> = { executor, node: process.version, os: `${os.platform()} ${os.release()}`, arch: os.arch() };
  try {
    env.python = execFileSync('python3', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().replace(/^Python /, '');
  } catch {
    // no Python here: nothing to record
  }
  return env;
}

/** Every file the job left in its output folder, stored as an object. */
function storeArtifacts(root: string, outputDir: string): Artifact[] {
  const store = new ObjectStore(root);
  const artifacts: Artifact[] = [];
  const files = fs.readdirSync(outputDir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile());
  if (!files.length) return artifacts;
  store.prepareForWriting();
  for (const d of files) {
    const abs = path.join(d.parentPath, d.name);
    const size = fs.statSync(abs).size;
    const tmp = store.newTempPath();
    const r = runHashJob({ op: 'store', file: abs, size, tmp });
    if (!r.ok) throw new Error(`Cannot store the artifact ${abs}: ${r.message}`);
    store.commitTemp(tmp, r.sha256);
    artifacts.push({ path: path.relative(outputDir, abs).split(path.sep).join('/'), sha256: r.sha256, size: r.size });
  }
  store.syncDirs();
  return artifacts.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/**
 * Run and sweep ids: 12 random hex, so that the 8 the views show are unique in practice, as git's
 * short hashes are (time-ordered ids shared their first 8 hex with every run of the same second).
 * Listings order runs by their start time, not by id.
 */
export function newId(): string {
  return crypto.randomBytes(6).toString('hex');
}

function rel(root: string, p: string): string {
  return path.relative(root, p).split(path.sep).join('/') || '.';
}
