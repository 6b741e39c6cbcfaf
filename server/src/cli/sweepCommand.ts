/**
 * `mlops sweep`: the search space of params.yaml as runs of one stage under one sweep id (see
 * core/runs/sweep.ts). Progress goes to stderr; the table of trials and the best one to stdout, or
 * with --json one document: {sweepId, stage, method, metric, goal, seed, cancelled, trials, best}.
 * Exit code 0 when at least one trial completed.
 */
import * as path from 'path';
import { resolveActor } from '../core/audit/actor';
import type { SweepReport, TrialParams } from '../core/runs/sweep';
import { findProjectRoot } from '../core/workspace/projectRoot';
import { optionValue, parseArgs, pipelineFileOption, UsageError } from './args';
import { checkOptions, reportErrors } from './commandErrors';
import { cancelOnSignals, STOP_WITH_STDIN } from './interrupts';

export const SWEEP_USAGE = 'mlops sweep [--stage S] [--parallel N] [--seed N] [--pipeline FILE] [--by USER] [--json]';

type Out = NodeJS.WritableStream;

export async function sweepCommand(argv: string[], out: Out, err: Out): Promise<number> {
  const { positionals, options } = parseArgs(argv, new Set(['stage', 'parallel', 'seed', 'pipeline', 'by']));
  checkOptions(options, ['stage', 'parallel', 'seed', 'pipeline', 'by', 'json', STOP_WITH_STDIN]);
  const json = options.has('json');
  if (positionals.length) throw new UsageError(`sweep takes no positional argument (got ${positionals.join(' ')}); the stage is --stage S`);
  const stage = optionValue(options, 'stage');
  const parallel = wholeNumber(options, 'parallel', /^[1-9]\d*$/, 'a number of trials at once, at least 1');
  const seed = wholeNumber(options, 'seed', /^-?\d+$/, 'a whole number');
  const pipelineFile = pipelineFileOption(options);
  const by = optionValue(options, 'by');

  return reportErrors(json, out, err, async () => {
    const root = findProjectRoot(path.dirname(pipelineFile));
    const actor = resolveActor(root, by);
    const { Store } = await import('../core/store/store');
    const { StatCache } = await import('../core/store/statCache');
    const { runSweep, SweepError } = await import('../core/runs/sweep');
    const store = Store.open(root);
    // Ctrl+C or a kill cancels the running trials (their whole process trees) and starts no more.
    const abort = cancelOnSignals(options.has(STOP_WITH_STDIN));
    try {
      let total = 0;
      let metric = '';
      let report: SweepReport;
      try {
        report = await runSweep({
          root, store, pipelineFile, stage, actor, parallel, seed, cache: new StatCache(store), signal: abort.signal,
          onStart: (e) => {
            total = e.trials.length;
            metric = e.metric;
            if (!json) err.write(`mlops: sweep ${e.sweepId}: ${total} trial(s) of stage ${e.stage}, ${parallel ?? 1} at once (seed ${e.seed})\n`);
          },
          onTrialCreated: (e) => {
            if (!json) err.write(`mlops: trial ${e.index + 1}/${total}: run ${e.runId} started, ${formatParams(e.params)}\n`);
          },
          onTrialEnded: ({ index, result }) => {
            if (!json) err.write(`mlops: trial ${index + 1}/${total}: run ${result.id} ${result.status}${result.metric === null ? '' : `, ${metric} ${result.metric}`}\n`);
          },
        });
      } catch (e) {
        if (!(e instanceof SweepError)) throw e; // run and snapshot errors: reportErrors
        if (json) out.write(`${JSON.stringify({ error: { code: e.code, message: e.message } })}\n`);
        err.write(`mlops: ${e.message}\n`);
        return 1;
      }
      out.write(json ? `${JSON.stringify(report)}\n` : formatReport(report));
      return report.trials.some((t) => t.status === 'completed') ? 0 : 1;
    } finally {
      abort.dispose();
      store.close();
    }
  });
}

function wholeNumber(options: Map<string, string | true>, name: string, pattern: RegExp, what: string): number | undefined {
  const v = optionValue(options, name);
  if (v === undefined) return undefined;
  if (!pattern.test(v) || !Number.isSafeInteger(Number(v))) throw new UsageError(`--${name} needs ${what} (got '${v}')`);
  return Number(v);
}

function formatParams(params: TrialParams): string {
  return Object.entries(params).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
}

function formatReport(r: SweepReport): string {
  const keys = Object.keys(r.trials[0]?.params ?? {});
  const rows = [['RUN', 'STATUS', r.metric, ...keys]];
  for (const t of r.trials) {
    rows.push([t.id ?? '-', t.status, t.metric === null ? '-' : String(Number(t.metric.toPrecision(6))), ...keys.map((k) => JSON.stringify(t.params[k]))]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const table = rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd());
  const best = r.best
    ? `Best (${r.goal} ${r.metric}): run ${r.best.id}, ${r.metric} ${r.best.metric}${keys.length ? `, ${formatParams(r.best.params)}` : ''}`
    : `No completed trial reported ${r.metric}: no best run.`;
  const header = `Sweep ${r.sweepId} (${r.method}${r.method === 'random' ? `, seed ${r.seed}` : ''}) of stage ${r.stage}${r.cancelled ? ', cancelled' : ''}:`;
  return `${[header, ...table, best].join('\n')}\n`;
}
