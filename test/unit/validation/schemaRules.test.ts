/**
 * PRODUCT.md, "Conventions for every file kind" and the first semantic rule: unknown key (with a
 * did-you-mean), wrong type, bad enum value, missing required key; the name patterns; the
 * resources formats (time, memory, cpus, gpus) and the snapshot format. Every rule is an ERROR
 * unless PRODUCT.md says warning. Each test mutates one thing of the valid sample pipeline.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import { validateFile } from '../../../server/src/core/validation/validator';
import { ParseCache } from '../../../server/src/core/workspace/workspaceFiles';
import { BASE_PARAMS, BASE_PIPELINE } from './baseWorkspace';
import {
  assertHas, assertNoProblems, assertOnly, assertSuggests, baseWorkspace, edit, lineOf, listing, MemorySource,
  removeLines, removeTopLevel, validateIn, validateParams, validatePipeline, withCode,
} from './validateFixture';

const P = BASE_PIPELINE;

describe('file kinds are recognised by name', () => {
  const ctx = { source: new MemorySource({ files: {} }), cache: new ParseCache(), roots: ['/ws'] };
  test('pipeline.yaml, x.pipeline.yaml, params.yaml, x.params.yaml, clusters.yaml', () => {
    assert.equal(validateFile('/ws/pipeline.yaml', 'a: 1', ctx)?.kind, 'pipeline');
    assert.equal(validateFile('/ws/fraud.pipeline.yaml', 'a: 1', ctx)?.kind, 'pipeline');
    assert.equal(validateFile('/ws/params.yaml', 'a: 1', ctx)?.kind, 'params');
    assert.equal(validateFile('/ws/fraud.params.yaml', 'a: 1', ctx)?.kind, 'params');
    assert.equal(validateFile('/ws/clusters.yaml', 'a: 1', ctx)?.kind, 'clusters');
  });
  test('other YAML files are not ours', () => {
    assert.equal(validateFile('/ws/docker-compose.yaml', 'a: 1', ctx), undefined);
    assert.equal(validateFile('/ws/pipeline.yml.bak', 'a: 1', ctx), undefined);
  });
});

describe('unknown keys are errors, with a did-you-mean', () => {
  test('needz -> needs in a stage', () => {
    const r = validatePipeline(edit(P, 'needs: [prepare]', 'needz: [prepare]'));
    const line = lineOf(r.text, 'needz');
    assertOnly(r, [{ line, code: 'unknown-key', severity: 'error' }]);
    assert.equal(r.problems[0].covered, 'needz');
    assertSuggests(r, withCode(r.problems, 'unknown-key')[0], 'needz', 'needs');
  });

  test('descripton -> description at the top level', () => {
    const r = validatePipeline(edit(P, 'description: Flags', 'descripton: Flags'));
    assertOnly(r, [{ line: 7, code: 'unknown-key', severity: 'error' }]);
    assertSuggests(r, r.problems[0], 'descripton', 'description');
  });

  test('memroy -> memory inside a flow mapping (resources)', () => {
    const r = validatePipeline(edit(P, 'memory: 2Gi', 'memroy: 2Gi'));
    assertOnly(r, [{ line: 46, code: 'unknown-key', severity: 'error' }]);
    assertSuggests(r, r.problems[0], 'memroy', 'memory');
  });

  test('mtric -> metric in a validation gate (the gate then also misses its metric)', () => {
    const r = validatePipeline(edit(P, '  - metric: auc', '  - mtric: auc'));
    const p = assertHas(r, { line: 69, code: 'unknown-key', severity: 'error' });
    assertSuggests(r, p, 'mtric', 'metric');
  });

  test('stagse -> stages at the top level (stages is then missing too)', () => {
    const r = validatePipeline(edit(P, 'stages:\n', 'stagse:\n'));
    const p = assertHas(r, { line: 24, code: 'unknown-key', severity: 'error' });
    assertSuggests(r, p, 'stagse', 'stages');
  });

  test('a key nothing resembles is still an error (key names are fixed)', () => {
    const r = validatePipeline(edit(P, 'params: params.yaml\n', 'params: params.yaml\nteam: fraud-analytics\n'));
    assertOnly(r, [{ line: 10, code: 'unknown-key', severity: 'error' }]);
  });

  test('unknown key in a cluster-independent nested block (monitor.drift)', () => {
    const r = validatePipeline(edit(P, '    bins: 10', '    binz: 10'));
    const p = assertHas(r, { line: 90, code: 'unknown-key', severity: 'error' });
    assertSuggests(r, p, 'binz', 'bins');
  });
});

describe('wrong types are errors', () => {
  test('registry.approvals: two', () => {
    const r = validatePipeline(edit(P, 'approvals: 2 ', 'approvals: two '));
    assertOnly(r, [{ line: 78, code: 'wrong-type', severity: 'error' }]);
  });

  test('a stage cmd given as a list', () => {
    const r = validatePipeline(edit(P, 'cmd: node src/prepare.js --out data/features', 'cmd: [node, src/prepare.js]'));
    assertOnly(r, [{ line: 27, code: 'wrong-type', severity: 'error' }]);
  });

  test('humanOversight: yes is a string in YAML 1.2, not a boolean', () => {
    const r = validatePipeline(edit(P, 'humanOversight: true ', 'humanOversight: yes '));
    assertHas(r, { line: 98, code: 'wrong-type', severity: 'error' });
  });

  test('logRetentionDays: 365.5 is not a whole number', () => {
    const r = validatePipeline(edit(P, 'logRetentionDays: 365 ', 'logRetentionDays: 365.5 '));
    assertOnly(r, [{ line: 99, code: 'wrong-type', severity: 'error' }]);
  });

  test('stages given as a list', () => {
    const text = `apiVersion: mlops/v1\nkind: Pipeline\nname: mini\nstages:\n  - cmd: echo\n`;
    const r = validatePipeline(text);
    assertOnly(r, [{ line: 5, code: 'wrong-type', severity: 'error' }]);
  });

  test('needs given as a bare string instead of a list', () => {
    const r = validatePipeline(edit(P, 'needs: [train]', 'needs: train'));
    assertOnly(r, [{ line: 54, code: 'wrong-type', severity: 'error' }]);
  });
});

describe('bad enum values are errors', () => {
  const cases: [string, string, string, number, string | undefined][] = [
    ['executor', 'executor: docker', 'executor: kubernetes', 40, undefined],
    ['risk', 'risk: high', 'risk: hihg', 8, 'high'],
    ['deploy.strategy', 'strategy: canary', 'strategy: bluegreen', 81, undefined],
    ['drift.method', 'method: psi', 'method: psy', 89, 'psi'],
    ['gate type', 'type: fairness', 'type: fairnes', 73, 'fairness'],
  ];
  for (const [what, from, to, line, suggestion] of cases) {
    test(`${what}: ${to.split(': ')[1]}`, () => {
      const r = validatePipeline(edit(P, from, to));
      const p = assertHas(r, { line, code: 'invalid-enum', severity: 'error' });
      if (suggestion) assertSuggests(r, p, to.split(': ')[1], suggestion);
      // risk: hihg is not 'high', so no high-risk rule may fire; nothing else is wrong in any case.
      assertOnly(r, [{ line, code: 'invalid-enum', severity: 'error' }]);
    });
  }

  test('apiVersion must be mlops/v1', () => {
    const r = validatePipeline(edit(P, 'apiVersion: mlops/v1', 'apiVersion: mlops/v2'));
    assert.equal(r.problems.length, 1, listing(r.problems));
    assert.equal(r.problems[0].line, 4);
    assert.equal(r.problems[0].severity, 'error');
  });

  test('kind must be Pipeline', () => {
    const r = validatePipeline(edit(P, 'kind: Pipeline', 'kind: pipeline'));
    assert.equal(r.problems.length, 1, listing(r.problems));
    assert.equal(r.problems[0].line, 5);
    assert.equal(r.problems[0].severity, 'error');
  });
});

describe('missing required keys are errors', () => {
  for (const key of ['apiVersion', 'kind', 'name']) {
    test(`top-level ${key}`, () => {
      const line = lineOf(P, `${key}: `);
      const r = validatePipeline(removeLines(P, line));
      const missing = withCode(r.problems, 'missing-required');
      assert.equal(missing.length, 1, listing(r.problems));
      assert.equal(missing[0].severity, 'error');
      assert.match(missing[0].message, new RegExp(`\\b${key}\\b`));
      assert.equal(r.problems.length, 1, listing(r.problems));
    });
  }

  test('top-level stages', () => {
    const r = validatePipeline(removeTopLevel(P, 'stages'));
    const missing = withCode(r.problems, 'missing-required');
    assert.equal(missing.length, 1, listing(r.problems));
    assert.equal(missing[0].severity, 'error');
    assert.match(missing[0].message, /\bstages\b/);
  });

  test('stages: {} (no stage at all) is not a valid pipeline', () => {
    const r = validatePipeline(`apiVersion: mlops/v1\nkind: Pipeline\nname: mini\nstages: {}\n`);
    assert.ok(r.problems.some((p) => p.severity === 'error' && p.line === 4), listing(r.problems));
  });

  test("a stage's cmd: reported on the stage's name", () => {
    const r = validatePipeline(removeLines(P, 53)); // evaluate's cmd
    assertOnly(r, [{ line: 51, code: 'missing-required', severity: 'error' }]);
    assert.match(r.problems[0].message, /\bcmd\b/);
  });

  test("a stage's cmd when the stage is a flow mapping", () => {
    const r = validatePipeline(removeLines(edit(P, '  evaluate:\n', '  evaluate: { needs: [train], metrics: [accuracy, precision, recall, f1, auc, demographic_parity_difference] }\n'), 52, 57));
    assertOnly(r, [{ line: 51, code: 'missing-required', severity: 'error' }]);
  });

  test("an empty stage (no value at all) misses its cmd", () => {
    const r = validatePipeline(edit(P, 'validation:   ', '  report:\n\nvalidation:   '));
    assertHas(r, { line: lineOf(r.text, '  report:'), code: 'missing-required', severity: 'error' });
  });

  test("an empty data entry (no value at all) misses its path", () => {
    const r = validatePipeline(edit(P, '  # Pin a dataset', '  extra:\n  # Pin a dataset'));
    assertOnly(r, [{ line: lineOf(r.text, '  extra:'), code: 'missing-required', severity: 'error' }]);
  });

  test("a data entry's path: reported on the entry's name", () => {
    const r = validatePipeline(removeLines(P, 16)); // data.train.path
    assertOnly(r, [{ line: 15, code: 'missing-required', severity: 'error' }]);
    assert.match(r.problems[0].message, /\bpath\b/);
  });

  test("a gate's metric (block gate): reported on the gate", () => {
    const r = validatePipeline(edit(P, '  - metric: auc\n    min: 0.9', '  - min: 0.9'));
    assertOnly(r, [{ line: 69, code: 'missing-required', severity: 'error' }]);
    assert.match(r.problems[0].message, /\bmetric\b/);
  });

  test("a gate's metric (flow gate)", () => {
    const r = validatePipeline(edit(P, '  - metric: auc\n    min: 0.9', '  - { min: 0.9 }'));
    assertOnly(r, [{ line: 69, code: 'missing-required', severity: 'error' }]);
  });
});

describe('name patterns', () => {
  test('name: grant_Fraud does not match ^[a-z0-9][a-z0-9-]{0,62}$', () => {
    const r = validatePipeline(edit(P, 'name: grant-fraud', 'name: grant_Fraud'));
    assertOnly(r, [{ line: 6, code: 'invalid-name', severity: 'error' }]);
  });

  test('name starting with "-"', () => {
    const r = validatePipeline(edit(P, 'name: grant-fraud', 'name: -fraud'));
    assertOnly(r, [{ line: 6, code: 'invalid-name', severity: 'error' }]);
  });

  test('name of 63 characters is fine, 64 is too long', () => {
    assertNoProblems(validatePipeline(edit(P, 'name: grant-fraud', `name: ${'a'.repeat(63)}`)));
    const r = validatePipeline(edit(P, 'name: grant-fraud', `name: ${'a'.repeat(64)}`));
    assertOnly(r, [{ line: 6, code: 'invalid-name', severity: 'error' }]);
  });

  test('name starting with a digit is fine', () => {
    assertNoProblems(validatePipeline(edit(P, 'name: grant-fraud', 'name: 2024-grant-fraud')));
  });

  test('stage name Evaluate (uppercase) does not match ^[a-z][a-z0-9_-]*$', () => {
    const r = validatePipeline(edit(P, '  evaluate:\n', '  Evaluate:\n'));
    assertOnly(r, [{ line: 51, code: 'invalid-stage-name', severity: 'error' }]);
  });

  test('stage name starting with a digit', () => {
    const r = validatePipeline(edit(P, '  evaluate:\n', '  2evaluate:\n'));
    assertOnly(r, [{ line: 51, code: 'invalid-stage-name', severity: 'error' }]);
  });

  test('stage names with digits, "_" and "-" are fine', () => {
    assertNoProblems(validatePipeline(edit(P, '  evaluate:\n', '  evaluate_v2-gpu:\n')));
  });
});

describe('resources.time: HH:MM:SS (hours may exceed 23) or D-HH:MM:SS', () => {
  const RES = 'time: "00:30:00"';
  for (const ok of ['02:00:00', '"02:00:00"', '100:00:00', '"36:00:00"', '1-12:00:00', '"0-23:59:59"', '00:59:59']) {
    test(`valid: ${ok}`, () => assertNoProblems(validatePipeline(edit(P, RES, `time: ${ok}`))));
  }
  for (const bad of ['"12:60:00"', '"12:00:60"', '"1:2:3"', '"1-25:00:00"', '"02:00"', '2h', '"1-12:00"']) {
    test(`invalid: ${bad}`, () => {
      const r = validatePipeline(edit(P, RES, `time: ${bad}`));
      assertOnly(r, [{ line: 46, code: 'invalid-time', severity: 'error' }]);
      assert.equal(r.problems[0].covered, bad);
    });
  }
  test('invalid: a number of seconds (7200) is not HH:MM:SS', () => {
    const r = validatePipeline(edit(P, RES, 'time: 7200'));
    assert.equal(r.problems.length, 1, listing(r.problems));
    assert.equal(r.problems[0].line, 46);
    assert.equal(r.problems[0].severity, 'error');
  });
});

describe('resources.memory: number with K/M/G/T (+ i or B), or bare bytes', () => {
  const RES = 'memory: 2Gi';
  for (const ok of ['512M', '16GB', '8Gi', '1.5G', '1073741824', '"1073741824"', '2T', '64K', '0.5Ti']) {
    test(`valid: ${ok}`, () => assertNoProblems(validatePipeline(edit(P, RES, `memory: ${ok}`))));
  }
  for (const bad of ['8Q', '8 GB', '-1G', 'G', '8GiB', '1.G', 'lots']) {
    test(`invalid: ${bad}`, () => {
      const r = validatePipeline(edit(P, RES, `memory: ${bad}`));
      assertOnly(r, [{ line: 46, code: 'invalid-memory', severity: 'error' }]);
      assert.equal(r.problems[0].covered, bad);
    });
  }
  test('invalid: "1.5" (a quoted fractional number of bytes, no unit)', () => {
    const r = validatePipeline(edit(P, RES, 'memory: "1.5"'));
    assertOnly(r, [{ line: 46, code: 'invalid-memory', severity: 'error' }]);
  });
  test('invalid: 1.5 (a fractional number of bytes)', () => {
    const r = validatePipeline(edit(P, RES, 'memory: 1.5'));
    assert.equal(r.problems.length, 1, listing(r.problems));
    assert.equal(r.problems[0].line, 46);
    assert.equal(r.problems[0].severity, 'error');
  });
});

describe('resources.cpus / gpus are whole numbers', () => {
  test('cpus: 2.5 is an error', () => {
    const r = validatePipeline(edit(P, 'cpus: 2,', 'cpus: 2.5,'));
    assertOnly(r, [{ line: 46, code: 'wrong-type', severity: 'error' }]);
  });
  test('gpus: 1.5 is an error', () => {
    const r = validatePipeline(edit(P, 'gpus: 0,', 'gpus: 1.5,'));
    assertOnly(r, [{ line: 46, code: 'wrong-type', severity: 'error' }]);
  });
  test('gpus: 0 is valid (the base already has it)', () => {
    assert.match(P, /gpus: 0,/);
    assertNoProblems(validatePipeline(P));
  });
  test('cpus: 16, gpus: 8 are valid', () => {
    assertNoProblems(validatePipeline(edit(edit(P, 'cpus: 2,', 'cpus: 16,'), 'gpus: 0,', 'gpus: 8,')));
  });
  test('cpus: "4" (a string) is an error', () => {
    const r = validatePipeline(edit(P, 'cpus: 2,', 'cpus: "4",'));
    assertOnly(r, [{ line: 46, code: 'wrong-type', severity: 'error' }]);
  });
  test('resources in block form: the error is on the cpus line', () => {
    const r = validatePipeline(edit(P, '    resources: { cpus: 2, memory: 2Gi, gpus: 0, time: "00:30:00" }',
      '    resources:\n      cpus: 2.5\n      memory: 2Gi\n      gpus: 0\n      time: "00:30:00"'));
    assertOnly(r, [{ line: lineOf(r.text, 'cpus: 2.5'), code: 'wrong-type', severity: 'error' }]);
  });
});

describe('snapshot: sha256: + 64 lowercase hex; a warning when not in the local cache', () => {
  const HEX = 'ab' + 'cdef0123456789'.repeat(4) + '012345';
  assert.equal(HEX.length, 64);
  const withSnapshot = (id: string): string => edit(P, '    path: data/raw\n', `    path: data/raw\n    snapshot: "${id}"\n`);
  const line = 14;

  test('uppercase hex is malformed (error)', () => {
    const r = validatePipeline(withSnapshot(`sha256:${HEX.toUpperCase()}`));
    assertOnly(r, [{ line, code: 'invalid-snapshot', severity: 'error' }]);
  });
  test('too short is malformed (error)', () => {
    const r = validatePipeline(withSnapshot(`sha256:${HEX.slice(0, 12)}`));
    assertOnly(r, [{ line, code: 'invalid-snapshot', severity: 'error' }]);
  });
  test('another algorithm is malformed (error)', () => {
    const r = validatePipeline(withSnapshot(`md5:${HEX.slice(0, 32)}`));
    assertOnly(r, [{ line, code: 'invalid-snapshot', severity: 'error' }]);
  });
  test('well-formed but not in .mlops/cache: warning', () => {
    const r = validatePipeline(withSnapshot(`sha256:${HEX}`));
    assertOnly(r, [{ line, code: 'snapshot-not-cached', severity: 'warning' }]);
  });
  test('well-formed and cached at <root>/.mlops/cache/sha256/ab/cdef...: no problem', () => {
    const r = validatePipeline(withSnapshot(`sha256:${HEX}`), { extraExisting: [`.mlops/cache/sha256/${HEX.slice(0, 2)}/${HEX.slice(2)}`] });
    assertNoProblems(r);
  });
  test('an object under the wrong fan-out directory does not count as cached', () => {
    const r = validatePipeline(withSnapshot(`sha256:${HEX}`), { extraExisting: [`.mlops/cache/sha256/${HEX}`] });
    assertOnly(r, [{ line, code: 'snapshot-not-cached', severity: 'warning' }]);
  });
  test('a flow data entry with a snapshot: the warning is on that line', () => {
    const r = validatePipeline(edit(P, '  reference:                    # what "normal" inputs look like, for drift monitoring\n    path: data/reference.csv\n    description: Applications 2021 used as the reference distribution\n',
      `  reference: { path: data/reference.csv, snapshot: "sha256:${HEX}" }\n`));
    assertOnly(r, [{ line: 18, code: 'snapshot-not-cached', severity: 'warning' }]);
  });
});

describe('duplicate keys', () => {
  test('a duplicated top-level key is an error on the second occurrence', () => {
    const r = validatePipeline(edit(P, 'params: params.yaml\n', 'params: params.yaml\nname: grant-fraud-2\n'));
    assertHas(r, { line: 10, code: 'duplicate-key', severity: 'error' });
  });
  test('a duplicated stage name is an error', () => {
    const r = validatePipeline(edit(P, 'validation:   ', '  prepare:\n    cmd: echo again\n\nvalidation:   '));
    assertHas(r, { line: lineOf(r.text, '  prepare:\n    cmd: echo again'), code: 'duplicate-key', severity: 'error' });
  });
  test('duplicated keys in params.yaml, at the top and inside a group', () => {
    const r = validateParams(edit(BASE_PARAMS, '  epochs: 40\n', '  epochs: 40\n  lr: 0.1\n'));
    assertHas(r, { line: 15, code: 'duplicate-key', severity: 'error' });
    const r2 = validateParams(`${BASE_PARAMS}evaluate:\n  group_column: org\n`);
    assertHas(r2, { line: lineOf(r2.text, 'evaluate:', 2), code: 'duplicate-key', severity: 'error' });
  });

  test('a duplicated key inside a flow mapping', () => {
    const r = validatePipeline(edit(P, 'cpus: 2,', 'cpus: 2, cpus: 4,'));
    assertHas(r, { line: 46, code: 'duplicate-key', severity: 'error' });
  });
});

describe('a pipeline file is found wherever it is', () => {
  test('x.pipeline.yaml in a sub-folder validates like pipeline.yaml', () => {
    const base = baseWorkspace();
    const files: Record<string, string> = {};
    for (const [k, v] of Object.entries(base.files)) files[path.join('models', k === 'pipeline.yaml' ? 'fraud.pipeline.yaml' : k)] = v;
    const r = validateIn({ files, existing: (base.existing ?? []).map((p) => path.join('models', p)) }, 'models/fraud.pipeline.yaml');
    assertNoProblems(r);
  });
});
