/** The incremental re-parse must give exactly the tree a full parse gives, whatever the edit. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { parseYaml, reparse } from '../../../server/src/core/yaml/yamlAst';

const SAMPLE = fs.readFileSync(path.join(__dirname, '../../../../sample/pipeline.yaml'), 'utf8');
const EDITS = ['x', ' ', '\n', '\n    ', ':', '- ', '#', '"', '{', '}', '[', ']', '\n  extra:\n    cmd: y', '  ', '&a ', '*a', '\t', '\n---\n', '|\n      z'];

/** A small deterministic PRNG so failures reproduce. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

test('2,000 random edits: incremental and full parse agree', () => {
  const rnd = random(20261126);
  let prev = parseYaml(SAMPLE);
  let text = SAMPLE;
  let incremental = 0;
  for (let i = 0; i < 2000; i++) {
    const at = Math.floor(rnd() * (text.length + 1));
    const next = rnd() < 0.5 && text.length > 0
      ? text.slice(0, at) + text.slice(Math.min(text.length, at + 1 + Math.floor(rnd() * 3)))
      : text.slice(0, at) + EDITS[Math.floor(rnd() * EDITS.length)] + text.slice(at);
    const full = parseYaml(next);
    const viaReparse = reparse(prev, next);
    if (viaReparse !== full && prev.problems.length === 0 && viaReparse.problems.length === 0) incremental++;
    assert.deepEqual(JSON.parse(JSON.stringify(viaReparse.root ?? null)), JSON.parse(JSON.stringify(full.root ?? null)), `edit ${i} at ${at}`);
    assert.deepEqual(viaReparse.problems, full.problems, `problems after edit ${i}`);
    // Go back to the valid sample now and then, so that most edits start from a clean tree.
    if (rnd() < 0.3) {
      text = SAMPLE;
      prev = parseYaml(SAMPLE);
    } else {
      text = next;
      prev = viaReparse;
    }
  }
  assert.ok(incremental > 200, `only ${incremental} edits took the incremental path`);
});
