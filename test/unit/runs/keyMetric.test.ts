/** The key metric the Runs view shows per stage: the search metric where the stage reports it, else its first declared metric. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { keyMetricsOf } from '../../../server/src/core/runs/keyMetric';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function project(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-keymetric-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

const STAGES = 'stages:\n  prepare:\n    cmd: a\n    metrics: [rows, missing_rate]\n  train:\n    cmd: b\n    metrics: [loss, val_loss]\n  export:\n    cmd: c\n';

describe('key metrics', () => {
  test('the search metric for the stage that reports it; the first declared one elsewhere; none for a stage without metrics', () => {
    const dir = project({ 'pipeline.yaml': `name: p\n${STAGES}`, 'params.yaml': 'search:\n  metric: val_loss\n' });
    assert.deepEqual([...keyMetricsOf(path.join(dir, 'pipeline.yaml'), dir)], [['prepare', 'rows'], ['train', 'val_loss']]);
  });

  test('the params file the pipeline names (params:), and x.params.yaml beside x.pipeline.yaml', () => {
    const named = project({ 'pipeline.yaml': `name: p\nparams: hp.yaml\n${STAGES}`, 'hp.yaml': 'search: { metric: missing_rate }\n', 'params.yaml': 'search: { metric: val_loss }\n' });
    assert.equal(keyMetricsOf(path.join(named, 'pipeline.yaml'), named).get('prepare'), 'missing_rate');
    assert.equal(keyMetricsOf(path.join(named, 'pipeline.yaml'), named).get('train'), 'loss');
    const sibling = project({ 'fraud.pipeline.yaml': `name: p\n${STAGES}`, 'fraud.params.yaml': 'search: { metric: val_loss }\n' });
    assert.equal(keyMetricsOf(path.join(sibling, 'fraud.pipeline.yaml'), sibling).get('train'), 'val_loss');
  });

  test('a pipeline being edited (invalid YAML, stages not a map) or gone has no key metrics, and does not throw', () => {
    const dir = project({ 'broken.pipeline.yaml': 'stages: [\n', 'list.pipeline.yaml': 'stages: [a, b]\n', 'params.yaml': 'search: [\n' });
    assert.equal(keyMetricsOf(path.join(dir, 'broken.pipeline.yaml'), dir).size, 0);
    assert.equal(keyMetricsOf(path.join(dir, 'list.pipeline.yaml'), dir).size, 0);
    assert.equal(keyMetricsOf(path.join(dir, 'missing.pipeline.yaml'), dir).size, 0);
    const noSearch = project({ 'pipeline.yaml': `name: p\n${STAGES}`, 'params.yaml': 'search: [\n' });
    assert.equal(keyMetricsOf(path.join(noSearch, 'pipeline.yaml'), noSearch).get('train'), 'loss', 'an unreadable params file: first declared metrics');
  });
});
