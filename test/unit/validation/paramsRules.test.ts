/**
 * PRODUCT.md, "params.yaml" rules and conventions: search.space keys name existing leaves
 * (did-you-mean); min < max; log needs min > 0; values non-empty and of the leaf's type; an int
 * leaf (written without a decimal point or exponent) with a fractional range is an error; random
 * needs trials >= 1; grid needs values (or min/max with steps); a default outside its range is a
 * warning; search.metric/goal/space are required when search is present; `search` is reserved.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_PARAMS } from './baseWorkspace';
import {
  assertHas, assertNoProblems, assertOnly, assertSuggests, edit, lineOf, listing, removeLines, validateParams, withCode,
} from './validateFixture';

const Q = BASE_PARAMS;
const SEARCH = 26;
const SPACE = { lr: 33, epochs: 34, batch_size: 35, optimizer: 36, l2: 37, threshold: 38 };
const LEAF = { lr: 13, epochs: 14, batch_size: 15, optimizer: 16 };

describe('search.space keys', () => {
  test('an unknown leaf is an error with a did-you-mean and a fix', () => {
    const r = validateParams(edit(Q, '    train.lr: ', '    train.lrr:'));
    assertOnly(r, [{ line: SPACE.lr, code: 'unknown-param', severity: 'error' }]);
    assertSuggests(r, r.problems[0], 'train.lrr', 'train.lr');
  });

  test('a transposition (trian.epochs) is suggested too', () => {
    const r = validateParams(edit(Q, '    train.epochs: ', '    trian.epochs: '));
    assertOnly(r, [{ line: SPACE.epochs, code: 'unknown-param', severity: 'error' }]);
    assertSuggests(r, r.problems[0], 'trian.epochs', 'train.epochs');
  });

  test('a group (train) is not a leaf', () => {
    const r = validateParams(edit(Q, '    train.lr:         { min: 1.0e-3, max: 0.5, log: true }', '    train:            { min: 1.0e-3, max: 0.5, log: true }'));
    assertOnly(r, [{ line: SPACE.lr, code: 'unknown-param', severity: 'error' }]);
  });

  test('search.* is reserved, not a leaf', () => {
    const r = validateParams(edit(Q, '    train.threshold:  { min: 0.3, max: 0.7 }', '    search.trials:  { min: 1, max: 5 }'));
    assertOnly(r, [{ line: SPACE.threshold, code: 'unknown-param', severity: 'error' }]);
  });

  test('a list leaf searched over lists is fine', () => {
    const r = validateParams(edit(Q, '    train.threshold:  { min: 0.3, max: 0.7 }',
      '    train.threshold:  { min: 0.3, max: 0.7 }\n    prepare.features: { values: [[amount], [amount, org_age_years]] }'));
    assertNoProblems(r);
  });

  test('a leaf at depth 3 is fine', () => {
    const r = validateParams(edit(edit(Q, 'evaluate:\n', 'model:\n  encoder:\n    layers: 4\nevaluate:\n'),
      '    train.threshold:  { min: 0.3, max: 0.7 }', '    train.threshold:  { min: 0.3, max: 0.7 }\n    model.encoder.layers: { min: 2, max: 8 }'));
    assertNoProblems(r);
  });
});

describe('ranges', () => {
  test('min > max is an error', () => {
    const r = validateParams(edit(Q, 'train.threshold:  { min: 0.3, max: 0.7 }', 'train.threshold:  { min: 0.7, max: 0.3 }'));
    assertHas(r, { line: SPACE.threshold, code: 'search-range', severity: 'error' });
    assert.ok(r.problems.every((p) => p.code === 'search-range' || p.code === 'search-default-outside'), listing(r.problems));
  });

  test('min == max is an error (min < max)', () => {
    const r = validateParams(edit(Q, 'train.epochs:     { min: 10, max: 120 }', 'train.epochs:     { min: 40, max: 40 }'));
    assertOnly(r, [{ line: SPACE.epochs, code: 'search-range', severity: 'error' }]);
  });

  test('log: true with min 0 is an error', () => {
    const r = validateParams(edit(Q, 'train.l2:         { min: 1.0e-5, max: 0.01, log: true }', 'train.l2:         { min: 0, max: 0.01, log: true }'));
    assertOnly(r, [{ line: SPACE.l2, code: 'search-log-range', severity: 'error' }]);
  });

  test('log: true with a negative min is an error', () => {
    const r = validateParams(edit(Q, 'train.l2:         { min: 1.0e-5, max: 0.01, log: true }', 'train.l2:         { min: -1, max: 0.01, log: true }'));
    assertOnly(r, [{ line: SPACE.l2, code: 'search-log-range', severity: 'error' }]);
  });

  test('log: false with min 0 is fine', () => {
    assertNoProblems(validateParams(edit(Q, 'train.l2:         { min: 1.0e-5, max: 0.01, log: true }', 'train.l2:         { min: 0, max: 0.01, log: false }')));
  });

  test('an int leaf with a fractional range is an error', () => {
    const r = validateParams(edit(Q, 'train.epochs:     { min: 10, max: 120 }', 'train.epochs:     { min: 10.5, max: 120 }'));
    assertOnly(r, [{ line: SPACE.epochs, code: 'search-int-range', severity: 'error' }]);
  });

  test('an int leaf with an exponent in its range (1e2) is not a whole-number bound', () => {
    const r = validateParams(edit(Q, 'train.epochs:     { min: 10, max: 120 }', 'train.epochs:     { min: 10, max: 1.5e2 }'));
    assertOnly(r, [{ line: SPACE.epochs, code: 'search-int-range', severity: 'error' }]);
  });

  test('a float leaf with whole-number bounds is fine', () => {
    assertNoProblems(validateParams(edit(Q, 'train.threshold:  { min: 0.3, max: 0.7 }', 'train.threshold:  { min: 0, max: 1 }')));
  });

  test('a leaf written 40.0 is a float: a fractional range is fine', () => {
    assertNoProblems(validateParams(edit(edit(Q, '  epochs: 40', '  epochs: 40.0'), 'train.epochs:     { min: 10, max: 120 }', 'train.epochs:     { min: 10.5, max: 120 }')));
  });

  test('a default outside its range is a warning', () => {
    const r = validateParams(edit(Q, 'train.lr:         { min: 1.0e-3, max: 0.5, log: true }', 'train.lr:         { min: 0.1, max: 0.5, log: true }'));
    const hits = withCode(r.problems, 'search-default-outside');
    assert.equal(hits.length, 1, listing(r.problems));
    assert.equal(hits[0].severity, 'warning');
    assert.ok([LEAF.lr, SPACE.lr].includes(hits[0].line), `on the default (${LEAF.lr}) or its range (${SPACE.lr}), not ${hits[0].line}`);
    assert.equal(r.problems.length, 1, listing(r.problems));
  });

  test('a default on the bound is inside the range', () => {
    assertNoProblems(validateParams(edit(Q, 'train.epochs:     { min: 10, max: 120 }', 'train.epochs:     { min: 40, max: 120 }')));
  });
});

describe('values', () => {
  test('empty values is an error', () => {
    const r = validateParams(edit(Q, 'train.optimizer:  { values: [adam, sgd] }', 'train.optimizer:  { values: [] }'));
    assertHas(r, { line: SPACE.optimizer, code: 'empty', severity: 'error' });
    assert.ok(r.problems.every((p) => p.severity === 'error' || p.code === 'search-default-outside'), listing(r.problems));
  });

  test('a string among the values of an int leaf is an error on that value', () => {
    const r = validateParams(edit(Q, '{ values: [16, 32, 64] }', '{ values: [16, 32, "64"] }'));
    assertOnly(r, [{ line: SPACE.batch_size, code: 'search-value-type', severity: 'error' }]);
    assert.equal(r.problems[0].covered, '"64"');
  });

  test('a fractional value for an int leaf is an error', () => {
    const r = validateParams(edit(Q, '{ values: [16, 32, 64] }', '{ values: [16, 32, 64.5] }'));
    assertOnly(r, [{ line: SPACE.batch_size, code: 'search-value-type', severity: 'error' }]);
  });

  test('a number among the values of a string leaf is an error', () => {
    const r = validateParams(edit(Q, '{ values: [adam, sgd] }', '{ values: [adam, 1] }'));
    assertOnly(r, [{ line: SPACE.optimizer, code: 'search-value-type', severity: 'error' }]);
  });

  test('YAML 1.2: "no" is a string, not a boolean, among a boolean leaf\'s values', () => {
    const r = validateParams(edit(Q, '    train.threshold:  { min: 0.3, max: 0.7 }', '    train.threshold:  { min: 0.3, max: 0.7 }\n    prepare.log_amount: { values: [true, no] }'));
    assertOnly(r, [{ line: lineOf(r.text, 'prepare.log_amount: {'), code: 'search-value-type', severity: 'error' }]);
  });

  test('whole numbers are fine for a float leaf', () => {
    assertNoProblems(validateParams(edit(Q, 'train.threshold:  { min: 0.3, max: 0.7 }', 'train.threshold:  { values: [0, 0.5, 1] }')));
  });

  test('block list values: the wrong value is reported on its own line', () => {
    const r = validateParams(edit(Q, '    train.batch_size: { values: [16, 32, 64] }', '    train.batch_size:\n      values:\n        - 16\n        - 32\n        - big'));
    assertOnly(r, [{ line: lineOf(r.text, '- big'), code: 'search-value-type', severity: 'error' }]);
  });
});

describe('method, trials and steps', () => {
  test('random without trials is an error', () => {
    const r = validateParams(removeLines(Q, 28));
    const hits = withCode(r.problems, 'search-trials');
    assert.equal(hits.length, 1, listing(r.problems));
    assert.equal(hits[0].severity, 'error');
    assert.ok([SEARCH, SEARCH + 1].includes(hits[0].line), `on search: or method:, not ${hits[0].line}`);
    assert.equal(r.problems.length, 1, listing(r.problems));
  });

  test('no method (random by default) and no trials is an error', () => {
    const r = validateParams(removeLines(Q, 27, 28));
    assertOnly(r, [{ line: SEARCH, code: 'search-trials', severity: 'error' }]);
  });

  test('trials: 0 is an error on its value', () => {
    const r = validateParams(edit(Q, 'trials: 12', 'trials: 0'));
    assertOnly(r, [{ line: 28, code: 'search-trials', severity: 'error' }]);
  });

  test('trials: 1 is fine', () => {
    assertNoProblems(validateParams(edit(Q, 'trials: 12', 'trials: 1')));
  });

  const GRID = (space: string): string =>
    `train:\n  lr: 0.01\n  epochs: 20\n  optimizer: adam\nsearch:\n  method: grid\n  metric: val_loss\n  goal: minimize\n  space:\n${space}`;

  test('grid with values, or min/max with steps, is fine (and needs no trials)', () => {
    assertNoProblems(validateParams(GRID('    train.lr: { min: 0.001, max: 0.1, log: true, steps: 3 }\n    train.optimizer: { values: [adam, sgd] }\n')));
  });

  test('grid with min/max but no steps is an error on that entry', () => {
    const r = validateParams(GRID('    train.lr: { min: 0.001, max: 0.1, log: true, steps: 3 }\n    train.epochs: { min: 10, max: 30 }\n'));
    assertOnly(r, [{ line: 11, code: 'search-grid', severity: 'error' }]);
  });

  test('grid steps is a whole number of points', () => {
    const r = validateParams(GRID('    train.epochs: { min: 10, max: 30, steps: 2.5 }\n'));
    assertHas(r, { line: 10, code: 'wrong-type', severity: 'error' });
  });
});

describe('search structure', () => {
  for (const [key, line] of [['metric', 30], ['goal', 31]] as const) {
    test(`search.${key} is required`, () => {
      const r = validateParams(removeLines(Q, line));
      assertOnly(r, [{ line: SEARCH, code: 'missing-required', severity: 'error' }]);
      assert.match(r.problems[0].message, new RegExp(`\\b${key}\\b`));
    });
  }

  test('search.space is required', () => {
    const r = validateParams(removeLines(Q, 32, 38));
    assertOnly(r, [{ line: SEARCH, code: 'missing-required', severity: 'error' }]);
    assert.match(r.problems[0].message, /\bspace\b/);
  });

  test('a params file without search needs none of these', () => {
    assertNoProblems(validateParams(removeLines(Q, 24, 38)));
  });

  test('goal: minimise is a bad enum value suggesting minimize', () => {
    const r = validateParams(edit(Q, 'goal: maximize', 'goal: minimise'));
    assertOnly(r, [{ line: 31, code: 'invalid-enum', severity: 'error' }]);
    assertSuggests(r, r.problems[0], 'minimise', 'minimize');
  });

  test('method: bayes is a bad enum value', () => {
    const r = validateParams(edit(Q, 'method: random', 'method: bayes'));
    assertHas(r, { line: 27, code: 'invalid-enum', severity: 'error' });
  });

  test('an unknown key in search (trails) suggests trials', () => {
    const r = validateParams(edit(Q, 'trials: 12', 'trails: 12'));
    const p = assertHas(r, { line: 28, code: 'unknown-key', severity: 'error' });
    assertSuggests(r, p, 'trails', 'trials');
  });

  test('an unknown key in a range (mn) suggests min', () => {
    const r = validateParams(edit(Q, '{ min: 10, max: 120 }', '{ mn: 10, max: 120 }'));
    const p = assertHas(r, { line: SPACE.epochs, code: 'unknown-key', severity: 'error' });
    assertSuggests(r, p, 'mn', 'min');
  });

  test('search is reserved: a scalar there is a wrong type', () => {
    const r = validateParams(removeLines(edit(Q, 'search:\n', 'search: 3\n'), 27, 38));
    assertOnly(r, [{ line: SEARCH, code: 'wrong-type', severity: 'error' }]);
  });

  test('trials: 2.5 is not a whole number', () => {
    const r = validateParams(edit(Q, 'trials: 12', 'trials: 2.5'));
    assertHas(r, { line: 28, code: 'wrong-type', severity: 'error' });
  });

  test('any grouping and leaf types are allowed outside search', () => {
    assertNoProblems(validateParams('a: 1\nb: { c: [1, 2, [3]], d: { e: null, f: true, g: "s" } }\nh: []\n'));
  });
});
