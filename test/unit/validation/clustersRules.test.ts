/**
 * PRODUCT.md, "clusters.yaml": a cluster's host, user and account are required; unknown keys,
 * wrong types and bad enum values are errors like everywhere else.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_CLUSTERS } from './baseWorkspace';
import { assertHas, assertNoProblems, assertOnly, assertSuggests, edit, lineOf, removeLines, validateClusters } from './validateFixture';

const C = BASE_CLUSTERS;
const LUMI = 5;

describe('clusters.yaml', () => {
  test('the sample has no problems', () => assertNoProblems(validateClusters(C)));

  for (const [key, line] of [['host', 6], ['user', 8], ['account', 10]] as const) {
    test(`a cluster without ${key} is an error on the cluster's name`, () => {
      const r = validateClusters(removeLines(C, line));
      assertOnly(r, [{ line: LUMI, code: 'missing-required', severity: 'error' }]);
      assert.match(r.problems[0].message, new RegExp(`\\b${key}\\b`));
    });
  }

  test('a flow-mapping cluster without account', () => {
    const r = validateClusters(`${C}\n  mn5: { host: glogin1.bsc.es, user: jdoe }\n`);
    assertOnly(r, [{ line: lineOf(r.text, 'mn5:'), code: 'missing-required', severity: 'error' }]);
  });

  test('an empty cluster (no value at all) misses host, user and account', () => {
    const r = validateClusters(`${C}\n  mn5:\n`);
    const line = lineOf(r.text, 'mn5:');
    assert.deepEqual(r.problems.map((p) => `${p.line} ${p.severity} ${p.code}`), [`${line} error missing-required`, `${line} error missing-required`, `${line} error missing-required`],
      r.problems.map((p) => p.message).join('\n'));
  });

  test('a minimal cluster (host, user, account) is fine', () => {
    assertNoProblems(validateClusters('clusters:\n  mn5:\n    host: glogin1.bsc.es\n    user: jdoe\n    account: ehpc01\n'));
  });

  test('hots -> host: unknown key with a did-you-mean (and host is then missing)', () => {
    const r = validateClusters(edit(C, 'host: lumi.csc.fi', 'hots: lumi.csc.fi'));
    const p = assertHas(r, { line: 6, code: 'unknown-key', severity: 'error' });
    assertSuggests(r, p, 'hots', 'host');
    assertHas(r, { line: LUMI, code: 'missing-required', severity: 'error' });
  });

  test('port: twenty-two is a wrong type', () => {
    const r = validateClusters(edit(C, '    port: 22\n    user: jdoe', '    port: twenty-two\n    user: jdoe'));
    assertOnly(r, [{ line: 7, code: 'wrong-type', severity: 'error' }]);
  });

  test('container: docker is a bad enum value', () => {
    const r = validateClusters(edit(C, 'container: singularity', 'container: docker'));
    assertOnly(r, [{ line: 14, code: 'invalid-enum', severity: 'error' }]);
  });

  test('modules given as a string is a wrong type', () => {
    const r = validateClusters(edit(C, 'modules: [LUMI/24.03, partition/G]', 'modules: LUMI/24.03'));
    assertOnly(r, [{ line: 13, code: 'wrong-type', severity: 'error' }]);
  });

  test('a clusters file that is a list is a wrong type', () => {
    const r = validateClusters('- host: lumi.csc.fi\n  user: jdoe\n');
    assert.ok(r.problems.some((p) => p.code === 'wrong-type' && p.line === 1 && p.severity === 'error'));
  });
});
