/**
 * The model registry on real SQLite files: registration and numbering, artifacts, gates and their
 * overrides, transitions, four-eyes approval, promotion archiving the previous Production version
 * in one transaction, rollback, aliases, tags, and an audit entry for every change.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { RegistryError } from '../../../server/src/core/registry/errors';
import { approvalsRequired, RegistryPipeline } from '../../../server/src/core/registry/pipelinePolicy';
import { chooseArtifact, ModelRegistry } from '../../../server/src/core/registry/registry';
import { transitionJson } from '../../../server/src/core/registry/registryJson';
import { RunRecord, RunStore } from '../../../server/src/core/runs/runStore';
import { Store, StoreError } from '../../../server/src/core/store/store';
import { removeTempDirs } from '../store/storeTestUtil';
import { assertAuditChainVerifies, auditTrail, insertPipelineRuns, insertRun, pipelineYaml, PipelineOptions, registryProject } from './registryFixture';

after(removeTempDirs);

function withRegistry(o: PipelineOptions | Record<string, string>, fn: (registry: ModelRegistry, store: Store) => void): void {
  const pipelines = 'pipeline.yaml' in o ? (o as Record<string, string>) : { 'pipeline.yaml': pipelineYaml(o as PipelineOptions) };
  const { store, registry } = registryProject(pipelines);
  try {
    fn(registry, store);
    assertAuditChainVerifies(store.db);
  } finally {
    store.close();
  }
}

function refused(code: string, fn: () => unknown): void {
  assert.throws(fn, (e: unknown) => e instanceof RegistryError && e.code === code, `expected ${code}`);
}

/** Two good candidates (v1, v2) registered; v1 in Production through `approvers`. */
function twoVersions(registry: ModelRegistry, store: Store, approvers: string[]): void {
  registry.register({ runId: insertPipelineRuns(store.db, 'a', 1000), actor: 'alice' });
  registry.register({ runId: insertPipelineRuns(store.db, 'b', 2000), actor: 'alice' });
  const r = registry.transition({ model: 'demo-model', version: 1, to: 'Production', actor: 'alice' });
  if (!r.applied) for (const a of approvers) registry.approve({ requestId: r.request.id, actor: a });
  assert.equal(registry.getVersion('demo-model', 1).stage, 'Production');
}

/** Tests of a race put `meanwhile` right after the registry's first read of a run. */
class InterleavedRuns extends RunStore {
  constructor(store: Store, private meanwhile: (() => void) | undefined) {
    super(store);
  }

  override get(idOrPrefix: string): RunRecord | undefined {
    const run = super.get(idOrPrefix);
    const act = this.meanwhile;
    this.meanwhile = undefined;
    act?.();
    return run;
  }
}

/**
 * A registry during whose first read of a run another process does `act`, on its own connection to
 * the file. That connection does not wait for the write lock: while the registry holds it, `act`
 * fails as `busy` (another process would wait until the change committed) and `acted` says so.
 */
function raced(store: Store, act: (other: Store) => void): { registry: ModelRegistry; acted: () => boolean } {
  let acted = false;
  const registry = new ModelRegistry(store, new InterleavedRuns(store, () => {
    const other = Store.open(store.projectRoot, { busyTimeoutMs: 0 });
    try {
      act(other);
      acted = true;
    } catch (e) {
      if (!(e instanceof StoreError && e.code === 'busy')) throw e;
    } finally {
      other.close();
    }
  }));
  return { registry, acted: () => acted };
}

/** Rewrites the project's pipeline file: the policy a later decision reads. */
function setPipeline(store: Store, o: PipelineOptions): void {
  fs.writeFileSync(path.join(store.projectRoot, 'pipeline.yaml'), pipelineYaml(o));
}

describe('register', () => {
  test('versions are numbered per model; the name defaults to registry.model; the gate report is kept', () => withRegistry({}, (registry, store) => {
    const v1 = registry.register({ runId: insertPipelineRuns(store.db, 'a', 1000), actor: 'alice' });
    const v2 = registry.register({ runId: insertPipelineRuns(store.db, 'b', 2000, { accuracy: 0.5 }), actor: 'bob' });
    const other = registry.register({ runId: 'a-train', model: 'other-model', actor: 'alice' });
    assert.deepEqual([v1.model, v1.version, v2.version, other.model, other.version], ['demo-model', 1, 2, 'other-model', 1]);
    assert.deepEqual([v1.runId, v1.stage, v1.createdBy, v1.artifact.path, v1.gatesPassed], ['a-train', 'None', 'alice', 'model.json', true]);
    assert.deepEqual(v1.gates.map((g) => [g.metric, g.value, g.runId, g.verdict]), [['missing_rate', 0.01, 'a-prepare', 'pass'], ['accuracy', 0.9, 'a-evaluate', 'pass']]);
    assert.deepEqual(v1.gates[0], { metric: 'missing_rate', max: 0.05, value: 0.01, runId: 'a-prepare', stage: 'prepare', verdict: 'pass', description: 'Few missing values', type: 'data_quality' });
    assert.equal(v2.gatesPassed, false);
    assert.deepEqual(registry.listModels().map((m) => [m.name, m.versions.map((v) => v.version), m.risk, m.approvalsRequired]), [['demo-model', [2, 1], 'limited', 0], ['other-model', [1], 'limited', 0]]);
    assert.deepEqual(auditTrail(store.db).map((e) => [e.action, e.entity, e.actor]), [
      ['registry.register', 'model:demo-model/1', 'alice'], ['registry.register', 'model:demo-model/2', 'bob'], ['registry.register', 'model:other-model/1', 'alice'],
    ]);
  }));

  test('the same run and artifact twice is refused, naming the version; a short run id works', () => withRegistry({}, (registry, store) => {
    insertPipelineRuns(store.db, 'abcdef', 1000);
    registry.register({ runId: 'abcdef-tr', actor: 'alice' });
    assert.throws(() => registry.register({ runId: 'abcdef-train', actor: 'bob' }), (e: unknown) => e instanceof RegistryError && e.code === 'already-registered' && /version 1/.test(e.message));
  }));

  test('unknown and unfinished runs, runs without artifacts, bad names, another pipeline\'s model are refused', () => withRegistry(
    { 'pipeline.yaml': pipelineYaml(), 'b.pipeline.yaml': pipelineYaml({ model: 'demo-model' }) }, (registry, store) => {
      refused('unknown-run', () => registry.register({ runId: 'nope', actor: 'alice' }));
      insertRun(store.db, { id: 'running', stage: 'train', startedAt: 1, status: 'running', artifacts: ['model.json'] });
      refused('run-not-completed', () => registry.register({ runId: 'running', actor: 'alice' }));
      insertRun(store.db, { id: 'bare', stage: 'train', startedAt: 1 });
      refused('no-artifact', () => registry.register({ runId: 'bare', actor: 'alice' }));
      insertRun(store.db, { id: 'good', stage: 'train', startedAt: 1, artifacts: ['model.json'] });
      refused('no-artifact', () => registry.register({ runId: 'good', artifact: 'weights.bin', actor: 'alice' }));
      refused('invalid-name', () => registry.register({ runId: 'good', model: 'Bad Name', actor: 'alice' }));
      registry.register({ runId: 'good', actor: 'alice' });
      insertRun(store.db, { id: 'elsewhere', stage: 'train', startedAt: 1, artifacts: ['model.json'], pipelineFile: 'b.pipeline.yaml' });
      refused('pipeline-mismatch', () => registry.register({ runId: 'elsewhere', actor: 'alice' }));
      assert.equal(registry.register({ runId: 'elsewhere', model: 'b-model', actor: 'alice' }).version, 1);
    }));

  test('a run whose pipeline file is gone or invalid: no-pipeline, naming the file', () => withRegistry({ 'pipeline.yaml': 'apiVersion: mlops/v1\nkind: Pipeline\nname: demo\n' }, (registry, store) => {
    insertRun(store.db, { id: 't', stage: 'train', startedAt: 1, artifacts: ['model.json'] });
    assert.throws(() => registry.register({ runId: 't', actor: 'alice' }), (e: unknown) => e instanceof RegistryError && e.code === 'no-pipeline' && /pipeline\.yaml/.test(e.message));
    insertRun(store.db, { id: 'u', stage: 'train', startedAt: 1, artifacts: ['model.json'], pipelineFile: 'gone.pipeline.yaml' });
    assert.throws(() => registry.register({ runId: 'u', actor: 'alice' }), (e: unknown) => e instanceof RegistryError && e.code === 'no-pipeline' && /gone\.pipeline\.yaml.*no longer exists/.test(e.message));
  }));

  test('a run deleted by another process while it is being registered is refused, not registered', () => withRegistry({}, (_registry, store) => {
    const runId = insertPipelineRuns(store.db, 'a', 1000);
    const { registry, acted } = raced(store, (other) => new RunStore(other).delete(runId, 'mallory'));
    refused('unknown-run', () => registry.register({ runId, actor: 'alice' }));
    assert.ok(acted(), 'the run was deleted between the read and the transaction');
    assert.deepEqual([registry.listModels(), store.db.prepare('SELECT COUNT(*) FROM model_versions').pluck().get()], [[], 0]);
  }));

  test('the artifact: the named one, the only one, the only model file among several, else ambiguous', () => {
    const a = (...paths: string[]) => ({ id: 'r', artifacts: paths.map((p) => ({ path: p, sha256: 'x', size: 1 })) });
    assert.equal(chooseArtifact(a('out/weights.bin')).path, 'out/weights.bin');
    assert.equal(chooseArtifact(a('report.txt', 'model.onnx', 'plot.png')).path, 'model.onnx');
    assert.equal(chooseArtifact(a('a.json', 'b.pkl'), './b.pkl').path, 'b.pkl');
    assert.throws(() => chooseArtifact(a('a.json', 'b.pkl')), (e: unknown) => e instanceof RegistryError && e.code === 'ambiguous-artifact' && /a\.json, b\.pkl/.test(e.message));
    assert.throws(() => chooseArtifact(a('x.txt', 'y.txt')), (e: unknown) => e instanceof RegistryError && e.code === 'ambiguous-artifact');
    assert.throws(() => chooseArtifact(a()), (e: unknown) => e instanceof RegistryError && e.code === 'no-artifact');
  });
});

describe('transitions and gates', () => {
  test('Staging is immediate when the gates pass; a failing gate blocks Staging and Production, not None or Archived', () => withRegistry({}, (registry, store) => {
    registry.register({ runId: insertPipelineRuns(store.db, 'a', 1000), actor: 'alice' });
    registry.register({ runId: insertPipelineRuns(store.db, 'b', 2000, { accuracy: 0.5, missing_rate: 0.2 }), actor: 'alice' });
    const r = registry.transition({ model: 'demo-model', version: 1, to: 'Staging', actor: 'alice', reason: 'candidate' });
    assert.ok(r.applied);
    assert.deepEqual([r.version.stage, r.archived], ['Staging', null]);
    for (const to of ['Staging', 'Production'] as const) {
      assert.throws(() => registry.transition({ model: 'demo-model', version: 2, to, actor: 'alice' }),
        (e: unknown) => e instanceof RegistryError && e.code === 'gates-failed' && /missing_rate 0\.2 \(max 0\.05\), accuracy 0\.5 \(min 0\.8\)/.test(e.message) && /--override-gates/.test(e.message));
    }
    assert.equal(registry.transition({ model: 'demo-model', version: 2, to: 'Archived', actor: 'alice' }).applied, true);
    refused('same-stage', () => registry.transition({ model: 'demo-model', version: 2, to: 'Archived', actor: 'alice' }));
    refused('unknown-version', () => registry.transition({ model: 'demo-model', version: 9, to: 'Staging', actor: 'alice' }));
    refused('unknown-model', () => registry.transition({ model: 'nope', version: 1, to: 'Staging', actor: 'alice' }));
    assert.deepEqual(registry.history('demo-model').map((h) => [h.version, h.from, h.to, h.actor, h.reason]), [[1, 'None', 'Staging', 'alice', 'candidate'], [2, 'None', 'Archived', 'alice', null]]);
  }));

  test('off high risk, --override-gates needs a reason and is recorded; on a high-risk pipeline it is refused', () => {
    withRegistry({ risk: 'limited' }, (registry, store) => {
      registry.register({ runId: insertPipelineRuns(store.db, 'b', 2000, { accuracy: 0.5 }), actor: 'alice' });
      refused('reason-required', () => registry.transition({ model: 'demo-model', version: 1, to: 'Staging', actor: 'alice', overrideGates: true }));
      const r = registry.transition({ model: 'demo-model', version: 1, to: 'Staging', actor: 'alice', overrideGates: true, reason: 'pilot on synthetic data only' });
      assert.equal(r.applied, true);
      assert.deepEqual(registry.history('demo-model', 1).map((h) => [h.to, h.gatesOverridden, h.reason]), [['Staging', true, 'pilot on synthetic data only']]);
      const entry = auditTrail(store.db).at(-1)!;
      assert.deepEqual([entry.action, entry.details.gatesOverridden, entry.details.reason], ['registry.transition', true, 'pilot on synthetic data only']);
    });
    withRegistry({ risk: 'high', approvals: 1 }, (registry, store) => {
      registry.register({ runId: insertPipelineRuns(store.db, 'b', 2000, { accuracy: 0.5 }), actor: 'alice' });
      assert.throws(() => registry.transition({ model: 'demo-model', version: 1, to: 'Staging', actor: 'alice', overrideGates: true, reason: 'please' }),
        (e: unknown) => e instanceof RegistryError && e.code === 'override-not-allowed' && /high-risk/.test(e.message));
      assert.equal(registry.getVersion('demo-model', 1).stage, 'None');
    });
  });

  test('gates are evaluated again at a transition: an evaluation run after the registration counts', () => withRegistry({}, (registry, store) => {
    insertRun(store.db, { id: 'p', stage: 'prepare', startedAt: 1000, metrics: { missing_rate: 0.01 } });
    insertRun(store.db, { id: 't', stage: 'train', startedAt: 1020, artifacts: ['model.json'] });
    const v = registry.register({ runId: 't', actor: 'alice' });
    assert.deepEqual(v.gates.map((g) => g.verdict), ['pass', 'missing']);
    assert.throws(() => registry.transition({ model: 'demo-model', version: 1, to: 'Staging', actor: 'alice' }), (e: unknown) => e instanceof RegistryError && e.code === 'gates-failed' && /run the stage that reports it/.test(e.message));
    insertRun(store.db, { id: 'e', stage: 'evaluate', startedAt: 1040, metrics: { accuracy: 0.88 } });
    const r = registry.transition({ model: 'demo-model', version: 1, to: 'Staging', actor: 'alice' });
    assert.ok(r.applied);
    assert.deepEqual([r.version.gatesPassed, r.version.gates[1].runId], [true, 'e'], 'the version keeps the report the decision was taken on');
    assert.deepEqual((auditTrail(store.db).at(-1)!.details.gates as { verdict: string }[]).map((g) => g.verdict), ['pass', 'pass']);
  }));

  test('an alias is resolved in the transaction: another process moving it meanwhile does not redirect the transition', () => withRegistry({}, (registry, store) => {
    registry.register({ runId: insertPipelineRuns(store.db, 'a', 1000), actor: 'alice' });
    registry.register({ runId: insertPipelineRuns(store.db, 'b', 2000), actor: 'alice' });
    registry.setAlias({ model: 'demo-model', version: 1, alias: 'champion', actor: 'alice' });
    // The other process moves the alias while the transition evaluates the gates (its read of a run).
    const { registry: racing } = raced(store, (other) => new ModelRegistry(other).setAlias({ model: 'demo-model', version: 2, alias: 'champion', actor: 'mallory' }));
    const r = racing.transition({ model: 'demo-model', version: 'champion', to: 'Staging', actor: 'alice' });
    assert.ok(r.applied);
    assert.equal(r.version.version, registry.getVersion('demo-model', 'champion').version, 'the version staged is the one the alias named when it was staged');
  }));

  test('approvals needed for Production: registry.approvals, else 1 on a high-risk pipeline and 0 otherwise', () => {
    const p = (risk: RegistryPipeline['risk'], approvals?: number): RegistryPipeline => ({ name: 'x', stages: {}, risk, ...(approvals !== undefined && { registry: { approvals } }) });
    assert.deepEqual([approvalsRequired(p('high')), approvalsRequired(p('limited')), approvalsRequired(p(undefined)), approvalsRequired(p('high', 3)), approvalsRequired(p('minimal', 0))], [1, 0, 0, 3, 0]);
  });

  test('without approvals a promotion is immediate and archives the previous Production version', () => withRegistry({ approvals: 0 }, (registry, store) => {
    twoVersions(registry, store, []);
    const r = registry.transition({ model: 'demo-model', version: 2, to: 'Production', actor: 'bob' });
    assert.ok(r.applied);
    assert.deepEqual([r.version.version, r.version.stage, r.archived?.version, r.archived?.stage], [2, 'Production', 1, 'Archived']);
    assert.deepEqual(registry.history('demo-model').slice(-2).map((h) => [h.version, h.from, h.to, h.reason]), [[1, 'Production', 'Archived', 'superseded by version 2'], [2, 'None', 'Production', null]]);
  }));
});

describe('four-eyes approval', () => {
  test('Production opens a request; the requester cannot approve; a second approval by one person counts once; the last one applies it', () => withRegistry({ risk: 'high', approvals: 2 }, (registry, store) => {
    twoVersions(registry, store, ['bob', 'carol']);
    const r = registry.transition({ model: 'demo-model', version: 2, to: 'Production', actor: 'alice', reason: 'better recall' });
    assert.ok(!r.applied);
    const id = r.request.id;
    assert.deepEqual([r.opened, r.request.required, r.request.status, r.request.requestedBy, r.request.reason], [true, 2, 'pending', 'alice', 'better recall']);
    const again = registry.transition({ model: 'demo-model', version: 2, to: 'Production', actor: 'dave' });
    assert.ok(!again.applied);
    assert.deepEqual([again.opened, again.request.id], [false, id], 'one pending request per version and stage');
    assert.deepEqual(registry.getVersion('demo-model', 2).pendingRequests.map((q) => q.id), [id]);

    refused('self-approval', () => registry.approve({ requestId: id, actor: 'alice' }));
    refused('self-approval', () => registry.approve({ requestId: id, actor: ' ALICE ' }));
    const first = registry.approve({ requestId: id, actor: 'bob', reason: 'checked the fairness report' });
    assert.deepEqual([first.counted, first.applied, first.request.approvals.length, first.version], [true, false, 1, null]);
    const twice = registry.approve({ requestId: id, actor: 'Bob' });
    assert.deepEqual([twice.counted, twice.applied, twice.request.approvals.map((a) => a.approver)], [false, false, ['bob']]);
    assert.equal(registry.getVersion('demo-model', 1).stage, 'Production', 'nothing moved yet');

    const last = registry.approve({ requestId: id, actor: 'carol' });
    assert.deepEqual([last.counted, last.applied, last.request.status, last.version?.stage, last.archived?.version, last.archived?.stage], [true, true, 'approved', 'Production', 1, 'Archived']);
    assert.deepEqual(last.request.approvals.map((a) => [a.approver, a.reason]), [['bob', 'checked the fairness report'], ['carol', null]]);
    refused('not-pending', () => registry.approve({ requestId: id, actor: 'dave' }));
    refused('unknown-request', () => registry.approve({ requestId: 'nope', actor: 'dave' }));

    // One transaction: the archive, the promotion and the decision share their moment, request and actor.
    const [archived, promoted] = registry.history('demo-model').slice(-2);
    assert.deepEqual([archived.version, archived.to, archived.requestId, promoted.version, promoted.to, promoted.requestId, promoted.actor, promoted.reason], [1, 'Archived', id, 2, 'Production', id, 'carol', 'better recall']);
    assert.equal(archived.at, promoted.at);
    assert.equal(last.request.decidedAt, promoted.at);
    assert.deepEqual(auditTrail(store.db).slice(-6).map((e) => [e.action, e.entity, e.actor]), [
      ['registry.request', 'model:demo-model/2', 'alice'],
      ['registry.approve', 'model:demo-model/2', 'bob'],
      ['registry.approve', 'model:demo-model/2', 'Bob'],
      ['registry.approve', 'model:demo-model/2', 'carol'],
      ['registry.transition', 'model:demo-model/1', 'carol'],
      ['registry.transition', 'model:demo-model/2', 'carol'],
    ]);
    assert.equal(store.db.prepare("SELECT COUNT(*) AS n FROM model_versions WHERE stage = 'Production'").pluck().get(), 1);
  }));

  test('a rejection needs a reason, closes the request and is kept with who and why', () => withRegistry({ risk: 'high', approvals: 1 }, (registry, store) => {
    twoVersions(registry, store, ['bob']);
    const r = registry.transition({ model: 'demo-model', version: 2, to: 'Production', actor: 'alice' });
    assert.ok(!r.applied);
    refused('reason-required', () => registry.reject({ requestId: r.request.id, actor: 'bob', reason: '  ' }));
    const q = registry.reject({ requestId: r.request.id, actor: 'bob', reason: 'recall dropped on Malta' });
    assert.equal(q.status, 'rejected');
    assert.deepEqual([q.rejection?.by, q.rejection?.reason, q.approvals], ['bob', 'recall dropped on Malta', []]);
    refused('not-pending', () => registry.approve({ requestId: q.id, actor: 'carol' }));
    assert.deepEqual(registry.requests().map((x) => x.id), [], 'no pending request left');
    assert.deepEqual(registry.requests({ all: true }).map((x) => x.status).sort(), ['approved', 'rejected']);
    assert.equal(registry.getVersion('demo-model', 1).stage, 'Production');
    const entry = auditTrail(store.db).at(-1)!;
    assert.deepEqual([entry.action, entry.entity, entry.details.reason, entry.details.request], ['registry.reject', 'model:demo-model/2', 'recall dropped on Malta', q.id]);
  }));

  test('the transition JSON tells a request just opened from one already pending', () => withRegistry({ risk: 'high', approvals: 1 }, (registry, store) => {
    registry.register({ runId: insertPipelineRuns(store.db, 'a', 1000), actor: 'alice' });
    const opened = transitionJson(registry.transition({ model: 'demo-model', version: 1, to: 'Production', actor: 'alice' }));
    const again = transitionJson(registry.transition({ model: 'demo-model', version: 1, to: 'Production', actor: 'bob' }));
    assert.ok(!opened.applied && !again.applied);
    assert.deepEqual([opened.opened, again.opened, again.request.id], [true, false, opened.request.id]);
    const staged = transitionJson(registry.transition({ model: 'demo-model', version: 1, to: 'Staging', actor: 'alice' }));
    assert.deepEqual(Object.keys(staged), ['applied', 'version', 'archived']);
  }));

  test('a pending request is cancelled, with an audit entry, when its version is archived or moved to None: no approval brings it back', () => withRegistry({ risk: 'high', approvals: 2 }, (registry, store) => {
    registry.register({ runId: insertPipelineRuns(store.db, 'a', 1000), actor: 'alice' });
    registry.register({ runId: insertPipelineRuns(store.db, 'b', 2000), actor: 'alice' });
    const r1 = registry.transition({ model: 'demo-model', version: 1, to: 'Production', actor: 'alice' });
    assert.ok(!r1.applied);
    assert.equal(registry.transition({ model: 'demo-model', version: 1, to: 'Archived', actor: 'carol', reason: 'data leak found' }).applied, true);
    assert.equal(registry.request(r1.request.id)?.status, 'cancelled');
    refused('not-pending', () => registry.approve({ requestId: r1.request.id, actor: 'bob' }));
    assert.deepEqual(registry.history('demo-model', 1).map((h) => [h.from, h.to]), [['None', 'Archived']]);
    assert.deepEqual(auditTrail(store.db).slice(-2).map((e) => [e.action, e.entity, e.actor, e.details]), [
      ['registry.transition', 'model:demo-model/1', 'carol', { from: 'None', to: 'Archived', reason: 'data leak found', requestId: null, gatesOverridden: false }],
      ['registry.cancel', 'model:demo-model/1', 'carol', { request: r1.request.id, to: 'Production', reason: 'version 1 was moved to Archived' }],
    ]);

    registry.transition({ model: 'demo-model', version: 2, to: 'Staging', actor: 'alice' });
    const r2 = registry.transition({ model: 'demo-model', version: 2, to: 'Production', actor: 'alice' });
    assert.ok(!r2.applied);
    registry.approve({ requestId: r2.request.id, actor: 'bob' });
    registry.transition({ model: 'demo-model', version: 2, to: 'None', actor: 'carol' });
    assert.deepEqual([registry.request(r2.request.id)?.status, registry.getVersion('demo-model', 2).pendingRequests], ['cancelled', []]);
    refused('not-pending', () => registry.approve({ requestId: r2.request.id, actor: 'dave' }));
    assert.deepEqual(auditTrail(store.db).at(-1)!.details, { request: r2.request.id, to: 'Production', reason: 'version 2 was moved to None' });
    assert.equal(store.db.prepare("SELECT COUNT(*) FROM model_versions WHERE stage = 'Production'").pluck().get(), 0);
  }));

  test('the last approval evaluates the gates again on the pipeline as it is now: tightened gates keep the request pending', () => withRegistry({ risk: 'high', approvals: 2 }, (registry, store) => {
    twoVersions(registry, store, ['bob', 'carol']);
    const r = registry.transition({ model: 'demo-model', version: 2, to: 'Production', actor: 'alice' });
    assert.ok(!r.applied);
    setPipeline(store, { risk: 'high', approvals: 2, gates: ['  - { metric: accuracy, min: 0.99 }'] });
    refused('gates-failed', () => registry.transition({ model: 'demo-model', version: 2, to: 'Staging', actor: 'alice' }));
    assert.equal(registry.approve({ requestId: r.request.id, actor: 'bob' }).applied, false, 'an approval that does not complete the request is counted');
    const before = auditTrail(store.db).length;
    assert.throws(() => registry.approve({ requestId: r.request.id, actor: 'dave' }),
      (e: unknown) => e instanceof RegistryError && e.code === 'gates-failed' && /accuracy 0\.9 \(min 0\.99\)/.test(e.message)
        && e.message.includes(`Request ${r.request.id} stays pending until the gates pass or someone rejects it`) && !/override/.test(e.message));
    assert.equal(auditTrail(store.db).length, before, 'nothing written');
    const q = registry.request(r.request.id)!;
    assert.deepEqual([q.status, q.approvals.map((a) => a.approver)], ['pending', ['bob']]);
    assert.deepEqual([registry.getVersion('demo-model', 1).stage, registry.getVersion('demo-model', 2).stage, registry.getVersion('demo-model', 2).gates[1].min], ['Production', 'None', 0.8]);

    setPipeline(store, { risk: 'high', approvals: 2, gates: ['  - { metric: accuracy, min: 0.85 }'] });
    const last = registry.approve({ requestId: r.request.id, actor: 'dave' });
    assert.deepEqual([last.applied, last.version?.stage], [true, 'Production']);
    assert.deepEqual(last.version?.gates.map((g) => [g.metric, g.min, g.verdict]), [['accuracy', 0.85, 'pass']], 'the version keeps the report the approval was decided on');
    const promoted = auditTrail(store.db).at(-1)!;
    assert.deepEqual([promoted.action, promoted.entity, promoted.details.gatesOverridden, (promoted.details.gates as { min: number }[])[0].min], ['registry.transition', 'model:demo-model/2', false, 0.85]);
  }));

  test('off high risk, an override the request was opened with holds at the last approval, if the pipeline still allows one', () => withRegistry({ risk: 'limited', approvals: 1 }, (registry, store) => {
    registry.register({ runId: insertPipelineRuns(store.db, 'a', 1000), actor: 'alice' });
    for (const [tag, t] of [['b', 2000], ['c', 3000], ['d', 4000]] as const) registry.register({ runId: insertPipelineRuns(store.db, tag, t, { accuracy: 0.5 }), actor: 'alice' });
    const production = (version: number, reason?: string) => {
      const r = registry.transition({ model: 'demo-model', version, to: 'Production', actor: 'alice', ...(reason === undefined ? {} : { overrideGates: true, reason }) });
      assert.ok(!r.applied);
      return r.request.id;
    };
    // Opened with failing gates overridden: the override holds.
    const overridden = registry.approve({ requestId: production(2, 'pilot'), actor: 'bob' });
    assert.deepEqual([overridden.applied, registry.history('demo-model', 2).at(-1)?.gatesOverridden], [true, true]);
    // Opened with passing gates, then tightened: no override to honour.
    const plain = production(1);
    setPipeline(store, { risk: 'limited', approvals: 1, gates: ['  - { metric: accuracy, min: 0.95 }'] });
    assert.throws(() => registry.approve({ requestId: plain, actor: 'bob' }), (e: unknown) => e instanceof RegistryError && e.code === 'gates-failed' && /stays pending/.test(e.message));
    // Opened with an override, and the gates pass by now: nothing overridden.
    const loosened = production(3, 'pilot 2');
    setPipeline(store, { risk: 'limited', approvals: 1, gates: ['  - { metric: accuracy, min: 0.4 }'] });
    assert.equal(registry.approve({ requestId: loosened, actor: 'bob' }).applied, true);
    assert.equal(registry.history('demo-model', 3).at(-1)?.gatesOverridden, false);
    // Opened with an override, then the pipeline became high-risk: none allowed.
    setPipeline(store, { risk: 'limited', approvals: 1, gates: ['  - { metric: accuracy, min: 0.95 }'] });
    const raised = production(4, 'pilot 3');
    setPipeline(store, { risk: 'high', approvals: 1, gates: ['  - { metric: accuracy, min: 0.95 }'] });
    assert.throws(() => registry.approve({ requestId: raised, actor: 'bob' }), (e: unknown) => e instanceof RegistryError && e.code === 'override-not-allowed' && /stays pending/.test(e.message));
    assert.deepEqual(registry.requests().map((q) => q.id).sort(), [plain, raised].sort());
  }));

  test('a rejection by someone who approved replaces their approval, whatever the case of their name', () => withRegistry({ risk: 'high', approvals: 2 }, (registry, store) => {
    twoVersions(registry, store, ['bob', 'carol']);
    const r = registry.transition({ model: 'demo-model', version: 2, to: 'Production', actor: 'alice' });
    assert.ok(!r.applied);
    registry.approve({ requestId: r.request.id, actor: 'Bob' });
    const q = registry.reject({ requestId: r.request.id, actor: 'bob', reason: 'found a problem after all' });
    assert.deepEqual([q.status, q.approvals, q.rejection?.by], ['rejected', [], 'bob']);
    assert.deepEqual(store.db.prepare('SELECT approver, decision FROM approvals WHERE request_id = ?').raw().all(r.request.id), [['bob', 'reject']]);
  }));

  test('a failure inside the promotion leaves everything as it was: no approval, no archive, no audit entry', () => withRegistry({ risk: 'high', approvals: 1 }, (registry, store) => {
    twoVersions(registry, store, ['bob']);
    const r = registry.transition({ model: 'demo-model', version: 2, to: 'Production', actor: 'alice' });
    assert.ok(!r.applied);
    const before = auditTrail(store.db).length;
    // Fails the last write of the transaction: the archive of version 1 and the approval came before it.
    store.db.exec(`CREATE TEMP TRIGGER fail_promotion BEFORE INSERT ON stage_transitions WHEN NEW.to_stage = 'Production'
                   BEGIN SELECT RAISE(ABORT, 'disk gone'); END`);
    assert.throws(() => registry.approve({ requestId: r.request.id, actor: 'carol' }), /disk gone/);
    store.db.exec('DROP TRIGGER fail_promotion');
    assert.deepEqual([registry.getVersion('demo-model', 1).stage, registry.getVersion('demo-model', 2).stage], ['Production', 'None']);
    const q = registry.request(r.request.id)!;
    assert.deepEqual([q.status, q.approvals], ['pending', []]);
    assert.equal(auditTrail(store.db).length, before);
    assert.equal(registry.approve({ requestId: r.request.id, actor: 'carol' }).applied, true, 'and it can be done again');
  }));
});

describe('rollback, aliases and tags', () => {
  test('rollback restores the previous Production version, then the one before it; without a previous one it is refused', () => withRegistry({ approvals: 0 }, (registry, store) => {
    refused('unknown-model', () => registry.rollback({ model: 'demo-model', actor: 'ops' }));
    twoVersions(registry, store, []);
    registry.register({ runId: insertPipelineRuns(store.db, 'c', 3000), actor: 'alice' });
    refused('no-previous-production', () => registry.rollback({ model: 'demo-model', actor: 'ops' }));
    registry.transition({ model: 'demo-model', version: 2, to: 'Production', actor: 'alice' });
    registry.transition({ model: 'demo-model', version: 3, to: 'Production', actor: 'alice' });

    const first = registry.rollback({ model: 'demo-model', actor: 'ops', reason: 'error rate up' });
    assert.deepEqual([first.restored.version, first.restored.stage, first.archived.version, first.archived.stage], [2, 'Production', 3, 'Archived']);
    const second = registry.rollback({ model: 'demo-model', actor: 'ops' });
    assert.deepEqual([second.restored.version, second.archived.version], [1, 2], 'walks back, does not swing between the last two');
    refused('no-previous-production', () => registry.rollback({ model: 'demo-model', actor: 'ops' }));
    assert.deepEqual(registry.history('demo-model').slice(-4).map((h) => [h.version, h.from, h.to, h.actor, h.reason]), [
      [3, 'Production', 'Archived', 'ops', 'error rate up'], [2, 'Archived', 'Production', 'ops', 'error rate up'],
      [2, 'Production', 'Archived', 'ops', 'rollback'], [1, 'Archived', 'Production', 'ops', 'rollback'],
    ]);
    assert.deepEqual(auditTrail(store.db).filter((e) => e.action === 'registry.rollback').map((e) => [e.entity, e.details.restored, e.details.archived, e.details.gatesPassedNow]), [
      ['model:demo-model/2', 2, 3, true], ['model:demo-model/1', 1, 2, true],
    ]);
    registry.transition({ model: 'demo-model', version: 1, to: 'Archived', actor: 'ops' });
    refused('no-previous-production', () => registry.rollback({ model: 'demo-model', actor: 'ops' }));
  }));

  test('rollback restores a version whose gates fail now, or whose pipeline file is gone, and records that', () => withRegistry({ approvals: 0 }, (registry, store) => {
    twoVersions(registry, store, []);
    registry.transition({ model: 'demo-model', version: 2, to: 'Production', actor: 'alice' });
    setPipeline(store, { approvals: 0, gates: ['  - { metric: accuracy, min: 0.95 }'] });
    assert.equal(registry.rollback({ model: 'demo-model', actor: 'ops' }).restored.version, 1);
    const failing = auditTrail(store.db).find((e) => e.action === 'registry.rollback')!;
    assert.deepEqual([failing.details.gatesPassedNow, (failing.details.gatesNow as { verdict: string }[]).map((g) => g.verdict)], [false, ['fail']]);
    assert.equal(registry.getVersion('demo-model', 1).gates[1].min, 0.8, 'not a decision on the gates: the version keeps its report');

    setPipeline(store, { approvals: 0 });
    registry.transition({ model: 'demo-model', version: 2, to: 'Production', actor: 'alice' });
    fs.rmSync(path.join(store.projectRoot, 'pipeline.yaml'));
    assert.equal(registry.rollback({ model: 'demo-model', actor: 'ops' }).restored.version, 1);
    assert.deepEqual(Object.entries(auditTrail(store.db).filter((e) => e.action === 'registry.rollback').at(-1)!.details).filter(([k]) => k.startsWith('gates')), [['gatesNow', null], ['gatesPassedNow', null]]);
  }));

  test('a pending request is cancelled when its version reaches the stage another way', () => {
    const { store, registry } = registryProject({ 'pipeline.yaml': pipelineYaml({ approvals: 0 }) });
    try {
      twoVersions(registry, store, []);
      registry.transition({ model: 'demo-model', version: 2, to: 'Production', actor: 'alice' });
      // The policy now needs an approval: a request for version 1 to come back.
      fs.writeFileSync(path.join(store.projectRoot, 'pipeline.yaml'), pipelineYaml({ approvals: 1 }));
      const r = registry.transition({ model: 'demo-model', version: 1, to: 'Production', actor: 'alice' });
      assert.ok(!r.applied);
      registry.rollback({ model: 'demo-model', actor: 'ops' });
      assert.deepEqual([registry.request(r.request.id)?.status, registry.getVersion('demo-model', 1).stage], ['cancelled', 'Production']);
      const cancel = auditTrail(store.db).at(-1)!;
      assert.deepEqual([cancel.action, cancel.entity, cancel.actor, cancel.details], ['registry.cancel', 'model:demo-model/1', 'ops', { request: r.request.id, to: 'Production', reason: 'version 1 reached Production another way' }]);
      refused('not-pending', () => registry.approve({ requestId: r.request.id, actor: 'bob' }));
      assertAuditChainVerifies(store.db);
    } finally {
      store.close();
    }
  });

  test('an alias names one version at a time; moving it is one audited change; a version is found by its alias', () => withRegistry({}, (registry, store) => {
    registry.register({ runId: insertPipelineRuns(store.db, 'a', 1000), actor: 'alice' });
    registry.register({ runId: insertPipelineRuns(store.db, 'b', 2000), actor: 'alice' });
    assert.deepEqual(registry.setAlias({ model: 'demo-model', version: 1, alias: 'champion', actor: 'alice' }).aliases, ['champion']);
    registry.setAlias({ model: 'demo-model', version: 2, alias: '@challenger', actor: 'alice' });
    const moved = registry.setAlias({ model: 'demo-model', version: 2, alias: 'champion', actor: 'bob' });
    assert.deepEqual(moved.aliases, ['challenger', 'champion']);
    assert.deepEqual(registry.getVersion('demo-model', 1).aliases, []);
    assert.equal(registry.getVersion('demo-model', 'champion').version, 2);
    assert.equal(registry.getVersion('demo-model', '@challenger').version, 2);
    refused('unknown-version', () => registry.getVersion('demo-model', 'nobody'));
    refused('unknown-alias', () => registry.setAlias({ model: 'demo-model', version: 1, alias: 'champion', actor: 'bob', remove: true }));
    refused('invalid-name', () => registry.setAlias({ model: 'demo-model', version: 1, alias: '2nd', actor: 'bob' }));
    assert.deepEqual(registry.setAlias({ model: 'demo-model', version: 'champion', alias: 'champion', actor: 'bob', remove: true }).aliases, ['challenger']);
    assert.deepEqual(auditTrail(store.db).filter((e) => e.action === 'registry.alias').map((e) => [e.entity, e.details]), [
      ['model:demo-model/1', { alias: 'champion', movedFrom: null }],
      ['model:demo-model/2', { alias: 'challenger', movedFrom: null }],
      ['model:demo-model/2', { alias: 'champion', movedFrom: 1 }],
      ['model:demo-model/2', { alias: 'champion', removed: true }],
    ]);
  }));

  test('tags are set and removed, each change audited', () => withRegistry({}, (registry, store) => {
    registry.register({ runId: insertPipelineRuns(store.db, 'a', 1000), actor: 'alice' });
    assert.deepEqual(registry.setTags({ model: 'demo-model', version: 1, set: { ticket: 'GF-12', owner: 'alice' }, remove: [], actor: 'alice' }).tags, { owner: 'alice', ticket: 'GF-12' });
    assert.deepEqual(registry.setTags({ model: 'demo-model', version: 1, set: { ticket: 'GF-13' }, remove: ['owner'], actor: 'bob' }).tags, { ticket: 'GF-13' });
    refused('invalid-name', () => registry.setTags({ model: 'demo-model', version: 1, set: { 'bad key': 'x' }, remove: [], actor: 'bob' }));
    assert.deepEqual(auditTrail(store.db).filter((e) => e.action === 'registry.tag').map((e) => [e.actor, e.details]), [
      ['alice', { set: { owner: 'alice', ticket: 'GF-12' }, removed: [] }], ['bob', { set: { ticket: 'GF-13' }, removed: ['owner'] }],
    ]);
  }));

  test('a reason, tag key or value, or alias with a line break or control character is refused: it would forge lines in the audit log and the card', () => withRegistry({ risk: 'high', approvals: 1 }, (registry, store) => {
    twoVersions(registry, store, ['bob']);
    const r = registry.transition({ model: 'demo-model', version: 2, to: 'Production', actor: 'alice' });
    assert.ok(!r.applied);
    const before = auditTrail(store.db).length;
    const invalid = (field: string, fn: () => unknown) => assert.throws(fn, (e: unknown) => e instanceof RegistryError && e.code === 'invalid-text' && e.message.startsWith(`A ${field} `) && /write it on one line/.test(e.message), field);
    invalid('reason', () => registry.transition({ model: 'demo-model', version: 2, to: 'Staging', actor: 'alice', reason: 'ok\n2025-01-01 registry.approve by bob' }));
    invalid('reason', () => registry.approve({ requestId: r.request.id, actor: 'bob', reason: 'ok\rforged' }));
    invalid('reason', () => registry.reject({ requestId: r.request.id, actor: 'bob', reason: 'no\u2028forged' }));
    invalid('reason', () => registry.rollback({ model: 'demo-model', actor: 'ops', reason: 'nul\0' }));
    invalid('tag value', () => registry.setTags({ model: 'demo-model', version: 1, set: { note: 'a\nb' }, remove: [], actor: 'alice' }));
    invalid('tag value', () => registry.setTags({ model: 'demo-model', version: 1, set: { note: 'a\u2029b' }, remove: [], actor: 'alice' }));
    invalid('tag key', () => registry.setTags({ model: 'demo-model', version: 1, set: { 'a\tb': 'x' }, remove: [], actor: 'alice' }));
    invalid('tag key', () => registry.setTags({ model: 'demo-model', version: 1, set: {}, remove: ['a\n'], actor: 'alice' }));
    invalid('alias', () => registry.setAlias({ model: 'demo-model', version: 1, alias: 'champion\n', actor: 'alice' }));
    assert.equal(auditTrail(store.db).length, before, 'nothing written');
    assert.equal(registry.approve({ requestId: r.request.id, actor: 'bob', reason: '  surrounding spaces and a final newline are trimmed\n' }).request.approvals[0].reason, 'surrounding spaces and a final newline are trimmed');
  }));

  test('every kind of change leaves its audit entry, and the chain verifies', () => withRegistry({ risk: 'high', approvals: 1 }, (registry, store) => {
    twoVersions(registry, store, ['bob']);
    const r = registry.transition({ model: 'demo-model', version: 2, to: 'Production', actor: 'alice' });
    assert.ok(!r.applied);
    registry.approve({ requestId: r.request.id, actor: 'bob' });
    registry.rollback({ model: 'demo-model', actor: 'ops' });
    const q = registry.transition({ model: 'demo-model', version: 2, to: 'Production', actor: 'alice' });
    assert.ok(!q.applied);
    registry.reject({ requestId: q.request.id, actor: 'bob', reason: 'not now' });
    registry.setAlias({ model: 'demo-model', version: 1, alias: 'champion', actor: 'alice' });
    registry.setTags({ model: 'demo-model', version: 1, set: { a: 'b' }, remove: [], actor: 'alice' });
    registry.transition({ model: 'demo-model', version: 2, to: 'Production', actor: 'alice' });
    registry.transition({ model: 'demo-model', version: 2, to: 'None', actor: 'alice' });
    const actions = new Set(auditTrail(store.db).map((e) => e.action));
    for (const a of ['register', 'transition', 'request', 'approve', 'reject', 'rollback', 'alias', 'tag', 'cancel']) assert.ok(actions.has(`registry.${a}`), a);
    // Every stage change has its entry.
    const transitions = auditTrail(store.db).filter((e) => e.action === 'registry.transition').length;
    assert.equal(transitions, registry.history('demo-model').length);
  }));
});
