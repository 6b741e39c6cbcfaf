/**
 * `mlops reproduce` with the built CLI on real git projects whose stage is a Node script following
 * the training contract: a deterministic script reproduces bit for bit, one writing random bytes
 * does not; data changed since the run is restored first (or refused when that would lose
 * changes); a dirty tree or another commit is a warning.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { json, mlops, tempDir } from './cliTestUtil';

/** model.json from the params and the data; with `random`, also 16 random bytes in noise.bin. */
const TRAIN = `
const fs = require('fs');
const path = require('path');
const params = JSON.parse(fs.readFileSync(process.env.MLOPS_PARAMS, 'utf8'));
const rows = fs.readFileSync(path.join(process.env.MLOPS_DATA_RAW, 'rows.csv'), 'utf8').trim().split('\\n');
fs.mkdirSync(path.join(process.env.MLOPS_OUTPUT_DIR, 'model'));
fs.writeFileSync(path.join(process.env.MLOPS_OUTPUT_DIR, 'model', 'weights.json'), JSON.stringify({ lr: params.train.lr, rows }));
if (process.argv[2] === 'random') fs.writeFileSync(path.join(process.env.MLOPS_OUTPUT_DIR, 'noise.bin'), require('crypto').randomBytes(16));
fs.appendFileSync(process.env.MLOPS_METRICS, JSON.stringify({ name: 'rows', value: rows.length }) + '\\n');
`;

function git(root: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.org', ...args], { cwd: root, encoding: 'utf8' });
}

/** A committed project whose data is snapshotted and the pointer committed: a run in it has a clean tree. */
function project(cmdArgs = ''): string {
  const root = tempDir('mlops-reprocli-');
  fs.mkdirSync(path.join(root, 'data', 'raw'), { recursive: true });
  fs.mkdirSync(path.join(root, 'src'));
  fs.writeFileSync(path.join(root, 'data', 'raw', 'rows.csv'), 'a,b\n1,2\n');
  fs.writeFileSync(path.join(root, 'src', 'train.js'), TRAIN);
  fs.writeFileSync(path.join(root, 'params.yaml'), 'train:\n  lr: 0.05\n  epochs: 3\n');
  fs.writeFileSync(path.join(root, '.gitignore'), '/.mlops/\n');
  fs.writeFileSync(path.join(root, 'pipeline.yaml'), [
    'apiVersion: mlops/v1', 'kind: Pipeline', 'name: demo', 'params: params.yaml', 'data:', '  raw: { path: data/raw }',
    'stages:', '  train:', `    cmd: node src/train.js ${cmdArgs}`, '    deps: [data.raw, src/train.js]', '    params: [train.lr]', '',
  ].join('\n'));
  git(root, 'init', '-q');
  assert.equal(mlops(root, 'snapshot', 'data/raw').code, 0);
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'project');
  return root;
}

function run(root: string, ...args: string[]): string {
  const r = mlops(root, 'run', 'train', ...args, '--json');
  assert.equal(r.code, 0, r.stderr + r.stdout);
  return json(r).runs[0].id;
}

const pointerId = (root: string): string => /^sha256: ([0-9a-f]{64})$/m.exec(fs.readFileSync(path.join(root, 'data', 'raw.snapshot'), 'utf8'))![1];

describe('mlops reproduce', () => {
  test('a deterministic script on a clean tree: a new run with the recorded params, every artifact bit-identical', () => {
    const root = project();
    const id = run(root, '--set', 'train.lr=0.5');
    const original = json(mlops(root, 'runs', 'show', id, '--json'));
    assert.equal(original.gitDirty, false);

    const r = mlops(root, 'reproduce', id, '--json');
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const report = json(r);
    assert.equal(report.original, id);
    assert.notEqual(report.run, id);
    assert.equal(report.status, 'completed');
    assert.equal(report.gitMatches, true);
    assert.deepEqual(report.warnings, []);
    assert.deepEqual(report.data, [{ name: 'raw', path: 'data/raw', snapshot: original.data.raw, restored: false, pointerWritten: false }]);
    assert.equal(report.artifacts.length, 1);
    assert.deepEqual(report.artifacts[0], { path: 'model/weights.json', sha256: original.artifacts[0].sha256, reproducedSha256: original.artifacts[0].sha256, identical: true });

    const rerun = json(mlops(root, 'runs', 'show', report.run, '--json'));
    assert.deepEqual(rerun.params, { train: { lr: 0.5, epochs: 3 } }, 'the recorded override, not params.yaml');
    assert.equal(rerun.paramsHash, original.paramsHash);
    assert.deepEqual(rerun.data, original.data);

    const text = mlops(root, 'reproduce', id.slice(0, 8));
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^Run ${id} rerun as [0-9a-f]{12}: completed; git matches\\.\\n  model/weights\\.json  identical\\nReproduced: all 1 artifact\\(s\\) are bit-identical\\.\\n$`));
  });

  test('a script writing random bytes: that artifact is reported different, exit 1', () => {
    const root = project('random');
    const id = run(root);
    const r = mlops(root, 'reproduce', id, '--json');
    assert.equal(r.code, 1);
    const report = json(r);
    assert.equal(report.status, 'completed');
    assert.equal(report.reproduced, false);
    assert.deepEqual(report.artifacts.map((a: { path: string; identical: boolean }) => [a.path, a.identical]), [['model/weights.json', true], ['noise.bin', false]]);
    const noise = report.artifacts[1];
    assert.match(noise.reproducedSha256, /^[0-9a-f]{64}$/);
    assert.notEqual(noise.reproducedSha256, noise.sha256);
    assert.match(mlops(root, 'reproduce', id).stdout, /noise\.bin {2}DIFFERENT \(sha256:[0-9a-f]{12} -> sha256:[0-9a-f]{12}\)\nNot reproduced: 1 of 2 artifact\(s\) differ\./);
  });

  test('data changed since the run is restored (its pointer rewritten, and said) before the rerun; changes in no snapshot are refused', () => {
    const root = project();
    const id = run(root);
    const recorded = json(mlops(root, 'runs', 'show', id, '--json')).data.raw;
    const rowsFile = path.join(root, 'data', 'raw', 'rows.csv');
    fs.appendFileSync(rowsFile, '3,4\n');
    run(root); // snapshots the new data: the pointer file now names it
    const newer = pointerId(root);
    const newerPointer = fs.readFileSync(path.join(root, 'data', 'raw.snapshot'), 'utf8');
    assert.notEqual(`sha256:${newer}`, recorded);

    const r = mlops(root, 'reproduce', id, '--json');
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const report = json(r);
    assert.deepEqual(report.data, [{ name: 'raw', path: 'data/raw', snapshot: recorded, restored: true, pointerWritten: true }]);
    assert.equal(fs.readFileSync(rowsFile, 'utf8'), 'a,b\n1,2\n', 'the data the run saw');
    assert.equal(`sha256:${pointerId(root)}`, recorded);
    const restored = report.warnings.find((w: string) => w.startsWith("Dataset 'raw'"));
    assert.equal(restored, `Dataset 'raw' (data/raw) held sha256:${newer.slice(0, 12)}…: restored the run's snapshot ${recorded.slice(0, 19)}… before the rerun. Its pointer file data/raw.snapshot named sha256:${newer.slice(0, 12)}… and now names the run's snapshot: commit it, or go back with git checkout data/raw.snapshot && mlops checkout data/raw.`);
    assert.ok(report.artifacts.every((a: { identical: boolean }) => a.identical), 'the same data gave the same model');
    assert.deepEqual(json(mlops(root, 'runs', 'show', report.run, '--json')).data.raw, recorded);

    // Edits that are in no snapshot: restoring would lose them, so nothing is changed or run.
    fs.appendFileSync(rowsFile, '5,6\n');
    const runsBefore = json(mlops(root, 'runs', 'list', '--json')).runs.length;
    fs.writeFileSync(path.join(root, 'data', 'raw.snapshot'), newerPointer); // to be rewritten, then put back
    const refused = mlops(root, 'reproduce', id, '--json');
    assert.equal(refused.code, 1);
    assert.equal(json(refused).error.code, 'data-not-restorable');
    assert.match(json(refused).error.message, /Cannot restore the dataset 'raw' \(data\/raw\) to sha256:[0-9a-f]{12}…, the snapshot run [0-9a-f]{12} used: it holds changes that are in no snapshot, which checking out would lose\. Snapshot them first \(mlops snapshot data\/raw\) and reproduce again\. Nothing was changed\./);
    assert.equal(fs.readFileSync(rowsFile, 'utf8'), 'a,b\n1,2\n5,6\n');
    assert.equal(pointerId(root), newer, 'the pointer file is put back');
    assert.equal(json(mlops(root, 'runs', 'list', '--json')).runs.length, runsBefore);
  });

  test('a dirty tree, then another commit: warnings, gitMatches false, the rerun still made', () => {
    const root = project();
    const id = run(root);
    fs.appendFileSync(path.join(root, 'src', 'train.js'), '// a comment\n');
    const dirty = json(mlops(root, 'reproduce', id, '--json'));
    assert.equal(dirty.gitMatches, false);
    assert.deepEqual(dirty.warnings, ['The working tree has uncommitted changes (git status): the rerun may not run the code of the run.']);
    assert.equal(dirty.reproduced, true, 'a comment does not change the model');
    assert.equal(json(mlops(root, 'runs', 'show', dirty.run, '--json')).gitDirty, true);

    const before = git(root, 'rev-parse', 'HEAD').trim();
    git(root, 'commit', '-q', '-am', 'comment');
    const after = git(root, 'rev-parse', 'HEAD').trim();
    const moved = mlops(root, 'reproduce', id);
    assert.equal(moved.code, 0, moved.stderr);
    assert.match(moved.stdout, new RegExp(`^warning: The run was made at commit ${before.slice(0, 12)}; HEAD is now ${after.slice(0, 12)}: the code may differ \\(git checkout ${before.slice(0, 12)} runs exactly its code\\)\\.$`, 'm'));
    assert.match(moved.stdout, /git differs \(see the warnings\)/);
  });

  test('an unknown run is a located error', () => {
    const root = project();
    const r = mlops(root, 'reproduce', 'ffffffff', '--json');
    assert.equal(r.code, 1);
    assert.equal(json(r).error.code, 'unknown-run');
    assert.match(r.stderr, /No run 'ffffffff' in this project/);
  });
});
