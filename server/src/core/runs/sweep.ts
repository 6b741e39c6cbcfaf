/**
 * `mlops sweep`: the search space of params.yaml (PRODUCT.md, params.yaml `search`) run as trials of
 * one stage, grouped under one sweep id.
 *
 * - grid: the cartesian product of every dimension's points (its `values`, or `steps` points evenly
 *   spaced over min..max, log-spaced when `log`), the last key varying fastest; `trials` is ignored.
 * - random: `trials` draws, each dimension in key order from a PRNG seeded with the seed, so the
 *   same seed and space give the same trials again; a range is uniform (log-uniform when `log`),
 *   and a whole-number parameter (an int literal in params.yaml) only takes whole values.
 * - Each trial is runStage with the trial's values as `--set` overrides, JSON-encoded so that the
 *   YAML reading of overrides gives back exactly the value drawn.
 * - The best trial is the completed one whose last value of `search.metric` is the lowest
 *   (minimize) or highest (maximize); ties go to the earlier trial.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as jsyaml from 'js-yaml';
import * as path from 'path';
import { HashCache } from '../snapshots/hashCache';
import { Store } from '../store/store';
import { paramsIndex } from '../validation/paramsIndex';
import { validateFile } from '../validation/validator';
import { LineIndex } from '../yaml/lineIndex';
import { diskSource, ParseCache, paramsPathFor, WorkspaceContext } from '../workspace/workspaceFiles';
import { RunStatus, RunStore } from './runStore';
import { loadPipeline, newId, PipelineDoc, runStage } from './runStage';

export class SweepError extends Error {
  constructor(readonly code: 'no-search' | 'invalid-params' | 'no-stage-for-metric' | 'unknown-stage' | 'bad-parallel', message: string) {
    super(message);
    this.name = 'SweepError';
  }
}

/** One dimension of the space, as params.yaml writes it under `search.space`. */
export interface SearchDimension {
  values?: readonly unknown[];
  min?: number;
  max?: number;
  log?: boolean;
  /** Grid points over min..max. */
  steps?: number;
  /** The parameter is a whole number in params.yaml: only whole values are tried. */
  int?: boolean;
}

export interface SearchSpec {
  method: 'grid' | 'random';
  trials?: number;
  seed?: number;
  metric: string;
  goal: 'minimize' | 'maximize';
  /** Dotted parameter key -> dimension, in file order. */
  space: Record<string, SearchDimension>;
}

/** A trial's values: dotted parameter key -> value. */
export type TrialParams = Record<string, unknown>;

/** Every trial of the search, in the order they are run. `seed` is used by random search only. */
export function expandSpace(spec: Pick<SearchSpec, 'method' | 'trials' | 'space'>, seed: number): TrialParams[] {
  const keys = Object.keys(spec.space);
  if (spec.method === 'grid') {
    let trials: TrialParams[] = [{}];
    for (const key of keys) {
      const points = gridPoints(key, spec.space[key]);
      trials = trials.flatMap((t) => points.map((p) => ({ ...t, [key]: p })));
    }
    return trials;
  }
  const next = mulberry32(seed);
  return Array.from({ length: spec.trials ?? 0 }, () => Object.fromEntries(keys.map((key) => [key, draw(key, spec.space[key], next)])));
}

function gridPoints(key: string, dim: SearchDimension): unknown[] {
  if (dim.values) return [...dim.values];
  const { min, max, steps } = rangeOf(key, dim);
  if (steps === undefined || steps < 1) throw new SweepError('invalid-params', `search.space.${key}: a grid search over min..max needs 'steps' (the number of points, at least 1).`);
  const at = (i: number): number => {
    if (steps === 1 || i === 0) return min;
    if (i === steps - 1) return max; // exactly max, whatever the rounding on the way
    const t = i / (steps - 1);
    const x = dim.log ? Math.exp(Math.log(min) + t * (Math.log(max) - Math.log(min))) : min + t * (max - min);
    return Number(x.toPrecision(12)); // 0.001, not 0.0009999999999999998
  };
  const points = Array.from({ length: steps }, (_, i) => (dim.int ? Math.round(at(i)) : at(i)));
  return [...new Set(points)]; // a whole-number range with more steps than integers repeats some
}

function draw(key: string, dim: SearchDimension, next: () => number): unknown {
  if (dim.values) return dim.values[Math.floor(next() * dim.values.length)];
  const { min, max } = rangeOf(key, dim);
  if (dim.int) {
    const lo = Math.ceil(min);
    const hi = Math.floor(max);
    // Log scale over [lo, hi + 1) then floor: each whole k has the weight of ln((k+1)/k).
    const x = dim.log ? Math.floor(Math.exp(Math.log(lo) + next() * (Math.log(hi + 1) - Math.log(lo)))) : lo + Math.floor(next() * (hi - lo + 1));
    return Math.min(hi, Math.max(lo, x));
  }
  const x = dim.log ? Math.exp(Math.log(min) + next() * (Math.log(max) - Math.log(min))) : min + next() * (max - min);
  return Math.min(max, Math.max(min, x)); // exp(log(max)) may land a hair above max
}

function rangeOf(key: string, dim: SearchDimension): { min: number; max: number; steps?: number } {
  const { min, max } = dim;
  if (min === undefined || max === undefined || !(min < max)) throw new SweepError('invalid-params', `search.space.${key}: give 'values', or 'min' below 'max'.`);
  if (dim.log && min <= 0) throw new SweepError('invalid-params', `search.space.${key}: a log-scale range needs min > 0.`);
  return { min, max, steps: dim.steps };
}

/** A small, well-mixed 32-bit PRNG (mulberry32): numbers in [0, 1), the same sequence for a seed. */
function mulberry32(seed: number): () => number {
  let a = Number(BigInt.asUintN(32, BigInt(Math.trunc(seed))));
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `key=value` overrides for runStage: JSON is YAML, so the override reads back as exactly this value. */
export function trialOverrides(params: TrialParams): string[] {
  return Object.entries(params).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
}

/** The search block of a pipeline's params file, checked by the validator; whole-number dimensions marked. */
export function readSearch(pipelineFile: string, pipeline: PipelineDoc, root: string): { spec: SearchSpec; paramsFile: string } {
  const ctx: WorkspaceContext = { source: diskSource, cache: new ParseCache(), roots: [root] };
  const paramsFile = paramsPathFor(pipelineFile, pipeline.params, ctx);
  const shown = path.relative(root, paramsFile).split(path.sep).join('/');
  if (!fs.existsSync(paramsFile)) throw new SweepError('no-search', `${shown} does not exist: a sweep needs its 'search' block (method, trials, metric, goal, space).`);
  const text = fs.readFileSync(paramsFile, 'utf8');
  const result = validateFile(paramsFile, text, ctx);
  const errors = (result?.problems ?? []).filter((p) => p.severity === 'error');
  if (errors.length) {
    const lines = new LineIndex(text);
    const located = errors.slice(0, 3).map((p) => `${shown}:${lines.positionAt(p.start).line + 1}: ${p.message}`);
    throw new SweepError('invalid-params', `${located.join('\n')}${errors.length > 3 ? `\n(and ${errors.length - 3} more)` : ''}\nFix the params file (mlops validate shows every problem) and sweep again.`);
  }
  let doc: unknown;
  try {
    doc = jsyaml.load(text);
  } catch (err) {
    throw new SweepError('invalid-params', `${shown} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const search = (doc as { search?: Record<string, unknown> } | null)?.search;
  if (typeof search !== 'object' || search === null) {
    throw new SweepError('no-search', `${shown} has no 'search' block. Add one, e.g.\nsearch:\n  method: grid\n  metric: val_loss\n  goal: minimize\n  space:\n    train.lr: { values: [0.1, 0.01, 0.001] }`);
  }
  if (typeof search.metric !== 'string' || typeof search.space !== 'object' || search.space === null) {
    throw new SweepError('invalid-params', `${shown}: 'search' needs 'metric' (the metric to optimise) and 'space' (the parameters to vary).`);
  }
  const index = paramsIndex(ctx.cache.parse(paramsFile, text));
  const rawSpace = search.space as Record<string, SearchDimension>;
  const space = Object.fromEntries(Object.entries(rawSpace).map(([k, d]) => [k, { ...d, int: index.entries.get(k)?.type === 'int' }]));
  const spec: SearchSpec = {
    method: search.method === 'grid' ? 'grid' : 'random',
    trials: typeof search.trials === 'number' ? search.trials : undefined,
    seed: typeof search.seed === 'number' ? search.seed : undefined,
    metric: search.metric,
    goal: search.goal === 'maximize' ? 'maximize' : 'minimize',
    space,
  };
  return { spec, paramsFile };
}

/** The stage named, else the one stage that declares the metric among its `metrics`. */
export function sweepStage(pipeline: PipelineDoc, pipelineShown: string, metric: string, stage?: string): string {
  const stages = pipeline.stages as Record<string, { metrics?: string[] }>;
  if (stage !== undefined) {
    if (!(stage in stages)) throw new SweepError('unknown-stage', `${pipelineShown} has no stage '${stage}'. Its stages: ${Object.keys(stages).join(', ')}.`);
    return stage;
  }
  const reporting = Object.keys(stages).filter((s) => stages[s].metrics?.includes(metric));
  if (reporting.length === 1) return reporting[0];
  throw new SweepError('no-stage-for-metric', reporting.length
    ? `Stages ${reporting.join(' and ')} all report '${metric}': choose the one to sweep with --stage.`
    : `No stage of ${pipelineShown} lists the search metric '${metric}' among its metrics: name the stage to sweep with --stage (and add ${metric} to its metrics).`);
}

export type TrialStatus = Exclude<RunStatus, 'running'> | 'not-started';

export interface TrialResult {
  /** Null for a trial the sweep did not start (it was cancelled first). */
  id: string | null;
  status: TrialStatus;
  params: TrialParams;
  /** The last value of the search metric, null when the trial did not report it (only completed trials compete for best). */
  metric: number | null;
}

export interface SweepReport {
  sweepId: string;
  stage: string;
  method: 'grid' | 'random';
  metric: string;
  goal: 'minimize' | 'maximize';
  /** The seed of the random draws (given, from params.yaml, or chosen and reported to repeat the sweep). */
  seed: number;
  cancelled: boolean;
  trials: TrialResult[];
  best: { id: string; metric: number; params: TrialParams } | null;
}

export interface SweepOptions {
  root: string;
  store: Store;
  /** Absolute path of the pipeline file. */
  pipelineFile: string;
  stage?: string;
  /** Who starts the sweep: every trial's run is recorded in the audit log as theirs. */
  actor: string;
  /** Trials running at once (default 1). */
  parallel?: number;
  /** Overrides search.seed. */
  seed?: number;
  cache: HashCache;
  /** Aborting cancels the running trials and starts no more. */
  signal?: AbortSignal;
  /** The sweep is about to start these trials under this stage. */
  onStart?: (e: { sweepId: string; stage: string; metric: string; trials: TrialParams[]; seed: number }) => void;
  onTrialCreated?: (e: { index: number; runId: string; params: TrialParams }) => void;
  onTrialEnded?: (e: { index: number; result: TrialResult }) => void;
  now?: () => number;
}

export async function runSweep(opts: SweepOptions): Promise<SweepReport> {
  const now = opts.now ?? Date.now;
  const parallel = opts.parallel ?? 1;
  if (!Number.isInteger(parallel) || parallel < 1) throw new SweepError('bad-parallel', `--parallel must be a whole number of trials at once, at least 1 (got ${parallel}).`);
  const root = path.resolve(opts.root);
  const pipelineShown = path.relative(root, opts.pipelineFile).split(path.sep).join('/');
  const pipeline = loadPipeline(opts.pipelineFile, root);
  const { spec } = readSearch(opts.pipelineFile, pipeline, root);
  const stage = sweepStage(pipeline, pipelineShown, spec.metric, opts.stage);
  const seed = opts.seed ?? spec.seed ?? crypto.randomInt(2 ** 31);
  const trials = expandSpace(spec, seed);
  const sweepId = newId();
  opts.onStart?.({ sweepId, stage, metric: spec.metric, trials, seed });

  const runs = new RunStore(opts.store);
  const results: TrialResult[] = trials.map((params) => ({ id: null, status: 'not-started', params, metric: null }));
  // The first trial runs alone until its run is recorded: it snapshots the data deps and writes
  // their pointer files; the trials after it find the data unchanged and write nothing. (Two
  // snapshots of the same data at once in one process would write its pointer file through the
  // same temporary name.)
  let firstRecorded!: () => void;
  const dataSnapshotted = new Promise<void>((resolve) => (firstRecorded = resolve));
  let nextTrial = 0;
  let failure: unknown;
  const worker = async (first: boolean): Promise<void> => {
    if (!first) await dataSnapshotted;
    while (nextTrial < trials.length && !opts.signal?.aborted && failure === undefined) {
      const index = nextTrial++;
      try {
        const outcome = await runStage({
          root, store: opts.store, pipelineFile: opts.pipelineFile, stage, actor: opts.actor, overrides: trialOverrides(trials[index]), cache: opts.cache,
          sweepId, signal: opts.signal, now,
          onEvent: (e) => {
            if (e.type !== 'created') return;
            results[index].id = e.runId;
            firstRecorded();
            opts.onTrialCreated?.({ index, runId: e.runId, params: trials[index] });
          },
        });
        const last = runs.get(outcome.runId)?.metrics[spec.metric]?.last;
        results[index] = { ...results[index], id: outcome.runId, status: outcome.status, metric: last ?? null };
        opts.onTrialEnded?.({ index, result: results[index] });
      } catch (err) {
        failure ??= err; // e.g. the pipeline became invalid: no more trials start, the running ones finish
      } finally {
        firstRecorded();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, trials.length) }, (_, i) => worker(i === 0)));
  if (failure !== undefined) throw failure;

  let best: SweepReport['best'] = null;
  for (const t of results) {
    if (t.id === null || t.status !== 'completed' || t.metric === null) continue;
    if (!best || (spec.goal === 'minimize' ? t.metric < best.metric : t.metric > best.metric)) best = { id: t.id, metric: t.metric, params: t.params };
  }
  return { sweepId, stage, method: spec.method, metric: spec.metric, goal: spec.goal, seed, cancelled: opts.signal?.aborted ?? false, trials: results, best };
}
