/** Completion as the user sees it in the editor, from the real server over stdio. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CompletionItem, MarkupContent } from 'vscode-languageserver-protocol';
import { closeSample, LspTestClient, openSample, replaceOnce, REPO_ROOT, withCursor } from './lspTestClient';

describe('completion', () => {
  let dir: string, client: LspTestClient, pipelinePath: string, pipeline: string;
  before(async () => ({ dir, client, pipelinePath, pipeline } = await openSample()));
  after(() => closeSample({ dir, client }));

  /** Puts `marked` (with its @@ cursor) in the editor of `filePath` and asks for completions there. */
  async function completeIn(filePath: string, marked: string): Promise<CompletionItem[]> {
    const { text, position } = withCursor(marked);
    await client.change(filePath, text);
    return client.completion(filePath, position);
  }

  const labels = (items: CompletionItem[]): string[] => items.map((i) => i.label);
  const item = (items: CompletionItem[], label: string): CompletionItem => {
    const found = items.find((i) => i.label === label);
    assert.ok(found, `'${label}' is offered (got ${labels(items).join(', ')})`);
    return found;
  };
  const newText = (i: CompletionItem): string | undefined => (i.textEdit && 'newText' in i.textEdit ? i.textEdit.newText : i.insertText);

  it('offers `executor` after typing `    exe` in a stage, with its documentation, but not keys already there', async () => {
    const items = await completeIn(pipelinePath, replaceOnce(pipeline, '    needs: [train]\n', '    needs: [train]\n    exe@@\n'));
    const executor = item(items, 'executor');
    assert.equal(newText(executor), 'executor: ');
    assert.match((executor.documentation as MarkupContent).value, /Where the stage runs/);
    for (const present of ['cmd', 'needs', 'deps', 'params', 'metrics', 'description']) assert.ok(!labels(items).includes(present), `${present} is already in the stage`);
  });

  it('offers the missing keys on an empty line inside a stage', async () => {
    const items = await completeIn(pipelinePath, replaceOnce(pipeline, '    needs: [train]\n', '    needs: [train]\n    @@\n'));
    assert.ok(labels(items).includes('executor'));
    assert.ok(labels(items).includes('resources'));
    assert.ok(!labels(items).includes('cmd'));
    assert.equal(newText(item(items, 'resources')), 'resources:\n      ', 'an object-valued key opens an indented block');
  });

  it('offers the keys of a new block under a key', async () => {
    const marked = replaceOnce(pipeline, '    resources: { cpus: 2, memory: 2Gi, gpus: 0, time: "00:30:00" }\n', '    resources:\n      cp@@\n');
    assert.deepEqual(labels(await completeIn(pipelinePath, marked)).sort(), ['cpus', 'gpus', 'memory', 'nodes', 'time']);
  });

  it('offers only the keys not yet written in a flow mapping', async () => {
    const items = await completeIn(pipelinePath, replaceOnce(pipeline, 'resources: { cpus: 2, memory: 2Gi, gpus: 0, time: "00:30:00" }', 'resources: { cpus: 2, @@ }'));
    assert.deepEqual(labels(items).sort(), ['gpus', 'memory', 'nodes', 'time']);
    assert.equal(newText(item(items, 'memory')), 'memory: ');
  });

  it('offers local, docker and slurm after `executor: `, each with its description', async () => {
    const items = await completeIn(pipelinePath, replaceOnce(pipeline, 'executor: local ', 'executor: @@'));
    assert.deepEqual(labels(items), ['local', 'docker', 'slurm']);
    assert.match((item(items, 'docker').documentation as MarkupContent).value, /Docker container/);
  });

  it('offers true and false for a boolean', async () => {
    const items = await completeIn(pipelinePath, replaceOnce(pipeline, 'humanOversight: true', 'humanOversight: @@'));
    assert.deepEqual(labels(items), ['true', 'false']);
  });

  it('offers the other stages in `needs: [`, not the stage itself', async () => {
    const items = await completeIn(pipelinePath, replaceOnce(pipeline, 'needs: [train]', 'needs: [@@'));
    assert.deepEqual(labels(items).sort(), ['prepare', 'train']);
  });

  it('leaves out the stages already listed in a flow list', async () => {
    assert.deepEqual(labels(await completeIn(pipelinePath, replaceOnce(pipeline, 'needs: [train]', 'needs: [train, @@]'))), ['prepare']);
  });

  it('offers stages in a block `needs` list after `- `, not those listed above or below', async () => {
    const items = await completeIn(pipelinePath, replaceOnce(pipeline, '    needs: [train]\n', '    needs:\n      - @@\n'));
    assert.deepEqual(labels(items).sort(), ['prepare', 'train']);
    assert.deepEqual(labels(await completeIn(pipelinePath, replaceOnce(pipeline, '    needs: [train]\n', '    needs:\n      - @@\n      - train\n'))), ['prepare']);
  });

  it('offers the top-level keys, required ones first, in a new empty pipeline, then `Pipeline` for kind', async () => {
    const newPath = path.join(dir, 'new.pipeline.yaml');
    await client.open(newPath, '');
    const items = await completeIn(newPath, '@@');
    const sorted = [...items].sort((a, b) => (a.sortText ?? a.label).localeCompare(b.sortText ?? b.label)).map((i) => i.label);
    assert.deepEqual(sorted.slice(0, 4).sort(), ['apiVersion', 'kind', 'name', 'stages']);
    assert.deepEqual(labels(await completeIn(newPath, 'apiVersion: mlops/v1\nkind: @@')), ['Pipeline']);
    await client.closeDocument(newPath);
  });

  it('completes the dotted path after `${params.train.`', async () => {
    const items = await completeIn(pipelinePath, replaceOnce(pipeline, '--lr ${params.train.lr}', '--lr ${params.train.@@'));
    assert.deepEqual(labels(items).sort(), ['batch_size', 'epochs', 'l2', 'lr', 'optimizer', 'seed', 'threshold']);
    assert.equal(item(items, 'lr').detail, '0.05', 'a leaf shows its value');
    assert.equal(newText(item(items, 'lr')), 'lr}', 'an unclosed reference is closed');
  });

  it('offers the params groups after `${params.`', async () => {
    const items = await completeIn(pipelinePath, replaceOnce(pipeline, '--lr ${params.train.lr}', '--lr ${params.@@}'));
    assert.deepEqual(labels(items).sort(), ['evaluate', 'prepare', 'train']);
    assert.equal(newText(item(items, 'train')), 'train.');
  });

  it('completes params keys in a stage `params:` list', async () => {
    const items = await completeIn(pipelinePath, replaceOnce(pipeline, 'params: [train.threshold, evaluate.group_column]', 'params: [evaluate.group_column, train.@@]'));
    assert.ok(labels(items).includes('threshold'));
    assert.ok(labels(items).includes('lr'));
  });

  it('offers the clusters of clusters.yaml after `cluster: `', async () => {
    const items = await completeIn(pipelinePath, replaceOnce(pipeline, 'executor: local ', 'executor: slurm\n    cluster: @@\n   '));
    assert.deepEqual(labels(items).sort(), ['leonardo', 'lumi']);
    assert.equal(item(items, 'lumi').detail, 'lumi.csc.fi');
  });

  it('offers dataset names for monitor.drift.reference and `data.` deps', async () => {
    assert.deepEqual(labels(await completeIn(pipelinePath, replaceOnce(pipeline, 'reference: reference', 'reference: @@'))).sort(), ['raw', 'reference', 'train']);
    const deps = await completeIn(pipelinePath, replaceOnce(pipeline, 'deps: [data.raw, ', 'deps: [data.@@, '));
    assert.deepEqual(labels(deps).sort(), ['data.raw', 'data.reference', 'data.train']);
  });

  it('offers the keys of a new validation gate after `- `', async () => {
    const items = await completeIn(pipelinePath, replaceOnce(pipeline, '\nregistry:', '  - @@\nregistry:'));
    assert.deepEqual(labels(items).sort(), ['description', 'max', 'metric', 'min', 'type']);
  });

  it('offers the parameters of params.yaml as search.space keys, except those already there', async () => {
    const paramsPath = path.join(dir, 'params.yaml');
    const params = fs.readFileSync(paramsPath, 'utf8');
    await client.open(paramsPath, params);
    const items = await completeIn(paramsPath, replaceOnce(params, '    train.threshold:  { min: 0.3, max: 0.7 }\n', '    train.threshold:  { min: 0.3, max: 0.7 }\n    pre@@\n'));
    assert.ok(labels(items).includes('prepare.test_size'));
    assert.ok(!labels(items).includes('train.lr'), 'train.lr already has a range');
    assert.ok(!labels(items).some((l) => l.startsWith('search')), 'search is not a parameter');
    await client.closeDocument(paramsPath);
  });

  it('offers the missing keys of a cluster profile in clusters.yaml', async () => {
    const clustersPath = path.join(dir, 'clusters.yaml');
    const clusters = fs.readFileSync(clustersPath, 'utf8');
    await client.open(clustersPath, clusters);
    const items = await completeIn(clustersPath, replaceOnce(clusters, '    container: apptainer\n', '    container: apptainer\n    @@\n'));
    assert.deepEqual(labels(items).sort(), ['knownHostsFile', 'reservation']);
    await client.closeDocument(clustersPath);
  });

  it('answers at every position of a broken file without a server error', async () => {
    const broken = fs.readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'broken-pipeline.yaml'), 'utf8');
    const text = `${broken}\n  half: [a, {b: \n    - "unclosed\n\t tab: ]\n`;
    await client.change(pipelinePath, text);
    const lines = text.split('\n');
    for (let line = 0; line < lines.length; line += 3) {
      for (const character of [0, 2, 4, Math.floor(lines[line].length / 2), lines[line].length]) {
        await client.completion(pipelinePath, { line, character });
      }
    }
    assert.deepEqual(client.serverErrors, []);
  });
});
