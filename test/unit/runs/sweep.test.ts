/** The search space of params.yaml expanded into trials: grid products, seeded random draws, log and whole-number ranges. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { applyOverrides, loadPipeline } from '../../../server/src/core/runs/runStage';
import { expandSpace, readSearch, SearchDimension, SweepError, sweepStage, trialOverrides } from '../../../server/src/core/runs/sweep';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const random = (space: Record<string, SearchDimension>, trials: number, seed: number) => expandSpace({ method: 'random', trials, space }, seed);

describe('grid search', () => {
  test('the cartesian product of the values, the last key varying fastest', () => {
    const trials = expandSpace({ method: 'grid', space: { 'train.optimizer': { values: ['adam', 'sgd'] }, 'train.batch_size': { values: [32, 64, 128] } } }, 0);
    assert.deepEqual(trials, [
      { 'train.optimizer': 'adam', 'train.batch_size': 32 }, { 'train.optimizer': 'adam', 'train.batch_size': 64 }, { 'train.optimizer': 'adam', 'train.batch_size': 128 },
      { 'train.optimizer': 'sgd', 'train.batch_size': 32 }, { 'train.optimizer': 'sgd', 'train.batch_size': 64 }, { 'train.optimizer': 'sgd', 'train.batch_size': 128 },
    ]);
  });

  test('min..max with steps: evenly spaced, log-spaced with log, whole numbers for an int parameter', () => {
    const points = (dim: SearchDimension): unknown[] => expandSpace({ method: 'grid', space: { k: dim } }, 0).map((t) => t.k);
    assert.deepEqual(points({ min: 0, max: 1, steps: 5 }), [0, 0.25, 0.5, 0.75, 1]);
    assert.deepEqual(points({ min: 1e-5, max: 0.1, steps: 5, log: true }), [1e-5, 1e-4, 1e-3, 1e-2, 0.1]);
    assert.deepEqual(points({ min: 10, max: 1000, steps: 3, log: true, int: true }), [10, 100, 1000]);
    assert.deepEqual(points({ min: 1, max: 3, steps: 5, int: true }), [1, 2, 3], 'rounded, and no point twice');
    assert.deepEqual(points({ min: 2, max: 8, steps: 1 }), [2]);
  });

  test('no space is one trial with the defaults; a range without steps is refused', () => {
    assert.deepEqual(expandSpace({ method: 'grid', space: {} }, 0), [{}]);
    assert.throws(() => expandSpace({ method: 'grid', space: { 'train.lr': { min: 0.1, max: 1 } } }, 0), (e: unknown) => e instanceof SweepError && /train\.lr: a grid search over min\.\.max needs 'steps'/.test(e.message));
  });
});

describe('random search', () => {
  const space: Record<string, SearchDimension> = {
    'train.lr': { min: 1e-5, max: 0.1, log: true },
    'train.epochs': { min: 1, max: 5, int: true },
    'train.dropout': { min: 0.1, max: 0.5 },
    'train.optimizer': { values: ['adam', 'sgd', 'rmsprop'] },
  };

  test('trials draws; the same seed draws the same trials, another seed others', () => {
    const a = random(space, 20, 42);
    assert.equal(a.length, 20);
    assert.deepEqual(random(space, 20, 42), a);
    assert.notDeepEqual(random(space, 20, 43), a);
    assert.deepEqual(random(space, 5, 42), a.slice(0, 5), 'more trials extend the same sequence');
  });

  test('every value within its bounds; whole numbers for an int parameter; values only from the list', () => {
    for (const t of random(space, 2000, 7)) {
      const lr = t['train.lr'] as number;
      assert.ok(lr >= 1e-5 && lr <= 0.1, `lr ${lr}`);
      assert.ok(Number.isInteger(t['train.epochs']) && (t['train.epochs'] as number) >= 1 && (t['train.epochs'] as number) <= 5, `epochs ${t['train.epochs']}`);
      const dropout = t['train.dropout'] as number;
      assert.ok(dropout >= 0.1 && dropout <= 0.5, `dropout ${dropout}`);
      assert.ok(['adam', 'sgd', 'rmsprop'].includes(t['train.optimizer'] as string));
    }
  });

  test('a log range is uniform in the exponent; every whole number and listed value is drawn', () => {
    const trials = random(space, 2000, 7);
    // Four decades from 1e-5 to 0.1: about a quarter of the draws in each (a linear draw would put 90% in the last).
    const decades = [0, 0, 0, 0];
    for (const t of trials) decades[Math.min(3, Math.floor(Math.log10(t['train.lr'] as number) + 5))]++;
    for (const n of decades) assert.ok(n > 400 && n < 600, `draws per decade: ${decades.join(', ')}`);
    assert.deepEqual(new Set(trials.map((t) => t['train.epochs'])), new Set([1, 2, 3, 4, 5]));
    assert.deepEqual(new Set(trials.map((t) => t['train.optimizer'])), new Set(['adam', 'sgd', 'rmsprop']));
    const logInts = random({ n: { min: 1, max: 1000, log: true, int: true } }, 500, 3).map((t) => t.n as number);
    assert.ok(logInts.every((n) => Number.isInteger(n) && n >= 1 && n <= 1000));
    assert.ok(logInts.filter((n) => n < 32).length > 150, 'log-uniform integers favour the small ones');
  });
});

describe('trial overrides', () => {
  test('each value comes back exactly through the --set reading of overrides', () => {
    const params = { train: { lr: 0.001, optimizer: 'adam', layers: [1, 2], amsgrad: false, tag: 'x', epochs: 3 } };
    const trial = { 'train.lr': 1.2345678901234567e-7, 'train.optimizer': 'yes', 'train.layers': [64, 32], 'train.amsgrad': true, 'train.tag': '0.5', 'train.epochs': 12 };
    const applied = applyOverrides(params, trialOverrides(trial));
    assert.deepEqual(applied, { train: { lr: 1.2345678901234567e-7, optimizer: 'yes', layers: [64, 32], amsgrad: true, tag: '0.5', epochs: 12 } });
  });
});

describe('the search block and the stage to sweep', () => {
  function project(params: string, stages: string): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-sweep-unit-'));
    dirs.push(root);
    fs.writeFileSync(path.join(root, 'params.yaml'), params);
    fs.writeFileSync(path.join(root, 'pipeline.yaml'), `apiVersion: mlops/v1\nkind: Pipeline\nname: demo\nstages:\n${stages}`);
    return root;
  }
  const twoStages = '  prepare:\n    cmd: node prepare.js\n  train:\n    cmd: node train.js\n    metrics: [val_loss]\n';

  test('whole-number dimensions are the int literals of params.yaml', () => {
    const root = project([
      'train: { lr: 0.001, epochs: 20, width: 2.0, optimizer: adam }',
      'search:', '  method: random', '  trials: 3', '  seed: 9', '  metric: val_loss', '  goal: maximize', '  space:',
      '    train.lr: { min: 1.0e-5, max: 0.1, log: true }', '    train.epochs: { min: 5, max: 50 }', '    train.width: { min: 1, max: 4 }', '    train.optimizer: { values: [adam, sgd] }', '',
    ].join('\n'), twoStages);
    const file = path.join(root, 'pipeline.yaml');
    const { spec } = readSearch(file, loadPipeline(file, root), root);
    assert.deepEqual([spec.method, spec.trials, spec.seed, spec.metric, spec.goal], ['random', 3, 9, 'val_loss', 'maximize']);
    assert.deepEqual(Object.fromEntries(Object.entries(spec.space).map(([k, d]) => [k, d.int])), { 'train.lr': false, 'train.epochs': true, 'train.width': false, 'train.optimizer': false });
  });

  test('no search block, or an invalid one, is a located error', () => {
    const none = project('train: { lr: 0.1 }\n', twoStages);
    const file = path.join(none, 'pipeline.yaml');
    assert.throws(() => readSearch(file, loadPipeline(file, none), none), (e: unknown) => e instanceof SweepError && e.code === 'no-search' && /params\.yaml has no 'search' block/.test(e.message));
    const bad = project('train: { lr: 0.1 }\nsearch:\n  method: random\n  metric: val_loss\n  goal: minimize\n  space:\n    train.lrr: { min: 0.1, max: 1 }\n', twoStages);
    const badFile = path.join(bad, 'pipeline.yaml');
    assert.throws(() => readSearch(badFile, loadPipeline(badFile, bad), bad), (e: unknown) => e instanceof SweepError && e.code === 'invalid-params' && /params\.yaml:2: A random search needs 'trials'/.test(e.message) && /params\.yaml:7: Unknown parameter 'train\.lrr'/.test(e.message));
  });

  test('the stage reporting the metric by default; --stage otherwise, asked for when ambiguous or missing', () => {
    const root = project('train: { lr: 0.1 }\n', twoStages);
    const pipeline = loadPipeline(path.join(root, 'pipeline.yaml'), root);
    assert.equal(sweepStage(pipeline, 'pipeline.yaml', 'val_loss'), 'train');
    assert.equal(sweepStage(pipeline, 'pipeline.yaml', 'val_loss', 'prepare'), 'prepare');
    assert.throws(() => sweepStage(pipeline, 'pipeline.yaml', 'accuracy'), (e: unknown) => e instanceof SweepError && e.code === 'no-stage-for-metric' && /--stage/.test(e.message));
    assert.throws(() => sweepStage(pipeline, 'pipeline.yaml', 'val_loss', 'tran'), (e: unknown) => e instanceof SweepError && e.code === 'unknown-stage');
    const both = project('train: { lr: 0.1 }\n', `${twoStages}  eval:\n    cmd: node eval.js\n    metrics: [val_loss]\n`);
    assert.throws(() => sweepStage(loadPipeline(path.join(both, 'pipeline.yaml'), both), 'pipeline.yaml', 'val_loss'), /Stages train and eval all report 'val_loss': choose the one to sweep with --stage/);
  });
});
