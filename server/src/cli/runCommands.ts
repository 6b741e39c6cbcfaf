/**
 * The run commands: `mlops run STAGE`, `mlops runs list|show|cancel|delete`. With --json each prints
 * one JSON document (errors too, see commandErrors.ts). Times in JSON are ISO 8601 strings.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { resolveActor } from '../core/audit/actor';
import { SYSTEM_ACTOR } from '../core/audit/auditLog';
import type { RunRecord, RunStore as RunStoreType, RunSummary } from '../core/runs/runStore';
import type { Store as StoreType } from '../core/store/store';
import { iso } from '../core/isoTime';
import { keyMetricsOf } from '../core/runs/keyMetric';
import { isProcessRunning, stopOrphanedJob, terminateGroup } from '../core/runs/processState';
import { findProjectRoot } from '../core/workspace/projectRoot';
import { optionValue, parseArgs, pipelineFileOption, UsageError } from './args';
import { checkOptions, reportErrors } from './commandErrors';
import { cancelOnSignals, STOP_WITH_STDIN } from './interrupts';

export const RUN_USAGE = 'mlops run [STAGE] [--pipeline FILE] [--set KEY=VALUE ...] [--force] [--by USER] [--json]';
export const RUNS_LIST_USAGE = 'mlops runs list [--stage S] [--limit N] [--json]';
export const RUNS_SHOW_USAGE = 'mlops runs show ID [--series] [--json]';
export const RUNS_COMPARE_USAGE = 'mlops runs compare ID ID... [--json]';
export const RUNS_CANCEL_USAGE = 'mlops runs cancel ID [--by USER] [--json]';
export const RUNS_DELETE_USAGE = 'mlops runs delete ID [--by USER] [--json]';

type Out = NodeJS.WritableStream;

export async function runCommand(argv: string[], out: Out, err: Out): Promise<number> {
  const { positionals, options, repeated } = parseArgs(argv, new Set(['pipeline', 'set', 'by']));
  checkOptions(options, ['pipeline', 'set', 'force', 'by', 'json', STOP_WITH_STDIN]);
  const json = options.has('json');
  if (positionals.length > 1) throw new UsageError('run takes at most one STAGE (none: every stage, in needs order)');
  const stage = positionals[0];
  const pipelineFile = pipelineFileOption(options);
  const by = optionValue(options, 'by');
  return reportErrors(json, out, err, async () => {
    const root = findProjectRoot(path.dirname(pipelineFile));
    const actor = resolveActor(root, by);
    return withRunStore(root, async (store, runs) => {
      const { runPipeline, runStage } = await import('../core/runs/runStage');
      const { StatCache } = await import('../core/store/statCache');
      settleDeadRuns(runs);
      // Ctrl+C or a kill cancels the job and its whole process tree, and the run ends `cancelled`.
      const abort = cancelOnSignals(options.has(STOP_WITH_STDIN));
      try {
        const common = {
          root, store, pipelineFile, actor, overrides: repeated.get('set') ?? [], cache: new StatCache(store), signal: abort.signal,
          onEvent: (e: { type: string; runId: string }) => {
            if (!json && e.type === 'created') err.write(`mlops: run ${e.runId} started; its log is .mlops/runs/${e.runId}/log.txt\n`);
          },
        };
        // One stage always runs (--force is implied); the whole pipeline skips unchanged stages unless --force.
        const outcomes = stage !== undefined ? [await runStage({ ...common, stage })] : await runPipeline({ ...common, force: options.has('force') });
        const results = outcomes.map((o) => ({ outcome: o, run: runs.get(o.runId)! }));
        if (json) out.write(`${JSON.stringify({ runs: results.map(({ outcome, run }) => ({ id: run.id, stage: run.stage, status: run.status, exitCode: run.exitCode ?? null, skipped: outcome.skipped })) })}\n`);
        else for (const { outcome, run } of results) out.write(outcome.skipped ? `${run.stage}: unchanged since run ${run.id}, skipped (--force runs it again)\n` : `${summaryLine(run)}\n`);
        return results.every(({ run }) => run.status === 'completed') ? 0 : 1;
      } finally {
        abort.dispose();
      }
    });
  });
}

export async function runsCommand(argv: string[], out: Out, err: Out): Promise<number> {
  const [sub, ...rest] = argv;
  const { positionals, options } = parseArgs(rest, new Set(['stage', 'limit', 'by']));
  const json = options.has('json');
  const root = findProjectRoot(process.cwd());
  switch (sub) {
    case 'list': {
      checkOptions(options, ['stage', 'limit', 'json']);
      const stage = options.get('stage');
      const limit = options.get('limit');
      if (stage === true || limit === true || (typeof limit === 'string' && !/^\d+$/.test(limit))) throw new UsageError('--stage needs a name, --limit a number');
      const { Store } = await import('../core/store/store');
      if (!fs.existsSync(Store.pathFor(root))) {
        // No database yet: nothing has run, and listing creates nothing.
        out.write(json ? `${JSON.stringify({ runs: [] })}\n` : 'No runs yet: mlops run STAGE starts one.\n');
        return 0;
      }
      return reportErrors(json, out, err, () => withRunStore(root, async (_store, runs) => {
        settleDeadRuns(runs);
        const list = runs.list({ stage: typeof stage === 'string' ? stage : undefined, limit: typeof limit === 'string' ? Number(limit) : 50 });
        if (json) {
          // Each run with its stage's key metric (keyMetric.ts), read once per pipeline file.
          const keys = new Map<string, Map<string, string>>();
          const keyOf = (r: RunSummary): string | null => {
            if (!keys.has(r.pipelineFile)) keys.set(r.pipelineFile, keyMetricsOf(path.join(root, ...r.pipelineFile.split('/')), root));
            return keys.get(r.pipelineFile)!.get(r.stage) ?? null;
          };
          out.write(`${JSON.stringify({ runs: list.map((r) => ({ ...summaryJson(r), keyMetric: keyOf(r) })) })}\n`);
        }
        else out.write(list.length ? `${list.map(summaryLine).join('\n')}\n` : 'No runs yet: mlops run STAGE starts one.\n');
        return 0;
      }));
    }
    case 'compare': {
      checkOptions(options, ['json']);
      if (positionals.length < 2) throw new UsageError('runs compare needs two run IDs or more');
      return reportErrors(json, out, err, () => withRunStore(root, async (_store, runs) => {
        const found = positionals.map((id) => ({ id, run: runs.get(id) }));
        const missing = found.filter((f) => !f.run).map((f) => f.id);
        if (missing.length) {
          const message = `No run ${missing.map((m) => `'${m}'`).join(', ')} in this project (mlops runs list shows them).`;
          if (json) out.write(`${JSON.stringify({ error: { code: 'unknown-run', message } })}\n`);
          err.write(`mlops: ${message}\n`);
          return 1;
        }
        const c = compareRuns(found.map((f) => f.run!));
        out.write(json ? `${JSON.stringify(c)}\n` : formatComparison(c));
        return 0;
      }));
    }
    case 'show':
    case 'cancel':
    case 'delete': {
      checkOptions(options, sub === 'show' ? ['series', 'json'] : ['by', 'json']);
      if (positionals.length !== 1) throw new UsageError(`runs ${sub} needs exactly one run ID`);
      const by = optionValue(options, 'by');
      return reportErrors(json, out, err, () => withRunStore(root, async (_store, runs) => {
        const run = runs.get(positionals[0]);
        if (!run) {
          const message = `No run '${positionals[0]}' in this project (mlops runs list shows them; a short id must be unique).`;
          if (json) out.write(`${JSON.stringify({ error: { code: 'unknown-run', message } })}\n`);
          err.write(`mlops: ${message}\n`);
          return 1;
        }
        if (sub === 'show') {
          const series = options.has('series') ? seriesJson(runs, run) : undefined;
          out.write(json ? `${JSON.stringify({ ...runJson(run), ...(series && { series }) })}\n` : describeRun(run));
          return 0;
        }
        if (sub === 'cancel') {
          const cancelled = runs.finish(run.id, 'cancelled', null, Date.now(), resolveActor(root, by));
          if (cancelled && run.jobPid) terminateGroup(run.jobPid);
          if (json) out.write(`${JSON.stringify({ id: run.id, cancelled })}\n`);
          else out.write(cancelled ? `Cancelled run ${run.id}.\n` : `Run ${run.id} had already ended (${run.status}).\n`);
          return 0;
        }
        if (run.status === 'running') {
          const message = `Run ${run.id} is still running: cancel it first (mlops runs cancel ${run.id}).`;
          if (json) out.write(`${JSON.stringify({ error: { code: 'run-running', message } })}\n`);
          err.write(`mlops: ${message}\n`);
          return 1;
        }
        // Refused (run-registered) when a registered model version was made from the run.
        runs.delete(run.id, resolveActor(root, by));
        fs.rmSync(path.join(root, '.mlops', 'runs', run.id), { recursive: true, force: true });
        if (json) out.write(`${JSON.stringify({ id: run.id, deleted: true })}\n`);
        else out.write(`Deleted run ${run.id} (its artifacts stay in the cache until mlops gc).\n`);
        return 0;
      }));
    }
    default:
      throw new UsageError(sub === undefined ? 'runs needs a subcommand: list, show, compare, cancel or delete' : `unknown runs subcommand '${sub}'`);
  }
}

interface RunComparison {
  runs: { id: string; stage: string; status: string }[];
  /** Only the parameters whose values differ, one value per run (null where a run lacks it). */
  params: Record<string, unknown[]>;
  /** Every metric any run has: its last value per run (null where a run lacks it). */
  metrics: Record<string, (number | null)[]>;
}

function compareRuns(list: RunRecord[]): RunComparison {
  const leaves = list.map((r) => flatten(r.params));
  const keys = [...new Set(leaves.flatMap((l) => Object.keys(l)))].sort();
  const params: Record<string, unknown[]> = {};
  for (const k of keys) {
    const values = leaves.map((l) => (k in l ? l[k] : null));
    if (new Set(values.map((v) => JSON.stringify(v))).size > 1) params[k] = values;
  }
  const names = [...new Set(list.flatMap((r) => Object.keys(r.metrics)))].sort();
  const metrics = Object.fromEntries(names.map((n) => [n, list.map((r) => r.metrics[n]?.last ?? null)]));
  return { runs: list.map((r) => ({ id: r.id, stage: r.stage, status: r.status })), params, metrics };
}

function flatten(v: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else out[prefix] = v;
  return out;
}

function formatComparison(c: RunComparison): string {
  const rows = [['', ...c.runs.map((r) => r.id)], ['status', ...c.runs.map((r) => r.status)]];
  for (const [k, vs] of Object.entries(c.params)) rows.push([k, ...vs.map((v) => (v === null ? '-' : JSON.stringify(v)))]);
  for (const [k, vs] of Object.entries(c.metrics)) rows.push([k, ...vs.map((v) => (v === null ? '-' : String(Number(v.toPrecision(6)))))]);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd());
  if (!Object.keys(c.params).length) lines.push('(same params)');
  return `${lines.join('\n')}\n`;
}

/** The run store, loaded lazily (the native SQLite module is only needed here). */
async function withRunStore<T>(root: string, fn: (store: StoreType, runs: RunStoreType) => Promise<T>): Promise<T> {
  const { Store } = await import('../core/store/store');
  const { RunStore } = await import('../core/runs/runStore');
  const store = Store.open(root);
  try {
    return await fn(store, new RunStore(store));
  } finally {
    store.close();
  }
}

/**
 * Runs whose `mlops` process died become `interrupted`, and the jobs they left running are stopped.
 * The audit log names MLOps as the actor: whoever runs this command only noticed it.
 */
function settleDeadRuns(runs: RunStoreType): void {
  for (const dead of runs.markInterrupted(os.hostname(), isProcessRunning, Date.now(), SYSTEM_ACTOR)) {
    if (dead.jobPid) stopOrphanedJob(dead.jobPid, dead.id);
  }
}

function isoOrNull(ms: number | undefined): string | null {
  return ms === undefined ? null : iso(ms);
}

function summaryJson(r: RunSummary): object {
  return { id: r.id, pipeline: r.pipeline, pipelineFile: r.pipelineFile, stage: r.stage, sweepId: r.sweepId ?? null, status: r.status, exitCode: r.exitCode ?? null, startedAt: isoOrNull(r.startedAt), endedAt: isoOrNull(r.endedAt), metrics: metricsJson(r) };
}

function metricsJson(r: RunSummary): Record<string, { last: number; min: number; max: number; steps: number }> {
  return Object.fromEntries(Object.entries(r.metrics).map(([k, m]) => [k, { last: m.last, min: m.min, max: m.max, steps: m.steps }]));
}

/** The keys issue 4 names for `mlops runs show ID --json`. */
function runJson(r: RunRecord): object {
  return {
    id: r.id, stage: r.stage, pipeline: r.pipeline, pipelineFile: r.pipelineFile, sweepId: r.sweepId ?? null, status: r.status, exitCode: r.exitCode ?? null, startedAt: isoOrNull(r.startedAt), endedAt: isoOrNull(r.endedAt),
    gitCommit: r.gitCommit ?? null, gitDirty: r.gitDirty ?? null, paramsHash: r.paramsHash, params: r.params, data: r.data, environment: r.environment,
    metrics: metricsJson(r), artifacts: r.artifacts,
  };
}

/** At most this many points per series for charts: more cannot be told apart on a screen. */
const CHART_POINTS = 2000;

/** `--series`: each metric's points as [step, value] pairs, evenly thinned to CHART_POINTS (the last point always kept). */
function seriesJson(runs: RunStoreType, r: RunRecord): Record<string, [number, number][]> {
  return Object.fromEntries(Object.keys(r.metrics).map((name) => {
    const points = runs.series(r.id, name);
    const stride = Math.max(1, Math.ceil(points.length / CHART_POINTS));
    const kept = points.filter((_, i) => i % stride === 0 || i === points.length - 1);
    return [name, kept.map((p) => [p.step, p.value] as [number, number])];
  }));
}

function summaryLine(r: RunSummary): string {
  const took = r.endedAt !== undefined ? ` in ${((r.endedAt - r.startedAt) / 1000).toFixed(1)} s` : '';
  const metrics = Object.entries(r.metrics).slice(0, 4).map(([k, m]) => `${k} ${Number(m.last.toPrecision(4))}`).join(', ');
  return `${r.id}  ${r.stage}  ${r.status}${r.exitCode !== undefined && r.status === 'failed' ? ` (exit ${r.exitCode})` : ''}${took}${metrics ? `  ${metrics}` : ''}`;
}

function describeRun(r: RunRecord): string {
  const lines = [
    summaryLine(r),
    `pipeline: ${r.pipeline} (${r.pipelineFile}), started ${isoOrNull(r.startedAt)}`,
    `git: ${r.gitCommit ? `${r.gitCommit.slice(0, 12)}${r.gitDirty ? ' (dirty: uncommitted changes)' : ''}` : 'not a git repository: the code is not recorded'}`,
    `params: ${r.paramsHash.slice(0, 12)} ${JSON.stringify(r.params)}`,
    `data: ${Object.entries(r.data).map(([k, v]) => `${k} ${v.slice(0, 19)}`).join(', ') || 'none'}`,
    `environment: ${Object.entries(r.environment).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `command: ${r.command}`,
    ...r.artifacts.map((a) => `artifact: ${a.path} (${a.size} B, sha256:${a.sha256.slice(0, 12)})`),
  ];
  return `${lines.join('\n')}\n`;
}
