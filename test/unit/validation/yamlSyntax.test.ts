/**
 * PRODUCT.md conventions: YAML 1.2; after a syntax error the rest of the file is still checked as
 * far as it parses; and hostile or degenerate input (alias bombs, huge files, absurd nesting, empty
 * files, a list instead of a mapping, CRLF line endings) gives diagnostics, never a crash or a hang.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_PARAMS, BASE_PIPELINE } from './baseWorkspace';
import {
  assertHas, assertNoProblems, Checked, edit, lineOf, listing, removeLines, summary, validateIn, validateParams, validatePipeline,
  baseWorkspace,
} from './validateFixture';

const P = BASE_PIPELINE;

function syntaxLines(r: Checked): number[] {
  return r.problems.filter((p) => p.code === 'yaml-syntax').map((p) => p.line);
}

function timed<T>(fn: () => T): { value: T; ms: number } {
  const t0 = process.hrtime.bigint();
  const value = fn();
  return { value, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
}

describe('syntax errors are reported on the right line, and the rest is still checked', () => {
  test('an unclosed [ on line 38', () => {
    const r = validatePipeline(edit(P, 'deps: [data.train, src/train.js, src/common.js]', 'deps: [data.train, src/train.js, src/common.js'));
    assert.deepEqual(syntaxLines(r), [38], listing(r.problems));
    assert.ok(r.problems.every((p) => p.code !== 'yaml-syntax' || p.severity === 'error'));
  });

  test('problems before and after the unclosed [ are still reported', () => {
    let t = edit(P, 'deps: [data.train, src/train.js, src/common.js]', 'deps: [data.train, src/train.js, src/common.js');
    t = edit(t, 'name: grant-fraud', 'name: Grant_Fraud');
    t = edit(t, 'needs: [train]', 'needs: [trian]');
    t = edit(t, 'strategy: canary', 'strategy: bluegreen');
    const r = validatePipeline(t);
    assert.deepEqual(syntaxLines(r), [38], listing(r.problems));
    assertHas(r, { line: 6, code: 'invalid-name', severity: 'error' });
    assertHas(r, { line: 54, code: 'unknown-stage', severity: 'error' });
    assertHas(r, { line: 81, code: 'invalid-enum', severity: 'error' });
  });

  test('a mis-indented line (39) and a later unknown stage (54)', () => {
    const r = validatePipeline(edit(edit(P, '    outs: [models/model.json]', '   outs: [models/model.json]'), 'needs: [train]', 'needs: [trian]'));
    assert.deepEqual(syntaxLines(r), [39], listing(r.problems));
    assertHas(r, { line: 54, code: 'unknown-stage', severity: 'error' });
  });

  test('"mapping values are not allowed here" (cmd: node a: b) on line 53, and a later gate warning', () => {
    const r = validatePipeline(edit(edit(P, 'cmd: node src/evaluate.js --model', 'cmd: node src/evaluate.js a: b --model'), '  - metric: auc', '  - metric: roc_auc'));
    assert.deepEqual(syntaxLines(r), [53], listing(r.problems));
    assertHas(r, { line: 69, code: 'unknown-metric', severity: 'warning' });
  });

  test('an unclosed double quote on line 52 (the parser notices at the end of the file)', () => {
    const r = validatePipeline(edit(P, 'description: Score the held-out split;', 'description: "Score the held-out split;'));
    assert.deepEqual(syntaxLines(r), [52], listing(r.problems));
  });

  test('a tab used for indentation on line 53', () => {
    const r = validatePipeline(edit(P, '    cmd: node src/evaluate.js', '\tcmd: node src/evaluate.js'));
    assert.deepEqual(syntaxLines(r), [53], listing(r.problems));
  });

  test('a missing required key elsewhere in the file is still reported after a syntax error', () => {
    // The syntax error is in stage train; stage evaluate, which parses fine, has no cmd.
    let t = edit(P, 'deps: [data.train, src/train.js, src/common.js]', 'deps: [data.train, src/train.js, src/common.js');
    t = removeLines(t, 53);
    const r = validatePipeline(t);
    assert.deepEqual(syntaxLines(r), [38], listing(r.problems));
    assertHas(r, { line: 51, code: 'missing-required', severity: 'error' });
  });

  test('two syntax errors are both reported', () => {
    let t = edit(P, 'deps: [data.train, src/train.js, src/common.js]', 'deps: [data.train, src/train.js, src/common.js');
    t = edit(t, '    cmd: node src/evaluate.js', '\tcmd: node src/evaluate.js');
    const r = validatePipeline(t);
    assert.deepEqual(syntaxLines(r).sort((a, b) => a - b), [38, 53], listing(r.problems));
  });

  test('a syntax error in params.yaml: reported on its line, later space keys still checked', () => {
    const r = validateParams(edit(edit(BASE_PARAMS, '  epochs: 40', '  epochs: [40'), '    train.lr: ', '    train.lrr:'));
    assert.deepEqual(syntaxLines(r), [14], listing(r.problems));
    assertHas(r, { line: 33, code: 'unknown-param', severity: 'error' });
  });
});

describe('hostile and degenerate input', () => {
  const bomb = (): string => {
    const lines = ['lol: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    const names = 'abcdefghi';
    for (let i = 1; i < 9; i++) lines.push(`l${i}: &${names[i]} [${Array(9).fill(`*${names[i - 1]}`).join(',')}]`);
    return `${lines.join('\n')}\n`;
  };

  test('a billion-laughs alias bomb in params.yaml is validated quickly', () => {
    const { value: r, ms } = timed(() => validateParams(bomb()));
    assert.ok(ms < 2000, `took ${ms} ms`);
    assertNoProblems(r);
  });

  test('a billion-laughs alias bomb in pipeline.yaml (as stage metrics) is validated quickly', () => {
    const text = `apiVersion: mlops/v1\nkind: Pipeline\nname: bomb\nstages:\n  s:\n    cmd: echo\n    metrics: &m [a, b]\n  t:\n    cmd: echo\n    metrics: *m\n${bomb().split('\n').map((l) => (l ? `# ${l}` : l)).join('\n')}`;
    const t2 = `${text}x-bomb:\n${bomb().split('\n').filter(Boolean).map((l) => `  ${l}`).join('\n')}\n`;
    const { value: r, ms } = timed(() => validatePipeline(t2));
    assert.ok(ms < 2000, `took ${ms} ms`);
    // The only problem is the unknown top-level key that holds the bomb.
    assert.deepEqual(summary(r.problems), [`${lineOf(t2, 'x-bomb:')} error unknown-key`], listing(r.problems));
  });

  test('a stage defined by an alias of another is checked like the original', () => {
    const text = 'apiVersion: mlops/v1\nkind: Pipeline\nname: alias\nstages:\n  a: &base { cmd: echo a }\n  b: *base\n  c:\n    cmd: echo c\n    needs: [a, b]\n';
    assertNoProblems(validatePipeline(text));
  });

  test('a 10 MB file gives a diagnostic, not a crash or a hang', () => {
    const big = `${P}${'# filler filler filler filler filler filler filler filler filler filler\n'.repeat(150_000)}`;
    assert.ok(big.length > 10_000_000);
    const { value: r, ms } = timed(() => validatePipeline(big));
    assert.ok(ms < 5000, `took ${ms} ms`);
    assert.ok(r.problems.length >= 1, 'a diagnostic');
    assert.ok(r.problems.some((p) => p.severity === 'error' && p.line === 1), listing(r.problems));
  });

  test('a 10 MB params file of real entries gives a diagnostic', () => {
    const lines: string[] = [];
    for (let i = 0, size = 0; size < 10_500_000; i++) {
      lines.push(`key_${String(i).padStart(8, '0')}: ${i % 1000}`);
      size += lines[lines.length - 1].length + 1;
    }
    const big = `${lines.join('\n')}\n`;
    assert.ok(big.length > 10_000_000);
    const { value: r, ms } = timed(() => validateParams(big));
    assert.ok(ms < 5000, `took ${ms} ms`);
    assert.ok(r.problems.some((p) => p.severity === 'error'), listing(r.problems));
  });

  for (const [what, text] of [
    ['100,000 unclosed [', `x: ${'['.repeat(100_000)}`],
    ['100,000 nested [ ]', `x: ${'['.repeat(100_000)}${']'.repeat(100_000)}`],
    ['100,000 nested { }', `x: ${'{a: '.repeat(100_000)}1${'}'.repeat(100_000)}`],
  ] as const) {
    test(`${what} gives a diagnostic, not a crash`, () => {
      const { value: r, ms } = timed(() => validateParams(text));
      assert.ok(ms < 5000, `took ${ms} ms`);
      assert.ok(r.problems.some((p) => p.severity === 'error' && p.line === 1), listing(r.problems));
    });
  }

  test('deep nesting in a pipeline gives a diagnostic too', () => {
    const r = validatePipeline(`apiVersion: mlops/v1\nkind: Pipeline\nname: deep\nstages:\n  s:\n    cmd: echo\n    deps: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`);
    assert.ok(r.problems.some((p) => p.severity === 'error'), listing(r.problems));
  });

  for (const [what, text] of [['an empty file', ''], ['only whitespace and a comment', '\n   \n# nothing yet\n']] as const) {
    test(`${what}: a pipeline needs its required keys (error on line 1)`, () => {
      const r = validatePipeline(text);
      assert.ok(r.problems.length >= 1 && r.problems.every((p) => p.severity === 'error'), listing(r.problems));
      assert.ok(r.problems.some((p) => p.line === 1), listing(r.problems));
    });
  }

  test('a pipeline that is a YAML list is a wrong type on line 1', () => {
    const r = validatePipeline('- apiVersion: mlops/v1\n- kind: Pipeline\n');
    assert.deepEqual(summary(r.problems), ['1 error wrong-type'], listing(r.problems));
  });

  test('a pipeline that is a scalar is a wrong type on line 1', () => {
    const r = validatePipeline('hello pipeline\n');
    assert.deepEqual(summary(r.problems), ['1 error wrong-type'], listing(r.problems));
  });

  test('a params file that is a list is a wrong type', () => {
    const r = validateParams('- 1\n- 2\n');
    assert.deepEqual(summary(r.problems), ['1 error wrong-type'], listing(r.problems));
  });
});

describe('CRLF line endings give the same problems on the same lines', () => {
  const crlf = (s: string): string => s.replace(/\r?\n/g, '\r\n');

  test('the base workspace in CRLF has no problems', () => {
    const ws = baseWorkspace();
    for (const k of Object.keys(ws.files)) ws.files[k] = crlf(ws.files[k]);
    for (const f of ['pipeline.yaml', 'params.yaml', 'clusters.yaml']) assertNoProblems(validateIn(ws, f), `${f} (CRLF)`);
  });

  const mutations: [string, string, string][] = [
    ['unknown key', 'needs: [prepare]', 'needz: [prepare]'],
    ['unknown stage', 'needs: [train]', 'needs: [trian]'],
    ['unknown param in cmd', '${params.train.lr}', '${params.train.lrr}'],
    ['invalid time', 'time: "00:30:00"', 'time: "00:61:00"'],
    ['gate warning', '  - metric: auc', '  - metric: roc_auc'],
    ['syntax error', 'deps: [data.train, src/train.js, src/common.js]', 'deps: [data.train, src/train.js, src/common.js'],
    ['high risk retention', 'logRetentionDays: 365', 'logRetentionDays: 30'],
  ];
  for (const [what, from, to] of mutations) {
    test(what, () => {
      const lf = validatePipeline(edit(P, from, to));
      const cr = validatePipeline(crlf(edit(P, from, to)), { 'params.yaml': crlf(BASE_PARAMS) });
      assert.ok(lf.problems.length > 0);
      assert.deepEqual(summary(cr.problems), summary(lf.problems));
      for (const p of cr.problems) assert.ok(!p.covered.endsWith('\r'), `range of ${p.code} includes the CR: ${JSON.stringify(p.covered)}`);
    });
  }

  test('a wrong reference in a folded CRLF cmd is on its own line', () => {
    const t = crlf(edit(P, '    cmd: node src/train.js --lr ${params.train.lr} --epochs ${params.train.epochs} --out models/model.json\n',
      '    cmd: >-\n      node src/train.js\n      --lr ${params.train.lr}\n      --epochs ${params.train.epoch}\n'));
    const r = validatePipeline(t);
    assert.deepEqual(summary(r.problems), [`${lineOf(t, '--epochs ${params')} error unknown-param`]);
  });

  test('params rules in CRLF', () => {
    const t = crlf(edit(BASE_PARAMS, '    train.lr: ', '    train.lrr:'));
    assert.deepEqual(summary(validateParams(t).problems), ['33 error unknown-param']);
  });
});
