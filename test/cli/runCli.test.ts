/**
 * `mlops run` and `mlops runs ...` with the built CLI on a real git project whose stages are Node
 * scripts following the training contract (PRODUCT.md): metrics and artifacts ingested, params
 * overrides, data snapshots, git state, failure, cancel, and a killed CLI leaving an interrupted run.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { isProcessRunning } from '../../server/src/core/runs/processState';
import { alive, CLI, json, mlops, tempDir } from './cliTestUtil';

const TRAIN = `
const fs = require('fs');
const path = require('path');
const params = JSON.parse(fs.readFileSync(process.env.MLOPS_PARAMS, 'utf8'));
const rows = fs.readFileSync(path.join(process.env.MLOPS_DATA_RAW, 'rows.csv'), 'utf8').trim().split('\\n').length;
const mode = process.argv[2];
if (mode === 'fail') { console.error('bad input'); process.exit(3); }
for (let step = 0; step < 5; step++) {
  fs.appendFileSync(process.env.MLOPS_METRICS, JSON.stringify({ name: 'loss', value: 1 / (step + 1), step }) + '\\n');
}
fs.appendFileSync(process.env.MLOPS_METRICS, JSON.stringify({ name: 'rows', value: rows }) + '\\n');
fs.mkdirSync(path.join(process.env.MLOPS_OUTPUT_DIR, 'model'), { recursive: true });
fs.writeFileSync(path.join(process.env.MLOPS_OUTPUT_DIR, 'model', 'weights.json'), JSON.stringify({ lr: params.train.lr, argv: process.argv.slice(2) }));
if (mode === 'wait') {
  fs.writeFileSync(process.env.MLOPS_OUTPUT_DIR + '/../started', String(process.pid));
  const { spawn } = require('child_process');
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  fs.writeFileSync(process.env.MLOPS_OUTPUT_DIR + '/../grandchild', String(child.pid));
  setInterval(() => {}, 1000);
}
console.log('trained on', rows, 'rows');
`;

function project(cmdArgs = ''): string {
  const root = tempDir('mlops-runcli-');
  fs.mkdirSync(path.join(root, 'data', 'raw'), { recursive: true });
  fs.mkdirSync(path.join(root, 'src'));
  fs.writeFileSync(path.join(root, 'data', 'raw', 'rows.csv'), 'a,b\n1,2\n3,4\n');
  fs.writeFileSync(path.join(root, 'src', 'train.js'), TRAIN);
  fs.writeFileSync(path.join(root, 'params.yaml'), 'train:\n  lr: 0.05\n  epochs: 3\n');
  fs.writeFileSync(path.join(root, 'pipeline.yaml'), [
    'apiVersion: mlops/v1', 'kind: Pipeline', 'name: demo', 'params: params.yaml',
    'data:', '  raw: { path: data/raw }',
    'stages:', '  train:', `    cmd: node src/train.js ${cmdArgs}--lr \${params.train.lr}`, '    deps: [data.raw, src/train.js]', '    params: [train.lr]', '    metrics: [loss, rows]', '',
  ].join('\n'));
  execFileSync('git', ['init', '-q'], { cwd: root });
  execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.org', 'commit', '-q', '--allow-empty', '-m', 'start'], { cwd: root });
  execFileSync('git', ['add', '-A'], { cwd: root });
  execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.org', 'commit', '-q', '-m', 'project'], { cwd: root });
  return root;
}

function waitFor(file: string): Promise<string> {
  return new Promise((resolve) => {
    const poll = (): void => (fs.existsSync(file) && fs.readFileSync(file, 'utf8') ? resolve(fs.readFileSync(file, 'utf8')) : void setTimeout(poll, 10));
    poll();
  });
}

describe('mlops run', () => {
  test('a completed run records its four ingredients, metrics and artifacts; --set overrides a param', () => {
    const root = project();
    const r = mlops(root, 'run', 'train', '--set', 'train.lr=0.5', '--json');
    assert.equal(r.code, 0, r.stderr);
    const [run] = json(r).runs;
    assert.equal(run.status, 'completed');
    assert.equal(run.exitCode, 0);

    const show = json(mlops(root, 'runs', 'show', run.id.slice(0, 8), '--json'));
    assert.equal(show.id, run.id);
    assert.equal(show.stage, 'train');
    assert.equal(show.pipeline, 'demo');
    assert.equal(show.gitCommit, execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim());
    assert.equal(show.gitDirty, true, 'the snapshot wrote data/raw.snapshot and data/.gitignore, not committed');
    assert.deepEqual(show.params, { train: { lr: 0.5, epochs: 3 } });
    assert.match(show.paramsHash, /^[0-9a-f]{64}$/);
    const pointer = fs.readFileSync(path.join(root, 'data', 'raw.snapshot'), 'utf8');
    assert.deepEqual(Object.keys(show.data), ['raw']);
    assert.ok(pointer.includes(`sha256: ${show.data.raw.slice(7)}`), 'the run names the snapshot the data deps got');
    assert.equal(show.environment.node, process.version);
    assert.deepEqual(show.metrics.loss, { last: 0.2, min: 0.2, max: 1, steps: 5 });
    assert.deepEqual(show.metrics.rows, { last: 3, min: 3, max: 3, steps: 1 });
    assert.equal(show.artifacts.length, 1);
    const artifact = show.artifacts[0];
    assert.equal(artifact.path, 'model/weights.json');
    const object = path.join(root, '.mlops', 'cache', 'sha256', artifact.sha256.slice(0, 2), artifact.sha256.slice(2));
    const bytes = fs.readFileSync(object);
    assert.equal(crypto.createHash('sha256').update(bytes).digest('hex'), artifact.sha256);
    assert.deepEqual(JSON.parse(bytes.toString()), { lr: 0.5, argv: ['--lr', '0.5'] }, 'the override reached the command line and MLOPS_PARAMS');
    assert.match(fs.readFileSync(path.join(root, '.mlops', 'runs', run.id, 'log.txt'), 'utf8'), /trained on 3 rows/);

    const list = json(mlops(root, 'runs', 'list', '--json'));
    assert.deepEqual(list.runs.map((x: { id: string; status: string }) => [x.id, x.status]), [[run.id, 'completed']]);

    // gc keeps what a run references; once the run is deleted, its artifact goes.
    assert.equal(json(mlops(root, 'gc', '--json')).removed, 0);
    assert.ok(fs.existsSync(object));
    assert.deepEqual(json(mlops(root, 'runs', 'delete', run.id, '--json')), { id: run.id, deleted: true });
    assert.equal(json(mlops(root, 'gc', '--json')).removed, 1);
    assert.equal(fs.existsSync(object), false);
  });

  test('a failing script ends failed with its exit code (CLI exit 1); a bad override or pipeline is a located error', () => {
    const root = project('fail ');
    const r = mlops(root, 'run', 'train', '--json');
    assert.equal(r.code, 1);
    const [run] = json(r).runs;
    assert.deepEqual([run.status, run.exitCode], ['failed', 3]);
    assert.match(fs.readFileSync(path.join(root, '.mlops', 'runs', run.id, 'log.txt'), 'utf8'), /bad input/);

    const bad = mlops(root, 'run', 'train', '--set', 'train.lrr=1', '--json');
    assert.equal(bad.code, 1);
    assert.equal(json(bad).error.code, 'bad-override');
    assert.match(json(bad).error.message, /no parameter 'train\.lrr' \(here: lr, epochs\)/);

    fs.appendFileSync(path.join(root, 'pipeline.yaml'), '    needz: [x]\n');
    const invalid = mlops(root, 'run', 'train', '--json');
    assert.equal(json(invalid).error.code, 'invalid-pipeline');
    assert.match(json(invalid).error.message, /pipeline\.yaml:13: Unknown key 'needz'/);
  });

  test('runs cancel stops the whole process tree and the run ends cancelled', async () => {
    const root = project('wait ');
    const child = spawn(process.execPath, [CLI, 'run', 'train', '--json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const runsDir = path.join(root, '.mlops', 'runs');
    while (!fs.existsSync(runsDir) || fs.readdirSync(runsDir).length === 0) await new Promise((r) => setTimeout(r, 10));
    const id = fs.readdirSync(runsDir)[0];
    const grandchild = Number(await waitFor(path.join(runsDir, id, 'grandchild')));
    assert.ok(alive(grandchild));
    // The job pid is recorded once the job has started.
    while (json(mlops(root, 'runs', 'show', id, '--json')).status !== 'running') await new Promise((r) => setTimeout(r, 10));
    const cancel = mlops(root, 'runs', 'cancel', id, '--json');
    assert.deepEqual(json(cancel), { id, cancelled: true });
    assert.equal(await exited, 1);
    assert.equal(JSON.parse(out).runs[0].status, 'cancelled');
    for (let i = 0; i < 500 && alive(grandchild); i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(alive(grandchild), false, 'the grandchild process is gone too');
    assert.equal(json(mlops(root, 'runs', 'show', id, '--json')).status, 'cancelled');
  });

  test('without STAGE the needs graph runs in order; unchanged stages are skipped; --set and data changes rerun what they touch; --force reruns all', () => {
    const root = project();
    fs.writeFileSync(path.join(root, 'src', 'prepare.js'), `
      const fs = require('fs'); const path = require('path');
      const out = path.join(process.cwd(), 'data', 'features');
      fs.mkdirSync(out, { recursive: true });
      fs.copyFileSync(path.join(process.env.MLOPS_DATA_RAW, 'rows.csv'), path.join(out, 'rows.csv'));`);
    fs.writeFileSync(path.join(root, 'pipeline.yaml'), [
      'apiVersion: mlops/v1', 'kind: Pipeline', 'name: demo', 'params: params.yaml',
      'data:', '  raw: { path: data/raw }', '  features: { path: data/features }',
      'stages:',
      '  train:', '    cmd: node src/train.js --lr ${params.train.lr}', '    needs: [prepare]', '    deps: [data.features, src/train.js]', '    params: [train.lr]',
      '  prepare:', '    cmd: node src/prepare.js', '    deps: [data.raw, src/prepare.js]', '    outs: [data/features]', '',
    ].join('\n'));
    fs.writeFileSync(path.join(root, 'src', 'train.js'), TRAIN.replace("process.env.MLOPS_DATA_RAW", "process.env.MLOPS_DATA_FEATURES"));
    const run = (...args: string[]): [string, string, boolean][] => {
      const r = mlops(root, 'run', ...args, '--json');
      assert.equal(r.code, 0, r.stderr + r.stdout);
      return json(r).runs.map((x: { stage: string; status: string; skipped: boolean }) => [x.stage, x.status, x.skipped]);
    };
    assert.deepEqual(run(), [['prepare', 'completed', false], ['train', 'completed', false]], 'prepare first: train needs it');
    assert.deepEqual(run(), [['prepare', 'completed', true], ['train', 'completed', true]], 'nothing changed: both skipped');
    assert.deepEqual(run('--set', 'train.lr=0.2'), [['prepare', 'completed', true], ['train', 'completed', false]], 'a param only train uses');
    fs.appendFileSync(path.join(root, 'data', 'raw', 'rows.csv'), '5,6\n');
    assert.deepEqual(run('--set', 'train.lr=0.2'), [['prepare', 'completed', false], ['train', 'completed', false]], 'new raw data: prepare, then train on its new output');
    assert.deepEqual(run('--set', 'train.lr=0.2', '--force'), [['prepare', 'completed', false], ['train', 'completed', false]]);
    const all = json(mlops(root, 'runs', 'list', '--json')).runs;
    assert.equal(all.length, 2 + 0 + 1 + 2 + 2, 'skipped stages made no run');

    // The first train run against the last one: the param that differs, every metric's last value.
    const trains = all.filter((r: { stage: string }) => r.stage === 'train').map((r: { id: string }) => r.id).reverse();
    const cmp = json(mlops(root, 'runs', 'compare', trains[0], trains[trains.length - 1], '--json'));
    assert.deepEqual(cmp.runs.map((r: { id: string }) => r.id), [trains[0], trains[trains.length - 1]]);
    assert.deepEqual(cmp.params, { 'train.lr': [0.05, 0.2] });
    assert.deepEqual(cmp.metrics, { loss: [0.2, 0.2], rows: [3, 4] });
    assert.equal(json(mlops(root, 'runs', 'compare', trains[0], 'nope', '--json')).error.code, 'unknown-run');
  });

  test('four runs logging at once while the CLI lists them over and over: every point of every run is stored', async () => {
    const root = project();
    const POINTS = 5000;
    // Each run appends its points in bursts of 250, with pauses, so that listings fall between them.
    fs.writeFileSync(path.join(root, 'src', 'log.js'), `
      const fs = require('fs');
      let step = 0;
      const burst = () => {
        let lines = '';
        for (let k = 0; k < 250 && step < ${POINTS}; k++, step++) lines += JSON.stringify({ name: 'loss', value: step / 1000, step }) + '\\n';
        fs.appendFileSync(process.env.MLOPS_METRICS, lines);
        if (step < ${POINTS}) setTimeout(burst, 20);
      };
      burst();`);
    fs.appendFileSync(path.join(root, 'pipeline.yaml'), '  log:\n    cmd: node src/log.js --lr ${params.train.lr}\n    params: [train.lr]\n    metrics: [loss]\n');
    const exited = (args: string[]): Promise<{ code: number | null; stdout: string }> => new Promise((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] });
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
      child.on('close', (code) => resolve({ code, stdout }));
    });
    let running = true;
    const writers = Promise.all([1, 2, 3, 4].map((k) => exited(['run', 'log', '--set', `train.lr=0.${k}`, '--json']))).finally(() => { running = false; });
    let listings = 0;
    while (running) {
      const listed = await exited(['runs', 'list', '--json']);
      assert.equal(listed.code, 0, listed.stdout);
      assert.ok(Array.isArray(JSON.parse(listed.stdout).runs), 'each listing is a JSON document, never an SQLITE_BUSY error');
      listings++;
    }
    for (const w of await writers) assert.equal(w.code, 0, w.stdout);
    const runs = json(mlops(root, 'runs', 'list', '--json')).runs;
    assert.equal(runs.length, 4);
    for (const r of runs) {
      assert.equal(r.status, 'completed');
      assert.deepEqual(r.metrics.loss, { last: (POINTS - 1) / 1000, min: 0, max: (POINTS - 1) / 1000, steps: POINTS }, `run ${r.id}`);
      const series = json(mlops(root, 'runs', 'show', r.id, '--json', '--series')).series.loss as [number, number][];
      assert.ok(series.length <= 2000, 'the chart series is thinned to 2,000 points at most');
      assert.deepEqual([series[0], series[series.length - 1]], [[0, 0], [POINTS - 1, (POINTS - 1) / 1000]], 'keeping the first and the last');
    }
    assert.ok(listings >= 2, `the CLI listed while the runs logged (${listings} listings)`);
  });

  test('a CLI killed mid-run leaves its run interrupted (marked at the next listing, which stops the orphaned job), not running forever', async () => {
    const root = project('wait ');
    const child = spawn(process.execPath, [CLI, 'run', 'train'], { cwd: root, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.on('close', resolve));
    const runsDir = path.join(root, '.mlops', 'runs');
    while (!fs.existsSync(runsDir) || fs.readdirSync(runsDir).length === 0) await new Promise((r) => setTimeout(r, 10));
    const id = fs.readdirSync(runsDir)[0];
    const jobPid = Number(await waitFor(path.join(runsDir, id, 'started')));
    await waitFor(path.join(runsDir, id, 'grandchild'));
    child.kill('SIGKILL');
    await exited;
    const grandchild = Number(fs.readFileSync(path.join(runsDir, id, 'grandchild'), 'utf8'));
    assert.ok(isProcessRunning(jobPid) && isProcessRunning(grandchild), 'a SIGKILLed CLI cannot stop its job');
    const list = json(mlops(root, 'runs', 'list', '--json'));
    assert.equal(list.runs[0].id, id);
    assert.equal(list.runs[0].status, 'interrupted');
    // The listing that marks the run also stops the job it left behind, with everything it started.
    for (let i = 0; i < 500 && (isProcessRunning(jobPid) || isProcessRunning(grandchild)); i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(isProcessRunning(jobPid), false, 'the orphaned job is stopped');
    assert.equal(isProcessRunning(grandchild), false, 'and its child too');
  });
});
