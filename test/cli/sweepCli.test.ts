/**
 * `mlops sweep` with the built CLI on real git projects whose stage is a Node script following the
 * training contract: a grid of 6 trials 2 at once (parallelism proven from the trials' own event
 * log, not from timing), a seeded random search, the stage chosen by its metric, Ctrl+C.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { alive, CLI, json, mlops, tempDir } from './cliTestUtil';

/**
 * Appends `start ID` / `end ID` to events.log (O_APPEND: whole lines, in the order they happen).
 * Before reporting its loss a trial waits for a peer to be running too, unless every other trial
 * has ended: with 2 at once two trials always overlap, with 1 at once one would wait (and after
 * 60 s give up, so that a broken sweep fails the test instead of hanging it).
 */
const BARRIER_TRAIN = `
const fs = require('fs');
const path = require('path');
const params = JSON.parse(fs.readFileSync(process.env.MLOPS_PARAMS, 'utf8'));
const log = path.join(process.cwd(), 'events.log');
const total = Number(process.argv[2]);
fs.appendFileSync(log, 'start ' + process.env.MLOPS_RUN_ID + '\\n');
const replay = () => {
  let active = 0, ended = 0;
  for (const line of fs.readFileSync(log, 'utf8').trim().split('\\n')) line.startsWith('start ') ? active++ : (active--, ended++);
  return { active, ended };
};
const giveUpAt = Date.now() + 60000;
const finish = () => {
  const loss = Math.abs(Math.log10(params.train.lr) + 2) + params.train.batch_size / 1000;
  fs.appendFileSync(process.env.MLOPS_METRICS, JSON.stringify({ name: 'loss', value: loss, step: 0 }) + '\\n');
  fs.writeFileSync(path.join(process.env.MLOPS_OUTPUT_DIR, 'model.json'), JSON.stringify(params.train));
  fs.appendFileSync(log, 'end ' + process.env.MLOPS_RUN_ID + '\\n');
};
const wait = () => {
  const { active, ended } = replay();
  if (active >= 2 || ended >= total - 1 || Date.now() > giveUpAt) finish();
  else setTimeout(wait, 5);
};
wait();
`;

/** score = lr * 100 + momentum; with `wait` it records its pid and runs until killed. */
const SCORE_TRAIN = `
const fs = require('fs');
const path = require('path');
const params = JSON.parse(fs.readFileSync(process.env.MLOPS_PARAMS, 'utf8'));
if (process.argv[2] === 'wait') {
  fs.writeFileSync(path.join(process.env.MLOPS_OUTPUT_DIR, '..', 'started'), String(process.pid));
  setInterval(() => {}, 1000);
} else {
  fs.appendFileSync(process.env.MLOPS_METRICS, JSON.stringify({ name: 'score', value: params.train.lr * 100 + params.train.momentum, step: 0 }) + '\\n');
}
`;

function project(files: { params: string; stages: string; script: string }): string {
  const root = tempDir('mlops-sweepcli-');
  fs.mkdirSync(path.join(root, 'data', 'raw'), { recursive: true });
  fs.mkdirSync(path.join(root, 'src'));
  fs.writeFileSync(path.join(root, 'data', 'raw', 'rows.csv'), 'a,b\n1,2\n');
  fs.writeFileSync(path.join(root, 'src', 'train.js'), files.script);
  fs.writeFileSync(path.join(root, 'params.yaml'), files.params);
  fs.writeFileSync(path.join(root, '.gitignore'), '/.mlops/\n/events.log\n');
  fs.writeFileSync(path.join(root, 'pipeline.yaml'), [
    'apiVersion: mlops/v1', 'kind: Pipeline', 'name: demo', 'params: params.yaml', 'data:', '  raw: { path: data/raw }', 'stages:', files.stages,
  ].join('\n'));
  execFileSync('git', ['init', '-q'], { cwd: root });
  execFileSync('git', ['add', '-A'], { cwd: root });
  execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.org', 'commit', '-q', '-m', 'project'], { cwd: root });
  return root;
}

const GRID_PARAMS = [
  'train:', '  lr: 0.01', '  batch_size: 32',
  'search:', '  method: grid', '  metric: loss', '  goal: minimize', '  space:', '    train.lr: { values: [0.1, 0.01, 0.001] }', '    train.batch_size: { values: [32, 64] }', '',
].join('\n');

const RANDOM_PARAMS = [
  'train:', '  lr: 0.01', '  momentum: 0.9', '  epochs: 3',
  'search:', '  method: random', '  trials: 4', '  seed: 1', '  metric: score', '  goal: maximize', '  space:',
  '    train.lr: { min: 1.0e-4, max: 0.1, log: true }', '    train.momentum: { values: [0.5, 0.9, 0.99] }', '    train.epochs: { min: 1, max: 9 }', '',
].join('\n');

describe('mlops sweep', () => {
  test('a grid of 6 trials, 2 at once, under one sweep id; the best is the lowest loss', () => {
    const root = project({
      params: GRID_PARAMS, script: BARRIER_TRAIN,
      stages: ['  prepare:', '    cmd: node -e 0', '  train:', '    cmd: node src/train.js 6', '    deps: [data.raw, src/train.js]', '    params: [train.lr, train.batch_size]', '    metrics: [loss]', ''].join('\n'),
    });
    const r = mlops(root, 'sweep', '--parallel', '2', '--json');
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const sweep = json(r);
    assert.match(sweep.sweepId, /^[0-9a-f]{12}$/);
    assert.equal(sweep.stage, 'train', 'the stage that reports loss');
    assert.deepEqual(sweep.trials.map((t: { params: object }) => t.params), [
      { 'train.lr': 0.1, 'train.batch_size': 32 }, { 'train.lr': 0.1, 'train.batch_size': 64 },
      { 'train.lr': 0.01, 'train.batch_size': 32 }, { 'train.lr': 0.01, 'train.batch_size': 64 },
      { 'train.lr': 0.001, 'train.batch_size': 32 }, { 'train.lr': 0.001, 'train.batch_size': 64 },
    ]);
    for (const t of sweep.trials) {
      assert.equal(t.status, 'completed');
      assert.equal(t.metric, Math.abs(Math.log10(t.params['train.lr']) + 2) + t.params['train.batch_size'] / 1000);
    }
    const winner = sweep.trials[2];
    assert.deepEqual(sweep.best, { id: winner.id, metric: 0.032, params: { 'train.lr': 0.01, 'train.batch_size': 32 } });

    // Each trial is a run of the sweep, with the trial's values in its params and artifact.
    const runs = json(mlops(root, 'runs', 'list', '--json')).runs;
    assert.equal(runs.length, 6);
    assert.ok(runs.every((x: { sweepId: string; stage: string }) => x.sweepId === sweep.sweepId && x.stage === 'train'));
    assert.deepEqual(new Set(runs.map((x: { id: string }) => x.id)), new Set(sweep.trials.map((t: { id: string }) => t.id)));
    const best = json(mlops(root, 'runs', 'show', winner.id, '--json'));
    assert.deepEqual(best.params, { train: { lr: 0.01, batch_size: 32 } });
    assert.equal(best.metrics.loss.last, 0.032);

    // Replaying the trials' start/end events: two running at once, never three.
    let active = 0;
    let most = 0;
    const events = fs.readFileSync(path.join(root, 'events.log'), 'utf8').trim().split('\n');
    for (const e of events) {
      active += e.startsWith('start ') ? 1 : -1;
      most = Math.max(most, active);
    }
    assert.equal(events.length, 12);
    assert.equal(most, 2);
  });

  test('random search: --seed draws the same trials again, the best is the highest score; the table names it', () => {
    const root = project({
      params: RANDOM_PARAMS, script: SCORE_TRAIN,
      stages: ['  train:', '    cmd: node src/train.js', '    params: [train.lr, train.momentum, train.epochs]', '    metrics: [score]', ''].join('\n'),
    });
    const first = json(mlops(root, 'sweep', '--seed', '7', '--json'));
    const again = json(mlops(root, 'sweep', '--seed', '7', '--json'));
    const fromFile = json(mlops(root, 'sweep', '--json'));
    assert.equal(first.seed, 7);
    assert.equal(fromFile.seed, 1, 'search.seed without --seed');
    assert.notEqual(first.sweepId, again.sweepId);
    const params = (s: { trials: { params: object }[] }): object[] => s.trials.map((t) => t.params);
    assert.equal(first.trials.length, 4);
    assert.deepEqual(params(again), params(first));
    assert.notDeepEqual(params(fromFile), params(first));
    for (const t of first.trials) {
      assert.ok(t.params['train.lr'] >= 1e-4 && t.params['train.lr'] <= 0.1);
      assert.ok(Number.isInteger(t.params['train.epochs']) && t.params['train.epochs'] >= 1 && t.params['train.epochs'] <= 9);
      assert.ok([0.5, 0.9, 0.99].includes(t.params['train.momentum']));
      const run = json(mlops(root, 'runs', 'show', t.id, '--json'));
      assert.deepEqual(run.params.train, { lr: t.params['train.lr'], momentum: t.params['train.momentum'], epochs: t.params['train.epochs'] }, 'the exact values drawn reached the run');
    }
    const top = first.trials.reduce((a: { metric: number }, b: { metric: number }) => (b.metric > a.metric ? b : a));
    assert.deepEqual(first.best, { id: top.id, metric: top.metric, params: top.params });

    const text = mlops(root, 'sweep', '--seed', '7');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stderr, /^mlops: sweep [0-9a-f]{12}: 4 trial\(s\) of stage train, 1 at once \(seed 7\)$/m);
    assert.match(text.stdout, /^RUN +STATUS +score +train\.lr +train\.momentum +train\.epochs$/m);
    assert.match(text.stdout, new RegExp(`^Best \\(maximize score\\): run [0-9a-f]{12}, score ${top.metric}, train\\.lr=${top.params['train.lr']} `, 'm'));
  });

  test('no stage reporting the metric asks for --stage; a bad --parallel is a usage error', () => {
    const root = project({
      params: RANDOM_PARAMS, script: SCORE_TRAIN,
      stages: ['  train:', '    cmd: node src/train.js', '    metrics: [accuracy]', ''].join('\n'),
    });
    const r = mlops(root, 'sweep', '--json');
    assert.equal(r.code, 1);
    assert.equal(json(r).error.code, 'no-stage-for-metric');
    assert.match(json(r).error.message, /No stage of pipeline\.yaml lists the search metric 'score' among its metrics: name the stage to sweep with --stage/);
    const bad = mlops(root, 'sweep', '--parallel', '0');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--parallel needs a number of trials at once, at least 1 \(got '0'\)/);
    // With --stage the sweep runs: the metric is what the script logs, declared or not.
    const named = json(mlops(root, 'sweep', '--stage', 'train', '--json'));
    assert.equal(named.trials.length, 4);
    assert.ok(named.trials.every((t: { status: string; metric: number }) => t.status === 'completed' && typeof t.metric === 'number'));
    assert.notEqual(named.best, null);
  });

  test('Ctrl+C cancels the running trials (their processes end) and starts no more', async () => {
    const root = project({
      params: RANDOM_PARAMS, script: SCORE_TRAIN,
      stages: ['  train:', '    cmd: node src/train.js wait', '    deps: [data.raw]', '    metrics: [score]', ''].join('\n'),
    });
    const child = spawn(process.execPath, [CLI, 'sweep', '--parallel', '2', '--json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const runsDir = path.join(root, '.mlops', 'runs');
    const pidOf = (id: string): number => {
      try {
        return Number(fs.readFileSync(path.join(runsDir, id, 'started'), 'utf8')); // 0 while empty
      } catch {
        return 0; // not started yet
      }
    };
    const started = (): number[] => (fs.existsSync(runsDir) ? fs.readdirSync(runsDir).map(pidOf).filter((pid) => pid > 0) : []);
    while (started().length < 2) await new Promise((r) => setTimeout(r, 10));
    const pids = started();
    child.kill('SIGINT');
    assert.equal(await exited, 1, 'no trial completed');
    const sweep = JSON.parse(out);
    assert.equal(sweep.cancelled, true);
    assert.deepEqual(sweep.trials.map((t: { status: string }) => t.status), ['cancelled', 'cancelled', 'not-started', 'not-started']);
    assert.deepEqual(sweep.trials.slice(2).map((t: { id: string | null }) => t.id), [null, null]);
    for (const pid of pids) {
      for (let i = 0; i < 500 && alive(pid); i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(alive(pid), false, `trial process ${pid} is gone`);
    }
    const runs = json(mlops(root, 'runs', 'list', '--json')).runs;
    assert.deepEqual(runs.map((x: { status: string }) => x.status), ['cancelled', 'cancelled']);
  });
});
