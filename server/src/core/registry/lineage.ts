/**
 * The runs that tell about a registered run's model, though they are runs of other stages.
 *
 * A registered run R (stage S of pipeline file P) is usually the train stage's, while its gates
 * name metrics of other stages: the data quality the prepare stage saw before R, the accuracy the
 * evaluate stage measured on R's output. They are found by time, from completed runs of P only:
 * - upstream: for each stage S transitively needs, the latest run of it that ended before R
 *   started (what R was trained on);
 * - downstream: for each stage that transitively needs S, the first run of it that started after
 *   R ended and before the next run of S started (the one that evaluated R's output, not a later
 *   model's).
 * Nearest stages come first in each direction, so a metric reported at several distances is taken
 * from the closest run.
 */
import type { ListOptions, RunSummary } from '../runs/runStore';
import { stageOrder } from '../runs/runStage';

export type Relation = 'self' | 'upstream' | 'downstream';

export interface LineageRun {
  relation: Relation;
  run: RunSummary;
}

/** The read side of RunStore that lineage needs (a fake in tests). */
export interface RunLister {
  list(opts: ListOptions): RunSummary[];
}

/** R itself, then its upstream runs, then its downstream runs; stages with no such run are left out. */
export function lineageOf(runs: RunLister, run: RunSummary, stages: Record<string, { needs?: string[] }>): LineageRun[] {
  const completedOf = (stage: string): RunSummary[] =>
    runs.list({ pipelineFile: run.pipelineFile, stage }).filter((r) => r.status === 'completed' && r.endedAt !== undefined);
  const order = stageOrder(stages);
  const upstreamStages = ancestorsOf(run.stage, stages);
  const downstreamStages = new Set(order.filter((s) => ancestorsOf(s, stages).has(run.stage)));
  const out: LineageRun[] = [{ relation: 'self', run }];

  for (const stage of [...order].reverse().filter((s) => upstreamStages.has(s))) {
    const before = completedOf(stage).filter((r) => r.endedAt! <= run.startedAt);
    const latest = before.reduce<RunSummary | undefined>((best, r) => (!best || r.endedAt! > best.endedAt! ? r : best), undefined);
    if (latest) out.push({ relation: 'upstream', run: latest });
  }

  if (run.endedAt === undefined) return out;
  const nextOfSameStage = completedOf(run.stage).filter((r) => r.startedAt > run.startedAt).reduce((t, r) => Math.min(t, r.startedAt), Infinity);
  for (const stage of order.filter((s) => downstreamStages.has(s))) {
    const between = completedOf(stage).filter((r) => r.startedAt >= run.endedAt! && r.startedAt < nextOfSameStage);
    const first = between.reduce<RunSummary | undefined>((best, r) => (!best || r.startedAt < best.startedAt ? r : best), undefined);
    if (first) out.push({ relation: 'downstream', run: first });
  }
  return out;
}

/** Every stage `stage` needs, directly or through others. */
function ancestorsOf(stage: string, stages: Record<string, { needs?: string[] }>): Set<string> {
  const seen = new Set<string>();
  const pending = [...(stages[stage]?.needs ?? [])];
  while (pending.length) {
    const s = pending.pop()!;
    if (seen.has(s) || !(s in stages)) continue;
    seen.add(s);
    pending.push(...(stages[s].needs ?? []));
  }
  return seen;
}
