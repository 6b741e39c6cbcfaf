/** Hover as the user sees it in the editor, from the real server over stdio. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Hover, MarkupContent } from 'vscode-languageserver-protocol';
import { closeSample, LspTestClient, openSample, replaceOnce, withCursor } from './lspTestClient';

describe('hover', () => {
  let dir: string, client: LspTestClient, pipelinePath: string, pipeline: string;
  before(async () => ({ dir, client, pipelinePath, pipeline } = await openSample()));
  after(() => closeSample({ dir, client }));

  /** The markdown shown when hovering at the @@ cursor of `marked` in the pipeline. */
  async function hoverText(marked: string, filePath = pipelinePath): Promise<string | undefined> {
    const { text, position } = withCursor(marked);
    await client.change(filePath, text);
    const result: Hover | null = await client.hover(filePath, position);
    return result ? (result.contents as MarkupContent).value : undefined;
  }

  it('documents a key with its description, allowed values and default', async () => {
    const text = await hoverText(replaceOnce(pipeline, 'risk: high', 'ri@@sk: high'));
    assert.ok(text);
    assert.match(text, /EU AI Act risk class/);
    assert.match(text, /`limited`/);
    assert.match(text, /Default: `minimal`/);
    assert.match(text, /MLOps Workbench pipeline/, 'a top-level key names the file format');
  });

  it('documents a nested key with its type', async () => {
    const text = await hoverText(replaceOnce(pipeline, 'executor: local', 'exec@@utor: local'));
    assert.match(text ?? '', /\*\*executor\*\* \(string\)/);
    assert.match(text ?? '', /Where the stage runs/);
    assert.match(text ?? '', /Default: `local`/);
  });

  it('explains an enum value', async () => {
    const text = await hoverText(replaceOnce(pipeline, 'risk: high', 'risk: hi@@gh'));
    assert.match(text ?? '', /^`high`: High risk \(Annex III/);
  });

  it('shows the value of `${params.train.lr}` from params.yaml, with file and line', async () => {
    const text = await hoverText(replaceOnce(pipeline, '--lr ${params.train.lr}', '--lr ${params.train.l@@r}'));
    assert.match(text ?? '', /\*\*train\.lr\*\* = `0\.05` \(\[params\.yaml:13\]/);
    assert.match(text ?? '', /learning rate/, 'with the comment written beside it');
  });

  it('shows the value of a `params:` list entry', async () => {
    const text = await hoverText(replaceOnce(pipeline, 'params: [train.threshold,', 'params: [train.thres@@hold,'));
    assert.match(text ?? '', /\*\*train\.threshold\*\* = `0\.35`/);
  });

  it('follows the params buffer open in the editor rather than the disk', async () => {
    const paramsPath = path.join(dir, 'params.yaml');
    await client.open(paramsPath, replaceOnce(fs.readFileSync(paramsPath, 'utf8'), 'lr: 0.05', 'lr: 0.003'));
    const text = await hoverText(replaceOnce(pipeline, '--lr ${params.train.lr}', '--lr ${params.train.l@@r}'));
    assert.match(text ?? '', /= `0\.003`/);
    await client.closeDocument(paramsPath);
  });

  it('says when a params reference names a group or nothing', async () => {
    assert.match(await hoverText(replaceOnce(pipeline, '--lr ${params.train.lr}', '--lr ${params.tr@@ain}')) ?? '', /group of parameters/);
    assert.match(await hoverText(replaceOnce(pipeline, '--lr ${params.train.lr}', '--lr ${params.train.rate@@}')) ?? '', /no such parameter in params\.yaml/);
  });

  it('describes the stage a `needs` entry names', async () => {
    const text = await hoverText(replaceOnce(pipeline, 'needs: [train]', 'needs: [tr@@ain]'));
    assert.match(text ?? '', /\*\*train\*\*: stage run by local/);
    assert.match(text ?? '', /Logistic regression/);
  });

  it('documents a params.yaml leaf and a search key', async () => {
    const paramsPath = path.join(dir, 'params.yaml');
    const params = fs.readFileSync(paramsPath, 'utf8');
    await client.open(paramsPath, params);
    assert.match(await hoverText(replaceOnce(params, '  epochs: 40', '  epo@@chs: 40'), paramsPath) ?? '', /\*\*train\.epochs\*\* = `40` \(int\)/);
    assert.match(await hoverText(replaceOnce(params, '  goal: minimize', '  go@@al: minimize'), paramsPath) ?? '', /lowest \(minimize/);
    await client.closeDocument(paramsPath);
  });

  it('shows nothing on blank space or in a comment', async () => {
    assert.equal(await hoverText(replaceOnce(pipeline, '\nstages:\n', '\n@@\nstages:\n')), undefined);
    assert.equal(await hoverText(replaceOnce(pipeline, '# every candidate', '# every cand@@idate')), undefined);
    assert.deepEqual(client.serverErrors, []);
  });
});
