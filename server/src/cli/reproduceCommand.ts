/**
 * `mlops reproduce ID`: the run's data snapshots checked out, its git state compared, its stage run
 * again with its params, and each of its artifacts compared bit for bit (see core/runs/reproduce.ts).
 * With --json one document: {original, run, status, gitMatches, warnings, data, artifacts, reproduced}.
 * Exit code 0 when the rerun completed and every artifact is identical, 1 otherwise.
 */
import * as path from 'path';
import { resolveActor } from '../core/audit/actor';
import type { ReproduceReport } from '../core/runs/reproduce';
import { findProjectRoot } from '../core/workspace/projectRoot';
import { optionValue, parseArgs, UsageError } from './args';
import { checkOptions, reportErrors } from './commandErrors';
import { cancelOnSignals, STOP_WITH_STDIN } from './interrupts';

export const REPRODUCE_USAGE = 'mlops reproduce ID [--by USER] [--json]';

type Out = NodeJS.WritableStream;

export async function reproduceCommand(argv: string[], out: Out, err: Out): Promise<number> {
  const { positionals, options } = parseArgs(argv, new Set(['by']));
  checkOptions(options, ['by', 'json', STOP_WITH_STDIN]);
  const json = options.has('json');
  if (positionals.length !== 1) throw new UsageError('reproduce needs exactly one run ID (mlops runs list shows them)');
  const by = optionValue(options, 'by');
  return reportErrors(json, out, err, async () => {
    const root = findProjectRoot(process.cwd());
    const actor = resolveActor(root, by);
    const { Store } = await import('../core/store/store');
    const { StatCache } = await import('../core/store/statCache');
    const { reproduce, ReproduceError } = await import('../core/runs/reproduce');
    const store = Store.open(root);
    // Ctrl+C or a kill cancels the rerun (its whole process tree), which then ends `cancelled`.
    const abort = cancelOnSignals(options.has(STOP_WITH_STDIN));
    try {
      let report: ReproduceReport;
      try {
        report = await reproduce({
          root, store, runId: positionals[0], actor, cache: new StatCache(store), signal: abort.signal,
          onEvent: (e) => {
            if (!json && e.type === 'created') err.write(`mlops: rerun ${e.runId} started; its log is ${path.join('.mlops', 'runs', e.runId, 'log.txt')}\n`);
          },
        });
      } catch (e) {
        if (!(e instanceof ReproduceError)) throw e; // run and snapshot errors: reportErrors
        if (json) out.write(`${JSON.stringify({ error: { code: e.code, message: e.message } })}\n`);
        err.write(`mlops: ${e.message}\n`);
        return 1;
      }
      out.write(json ? `${JSON.stringify(report)}\n` : formatReport(report));
      return report.reproduced ? 0 : 1;
    } finally {
      abort.dispose();
      store.close();
    }
  });
}

function formatReport(r: ReproduceReport): string {
  const lines = r.warnings.map((w) => `warning: ${w}`);
  lines.push(`Run ${r.original} rerun as ${r.run}: ${r.status}; git ${r.gitMatches ? 'matches' : 'differs (see the warnings)'}.`);
  for (const a of r.artifacts) {
    const verdict = a.identical ? 'identical' : a.reproducedSha256 === null ? 'MISSING in the rerun' : `DIFFERENT (sha256:${a.sha256.slice(0, 12)} -> sha256:${a.reproducedSha256.slice(0, 12)})`;
    lines.push(`  ${a.path}  ${verdict}`);
  }
  const differing = r.artifacts.filter((a) => !a.identical).length;
  if (r.reproduced) lines.push(r.artifacts.length ? `Reproduced: all ${r.artifacts.length} artifact(s) are bit-identical.` : 'Reproduced (the run had no artifacts to compare).');
  else if (r.status !== 'completed') lines.push(`Not reproduced: the rerun ended ${r.status} (its log: .mlops/runs/${r.run}/log.txt).`);
  else lines.push(`Not reproduced: ${differing} of ${r.artifacts.length} artifact(s) differ.`);
  return `${lines.join('\n')}\n`;
}
