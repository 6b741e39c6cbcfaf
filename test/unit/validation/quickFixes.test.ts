/**
 * Quick fixes: applying a problem's first (preferred) fix to the text must give a document that no
 * longer has that problem (re-validated from scratch), and introduces no new errors.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_PARAMS, BASE_PIPELINE } from './baseWorkspace';
import {
  applyFix, assertNoProblems, Checked, edit, LocatedProblem, listing, removeLines, removeTopLevel, validateParams, validatePipeline, withCode,
} from './validateFixture';

const P = BASE_PIPELINE;

function firstFix(r: Checked, code: string): { problem: LocatedProblem; fixed: string } {
  const problem = withCode(r.problems, code)[0];
  assert.ok(problem, `no ${code}; problems were:\n${listing(r.problems)}`);
  assert.ok(problem.fixes && problem.fixes.length > 0, `${code} has no fix`);
  const fix = problem.fixes.find((f) => f.preferred) ?? problem.fixes[0];
  return { problem, fixed: applyFix(r.text, fix) };
}

/** Applies the first fix of `code` and re-validates: that problem is gone and no error is left. */
function fixesCleanly(text: string, code: string, validate: (t: string) => Checked = validatePipeline): Checked {
  const before = validate(text);
  const { fixed } = firstFix(before, code);
  const after = validate(fixed);
  assert.equal(withCode(after.problems, code).length, 0, `${code} still there after the fix:\n${fixed}\n${listing(after.problems)}`);
  const errors = after.problems.filter((p) => p.severity === 'error');
  assert.deepEqual(errors, [], `errors after applying the fix for ${code}:\n${listing(errors)}\n--- fixed text ---\n${fixed}`);
  return after;
}

describe('quick fixes produce a document without the problem', () => {
  test('unknown key needz -> needs', () => {
    const after = fixesCleanly(edit(P, 'needs: [prepare]', 'needz: [prepare]'), 'unknown-key');
    assertNoProblems(after);
  });

  test('unknown stage trian -> train', () => assertNoProblems(fixesCleanly(edit(P, 'needs: [train]', 'needs: [trian]'), 'unknown-stage')));

  test('unknown param in a cmd (train.lrr -> train.lr)', () => assertNoProblems(fixesCleanly(edit(P, '${params.train.lr}', '${params.train.lrr}'), 'unknown-param')));

  test('bad enum value fairnes -> fairness', () => assertNoProblems(fixesCleanly(edit(P, 'type: fairness', 'type: fairnes'), 'invalid-enum')));

  test('missing required: a stage cmd (block stage)', () => {
    fixesCleanly(removeLines(P, 53), 'missing-required');
  });

  test('missing required: a stage cmd (flow stage)', () => {
    fixesCleanly(removeLines(edit(P, '  evaluate:\n', '  evaluate: { needs: [train], metrics: [accuracy, precision, recall, f1, auc, demographic_parity_difference] }\n'), 52, 57), 'missing-required');
  });

  test('missing required: top-level kind', () => assertNoProblems(fixesCleanly(removeLines(P, 5), 'missing-required')));

  test('missing required: top-level apiVersion', () => assertNoProblems(fixesCleanly(removeLines(P, 4), 'missing-required')));

  test("missing required: a data entry's path", () => {
    fixesCleanly(removeLines(P, 16), 'missing-required');
  });

  test("missing required: a block gate's metric", () => {
    fixesCleanly(edit(P, '  - metric: auc\n    min: 0.9', '  - min: 0.9'), 'missing-required');
  });

  test("missing required: a flow gate's metric", () => {
    fixesCleanly(edit(P, '  - metric: auc\n    min: 0.9', '  - { min: 0.9 }'), 'missing-required');
  });

  test('high risk without governance: the insert fix gives oversight and retention', () => {
    const after = fixesCleanly(removeTopLevel(P, 'governance'), 'high-risk-oversight');
    assert.equal(after.problems.filter((p) => p.code.startsWith('high-risk-')).length, 0, listing(after.problems));
  });

  test('high risk without humanOversight in a block governance', () => {
    assertNoProblems(fixesCleanly(removeLines(P, 98), 'high-risk-oversight'));
  });

  test('high risk without humanOversight in a flow governance', () => {
    const t = removeTopLevel(P, 'governance') + 'governance: { logRetentionDays: 365 }\n';
    assertNoProblems(fixesCleanly(t, 'high-risk-oversight'));
  });

  test('high risk with humanOversight: false', () => {
    assertNoProblems(fixesCleanly(edit(P, 'humanOversight: true ', 'humanOversight: false '), 'high-risk-oversight'));
  });

  test('high risk without monitor: the insert fix adds a monitor section', () => {
    assertNoProblems(fixesCleanly(removeTopLevel(P, 'monitor'), 'high-risk-monitor'));
  });

  test('high risk without registry', () => {
    assertNoProblems(fixesCleanly(removeTopLevel(P, 'registry'), 'high-risk-approvals'));
  });

  test('high risk with registry but no approvals', () => {
    assertNoProblems(fixesCleanly(removeLines(P, 78), 'high-risk-approvals'));
  });

  test('high risk with approvals: 0', () => {
    assertNoProblems(fixesCleanly(edit(P, 'approvals: 2 ', 'approvals: 0 '), 'high-risk-approvals'));
  });

  test('high risk without logRetentionDays', () => {
    assertNoProblems(fixesCleanly(removeLines(P, 99), 'high-risk-retention'));
  });

  test('high risk with logRetentionDays: 30', () => {
    assertNoProblems(fixesCleanly(edit(P, 'logRetentionDays: 365', 'logRetentionDays: 30'), 'high-risk-retention'));
  });

  test('docker stage without image', () => {
    const IMAGE = '    image:\n      dockerfile: Dockerfile\n      context: .\n      buildArgs: { NODE_IMAGE: "node:20-slim" }\n';
    fixesCleanly(edit(P, IMAGE, ''), 'missing-image');
  });

  test('params: search space key train.lrr -> train.lr', () => {
    assertNoProblems(fixesCleanly(edit(BASE_PARAMS, '    train.lr: ', '    train.lrr:'), 'unknown-param', validateParams));
  });

  test('params: a missing search.goal', () => {
    fixesCleanly(removeLines(BASE_PARAMS, 31), 'missing-required', validateParams);
  });

  test('a fix on a file without a final newline', () => {
    const t = removeTopLevel(P, 'monitor').replace(/\n+$/, '');
    assertNoProblems(fixesCleanly(t, 'high-risk-monitor'));
  });
});
