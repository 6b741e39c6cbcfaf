/** Go to definition as the user sees it in the editor, from the real server over stdio. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Location } from 'vscode-languageserver-protocol';
import { closeSample, LspTestClient, openSample, replaceOnce, withCursor } from './lspTestClient';

describe('definition', () => {
  let dir: string, client: LspTestClient, pipelinePath: string, pipeline: string;
  before(async () => ({ dir, client, pipelinePath, pipeline } = await openSample()));
  after(() => closeSample({ dir, client }));

  async function definitionAt(marked: string, filePath = pipelinePath): Promise<Location[] | null> {
    const { text, position } = withCursor(marked);
    await client.change(filePath, text);
    return client.definition(filePath, position);
  }

  /** The single target: its file name, and the text of its line from the start of the range. */
  function target(locations: Location[] | null): { file: string; line: number; text: string } {
    assert.ok(locations && locations.length === 1, `one location, got ${JSON.stringify(locations)}`);
    const { uri, range } = locations[0];
    const file = fs.realpathSync(new URL(uri));
    const line = fs.readFileSync(file, 'utf8').split('\n')[range.start.line] ?? '';
    return { file: path.relative(fs.realpathSync(dir), file), line: range.start.line, text: line.slice(range.start.character, range.end.character) };
  }

  it('goes from a `needs` entry to the stage key', async () => {
    const found = target(await definitionAt(replaceOnce(pipeline, 'needs: [train]', 'needs: [tr@@ain]')));
    assert.deepEqual(found, { file: 'pipeline.yaml', line: pipeline.split('\n').indexOf('  train:'), text: 'train' });
  });

  it('goes from `${params.train.lr}` and a `params:` entry to the leaf in params.yaml', async () => {
    const params = fs.readFileSync(path.join(dir, 'params.yaml'), 'utf8').split('\n');
    const fromCmd = target(await definitionAt(replaceOnce(pipeline, '--lr ${params.train.lr}', '--lr ${params.train.l@@r}')));
    assert.deepEqual(fromCmd, { file: 'params.yaml', line: params.findIndex((l) => l.startsWith('  lr:')), text: 'lr' });
    const fromList = target(await definitionAt(replaceOnce(pipeline, 'params: [train.threshold,', 'params: [train.thresh@@old,')));
    assert.deepEqual(fromList, { file: 'params.yaml', line: params.findIndex((l) => l.startsWith('  threshold:')), text: 'threshold' });
  });

  it('goes from `cluster: lumi` to the cluster in clusters.yaml', async () => {
    const found = target(await definitionAt(replaceOnce(pipeline, 'executor: local ', 'executor: slurm\n    cluster: lu@@mi\n   ')));
    const clusters = fs.readFileSync(path.join(dir, 'clusters.yaml'), 'utf8').split('\n');
    assert.deepEqual(found, { file: 'clusters.yaml', line: clusters.findIndex((l) => l.startsWith('  lumi:')), text: 'lumi' });
  });

  it('goes from image.dockerfile to the Dockerfile', async () => {
    const locations = await definitionAt(replaceOnce(pipeline, 'dockerfile: Dockerfile', 'dockerfile: Docker@@file'));
    assert.equal(target(locations).file, 'Dockerfile');
    assert.deepEqual(locations?.[0].range, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } });
  });

  it('goes from `data.raw` in deps and from the drift reference to the dataset', async () => {
    const lines = pipeline.split('\n');
    assert.deepEqual(target(await definitionAt(replaceOnce(pipeline, 'deps: [data.raw', 'deps: [data.r@@aw'))), { file: 'pipeline.yaml', line: lines.findIndex((l) => l.startsWith('  raw:')), text: 'raw' });
    assert.deepEqual(target(await definitionAt(replaceOnce(pipeline, 'reference: reference', 'reference: refer@@ence'))), { file: 'pipeline.yaml', line: lines.findIndex((l) => l.startsWith('  reference:')), text: 'reference' });
  });

  it('goes from a search.space key of params.yaml to the parameter', async () => {
    const paramsPath = path.join(dir, 'params.yaml');
    const params = fs.readFileSync(paramsPath, 'utf8');
    await client.open(paramsPath, params);
    const found = target(await definitionAt(replaceOnce(params, '    train.batch_size:', '    train.batch@@_size:'), paramsPath));
    assert.deepEqual(found, { file: 'params.yaml', line: params.split('\n').findIndex((l) => l.startsWith('  batch_size:')), text: 'batch_size' });
    await client.closeDocument(paramsPath);
  });

  it('has no definition for plain values, unknown names or blank space', async () => {
    assert.equal(await definitionAt(replaceOnce(pipeline, 'risk: high', 'risk: hi@@gh')), null);
    assert.equal(await definitionAt(replaceOnce(pipeline, 'needs: [train]', 'needs: [nowh@@ere]')), null);
    assert.equal(await definitionAt(replaceOnce(pipeline, '\nstages:\n', '\n@@\nstages:\n')), null);
    assert.deepEqual(client.serverErrors, []);
  });
});
