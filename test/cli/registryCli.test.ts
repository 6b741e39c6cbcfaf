/**
 * `mlops registry ...` with the built CLI on a real git project whose pipeline (prepare -> train ->
 * evaluate, tiny Node scripts following the training contract) was run with `mlops run`: gates
 * taken from the evaluate run, four-eyes approval between different --by users, two approvers in
 * two processes at once, SIGKILLs during a promotion (the state is wholly old or wholly new and the
 * audit chain verifies), the model card.
 *
 * Nothing here asserts a duration. The kill moments come from a seeded PRNG; the seed is printed
 * (MLOPS_CRASH_SEED replays it).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { seededRandom } from '../../bench/snapshotData';
import { verifyAuditChain } from '../../server/src/core/audit/verify';
import { ANNEX_IV_HEADINGS } from '../../server/src/core/registry/modelCard';
import { ModelRegistry } from '../../server/src/core/registry/registry';
import { Store } from '../../server/src/core/store/store';
import { CliResult, json, mlops, spawnMlops, tempDir } from './cliTestUtil';

const SCRIPTS: Record<string, string> = {
  'src/prepare.js': `
const fs = require('fs');
const params = JSON.parse(fs.readFileSync(process.env.MLOPS_PARAMS, 'utf8'));
fs.appendFileSync(process.env.MLOPS_METRICS, JSON.stringify({ name: 'missing_rate', value: params.prepare.missing }) + '\\n');
`,
  // The model is what the run leaves in MLOPS_OUTPUT_DIR; models/model.json is what evaluate reads.
  'src/train.js': `
const fs = require('fs');
const path = require('path');
const params = JSON.parse(fs.readFileSync(process.env.MLOPS_PARAMS, 'utf8'));
const model = JSON.stringify({ quality: params.train.quality, seed: params.train.seed });
fs.mkdirSync('models', { recursive: true });
fs.writeFileSync('models/model.json', model);
fs.writeFileSync(path.join(process.env.MLOPS_OUTPUT_DIR, 'model.json'), model);
fs.appendFileSync(process.env.MLOPS_METRICS, JSON.stringify({ name: 'loss', value: 1 - params.train.quality }) + '\\n');
`,
  'src/evaluate.js': `
const fs = require('fs');
const model = JSON.parse(fs.readFileSync('models/model.json', 'utf8'));
fs.appendFileSync(process.env.MLOPS_METRICS, JSON.stringify({ name: 'accuracy', value: model.quality }) + '\\n');
`,
};

const PIPELINE = `apiVersion: mlops/v1
kind: Pipeline
name: screening
description: Flags applications for manual review
risk: high
params: params.yaml
stages:
  prepare:
    cmd: node src/prepare.js
    deps: [src/prepare.js]
    params: [prepare.missing]
    metrics: [missing_rate]
  train:
    cmd: node src/train.js
    needs: [prepare]
    deps: [src/train.js]
    params: [train.quality, train.seed]
    metrics: [loss]
  evaluate:
    cmd: node src/evaluate.js
    needs: [train]
    deps: [src/evaluate.js, models/model.json]
    metrics: [accuracy]
validation:
  - { metric: missing_rate, max: 0.05, type: data_quality }
  - { metric: accuracy, min: 0.8, description: At least 80% of the test cases right }
registry:
  model: screening
  approvals: 2
monitor:
  performance: { metric: accuracy, min: 0.75 }
governance:
  humanOversight: true
  logRetentionDays: 365
  owner: review-team
  intendedPurpose: Prioritise applications for review by a person
`;

const git = (root: string, ...args: string[]): void => void execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.org', ...args], { cwd: root });

/** The train run ids of three whole-pipeline runs: a good model, a bad one (accuracy 0.5), another good one. */
interface Base { root: string; good: string; bad: string; good2: string; goodEvaluate: string; goodPrepare: string }

function buildBase(): Base {
  const root = tempDir('mlops-registrycli-');
  fs.mkdirSync(path.join(root, 'src'));
  for (const [file, text] of Object.entries(SCRIPTS)) fs.writeFileSync(path.join(root, file), text);
  fs.writeFileSync(path.join(root, 'params.yaml'), 'prepare:\n  missing: 0.01\ntrain:\n  quality: 0.9\n  seed: 1\n');
  fs.writeFileSync(path.join(root, 'pipeline.yaml'), PIPELINE);
  fs.writeFileSync(path.join(root, '.gitignore'), 'models/\n');
  git(root, 'init', '-q');
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'project');
  const runPipeline = (...set: string[]): Record<string, string> => {
    const r = mlops(root, 'run', ...set.flatMap((s) => ['--set', s]), '--json');
    assert.equal(r.code, 0, r.stderr + r.stdout);
    return Object.fromEntries((json(r).runs as { id: string; stage: string }[]).map((x) => [x.stage, x.id]));
  };
  const first = runPipeline();
  const bad = runPipeline('train.quality=0.5');
  const second = runPipeline('train.seed=2');
  return { root, good: first.train, bad: bad.train, good2: second.train, goodEvaluate: first.evaluate, goodPrepare: first.prepare };
}

/** A fresh copy of the base project (its runs, cache and git history), for one test. */
function copyOf(base: Base): string {
  const root = tempDir('mlops-registrycli-copy-');
  fs.cpSync(base.root, root, { recursive: true });
  return root;
}

function ok(r: CliResult): any {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}${r.stdout}`);
  return json(r);
}

function refusedWith(r: CliResult, code: string): string {
  assert.equal(r.code, 1, `expected ${code}, exit ${r.code}: ${r.stdout}${r.stderr}`);
  const doc = json(r);
  assert.equal(doc.error.code, code, doc.error.message);
  return doc.error.message;
}

/** Registers the given train runs (v1, v2...) and puts v1 into Production through alice's request and bob's and carol's approvals. */
function withProduction(root: string, ...runIds: string[]): void {
  for (const id of runIds) ok(mlops(root, 'registry', 'register', '--run', id, '--by', 'alice', '--json'));
  const t = ok(mlops(root, 'registry', 'transition', 'screening', '1', 'Production', '--by', 'alice', '--json'));
  ok(mlops(root, 'registry', 'approve', t.request.id, '--by', 'bob', '--json'));
  assert.equal(ok(mlops(root, 'registry', 'approve', t.request.id, '--by', 'carol', '--json')).applied, true);
}

function withStore<T>(root: string, fn: (store: Store, registry: ModelRegistry) => T): T {
  const store = Store.open(root);
  try {
    return fn(store, new ModelRegistry(store));
  } finally {
    store.close();
  }
}

describe('mlops registry', () => {
  let base: Base;
  before(() => {
    base = buildBase();
  });

  test('register takes the gates from the prepare and evaluate runs; failing gates block Staging, and high risk allows no override', () => {
    const root = copyOf(base);
    const v1 = ok(mlops(root, 'registry', 'register', '--run', base.good, '--by', 'alice', '--json'));
    assert.deepEqual([v1.model, v1.version, v1.runId, v1.stage, v1.createdBy, v1.artifact.path, v1.gatesPassed, v1.aliases, v1.tags, v1.pendingRequests], [
      'screening', 1, base.good, 'None', 'alice', 'model.json', true, [], {}, [],
    ]);
    assert.match(v1.artifact.sha256, /^[0-9a-f]{64}$/);
    assert.ok(!Number.isNaN(Date.parse(v1.createdAt)));
    assert.deepEqual(v1.gates, [
      { metric: 'missing_rate', max: 0.05, value: 0.01, runId: base.goodPrepare, stage: 'prepare', verdict: 'pass', type: 'data_quality' },
      { metric: 'accuracy', min: 0.8, value: 0.9, runId: base.goodEvaluate, stage: 'evaluate', verdict: 'pass', description: 'At least 80% of the test cases right' },
    ]);
    refusedWith(mlops(root, 'registry', 'register', '--run', base.good, '--by', 'bob', '--json'), 'already-registered');

    const v2 = ok(mlops(root, 'registry', 'register', '--run', base.bad, '--by', 'alice', '--json'));
    assert.deepEqual([v2.version, v2.gatesPassed, v2.gates[1].value, v2.gates[1].verdict], [2, false, 0.5, 'fail']);
    refusedWith(mlops(root, 'registry', 'transition', 'screening', '2', 'Staging', '--by', 'alice', '--json'), 'gates-failed');
    const text = mlops(root, 'registry', 'transition', 'screening', '2', 'staging', '--by', 'alice');
    assert.equal(text.code, 1);
    assert.match(text.stderr, /^mlops: Version 2 of screening fails 1 gate: accuracy 0\.5 \(min 0\.8\)\. It cannot enter Staging\.\n$/);
    assert.match(refusedWith(mlops(root, 'registry', 'transition', 'screening', '2', 'Staging', '--override-gates', '--reason', 'pilot', '--by', 'alice', '--json'), 'override-not-allowed'), /high-risk/);
    const staged = ok(mlops(root, 'registry', 'transition', 'screening', '1', 'Staging', '--by', 'alice', '--json'));
    assert.deepEqual([staged.applied, staged.version.stage, staged.archived], [true, 'Staging', null]);

    const list = ok(mlops(root, 'registry', 'list', '--json'));
    assert.deepEqual(list.models.map((m: any) => [m.name, m.pipelineFile, m.risk, m.approvalsRequired, m.versions.map((v: any) => [v.version, v.stage])]), [
      ['screening', 'pipeline.yaml', 'high', 2, [[2, 'None'], [1, 'Staging']]],
    ]);
    const shown = ok(mlops(root, 'registry', 'show', 'screening', '1', '--json'));
    assert.deepEqual(shown.history.map((h: any) => [h.version, h.from, h.to, h.actor, h.requestId, h.gatesOverridden]), [[1, 'None', 'Staging', 'alice', null, false]]);
    refusedWith(mlops(root, 'registry', 'show', 'nope', '--json'), 'unknown-model');
    refusedWith(mlops(root, 'registry', 'register', '--run', 'ffffffffffff', '--json'), 'unknown-run');
    assert.equal(mlops(root, 'registry', 'transition', 'screening', '1', 'Live').code, 2, 'not a stage: a usage error');
  });

  test('Production needs two approvers other than the requester; requests, approve and reject with different --by', () => {
    const root = copyOf(base);
    ok(mlops(root, 'registry', 'register', '--run', base.good, '--by', 'alice', '--json'));
    ok(mlops(root, 'registry', 'register', '--run', base.good2, '--by', 'alice', '--json'));
    const t = ok(mlops(root, 'registry', 'transition', 'screening', '1', 'Production', '--by', 'alice', '--reason', 'first release', '--json'));
    assert.equal(t.applied, false);
    assert.deepEqual([t.request.model, t.request.version, t.request.toStage, t.request.requestedBy, t.request.reason, t.request.required, t.request.approvals, t.request.status, t.request.decidedAt],
      ['screening', 1, 'Production', 'alice', 'first release', 2, [], 'pending', null]);
    const id = t.request.id;
    assert.equal(t.opened, true);
    const pending = ok(mlops(root, 'registry', 'transition', 'screening', '1', 'Production', '--by', 'dave', '--json'));
    assert.deepEqual([pending.applied, pending.opened, pending.request.id], [false, false, id], 'already pending: the same request, not a new one');
    assert.deepEqual(ok(mlops(root, 'registry', 'requests', '--json')).requests.map((q: any) => q.id), [id]);

    assert.match(refusedWith(mlops(root, 'registry', 'approve', id, '--by', 'alice', '--json'), 'self-approval'), /four-eyes/);
    const bob = ok(mlops(root, 'registry', 'approve', id, '--by', 'bob', '--reason', 'read the evaluation', '--json'));
    assert.deepEqual([bob.counted, bob.applied, bob.version, bob.archived, bob.request.approvals.map((a: any) => [a.approver, a.reason])], [true, false, null, null, [['bob', 'read the evaluation']]]);
    const again = mlops(root, 'registry', 'approve', id, '--by', 'bob');
    assert.equal(again.code, 0);
    assert.match(again.stdout, /counts once \(1 of 2\)/);
    const carol = ok(mlops(root, 'registry', 'approve', id, '--by', 'carol', '--json'));
    assert.deepEqual([carol.counted, carol.applied, carol.version.stage, carol.archived, carol.request.status], [true, true, 'Production', null, 'approved']);
    refusedWith(mlops(root, 'registry', 'approve', id, '--by', 'dave', '--json'), 'not-pending');

    const t2 = ok(mlops(root, 'registry', 'transition', 'screening', '2', 'Production', '--by', 'alice', '--json'));
    assert.equal(mlops(root, 'registry', 'reject', t2.request.id, '--by', 'bob').code, 2, 'a rejection without --reason is a usage error');
    const rejected = ok(mlops(root, 'registry', 'reject', t2.request.id, '--by', 'bob', '--reason', 'wait for the fairness review', '--json'));
    assert.deepEqual([rejected.request.status, rejected.request.rejection.by, rejected.request.rejection.reason], ['rejected', 'bob', 'wait for the fairness review']);
    assert.deepEqual(ok(mlops(root, 'registry', 'requests', '--json')).requests, []);
    assert.deepEqual(ok(mlops(root, 'registry', 'requests', '--all', '--json')).requests.map((q: any) => q.status).sort(), ['approved', 'rejected']);

    const model = ok(mlops(root, 'registry', 'show', 'screening', '--json'));
    assert.deepEqual(model.versions.map((v: any) => [v.version, v.stage]), [[2, 'None'], [1, 'Production']]);
    assert.deepEqual(model.history.map((h: any) => [h.version, h.from, h.to, h.actor, h.reason, h.requestId]), [[1, 'None', 'Production', 'carol', 'first release', id]]);
    withStore(root, (store) => assert.equal(verifyAuditChain(store.db).ok, true));
  });

  test('a request dies with its version\'s archiving; the last approval checks the gates as pipeline.yaml sets them then; text is one line', () => {
    const root = copyOf(base);
    ok(mlops(root, 'registry', 'register', '--run', base.good, '--by', 'alice', '--json'));
    ok(mlops(root, 'registry', 'register', '--run', base.good2, '--by', 'alice', '--json'));
    const t1 = ok(mlops(root, 'registry', 'transition', 'screening', '1', 'Production', '--by', 'alice', '--json'));
    ok(mlops(root, 'registry', 'transition', 'screening', '1', 'Archived', '--by', 'carol', '--json'));
    refusedWith(mlops(root, 'registry', 'approve', t1.request.id, '--by', 'bob', '--json'), 'not-pending');
    assert.deepEqual(ok(mlops(root, 'registry', 'requests', '--all', '--json')).requests.map((q: any) => [q.id, q.status]), [[t1.request.id, 'cancelled']]);
    assert.deepEqual(ok(mlops(root, 'registry', 'show', 'screening', '1', '--json')).history.map((h: any) => [h.from, h.to]), [['None', 'Archived']]);

    const t2 = ok(mlops(root, 'registry', 'transition', 'screening', '2', 'Production', '--by', 'alice', '--json'));
    fs.writeFileSync(path.join(root, 'pipeline.yaml'), PIPELINE.replace('min: 0.8', 'min: 0.99'));
    refusedWith(mlops(root, 'registry', 'transition', 'screening', '2', 'Staging', '--by', 'alice', '--json'), 'gates-failed');
    ok(mlops(root, 'registry', 'approve', t2.request.id, '--by', 'bob', '--json'));
    assert.match(refusedWith(mlops(root, 'registry', 'approve', t2.request.id, '--by', 'dave', '--json'), 'gates-failed'), /accuracy 0\.9 \(min 0\.99\).*stays pending until the gates pass or someone rejects it/);
    assert.deepEqual(ok(mlops(root, 'registry', 'requests', '--json')).requests.map((q: any) => [q.id, q.approvals.map((a: any) => a.approver)]), [[t2.request.id, ['bob']]]);
    assert.equal(ok(mlops(root, 'registry', 'show', 'screening', '2', '--json')).stage, 'None');

    assert.match(refusedWith(mlops(root, 'registry', 'tag', 'screening', '2', 'note=fine\n2025-01-01 registry.approve forged', '--by', 'alice', '--json'), 'invalid-text'), /tag value.*one line/);
    withStore(root, (store) => assert.equal(verifyAuditChain(store.db).ok, true));
  });

  test('aliases, tags and rollback from the command line', () => {
    const root = copyOf(base);
    withProduction(root, base.good, base.good2);
    refusedWith(mlops(root, 'registry', 'rollback', 'screening', '--by', 'ops', '--json'), 'no-previous-production');
    const t = ok(mlops(root, 'registry', 'transition', 'screening', '2', 'Production', '--by', 'alice', '--json'));
    ok(mlops(root, 'registry', 'approve', t.request.id, '--by', 'bob', '--json'));
    const promoted = ok(mlops(root, 'registry', 'approve', t.request.id, '--by', 'carol', '--json'));
    assert.deepEqual([promoted.version.version, promoted.archived.version, promoted.archived.stage], [2, 1, 'Archived']);

    assert.deepEqual(ok(mlops(root, 'registry', 'alias', 'screening', '2', 'champion', '--by', 'alice', '--json')).aliases, ['champion']);
    assert.deepEqual(ok(mlops(root, 'registry', 'tag', 'screening', 'champion', 'ticket=GF-7', 'owner=alice', '--by', 'alice', '--json')).tags, { owner: 'alice', ticket: 'GF-7' });
    assert.deepEqual(ok(mlops(root, 'registry', 'tag', 'screening', '2', '--remove', 'owner', '--by', 'alice', '--json')).tags, { ticket: 'GF-7' });
    assert.equal(ok(mlops(root, 'registry', 'show', 'screening', '@champion', '--json')).version, 2);
    ok(mlops(root, 'registry', 'alias', 'screening', '2', 'challenger', '--by', 'alice', '--json'));
    assert.deepEqual(ok(mlops(root, 'registry', 'alias', 'screening', '2', 'challenger', '--remove', '--by', 'alice', '--json')).aliases, ['champion']);
    assert.equal(mlops(root, 'registry', 'alias', 'screening', '2', 'champion', '--by', 'alice', '--remove').code, 0, '--remove last');

    const back = ok(mlops(root, 'registry', 'rollback', 'screening', '--by', 'ops', '--reason', 'complaints from auditors', '--json'));
    assert.deepEqual([back.restored.version, back.restored.stage, back.archived.version, back.archived.stage], [1, 'Production', 2, 'Archived']);
    const history = ok(mlops(root, 'registry', 'show', 'screening', '--json')).history;
    assert.deepEqual(history.slice(-2).map((h: any) => [h.version, h.to, h.actor, h.reason]), [[2, 'Archived', 'ops', 'complaints from auditors'], [1, 'Production', 'ops', 'complaints from auditors']]);
  });

  test('two approvers in two processes at once: exactly one applies the promotion, both approvals count, one Production version', async () => {
    const root = copyOf(base);
    withProduction(root, base.good, base.good2);
    for (let round = 1; round <= 3; round++) {
      const t = ok(mlops(root, 'registry', 'transition', 'screening', '2', 'Production', '--by', 'alice', '--json'));
      const results = await Promise.all(['bob', 'carol'].map((by) => spawnMlops(root, ['registry', 'approve', t.request.id, '--by', by, '--json']).done));
      const docs = results.map((r) => {
        assert.equal(r.code, 0, `round ${round}: ${r.stderr}${r.stdout}`);
        return JSON.parse(r.stdout);
      });
      assert.deepEqual(docs.map((d) => d.counted), [true, true], `round ${round}`);
      assert.equal(docs.filter((d) => d.applied).length, 1, `round ${round}: exactly one applies it`);
      withStore(root, (store, registry) => {
        const q = registry.request(t.request.id)!;
        assert.deepEqual([q.status, q.approvals.map((a) => a.approver).sort()], ['approved', ['bob', 'carol']]);
        assert.deepEqual(store.db.prepare("SELECT version FROM model_versions WHERE model = 'screening' AND stage = 'Production'").pluck().all(), [2]);
        assert.equal(registry.getVersion('screening', 1).stage, 'Archived');
        assert.equal(verifyAuditChain(store.db).ok, true);
        registry.rollback({ model: 'screening', actor: 'ops' });
      });
    }
  });

  test('killing `mlops registry approve` during a promotion leaves the state wholly old or wholly new, and the audit chain verifies', { timeout: 300_000 }, async () => {
    const KILLS = 20;
    const MAX_ATTEMPTS = 80;
    const seed = process.env.MLOPS_CRASH_SEED ? Number(process.env.MLOPS_CRASH_SEED) : crypto.randomInt(2 ** 31);
    console.log(`# registry crash test seed: ${seed} (replay with MLOPS_CRASH_SEED=${seed})`);
    const rnd = seededRandom(seed);
    const root = copyOf(base);
    withProduction(root, base.good, base.good2);

    /** Version 2 requested for Production by alice and approved by bob: carol's approval completes it. */
    const openRequest = (): string => withStore(root, (_store, registry) => {
      const r = registry.transition({ model: 'screening', version: 2, to: 'Production', actor: 'alice' });
      assert.ok(!r.applied);
      registry.approve({ requestId: r.request.id, actor: 'bob' });
      return r.request.id;
    });
    /** 'old' or 'new', after checking that the state is wholly one of them. */
    const stateOf = (requestId: string, what: string): 'old' | 'new' => withStore(root, (store, registry) => {
      const chain = verifyAuditChain(store.db);
      assert.equal(chain.ok, true, `${what}: audit chain ${JSON.stringify(chain.broken)}`);
      const production = store.db.prepare("SELECT version FROM model_versions WHERE model = 'screening' AND stage = 'Production'").pluck().all();
      assert.equal(production.length, 1, `${what}: one Production version`);
      const q = registry.request(requestId)!;
      const transitions = store.db.prepare('SELECT version, from_stage, to_stage FROM stage_transitions WHERE request_id = ? ORDER BY id').raw().all(requestId);
      const approvals = (store.db.prepare("SELECT details FROM audit_log WHERE action = 'registry.approve'").pluck().all() as string[]).filter((d) => JSON.parse(d).request === requestId).length;
      const moves = (store.db.prepare("SELECT details FROM audit_log WHERE action = 'registry.transition'").pluck().all() as string[]).filter((d) => JSON.parse(d).requestId === requestId).length;
      const state = { status: q.status, approvers: q.approvals.map((a) => a.approver).sort(), production: production[0], v1: registry.getVersion('screening', 1).stage, transitions, approvals, moves };
      if (q.status === 'pending') {
        assert.deepEqual(state, { status: 'pending', approvers: ['bob'], production: 1, v1: 'Production', transitions: [], approvals: 1, moves: 0 }, `${what}: wholly old`);
        return 'old';
      }
      assert.deepEqual(state, {
        status: 'approved', approvers: ['bob', 'carol'], production: 2, v1: 'Archived', transitions: [[1, 'Production', 'Archived'], [2, 'Archived', 'Production']], approvals: 2, moves: 2,
      }, `${what}: wholly new`);
      return 'new';
    });
    const reset = (): void => withStore(root, (_store, registry) => void registry.rollback({ model: 'screening', actor: 'ops' }));

    // One uninterrupted approval first: its duration is the kill window.
    withStore(root, (_store, registry) => registry.transition({ model: 'screening', version: 2, to: 'Archived', actor: 'ops' }));
    let requestId = openRequest();
    const timing = await spawnMlops(root, ['registry', 'approve', requestId, '--by', 'carol', '--json']).done;
    assert.equal(timing.code, 0, timing.stderr);
    assert.equal(JSON.parse(timing.stdout).applied, true);
    assert.equal(stateOf(requestId, 'the timing run'), 'new');
    reset();
    requestId = openRequest();

    const outcomes = { old: 0, new: 0, finished: 0 };
    let kills = 0;
    for (let attempt = 1; kills < KILLS; attempt++) {
      assert.ok(attempt <= MAX_ATTEMPTS, `only ${kills} of ${attempt - 1} approvals were killed before they finished (window ${timing.ms.toFixed(0)} ms)`);
      // Every other kill in the last third of the window, where the store is opened, written and committed
      // (the first two thirds are mostly Node's start-up).
      const delay = timing.ms * (attempt % 2 ? rnd() : 2 / 3 + rnd() / 3);
      const what = `attempt ${attempt} (kill after ${delay.toFixed(1)} ms, seed ${seed})`;
      const { child, done } = spawnMlops(root, ['registry', 'approve', requestId, '--by', 'carol', '--json']);
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      const run = await done;
      let state: 'old' | 'new';
      if (run.signal === 'SIGKILL') {
        kills++;
        state = stateOf(requestId, what);
        outcomes[state]++;
      } else {
        outcomes.finished++;
        assert.equal(run.code, 0, `${what}: ${run.stderr}`);
        state = stateOf(requestId, what);
        assert.equal(state, 'new', `${what}: a finished approval applied the promotion`);
      }
      if (state === 'new') {
        reset();
        requestId = openRequest();
      }
    }
    console.log(`# ${kills} kills (state after: ${outcomes.old} old, ${outcomes.new} new), ${outcomes.finished} approval(s) finished before the kill; window ${timing.ms.toFixed(0)} ms`);
  });

  test('card: every Annex IV section in Markdown and HTML, --out writes the file, --json gives {format, text}', () => {
    const root = copyOf(base);
    withProduction(root, base.good);
    const md = mlops(root, 'registry', 'card', 'screening', '1');
    assert.equal(md.code, 0, md.stderr);
    ANNEX_IV_HEADINGS.forEach((h, i) => assert.ok(md.stdout.includes(`\n## ${i + 1}. ${h}\n`), h));
    for (const fact of ['Prioritise applications for review by a person', base.good, base.goodEvaluate, 'bob', 'carol', 'train.quality']) assert.ok(md.stdout.includes(fact), fact);

    const out = mlops(root, 'registry', 'card', 'screening', '1', '--format', 'html', '--out', 'card.html');
    assert.equal(out.code, 0, out.stderr);
    const html = fs.readFileSync(path.join(root, 'card.html'), 'utf8');
    ANNEX_IV_HEADINGS.forEach((h, i) => assert.ok(html.includes(`<h2>${i + 1}. ${h}</h2>`), h));
    assert.ok(!/<script/i.test(html));

    const doc = ok(mlops(root, 'registry', 'card', 'screening', '1', '--format', 'html', '--json'));
    assert.equal(doc.format, 'html');
    assert.match(doc.text, /^<!DOCTYPE html>/);
    refusedWith(mlops(root, 'registry', 'card', 'screening', '7', '--json'), 'unknown-version');
    assert.equal(mlops(root, 'registry', 'card', 'screening', '1', '--format', 'pdf').code, 2);
  });

  test('with no database yet, list and requests answer empty and create nothing', () => {
    const root = tempDir('mlops-registrycli-empty-');
    fs.mkdirSync(path.join(root, '.git'));
    assert.deepEqual(ok(mlops(root, 'registry', 'list', '--json')), { models: [] });
    assert.deepEqual(ok(mlops(root, 'registry', 'requests', '--json')), { requests: [] });
    assert.equal(fs.existsSync(path.join(root, '.mlops')), false);
    assert.equal(mlops(root, 'registry').code, 2);
    assert.equal(mlops(root, 'registry', 'frobnicate').code, 2);
  });
});
