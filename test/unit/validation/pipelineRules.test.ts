/**
 * PRODUCT.md, "Semantic rules the language server checks beyond the schema", for pipeline.yaml:
 * needs, cycles, params references, executors and clusters, gates, canary, drift, high risk,
 * deps, and how the params and clusters files are found. Each test mutates one thing of the
 * valid sample pipeline and checks the code, the severity and the line.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import { BASE_CLUSTERS, BASE_EXISTING, BASE_PARAMS, BASE_PIPELINE } from './baseWorkspace';
import {
  assertHas, assertNoProblems, assertNone, assertOnly, assertSuggests, codesAt, edit, lineOf, listing,
  removeLines, removeTopLevel, validateIn, validatePipeline, withCode,
} from './validateFixture';

const P = BASE_PIPELINE;

/** 1-based column of the only occurrence of `needle`. */
function lineColumn(text: string, needle: string): number {
  const at = text.indexOf(needle);
  assert.ok(at >= 0 && text.indexOf(needle, at + 1) < 0, `'${needle}' must occur once`);
  return at - (text.lastIndexOf('\n', at - 1) + 1) + 1;
}
const TRAIN_CMD_LINE = 36;

describe('needs', () => {
  test('naming an unknown stage is an error on that entry, with a did-you-mean', () => {
    const r = validatePipeline(edit(P, 'needs: [train]', 'needs: [trian]'));
    assertOnly(r, [{ line: 54, code: 'unknown-stage', severity: 'error' }]);
    assert.equal(r.problems[0].covered, 'trian');
    assertSuggests(r, r.problems[0], 'trian', 'train');
  });

  test('the unknown entry of a block list is reported on its own line', () => {
    const r = validatePipeline(edit(P, '    needs: [train]\n', '    needs:\n      - train\n      - scoring\n'));
    assertOnly(r, [{ line: lineOf(r.text, '- scoring'), code: 'unknown-stage', severity: 'error' }]);
  });

  test('a 2-cycle (prepare <-> train) is an error naming both stages', () => {
    const r = validatePipeline(edit(P, '    outs: [data/features]\n', '    outs: [data/features]\n    needs: [train]\n'));
    const cycle = withCode(r.problems, 'needs-cycle');
    assert.ok(cycle.length >= 1, listing(r.problems));
    const onCycle = [lineOf(r.text, 'needs: [train]\n    params: [prepare'), lineOf(r.text, 'needs: [prepare]')];
    for (const p of cycle) {
      assert.equal(p.severity, 'error');
      assert.ok(onCycle.includes(p.line), `needs-cycle at line ${p.line}, expected one of ${onCycle}`);
      assert.match(p.message, /\bprepare\b/);
      assert.match(p.message, /\btrain\b/);
      assert.doesNotMatch(p.message, /\bevaluate\b/, 'evaluate is not on the cycle');
    }
    assert.deepEqual(r.problems.filter((p) => p.code !== 'needs-cycle'), [], listing(r.problems));
  });

  test('a 3-cycle (prepare -> evaluate -> train -> prepare) names all three', () => {
    const r = validatePipeline(edit(P, '    outs: [data/features]\n', '    outs: [data/features]\n    needs: [evaluate]\n'));
    const cycle = withCode(r.problems, 'needs-cycle');
    assert.ok(cycle.length >= 1, listing(r.problems));
    const onCycle = [lineOf(r.text, 'needs: [evaluate]'), lineOf(r.text, 'needs: [prepare]'), lineOf(r.text, 'needs: [train]')];
    for (const p of cycle) {
      assert.equal(p.severity, 'error');
      assert.ok(onCycle.includes(p.line), `needs-cycle at line ${p.line}, expected one of ${onCycle}`);
      for (const s of ['prepare', 'train', 'evaluate']) assert.match(p.message, new RegExp(`\\b${s}\\b`));
    }
  });

  test('a stage that only leads into a cycle is not named in it', () => {
    const r = validatePipeline(edit(edit(P, '  prepare:\n', '  zero:\n    cmd: echo zero\n    needs: [train]\n  prepare:\n'),
      '    outs: [data/features]\n', '    outs: [data/features]\n    needs: [train]\n'));
    const cycle = withCode(r.problems, 'needs-cycle');
    assert.ok(cycle.length >= 1, listing(r.problems));
    for (const p of cycle) {
      assert.doesNotMatch(p.message, /\bzero\b/);
      assert.notEqual(p.line, lineOf(r.text, 'needs: [train]\n  prepare:'), 'the needs of zero is not on the cycle');
    }
  });

  test('a self-cycle (train needs train) is an error naming train', () => {
    const r = validatePipeline(edit(P, 'needs: [prepare]', 'needs: [prepare, train]'));
    assertOnly(r, [{ line: 37, code: 'needs-cycle', severity: 'error' }]);
    assert.match(r.problems[0].message, /train -> train/);
    assert.doesNotMatch(r.problems[0].message, /\bprepare\b/);
  });

  test('a diamond (report needs train and evaluate) is not a cycle', () => {
    const r = validatePipeline(edit(P, 'validation:   ', '  report:\n    cmd: node src/report.js\n    needs: [train, evaluate]\n\nvalidation:   '));
    assertNoProblems(r);
  });

  test('a cycle among stages far from the others is still found', () => {
    const extra = '  a:\n    cmd: echo a\n    needs: [b]\n  b:\n    cmd: echo b\n    needs: [c]\n  c:\n    cmd: echo c\n    needs: [a]\n\nvalidation:   ';
    const r = validatePipeline(edit(P, 'validation:   ', extra));
    const cycle = withCode(r.problems, 'needs-cycle');
    assert.ok(cycle.length >= 1, listing(r.problems));
    for (const p of cycle) for (const s of ['a', 'b', 'c']) assert.match(p.message, new RegExp(`\\b${s}\\b`));
  });
});

describe('${params.x.y} in a cmd must name a leaf of the params file', () => {
  test('an unknown leaf is an error on the cmd line, covering the reference only', () => {
    const r = validatePipeline(edit(P, '${params.train.lr}', '${params.train.lrr}'));
    assertOnly(r, [{ line: TRAIN_CMD_LINE, code: 'unknown-param', severity: 'error' }]);
    assert.match(r.problems[0].covered, /train\.lrr/);
    assert.doesNotMatch(r.problems[0].covered, /node src/, 'the range is the reference, not the whole command');
  });

  test('the did-you-mean for a misspelt leaf suggests the right one', () => {
    const r = validatePipeline(edit(P, '${params.train.lr}', '${params.train.lrr}'));
    assert.match(r.problems[0].message, /train\.lr\b/);
  });

  test('naming a group (${params.train}) is an error', () => {
    const r = validatePipeline(edit(P, '${params.train.lr}', '${params.train}'));
    assertOnly(r, [{ line: TRAIN_CMD_LINE, code: 'param-not-leaf', severity: 'error' }]);
  });

  test('an existing leaf is fine (base), so is a list leaf', () => {
    assertNoProblems(validatePipeline(edit(P, '${params.train.lr}', '${params.prepare.features}')));
  });

  test('a leaf at any depth is fine', () => {
    const params = `${BASE_PARAMS}\nmodel:\n  encoder:\n    layers: { count: 4 }\n`;
    assertNoProblems(validatePipeline(edit(P, '${params.train.lr}', '${params.model.encoder.layers.count}'), { 'params.yaml': params }));
  });

  test('search is reserved: ${params.search.trials} is not a parameter', () => {
    const r = validatePipeline(edit(P, '${params.train.lr}', '${params.search.trials}'));
    assertOnly(r, [{ line: TRAIN_CMD_LINE, code: 'unknown-param', severity: 'error' }]);
  });

  test('in a multi-line (folded) cmd the error is on the line of the reference', () => {
    const r = validatePipeline(edit(P, '    cmd: node src/train.js --lr ${params.train.lr} --epochs ${params.train.epochs} --out models/model.json\n',
      '    cmd: >-\n      node src/train.js\n      --lr ${params.train.lr}\n      --epochs ${params.train.epoch}\n      --out models/model.json\n'));
    assertOnly(r, [{ line: lineOf(r.text, '--epochs ${params.train.epoch}'), code: 'unknown-param', severity: 'error' }]);
  });

  test('two bad references on one line give two errors', () => {
    const r = validatePipeline(edit(edit(P, '${params.train.lr}', '${params.train.x}'), '${params.train.epochs}', '${params.train.y}'));
    assert.deepEqual(codesAt(r.problems, 'unknown-param'), [TRAIN_CMD_LINE, TRAIN_CMD_LINE], listing(r.problems));
  });
});

describe('stages.*.params entries must name a leaf of the params file', () => {
  test('an unknown entry is an error on that entry', () => {
    const r = validatePipeline(edit(P, 'evaluate.group_column]', 'evaluate.group_col]'));
    assertOnly(r, [{ line: 56, code: 'unknown-param', severity: 'error' }]);
    assert.equal(r.problems[0].covered, 'evaluate.group_col');
    assertSuggests(r, r.problems[0], 'evaluate.group_col', 'evaluate.group_column');
  });

  test('a group is an error', () => {
    const r = validatePipeline(edit(P, 'params: [train.threshold, evaluate.group_column]', 'params: [train.threshold, evaluate]'));
    assertOnly(r, [{ line: 56, code: 'param-not-leaf', severity: 'error' }]);
  });

  test('a list leaf is fine (prepare.features, base)', () => {
    assert.match(P, /prepare\.features/);
    assertNoProblems(validatePipeline(P));
  });

  test('block list: the bad entry is reported on its own line', () => {
    const r = validatePipeline(edit(P, '    params: [train.threshold, evaluate.group_column]\n',
      '    params:\n      - train.threshold\n      - evaluate.groups\n'));
    assertOnly(r, [{ line: lineOf(r.text, '- evaluate.groups'), code: 'unknown-param', severity: 'error' }]);
  });

  test('search.* is reserved and not a parameter', () => {
    const r = validatePipeline(edit(P, 'params: [train.threshold, evaluate.group_column]', 'params: [train.threshold, search.trials]'));
    assertOnly(r, [{ line: 56, code: 'unknown-param', severity: 'error' }]);
  });
});

describe('the params file a pipeline uses', () => {
  const MINI = (extra = ''): string => `apiVersion: mlops/v1\nkind: Pipeline\nname: mini\n${extra}stages:\n  train:\n    cmd: node train.js --lr \${params.train.lr} --depth \${params.tree.depth}\n`;
  const FULL = 'train: { lr: 0.1 }\ntree: { depth: 3 }\n';
  const PARTIAL = 'train: { lr: 0.1 }\n';

  test('x.pipeline.yaml uses x.params.yaml before params.yaml', () => {
    const r = validateIn({ files: { 'exp/fraud.pipeline.yaml': MINI(), 'exp/fraud.params.yaml': FULL, 'exp/params.yaml': PARTIAL } }, 'exp/fraud.pipeline.yaml');
    assertNoProblems(r);
  });

  test('x.pipeline.yaml falls back to params.yaml beside it', () => {
    const r = validateIn({ files: { 'exp/fraud.pipeline.yaml': MINI(), 'exp/params.yaml': PARTIAL } }, 'exp/fraud.pipeline.yaml');
    assertOnly(r, [{ line: 6, code: 'unknown-param', severity: 'error' }]);
    assert.match(r.problems[0].covered, /tree\.depth/);
  });

  test('pipeline.yaml uses params.yaml, not some x.params.yaml', () => {
    const r = validateIn({ files: { 'pipeline.yaml': MINI(), 'fraud.params.yaml': FULL, 'params.yaml': PARTIAL } }, 'pipeline.yaml');
    assertOnly(r, [{ line: 6, code: 'unknown-param', severity: 'error' }]);
  });

  test("'params:' is relative to the pipeline file", () => {
    const r = validateIn({ files: { 'exp/pipeline.yaml': MINI('params: conf/hyper.yaml\n'), 'exp/conf/hyper.yaml': FULL, 'exp/params.yaml': PARTIAL } }, 'exp/pipeline.yaml');
    assertNoProblems(r);
  });

  test("'params:' pointing at a missing file is an error on its value", () => {
    const r = validatePipeline(edit(P, 'params: params.yaml', 'params: hyper.yaml'));
    assertHas(r, { line: 9, code: 'params-file-missing', severity: 'error' });
    assert.ok(r.problems.every((p) => p.severity === 'error'), listing(r.problems));
  });

  test('no params file at all: a ${params.x} reference cannot be resolved (error)', () => {
    const r = validateIn({ files: { 'pipeline.yaml': MINI() } }, 'pipeline.yaml');
    assert.deepEqual(r.problems.map((p) => `${p.line} ${p.severity}`), ['6 error', '6 error'], listing(r.problems));
  });
});

describe('executors', () => {
  const IMAGE = '    image:\n      dockerfile: Dockerfile\n      context: .\n      buildArgs: { NODE_IMAGE: "node:20-slim" }\n';

  test('docker without image is an error', () => {
    const r = validatePipeline(edit(P, IMAGE, ''));
    assertOnly(r, [{ line: 40, code: 'missing-image', severity: 'error' }]);
  });

  test('docker with an image reference string is fine', () => {
    assertNoProblems(validatePipeline(edit(P, IMAGE, '    image: node:20-slim\n')));
  });

  test('local without image is fine', () => {
    assertNoProblems(validatePipeline(edit(edit(P, IMAGE, ''), 'executor: docker', 'executor: local')));
  });

  test('no executor (default local) without image is fine', () => {
    assertNoProblems(validatePipeline(edit(edit(P, IMAGE, ''), '    executor: docker            # built from ./Dockerfile; use `executor: local` without Docker\n', '')));
  });

  test('slurm without image is an error', () => {
    const r = validatePipeline(edit(edit(P, IMAGE, '    cluster: lumi\n'), 'executor: docker', 'executor: slurm'));
    assertOnly(r, [{ line: 40, code: 'missing-image', severity: 'error' }]);
  });

  test('slurm with image and a cluster of clusters.yaml is fine', () => {
    assertNoProblems(validatePipeline(edit(edit(P, IMAGE, `${IMAGE}    cluster: leonardo\n`), 'executor: docker', 'executor: slurm')));
  });

  test('slurm without cluster is an error', () => {
    const r = validatePipeline(edit(P, 'executor: docker', 'executor: slurm'));
    assertOnly(r, [{ line: 40, code: 'missing-cluster', severity: 'error' }]);
  });

  test('slurm with a cluster not in clusters.yaml is an error on the cluster, with a did-you-mean', () => {
    const r = validatePipeline(edit(edit(P, IMAGE, `${IMAGE}    cluster: lumy\n`), 'executor: docker', 'executor: slurm'));
    assertOnly(r, [{ line: lineOf(r.text, 'cluster: lumy'), code: 'unknown-cluster', severity: 'error' }]);
    assert.equal(r.problems[0].covered, 'lumy');
    assertSuggests(r, r.problems[0], 'lumy', 'lumi');
  });

  test('slurm with a cluster but no clusters.yaml anywhere is an error on the cluster', () => {
    const r = validatePipeline(edit(edit(P, IMAGE, `${IMAGE}    cluster: lumi\n`), 'executor: docker', 'executor: slurm'), { 'clusters.yaml': null });
    assertOnly(r, [{ line: lineOf(r.text, '    cluster: lumi\n'), code: 'unknown-cluster', severity: 'error' }]);
  });

  test('clusters.yaml at the workspace root (not beside the pipeline) is found', () => {
    const pipeline = edit(edit(P, IMAGE, `${IMAGE}    cluster: lumi\n`), 'executor: docker', 'executor: slurm');
    const r = validateIn({
      files: { 'models/fraud/pipeline.yaml': pipeline, 'models/fraud/params.yaml': BASE_PARAMS, 'clusters.yaml': BASE_CLUSTERS },
      existing: BASE_EXISTING.map((p) => path.join('models/fraud', p)),
    }, 'models/fraud/pipeline.yaml');
    assertNoProblems(r);
  });

  test('clusters.yaml beside the pipeline is used before the one at the root', () => {
    const pipeline = edit(edit(P, IMAGE, `${IMAGE}    cluster: lumi\n`), 'executor: docker', 'executor: slurm');
    const beside = 'clusters:\n  mn5:\n    host: glogin1.bsc.es\n    user: jdoe\n    account: ehpc01\n';
    const r = validateIn({
      files: { 'models/fraud/pipeline.yaml': pipeline, 'models/fraud/params.yaml': BASE_PARAMS, 'models/fraud/clusters.yaml': beside, 'clusters.yaml': BASE_CLUSTERS },
      existing: BASE_EXISTING.map((p) => path.join('models/fraud', p)),
    }, 'models/fraud/pipeline.yaml');
    assertOnly(r, [{ line: lineOf(r.text, '    cluster: lumi\n'), code: 'unknown-cluster', severity: 'error' }]);
  });
});

describe('validation gates', () => {
  test('min > max is an error', () => {
    const r = validatePipeline(edit(P, '  - metric: missing_rate\n    max: 0.05', '  - metric: missing_rate\n    min: 0.1\n    max: 0.05'));
    assertOnly(r, [{ line: 61, code: 'gate-min-max', severity: 'error' }]);
  });

  test('min > max in a flow gate', () => {
    const r = validatePipeline(edit(P, '  - metric: auc\n    min: 0.9', '  - { metric: auc, min: 0.9, max: 0.5 }'));
    assertOnly(r, [{ line: 69, code: 'gate-min-max', severity: 'error' }]);
  });

  test('min == max is allowed', () => {
    assertNoProblems(validatePipeline(edit(P, '  - metric: auc\n    min: 0.9', '  - { metric: auc, min: 0.9, max: 0.9 }')));
  });

  test('a gate with neither min nor max is an error on the gate', () => {
    const r = validatePipeline(edit(P, '  - metric: auc\n    min: 0.9\n', '  - metric: auc\n'));
    assertOnly(r, [{ line: 69, code: 'gate-no-bound', severity: 'error' }]);
  });

  test('a gate with neither min nor max, only a type', () => {
    const r = validatePipeline(edit(P, '  - metric: auc\n    min: 0.9\n', '  - metric: auc\n    type: performance\n'));
    assertOnly(r, [{ line: 69, code: 'gate-no-bound', severity: 'error' }]);
  });

  test('a gate on a metric no stage declares is a warning', () => {
    const r = validatePipeline(edit(P, '  - metric: auc', '  - metric: roc_auc'));
    assertOnly(r, [{ line: 69, code: 'unknown-metric', severity: 'warning' }]);
    assert.equal(r.problems[0].covered, 'roc_auc');
  });

  test('a gate on a metric declared by any stage is fine (missing_rate from prepare)', () => {
    assertNoProblems(validatePipeline(P));
  });
});

describe('canary', () => {
  const CANARY = 'canary: { initial: 5, steps: [25, 50, 100], maxErrorRate: 0.01 }';
  const block = (initial: string, steps: number[]): string =>
    `canary:\n    initial: ${initial}\n    steps:\n${steps.map((s) => `      - ${s}\n`).join('')}    maxErrorRate: 0.01`;

  test('initial 5 is fine (base)', () => assertNoProblems(validatePipeline(P)));

  for (const initial of ['0', '100', '-5', '150']) {
    test(`initial ${initial} is an error`, () => {
      const r = validatePipeline(edit(P, CANARY, block(initial, [25, 50, 100])));
      assertHas(r, { line: lineOf(r.text, `initial: ${initial}`), code: 'canary-initial', severity: 'error' });
      assert.ok(r.problems.every((p) => p.code === 'canary-initial' || p.code === 'canary-steps'), listing(r.problems));
    });
  }

  test('initial 0 with steps 25, 50, 100: only the initial is wrong', () => {
    const r = validatePipeline(edit(P, CANARY, block('0', [25, 50, 100])));
    assertOnly(r, [{ line: lineOf(r.text, 'initial: 0'), code: 'canary-initial', severity: 'error' }]);
  });

  test('steps not strictly increasing (50 then 40): error on 40', () => {
    const r = validatePipeline(edit(P, CANARY, block('5', [25, 50, 40, 100])));
    assertOnly(r, [{ line: lineOf(r.text, '- 40'), code: 'canary-steps', severity: 'error' }]);
  });

  test('a repeated step (25, 25) is not strictly increasing', () => {
    const r = validatePipeline(edit(P, CANARY, 'canary: { initial: 5, steps: [25, 25, 100], maxErrorRate: 0.01 }'));
    assert.deepEqual(r.problems.map((p) => [p.covered, p.column]), [['25', lineColumn(r.text, '25, 100]')]]);
    assertOnly(r, [{ line: 82, code: 'canary-steps', severity: 'error' }]);
  });

  test('steps not ending at 100: error on the last step', () => {
    const r = validatePipeline(edit(P, CANARY, block('5', [25, 50])));
    assertOnly(r, [{ line: lineOf(r.text, '- 50'), code: 'canary-steps', severity: 'error' }]);
  });

  test('empty steps do not end at 100', () => {
    const r = validatePipeline(edit(P, CANARY, 'canary: { initial: 5, steps: [], maxErrorRate: 0.01 }'));
    assertOnly(r, [{ line: 82, code: 'canary-steps', severity: 'error' }]);
  });

  test('steps [10, 100] is fine', () => {
    assertNoProblems(validatePipeline(edit(P, CANARY, 'canary: { initial: 1, steps: [10, 100] }')));
  });
});

describe('drift', () => {
  test('warn > alert is an error', () => {
    const r = validatePipeline(edit(P, '    warn: 0.1', '    warn: 0.3'));
    const hits = withCode(r.problems, 'drift-thresholds');
    assert.equal(hits.length, 1, listing(r.problems));
    assert.ok([91, 92].includes(hits[0].line), `on the warn or alert line, not ${hits[0].line}`);
    assert.equal(hits[0].severity, 'error');
    assert.equal(r.problems.length, 1, listing(r.problems));
  });

  test('warn == alert is an error (warn must be below alert)', () => {
    const r = validatePipeline(edit(P, '    warn: 0.1', '    warn: 0.25'));
    assert.equal(withCode(r.problems, 'drift-thresholds').length, 1, listing(r.problems));
  });

  test('bins: 1 is an error, bins: 2 is fine', () => {
    assertOnly(validatePipeline(edit(P, '    bins: 10', '    bins: 1')), [{ line: 90, code: 'drift-bins', severity: 'error' }]);
    assertNoProblems(validatePipeline(edit(P, '    bins: 10', '    bins: 2')));
  });

  test('bins: 0 is an error', () => {
    assertOnly(validatePipeline(edit(P, '    bins: 10', '    bins: 0')), [{ line: 90, code: 'drift-bins', severity: 'error' }]);
  });

  test('reference not an entry of data is an error, with a did-you-mean', () => {
    const r = validatePipeline(edit(P, '    reference: reference', '    reference: referenc'));
    assertOnly(r, [{ line: 87, code: 'unknown-data', severity: 'error' }]);
    assertSuggests(r, r.problems[0], 'referenc', 'reference');
  });

  test('reference given as a path rather than a data name is an error', () => {
    const r = validatePipeline(edit(P, '    reference: reference', '    reference: data/reference.csv'));
    assertOnly(r, [{ line: 87, code: 'unknown-data', severity: 'error' }]);
  });
});

describe('risk: high (EU AI Act duties)', () => {
  test('no governance at all: human oversight and log retention are missing (errors at risk: high)', () => {
    const r = validatePipeline(removeTopLevel(P, 'governance'));
    assertHas(r, { line: 8, code: 'high-risk-oversight', severity: 'error' });
    assertHas(r, { line: 8, code: 'high-risk-retention', severity: 'error' });
    assert.ok(r.problems.every((p) => p.severity === 'error' && p.code.startsWith('high-risk-')), listing(r.problems));
  });

  test('humanOversight: false is an error on its value', () => {
    const r = validatePipeline(edit(P, 'humanOversight: true ', 'humanOversight: false '));
    assertOnly(r, [{ line: 98, code: 'high-risk-oversight', severity: 'error' }]);
  });

  test('governance without humanOversight is an error', () => {
    const r = validatePipeline(removeLines(P, 98));
    const hits = withCode(r.problems, 'high-risk-oversight');
    assert.equal(hits.length, 1, listing(r.problems));
    assert.ok([8, 97].includes(hits[0].line), `on risk: high or governance:, not line ${hits[0].line}`);
    assert.equal(r.problems.length, 1, listing(r.problems));
  });

  test('no monitor section is an error', () => {
    const r = validatePipeline(removeTopLevel(P, 'monitor'));
    assertOnly(r, [{ line: 8, code: 'high-risk-monitor', severity: 'error' }]);
  });

  test('no registry is an error', () => {
    const r = validatePipeline(removeTopLevel(P, 'registry'));
    assertOnly(r, [{ line: 8, code: 'high-risk-approvals', severity: 'error' }]);
  });

  test('registry without approvals is an error', () => {
    const r = validatePipeline(removeLines(P, 78));
    const hits = withCode(r.problems, 'high-risk-approvals');
    assert.equal(hits.length, 1, listing(r.problems));
    assert.ok([8, 76].includes(hits[0].line), `on risk: high or registry:, not line ${hits[0].line}`);
    assert.equal(r.problems.length, 1, listing(r.problems));
  });

  test('approvals: 0 is an error on its value', () => {
    const r = validatePipeline(edit(P, 'approvals: 2 ', 'approvals: 0 '));
    assertOnly(r, [{ line: 78, code: 'high-risk-approvals', severity: 'error' }]);
    assert.equal(r.problems[0].covered, '0');
  });

  test('logRetentionDays: 182 is an error, 183 is fine', () => {
    assertOnly(validatePipeline(edit(P, 'logRetentionDays: 365', 'logRetentionDays: 182')), [{ line: 99, code: 'high-risk-retention', severity: 'error' }]);
    assertNoProblems(validatePipeline(edit(P, 'logRetentionDays: 365', 'logRetentionDays: 183')));
  });

  test('no logRetentionDays is an error', () => {
    const r = validatePipeline(removeLines(P, 99));
    const hits = withCode(r.problems, 'high-risk-retention');
    assert.equal(hits.length, 1, listing(r.problems));
    assert.ok([8, 97].includes(hits[0].line), `on risk: high or governance:, not line ${hits[0].line}`);
    assert.equal(r.problems.length, 1, listing(r.problems));
  });

  test('deploy.strategy: cutover on a high-risk model is a warning', () => {
    const r = validatePipeline(edit(P, 'strategy: canary', 'strategy: cutover'));
    assertOnly(r, [{ line: 81, code: 'high-risk-cutover', severity: 'warning' }]);
    assert.equal(r.problems[0].covered, 'cutover');
  });

  test('risk: limited with approvals: 0 is fine', () => {
    assertNoProblems(validatePipeline(edit(edit(P, 'risk: high', 'risk: limited'), 'approvals: 2 ', 'approvals: 0 ')));
  });

  test('risk: limited without governance, monitor or registry, deploying by cutover, is fine', () => {
    let t = edit(edit(P, 'risk: high', 'risk: limited'), 'strategy: canary', 'strategy: cutover');
    for (const k of ['governance', 'monitor', 'registry']) t = removeTopLevel(t, k);
    assertNoProblems(validatePipeline(t));
  });

  test('no risk (default minimal) needs none of the high-risk sections', () => {
    let t = removeLines(P, 8);
    for (const k of ['governance', 'monitor', 'registry']) t = removeTopLevel(t, k);
    assertNoProblems(validatePipeline(t));
  });

  test('risk: minimal with approvals: 0 is fine', () => {
    assertNoProblems(validatePipeline(edit(edit(P, 'risk: high', 'risk: minimal'), 'approvals: 2 ', 'approvals: 0 ')));
  });
});

describe('deps', () => {
  test('a path that does not exist is a warning on that entry', () => {
    const r = validatePipeline(edit(P, 'deps: [data.raw, src/prepare.js, src/common.js]', 'deps: [data.raw, src/prepare.js, src/missing.js]'));
    assertOnly(r, [{ line: 28, code: 'missing-dep', severity: 'warning' }]);
    assert.equal(r.problems[0].covered, 'src/missing.js');
  });

  test('block list: the missing path is reported on its own line', () => {
    const r = validatePipeline(edit(P, '    deps: [data/features/test.csv, src/evaluate.js, src/common.js]\n',
      '    deps:\n      - data/features/test.csv\n      - src/evaluat.js\n      - src/common.js\n'));
    assertOnly(r, [{ line: lineOf(r.text, '- src/evaluat.js'), code: 'missing-dep', severity: 'warning' }]);
  });

  test('a path another stage writes (its outs, or a file under an out folder) is not missing', () => {
    const P2 = edit(P, 'deps: [data.raw, src/prepare.js, src/common.js]', 'deps: [data.raw, src/prepare.js, models/model.json, data/features/new.csv, data/featuresX/a.csv]');
    const r = validatePipeline(edit(edit(P2, '    outs: [models/model.json]', '    outs: [models/model.json/]'), '    outs: [data/features]', '    outs: [./data/features]'));
    assertOnly(r, [{ line: 28, code: 'missing-dep', severity: 'warning' }]);
    assert.equal(r.problems[0].covered, 'data/featuresX/a.csv', 'a sibling whose name only starts like an out is still missing');
  });

  test('an existing directory is fine (data/raw)', () => {
    assertNoProblems(validatePipeline(edit(P, 'deps: [data.raw,', 'deps: [data/raw,')));
  });

  test('data.x naming an unknown dataset is an error, with a did-you-mean', () => {
    const r = validatePipeline(edit(P, 'deps: [data.raw,', 'deps: [data.rwa,'));
    assertOnly(r, [{ line: 28, code: 'unknown-data', severity: 'error' }]);
    assert.match(r.problems[0].message, /\braw\b/);
    const fix = r.problems[0].fixes?.find((f) => f.edits.length === 1 && f.edits[0].newText === 'data.raw');
    assert.ok(fix, JSON.stringify(r.problems[0].fixes));
    assert.equal(r.text.slice(fix.edits[0].start, fix.edits[0].end), 'data.rwa');
  });

  test('data.x naming a declared dataset is fine even if nothing exists at data/x', () => {
    assertNoProblems(validatePipeline(P, { extraExisting: [] }));
    assertNone(validatePipeline(P), 'missing-dep');
  });
});
