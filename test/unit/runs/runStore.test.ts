/** The run store on real SQLite files: runs, metric series with their latest values, artifacts, concurrent writers. */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { SYSTEM_ACTOR } from '../../../server/src/core/audit/auditLog';
import { auditEntries } from '../../../server/src/core/audit/export';
import { verifyAuditChain } from '../../../server/src/core/audit/verify';
import { NewRun, RunRegisteredError, RunStore } from '../../../server/src/core/runs/runStore';
import { Store } from '../../../server/src/core/store/store';
import { removeTempDirs, runNode, tempProject } from '../store/storeTestUtil';

after(removeTempDirs);

const RUN_STORE_JS = path.resolve(__dirname, '../../../server/src/core/runs/runStore.js');
const ACTOR = 'ana@example.eu';

function newRun(id: string, over: Partial<NewRun> = {}): NewRun {
  return {
    id, pipeline: 'grant-fraud', pipelineFile: 'pipeline.yaml', stage: 'train', startedAt: 1_700_000_000_000, gitCommit: 'a'.repeat(40), gitDirty: false,
    paramsHash: 'p'.repeat(64), params: { train: { lr: 0.05 } }, data: { train: `sha256:${'d'.repeat(64)}` }, environment: { node: 'v20' },
    command: 'node src/train.js', inputsHash: 'i'.repeat(64), executor: 'local', host: 'here', pid: 123, ...over,
  };
}

function withRuns(fn: (runs: RunStore, root: string, store: Store) => void): void {
  const root = tempProject('runs');
  const store = Store.open(root);
  try {
    fn(new RunStore(store), root, store);
  } finally {
    store.close();
  }
}

describe('RunStore', () => {
  test('a run is stored with its four ingredients and read back by id or unique prefix', () => withRuns((runs) => {
    runs.create(newRun('3f2a1b0c9d8e'), ACTOR);
    runs.create(newRun('3f2b00000000', { startedAt: 1_700_000_000_500 }), ACTOR);
    const r = runs.get('3f2a');
    assert.ok(r);
    assert.equal(r.id, '3f2a1b0c9d8e');
    assert.equal(r.status, 'running');
    assert.deepEqual([r.gitCommit, r.gitDirty, r.paramsHash, r.params, r.data, r.environment], [
      'a'.repeat(40), false, 'p'.repeat(64), { train: { lr: 0.05 } }, { train: `sha256:${'d'.repeat(64)}` }, { node: 'v20' },
    ]);
    assert.equal(runs.get('3f2'), undefined, 'an ambiguous prefix names nothing');
    assert.equal(runs.get('zzz'), undefined);
    assert.equal(runs.get("3f2a' OR 1=1 --"), undefined, 'not an id');
    assert.deepEqual(runs.list().map((x) => x.id), ['3f2b00000000', '3f2a1b0c9d8e'], 'newest first');
  }));

  test('metric batches keep last (highest step), min, max and count per series', () => withRuns((runs) => {
    runs.create(newRun('r1'), ACTOR);
    runs.appendMetrics('r1', [
      { name: 'loss', value: 0.9, step: 0, time: 1 }, { name: 'loss', value: 0.5, step: 1, time: 2 }, { name: 'acc', value: 0.7, step: 0, time: 2 },
    ]);
    runs.appendMetrics('r1', [{ name: 'loss', value: 0.95, step: 0, time: 3 }, { name: 'loss', value: 0.3, step: 2, time: 4 }]);
    const r = runs.get('r1')!;
    assert.deepEqual(r.metrics.loss, { last: 0.3, lastStep: 2, min: 0.3, max: 0.95, steps: 4 });
    assert.deepEqual(r.metrics.acc, { last: 0.7, lastStep: 0, min: 0.7, max: 0.7, steps: 1 });
    assert.deepEqual(runs.series('r1', 'loss').map((p) => [p.step, p.value]), [[0, 0.9], [0, 0.95], [1, 0.5], [2, 0.3]]);
  }));

  test('a batch with several points per series: last of the highest step (a tie goes to the later point), out-of-order steps, min, max, count', () => withRuns((runs) => {
    runs.create(newRun('r1'), ACTOR);
    runs.appendMetrics('r1', [
      { name: 'loss', value: 1, step: 5, time: 1 }, { name: 'acc', value: 0.5, step: 0, time: 1 }, { name: 'loss', value: 2, step: 3, time: 2 },
      { name: 'loss', value: 3, step: 5, time: 3 }, { name: 'loss', value: 0.5, step: 4, time: 4 },
    ]);
    assert.deepEqual(runs.get('r1')!.metrics.loss, { last: 3, lastStep: 5, min: 0.5, max: 3, steps: 4 });
    // A later batch wins a tie with the stored last step; its earlier steps do not become last.
    runs.appendMetrics('r1', [{ name: 'loss', value: 7, step: 5, time: 5 }, { name: 'loss', value: -1, step: 2, time: 6 }]);
    assert.deepEqual(runs.get('r1')!.metrics.loss, { last: 7, lastStep: 5, min: -1, max: 7, steps: 6 });
    runs.appendMetrics('r1', [{ name: 'loss', value: 9, step: 1, time: 7 }]);
    assert.deepEqual(runs.get('r1')!.metrics.loss, { last: 7, lastStep: 5, min: -1, max: 9, steps: 7 });
    assert.deepEqual(runs.get('r1')!.metrics.acc, { last: 0.5, lastStep: 0, min: 0.5, max: 0.5, steps: 1 });
    assert.deepEqual(runs.series('r1', 'loss').map((p) => [p.step, p.value]), [[1, 9], [2, -1], [3, 2], [4, 0.5], [5, 1], [5, 3], [5, 7]]);
  }));

  test('a large batch (several multi-row inserts and a remainder) stores every point once, in order', () => withRuns((runs) => {
    runs.create(newRun('r1'), ACTOR);
    const names = ['loss', 'acc', 'lr'];
    // Two points per step and name: ties to be kept in the order they were logged.
    const points = Array.from({ length: 1001 }, (_, i) => ({ name: names[i % 3], value: i / 7, step: Math.floor(i / 6), time: i }));
    runs.appendMetrics('r1', points);
    for (const [k, name] of names.entries()) {
      const mine = points.filter((p) => p.name === name);
      assert.deepEqual(runs.series('r1', name).map((p) => [p.step, p.value, p.time]), mine.map((p) => [p.step, p.value, p.time]), name);
      const values = mine.map((p) => p.value);
      assert.deepEqual(runs.get('r1')!.metrics[name], { last: mine[mine.length - 1].value, lastStep: mine[mine.length - 1].step, min: Math.min(...values), max: Math.max(...values), steps: mine.length }, `${name} (${k})`);
    }
  }));

  test('a failing batch stores nothing of itself: points and latest values stay together', () => withRuns((runs) => {
    runs.create(newRun('r1'), ACTOR);
    runs.appendMetrics('r1', [{ name: 'loss', value: 1, step: 0, time: 1 }]);
    const bad = Array.from({ length: 300 }, (_, i) => ({ name: 'loss', value: i === 299 ? Number.NaN : i, step: i + 1, time: 2 }));
    assert.throws(() => runs.appendMetrics('r1', bad));
    assert.deepEqual(runs.get('r1')!.metrics.loss, { last: 1, lastStep: 0, min: 1, max: 1, steps: 1 });
    assert.equal(runs.series('r1', 'loss').length, 1);
  }));

  test('list and get give metric values bit for bit, any metric name, and undefined for what a run does not have', () => withRuns((runs) => {
    runs.create(newRun('r1', { sweepId: 's1' }), ACTOR);
    runs.create(newRun('r2', { startedAt: 1_700_000_000_001 }), ACTOR);
    runs.finish('r1', 'failed', 3, 1_700_000_000_100, ACTOR);
    const values = [1 / 3, 0.1 + 0.2, 5e-324, 1.7976931348623157e308, -1e-300, 123456789.12345679, 2 ** 53, -0.5];
    const names = ['loss', 'val/"top-1" acc', 'naïve ∑ 🎯', 'back\\slash'];
    const valueOf = (k: number, step: number): number => (k % 2 ? -values[step] : values[step]);
    runs.appendMetrics('r1', values.flatMap((_, step) => names.map((name, k) => ({ name, value: valueOf(k, step), step, time: step }))));
    const [r2, r1] = runs.list();
    assert.deepEqual(Object.keys(r1.metrics).sort(), [...names].sort());
    for (const [k, name] of names.entries()) {
      const expected = values.map((_, step) => valueOf(k, step));
      assert.deepEqual(r1.metrics[name], { last: expected[expected.length - 1], lastStep: values.length - 1, min: Math.min(...expected), max: Math.max(...expected), steps: values.length }, name);
    }
    assert.deepEqual(runs.get('r1')!.metrics, r1.metrics);
    assert.deepEqual([r1.sweepId, r1.status, r1.exitCode, r1.endedAt], ['s1', 'failed', 3, 1_700_000_000_100]);
    assert.deepEqual(r2, {
      id: 'r2', pipeline: 'grant-fraud', pipelineFile: 'pipeline.yaml', stage: 'train', sweepId: undefined, status: 'running', exitCode: undefined,
      startedAt: 1_700_000_000_001, endedAt: undefined, metrics: {},
    });
  }));

  test('finish ends a running run once: a cancelled run keeps its status when the process exits later', () => withRuns((runs) => {
    runs.create(newRun('r1'), ACTOR);
    assert.equal(runs.finish('r1', 'cancelled', null, 10, ACTOR), true);
    assert.equal(runs.finish('r1', 'failed', 143, 11, ACTOR), false);
    const r = runs.get('r1')!;
    assert.deepEqual([r.status, r.exitCode, r.endedAt], ['cancelled', undefined, 10]);
  }));

  test('runs left running by a dead process on this host become interrupted; live ones and other hosts stay', () => withRuns((runs) => {
    runs.create(newRun('dead', { pid: 11 }), ACTOR);
    runs.setJobPid('dead', 33);
    runs.create(newRun('alive', { pid: 22 }), ACTOR);
    runs.create(newRun('elsewhere', { pid: 11, host: 'other' }), ACTOR);
    runs.create(newRun('done', { pid: 11 }), ACTOR);
    runs.finish('done', 'completed', 0, 5, ACTOR);
    assert.deepEqual(runs.markInterrupted('here', (pid) => pid === 22, 99, SYSTEM_ACTOR), [{ id: 'dead', jobPid: 33 }]);
    assert.deepEqual(['dead', 'alive', 'elsewhere', 'done'].map((id) => runs.get(id)!.status), ['interrupted', 'running', 'running', 'completed']);
    assert.equal(runs.get('dead')!.endedAt, 99);
  }));

  test('list filters by stage and sweep, limits, and carries the latest metrics; delete removes points and artifacts', () => withRuns((runs) => {
    for (let i = 0; i < 5; i++) runs.create(newRun(`r${i}`, { stage: i % 2 ? 'prepare' : 'train', sweepId: i < 2 ? 's1' : undefined, startedAt: 1000 + i }), ACTOR);
    runs.appendMetrics('r4', [{ name: 'loss', value: 0.1, step: 0, time: 1 }]);
    runs.addArtifacts('r4', [{ path: 'model.json', sha256: 'e'.repeat(64), size: 12 }]);
    assert.deepEqual(runs.list({ stage: 'train' }).map((r) => r.id), ['r4', 'r2', 'r0']);
    assert.deepEqual(runs.list({ sweepId: 's1' }).map((r) => r.id), ['r1', 'r0']);
    assert.deepEqual(runs.list({ limit: 2 }).map((r) => r.id), ['r4', 'r3']);
    assert.equal(runs.list({ limit: 1 })[0].metrics.loss.last, 0.1);
    assert.deepEqual(runs.get('r4')!.artifacts, [{ path: 'model.json', sha256: 'e'.repeat(64), size: 12 }]);
    assert.equal(runs.delete('r4', ACTOR), true);
    assert.equal(runs.get('r4'), undefined);
    assert.deepEqual(runs.series('r4', 'loss'), []);
  }));

  test('the last completed run with the same inputs is found (the repro skip); other inputs are not', () => withRuns((runs) => {
    runs.create(newRun('old', { inputsHash: 'x', startedAt: 1 }), ACTOR);
    runs.finish('old', 'completed', 0, 2, ACTOR);
    runs.create(newRun('failed', { inputsHash: 'x', startedAt: 3 }), ACTOR);
    runs.finish('failed', 'failed', 1, 4, ACTOR);
    assert.equal(runs.lastCompletedWithInputs('pipeline.yaml', 'train', 'x')?.id, 'old');
    runs.create(newRun('newer', { inputsHash: 'y', startedAt: 5 }), ACTOR);
    runs.finish('newer', 'completed', 0, 6, ACTOR);
    assert.equal(runs.lastCompletedWithInputs('pipeline.yaml', 'train', 'x'), undefined, 'the latest completed run had other inputs');
  }));

  test('4 processes logging metrics at once while another lists: no point lost, no SQLITE_BUSY', async () => {
    const root = tempProject('runs-concurrent');
    const setup = Store.open(root);
    const runs = new RunStore(setup);
    for (let w = 0; w < 4; w++) runs.create(newRun(`w${w}`), ACTOR);
    setup.close();
    const writer = `
      const { Store } = require(process.env.STORE_JS);
      const { RunStore } = require(process.env.RUN_STORE_JS);
      const store = Store.open(process.env.ROOT);
      const runs = new RunStore(store);
      const id = 'w' + process.env.WRITER;
      for (let b = 0; b < 50; b++) {
        const batch = [];
        for (let k = 0; k < 100; k++) { const step = b * 100 + k; batch.push({ name: 'loss', value: step, step, time: Date.now() }); }
        runs.appendMetrics(id, batch);
      }
      store.close();
      console.log(JSON.stringify({ ok: true }));`;
    const lister = `
      const { Store } = require(process.env.STORE_JS);
      const { RunStore } = require(process.env.RUN_STORE_JS);
      const store = Store.open(process.env.ROOT);
      const runs = new RunStore(store);
      let lists = 0, seen = 0;
      const until = Date.now() + 1000;
      while (Date.now() < until) { seen = Math.max(seen, ...runs.list().map((r) => r.metrics.loss ? r.metrics.loss.steps : 0)); lists++; }
      store.close();
      console.log(JSON.stringify({ lists }));`;
    const env = { ROOT: root, RUN_STORE_JS };
    const results = await Promise.all([...[0, 1, 2, 3].map((w) => runNode(writer, { env: { ...env, WRITER: String(w) } })), runNode(lister, { env })]);
    for (const r of results) {
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr + r.stdout, /SQLITE_BUSY|busy/i);
    }
    assert.ok((results[4].json as { lists: number }).lists > 0);
    const store = Store.open(root);
    try {
      const after = new RunStore(store);
      for (let w = 0; w < 4; w++) {
        const r = after.get(`w${w}`)!;
        assert.deepEqual(r.metrics.loss, { last: 4999, lastStep: 4999, min: 0, max: 4999, steps: 5000 }, `writer ${w}`);
        const points = after.series(`w${w}`, 'loss');
        assert.equal(points.length, 5000);
        assert.equal(points.reduce((s, p) => s + p.value, 0), (4999 * 5000) / 2);
      }
    } finally {
      store.close();
    }
  });
});

describe('RunStore: audit entries', () => {
  test('create, end and delete each record their entry (actor, run entity, what changed); the chain verifies', () => withRuns((runs, _root, store) => {
    runs.create(newRun('r1', { sweepId: 's1' }), ACTOR);
    runs.appendMetrics('r1', [{ name: 'loss', value: 1, step: 0, time: 1 }, { name: 'loss', value: 0.5, step: 1, time: 2 }, { name: 'acc', value: 0.7, step: 0, time: 2 }]);
    runs.addArtifacts('r1', [{ path: 'model.json', sha256: 'e'.repeat(64), size: 12 }]);
    runs.finish('r1', 'completed', 0, 1_700_000_000_100, 'ci-bot');
    assert.equal(runs.finish('r1', 'failed', 1, 1_700_000_000_200, ACTOR), false);
    assert.equal(runs.delete('r1', 'bo@example.eu'), true);
    assert.equal(runs.delete('r1', ACTOR), false, 'nothing to delete, nothing recorded');
    const entries = [...auditEntries(store.db)];
    assert.deepEqual(entries.map((e) => [e.seq, e.action, e.entity, e.actor]), [
      [1, 'run.create', 'run:r1', ACTOR], [2, 'run.end', 'run:r1', 'ci-bot'], [3, 'run.delete', 'run:r1', 'bo@example.eu'],
    ]);
    assert.deepEqual(entries[0].details, {
      pipeline: 'grant-fraud', pipelineFile: 'pipeline.yaml', stage: 'train', sweepId: 's1', paramsHash: 'p'.repeat(64), data: { train: `sha256:${'d'.repeat(64)}` },
      gitCommit: 'a'.repeat(40), gitDirty: false, executor: 'local', command: 'node src/train.js',
    });
    assert.deepEqual(entries[1].details, { status: 'completed', exitCode: 0, points: 3, artifacts: 1 }, 'metric points are counted at the end, not audited one by one');
    assert.deepEqual(entries[2].details, {
      pipelineFile: 'pipeline.yaml', stage: 'train', status: 'completed', startedAt: new Date(1_700_000_000_000).toISOString(), paramsHash: 'p'.repeat(64),
      data: { train: `sha256:${'d'.repeat(64)}` }, gitCommit: 'a'.repeat(40), artifacts: 1,
    });
    assert.equal(verifyAuditChain(store.db).ok, true);
  }));

  test('a run found interrupted is ended by the actor given (MLOps itself), with the reason', () => withRuns((runs, _root, store) => {
    runs.create(newRun('dead', { pid: 11 }), ACTOR);
    runs.markInterrupted('here', () => false, 99, SYSTEM_ACTOR);
    const [, end] = [...auditEntries(store.db)];
    assert.deepEqual([end.action, end.actor, end.details], ['run.end', 'mlops', { status: 'interrupted', exitCode: null, reason: 'the process that ran it (pid 11 on here) had ended', points: 0, artifacts: 0 }]);
  }));

  test('a run a registered model version was made from is not deleted, and nothing is recorded', () => withRuns((runs, _root, store) => {
    runs.create(newRun('r1'), ACTOR);
    runs.finish('r1', 'completed', 0, 5, ACTOR);
    store.transaction((db) => {
      db.prepare("INSERT INTO models (name, pipeline_file, created_at, created_by) VALUES ('grant-fraud', 'pipeline.yaml', 1, 'x')").run();
      db.prepare("INSERT INTO model_versions (model, version, run_id, artifact_path, artifact_sha256, artifact_size, created_at, created_by, gates, gates_passed) VALUES ('grant-fraud', 3, 'r1', 'model.json', ?, 12, 1, 'x', '[]', 1)").run('e'.repeat(64));
    });
    assert.throws(() => runs.delete('r1', ACTOR), (e: unknown) => e instanceof RunRegisteredError && e.code === 'run-registered' && /grant-fraud\/3/.test(e.message));
    assert.equal(runs.get('r1')?.status, 'completed');
    assert.deepEqual([...auditEntries(store.db)].map((e) => e.action), ['run.create', 'run.end']);
  }));

  test('a change whose audit entry cannot be written is not made: the two share one transaction', () => withRuns((runs, _root, store) => {
    // An entry that cannot be written (here a trigger refuses every one) takes the change down with it.
    store.db.exec("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log unavailable'); END");
    assert.throws(() => runs.create(newRun('r1'), ACTOR), /audit log unavailable/);
    assert.equal(runs.get('r1'), undefined, 'no run without its entry');
  }));
});
