/** Gate evaluation (bounds, missing metrics, which run gives a value) and the lineage that supplies the metrics. */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { evaluateGates, gatesPassed } from '../../../server/src/core/registry/gates';
import { LineageRun, lineageOf, RunLister } from '../../../server/src/core/registry/lineage';
import type { ListOptions, RunSummary } from '../../../server/src/core/runs/runStore';
import { RunStore } from '../../../server/src/core/runs/runStore';
import { removeTempDirs } from '../store/storeTestUtil';
import { insertRun, registryProject } from './registryFixture';

after(removeTempDirs);

function run(id: string, stage: string, startedAt: number, metrics: Record<string, number> = {}, over: Partial<RunSummary> = {}): RunSummary {
  return {
    id, pipeline: 'demo', pipelineFile: 'pipeline.yaml', stage, status: 'completed', startedAt, endedAt: startedAt + 10,
    metrics: Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, { last: v, lastStep: 0, min: v, max: v, steps: 1 }])), ...over,
  };
}

/** RunStore.list's filtering and order (newest first), over a fixed list. */
function fakeRuns(list: RunSummary[]): RunLister {
  return {
    list: (o: ListOptions) => list
      .filter((r) => (o.pipelineFile === undefined || r.pipelineFile === o.pipelineFile) && (o.stage === undefined || r.stage === o.stage))
      .sort((a, b) => b.startedAt - a.startedAt),
  };
}

const CHAIN = { prepare: {}, train: { needs: ['prepare'] }, evaluate: { needs: ['train'] }, report: { needs: ['evaluate'] } };

function ids(l: LineageRun[]): string[] {
  return l.map((x) => `${x.relation}:${x.run.id}`);
}

describe('evaluateGates', () => {
  const self = (metrics: Record<string, number>): LineageRun[] => [{ relation: 'self', run: run('r', 'train', 0, metrics) }];

  test('min and max are inclusive bounds; outside either fails', () => {
    const report = evaluateGates([
      { metric: 'a', min: 0.8 }, { metric: 'b', max: 0.1 }, { metric: 'c', min: 0, max: 1 }, { metric: 'd', min: 0.8 }, { metric: 'e', max: 0.1 }, { metric: 'f', min: 0, max: 1 },
    ], self({ a: 0.8, b: 0.1, c: 1, d: 0.7999, e: 0.1001, f: -0.5 }));
    assert.deepEqual(report.map((g) => g.verdict), ['pass', 'pass', 'pass', 'fail', 'fail', 'fail']);
    assert.equal(gatesPassed(report.slice(0, 3)), true);
    assert.equal(gatesPassed(report), false);
  });

  test('a metric no run reports is missing, which fails; the row keeps bounds, description and type', () => {
    const [g] = evaluateGates([{ metric: 'auc', min: 0.9, type: 'performance', description: 'Ranks fraud first' }], self({ accuracy: 0.95 }));
    assert.deepEqual(g, { metric: 'auc', min: 0.9, value: null, runId: null, stage: null, verdict: 'missing', description: 'Ranks fraud first', type: 'performance' });
    assert.equal(gatesPassed([g]), false);
    assert.equal(gatesPassed([]), true, 'no gates, nothing fails');
  });

  test('the first source reporting the metric gives the value, and the row names its run and stage', () => {
    const sources: LineageRun[] = [
      { relation: 'self', run: run('t', 'train', 100, { loss: 0.2 }) },
      { relation: 'upstream', run: run('p', 'prepare', 0, { missing_rate: 0.01, accuracy: 0.1 }) },
      { relation: 'downstream', run: run('e', 'evaluate', 200, { accuracy: 0.9 }) },
    ];
    const report = evaluateGates([{ metric: 'missing_rate', max: 0.05 }, { metric: 'accuracy', min: 0.8 }, { metric: 'loss', max: 1 }], sources);
    assert.deepEqual(report.map((g) => [g.metric, g.value, g.runId, g.stage, g.verdict]), [
      ['missing_rate', 0.01, 'p', 'prepare', 'pass'],
      ['accuracy', 0.1, 'p', 'prepare', 'fail'],
      ['loss', 0.2, 't', 'train', 'pass'],
    ]);
  });

  test('the value is the last one the run logged, not its best', () => {
    const r = run('t', 'train', 0);
    r.metrics.accuracy = { last: 0.7, lastStep: 9, min: 0.5, max: 0.95, steps: 10 };
    assert.equal(evaluateGates([{ metric: 'accuracy', min: 0.8 }], [{ relation: 'self', run: r }])[0].verdict, 'fail');
  });
});

describe('lineageOf', () => {
  test('upstream: the latest run of each needed stage that ended before the registered run started, nearest stage first', () => {
    const runs = [
      run('p-old', 'prepare', 0), run('p-new', 'prepare', 100), run('p-during', 'prepare', 195),
      run('t', 'train', 200), run('x', 'extra', 150),
    ];
    const stages = { prepare: {}, extra: { needs: ['prepare'] }, train: { needs: ['extra'] } };
    // p-during ended at 205, after t started: it was not what t saw.
    assert.deepEqual(ids(lineageOf(fakeRuns(runs), runs[3], stages)), ['self:t', 'upstream:x', 'upstream:p-new']);
  });

  test('downstream: the first run of each dependent stage after the registered run ended and before the next run of its stage', () => {
    const runs = [
      run('t1', 'train', 0), run('e-before', 'evaluate', 5), run('e1', 'evaluate', 20), run('e1-again', 'evaluate', 40), run('r1', 'report', 60),
      run('t2', 'train', 100), run('e2', 'evaluate', 120),
    ];
    assert.deepEqual(ids(lineageOf(fakeRuns(runs), runs[0], CHAIN)), ['self:t1', 'downstream:e1', 'downstream:r1'], 'the transitive dependent too');
    assert.deepEqual(ids(lineageOf(fakeRuns(runs), runs[5], CHAIN)), ['self:t2', 'downstream:e2']);
  });

  test('an evaluation that only came after the next training run evaluated that one, not this one', () => {
    const runs = [run('t1', 'train', 0), run('t2', 'train', 100), run('e2', 'evaluate', 120)];
    assert.deepEqual(ids(lineageOf(fakeRuns(runs), runs[0], CHAIN)), ['self:t1']);
  });

  test('runs that did not complete, runs of another pipeline file and a next run that failed are ignored', () => {
    const runs = [
      run('p-failed', 'prepare', 50, {}, { status: 'failed' }), run('p-other', 'prepare', 60, {}, { pipelineFile: 'other.pipeline.yaml' }), run('p-ok', 'prepare', 10),
      run('t1', 'train', 100), run('t-failed', 'train', 130, {}, { status: 'failed' }), run('e1', 'evaluate', 150),
    ];
    assert.deepEqual(ids(lineageOf(fakeRuns(runs), runs[3], CHAIN)), ['self:t1', 'upstream:p-ok', 'downstream:e1']);
  });

  test('on a real run store: gates of a train run take missing_rate from prepare and accuracy from evaluate', () => {
    const { store } = registryProject();
    try {
      insertRun(store.db, { id: 'p1', stage: 'prepare', startedAt: 1000, metrics: { missing_rate: 0.02 } });
      insertRun(store.db, { id: 't1', stage: 'train', startedAt: 1020, metrics: { loss: 0.3 } });
      insertRun(store.db, { id: 'e1', stage: 'evaluate', startedAt: 1040, metrics: { accuracy: 0.91 } });
      insertRun(store.db, { id: 't2', stage: 'train', startedAt: 1060, metrics: { loss: 0.2 } });
      const runs = new RunStore(store);
      const report = evaluateGates([{ metric: 'missing_rate', max: 0.05 }, { metric: 'accuracy', min: 0.8 }], lineageOf(runs, runs.get('t1')!, CHAIN));
      assert.deepEqual(report.map((g) => [g.runId, g.verdict]), [['p1', 'pass'], ['e1', 'pass']]);
      const second = evaluateGates([{ metric: 'accuracy', min: 0.8 }], lineageOf(runs, runs.get('t2')!, CHAIN));
      assert.deepEqual(second.map((g) => [g.runId, g.verdict]), [[null, 'missing']], 't2 has not been evaluated');
    } finally {
      store.close();
    }
  });
});
