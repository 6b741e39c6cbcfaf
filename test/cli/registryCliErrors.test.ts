/**
 * How `mlops registry` reports what it cannot do, with the built CLI: a card that cannot be written
 * where --out says, a refusal of the registry and an actor that is refused all come out as located
 * errors (`{"error":{code,message,path}}` with --json, the message on stderr, exit code 1), never as
 * a stack trace; a failed card write leaves no file.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { CliResult, json, mlopsWithEnv, tempDir } from './cliTestUtil';

const PIPELINE = `apiVersion: mlops/v1
kind: Pipeline
name: demo
description: "Flags cases\\r# FORGED"
stages:
  train:
    cmd: node train.js
    deps: [train.js]
registry:
  model: demo
`;

const TRAIN = "require('fs').writeFileSync(require('path').join(process.env.MLOPS_OUTPUT_DIR, 'model.json'), '{}');\n";

/** The CLI with a fixed MLOPS_USER, so that --by alone decides in the tests that give it. */
function cli(root: string, ...args: string[]): CliResult {
  return mlopsWithEnv({ MLOPS_USER: 'tester@example.eu' }, root, ...args);
}

function ok(r: CliResult): any {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}${r.stdout}`);
  return json(r);
}

/** The located error of a --json command: exit 1, the message on stderr too, no stack trace. */
function located(r: CliResult): { code: string; message: string; path?: string } {
  assert.equal(r.code, 1, `exit ${r.code}: ${r.stdout}${r.stderr}`);
  const { error } = json(r);
  assert.equal(r.stderr, `mlops: ${error.message}\n`);
  return error;
}

describe('mlops registry: errors', () => {
  let root: string;
  before(() => {
    root = tempDir('mlops-registryerrors-');
    fs.writeFileSync(path.join(root, 'pipeline.yaml'), PIPELINE);
    fs.writeFileSync(path.join(root, 'train.js'), TRAIN);
    execFileSync('git', ['init', '-q'], { cwd: root });
    const runId = ok(cli(root, 'run', 'train', '--json')).runs[0].id;
    assert.equal(ok(cli(root, 'registry', 'register', '--run', runId, '--json')).version, 1);
  });

  test('card --out into a folder that does not exist: cannot-write with the path and what to do; nothing created', () => {
    const out = path.join(root, 'missing', 'card.md');
    const error = located(cli(root, 'registry', 'card', 'demo', '1', '--out', out, '--json'));
    assert.deepEqual([error.code, error.path], ['cannot-write', out]);
    assert.match(error.message, /^Cannot write the card to .*card\.md: the folder .*missing does not exist\. Create it, or give --out a file in an existing folder\.$/);
    assert.equal(fs.existsSync(path.join(root, 'missing')), false);
  });

  test('card --out naming a folder (with or without a trailing slash): cannot-write, the folder untouched', () => {
    const folder = tempDir('mlops-registryerrors-out-');
    for (const out of [folder, `${folder}/`]) {
      const error = located(cli(root, 'registry', 'card', 'demo', '1', '--out', out, '--json'));
      assert.deepEqual([error.code, error.path], ['cannot-write', folder]);
      assert.match(error.message, /is a folder: give --out a file name, e\.g\. .*card\.md\.$/);
      assert.deepEqual(fs.readdirSync(folder), []);
    }
    assert.equal(fs.existsSync(`${folder}.partial`), false);
    const text = cli(root, 'registry', 'card', 'demo', '1', '--out', folder);
    assert.deepEqual([text.code, text.stdout], [1, '']);
    assert.match(text.stderr, /^mlops: Cannot write the card to .* is a folder/);
  });

  test('card --out a file: written whole, no partial file left', () => {
    const out = path.join(root, 'card.html');
    assert.match(cli(root, 'registry', 'card', 'demo', '1', '--format', 'html', '--out', out).stdout, /^Wrote the card to .*card\.html \(html, \d+ bytes\)\.\n$/);
    assert.match(fs.readFileSync(out, 'utf8'), /^<!DOCTYPE html>[^]*<\/html>\n$/);
    assert.equal(fs.existsSync(`${out}.partial`), false);
  });

  test('a refusal of the registry is a located error too (reportErrors knows RegistryError)', () => {
    assert.equal(located(cli(root, 'registry', 'card', 'nope', '1', '--json')).code, 'unknown-model');
    assert.equal(located(cli(root, 'registry', 'show', 'demo', '7', '--json')).code, 'unknown-version');
  });

  test('an actor with a line break, or the system actor\'s name, is refused: invalid-actor, nothing changed', () => {
    for (const by of ['ana\n#9 forged', 'mlops']) {
      assert.equal(located(cli(root, 'registry', 'tag', 'demo', '1', 'k=v', '--by', by, '--json')).code, 'invalid-actor');
    }
    assert.deepEqual(ok(cli(root, 'registry', 'show', 'demo', '1', '--json')).tags, {});
  });

  test('a pipeline description with a lone carriage return stays on its line of the card', () => {
    const card = ok(cli(root, 'registry', 'card', 'demo', '1', '--json')).text as string;
    assert.ok(card.includes('- **Description:** Flags cases # FORGED\n'), card);
    assert.ok(!card.includes('\r'));
  });
});
