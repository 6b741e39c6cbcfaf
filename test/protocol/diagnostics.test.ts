/**
 * Diagnostics, quick fixes, cross-file re-validation and robustness, through the real server
 * process as an editor talks to it.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CodeAction, Diagnostic, FileChangeType, TextEdit } from 'vscode-languageserver-protocol';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { closeSample, LspTestClient, openSample, replaceOnce } from './lspTestClient';

const codes = (ds: Diagnostic[]): string[] => ds.map((d) => String(d.code));
const lineOf = (text: string, needle: string): number => text.slice(0, text.indexOf(needle)).split('\n').length - 1;
const hasCode = (code: string) => (ds: Diagnostic[]): boolean => codes(ds).includes(code);
const clean = (ds: Diagnostic[]): boolean => ds.length === 0;

function applyEdits(text: string, edits: TextEdit[]): string {
  return TextDocument.applyEdits(TextDocument.create('file:///x', 'yaml', 1, text), edits);
}

describe('diagnostics over LSP', () => {
  let ws: string;
  let client: LspTestClient;
  let pipeline: string;
  let pipelineText: string;

  before(async () => ({ dir: ws, client, pipelinePath: pipeline, pipeline: pipelineText } = await openSample()));
  after(async () => {
    await closeSample({ dir: ws, client });
    assert.deepEqual(client.serverErrors, [], 'the server logged errors');
  });

  test('the sample pipeline opens with no diagnostics', async () => {
    assert.deepEqual(await client.waitForDiagnostics(pipeline), []);
  });

  test('a misspelt key is located, explained, and fixed by its quick fix', async () => {
    const broken = replaceOnce(pipelineText, 'needs: [prepare]', 'needz: [prepare]');
    await client.change(pipeline, broken);
    const ds = await client.waitForDiagnostics(pipeline, hasCode('unknown-key'));
    const d = ds.find((x) => x.code === 'unknown-key') as Diagnostic;
    assert.equal(d.range.start.line, lineOf(broken, 'needz'));
    assert.equal(d.message, "Unknown key 'needz' in stages.train. Did you mean 'needs'?");
    assert.equal(d.source, 'mlops');

    const actions = await client.request<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri: client.uri(pipeline) }, range: d.range, context: { diagnostics: [d] },
    });
    const fix = actions.find((a) => a.title === "Change to 'needs'");
    assert.ok(fix?.edit?.changes, JSON.stringify(actions));
    assert.equal(fix.kind, 'quickfix');
    assert.equal(fix.isPreferred, true);
    const fixed = applyEdits(broken, fix.edit.changes[client.uri(pipeline)]);
    assert.equal(fixed, pipelineText);
    await client.change(pipeline, fixed);
    assert.deepEqual(await client.waitForDiagnostics(pipeline, clean), []);
  });

  test('a syntax error does not hide the problems after it', async () => {
    const broken = replaceOnce(replaceOnce(pipelineText, 'outs: [data/features]', 'outs: [data/features'), 'needs: [train]', 'needs: [trian]');
    await client.change(pipeline, broken);
    const ds = await client.waitForDiagnostics(pipeline, hasCode('yaml-syntax'));
    const syntax = ds.find((d) => d.code === 'yaml-syntax') as Diagnostic;
    assert.equal(syntax.range.start.line, lineOf(broken, 'outs: [data/features\n'));
    const stage = ds.find((d) => d.code === 'unknown-stage');
    assert.ok(stage, JSON.stringify(codes(ds)));
    assert.equal(stage.range.start.line, lineOf(broken, 'needs: [trian]'));
    assert.match(stage.message, /Did you mean 'train'\?/);
    await client.change(pipeline, pipelineText);
    await client.waitForDiagnostics(pipeline, clean);
  });

  test('the high-risk quick fix inserts the governance block a risk: high pipeline needs', async () => {
    // Remove the governance section: its line and the indented lines under it.
    const lines = pipelineText.split('\n');
    const from = lines.indexOf('governance:');
    let to = from + 1;
    while (to < lines.length && (lines[to].startsWith(' ') || lines[to] === '')) to++;
    const broken = [...lines.slice(0, from), ...lines.slice(to)].join('\n');
    await client.change(pipeline, broken);
    const ds = await client.waitForDiagnostics(pipeline, hasCode('high-risk-oversight'));
    const d = ds.find((x) => x.code === 'high-risk-oversight') as Diagnostic;
    assert.equal(d.range.start.line, lineOf(broken, 'risk: high'));
    const actions = await client.request<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri: client.uri(pipeline) }, range: d.range, context: { diagnostics: [d] },
    });
    assert.equal(actions.length, 1, JSON.stringify(actions));
    const fixed = applyEdits(broken, actions[0].edit?.changes?.[client.uri(pipeline)] ?? []);
    assert.match(fixed, /governance:\n {2}humanOversight: true\n {2}logRetentionDays: 365\n/);
    await client.change(pipeline, fixed);
    assert.deepEqual(await client.waitForDiagnostics(pipeline, clean), []);
    await client.change(pipeline, pipelineText);
    await client.waitForDiagnostics(pipeline, clean);
  });

  test('editing params.yaml re-validates the open pipeline without touching it', async () => {
    const params = path.join(ws, 'params.yaml');
    const paramsText = fs.readFileSync(params, 'utf8');
    await client.open(params);
    await client.waitForDiagnostics(params);
    await client.change(params, paramsText.replace(/\blr:/, 'learning_rate:'));
    const ds = await client.waitForDiagnostics(pipeline, hasCode('unknown-param'));
    const refs = ds.filter((d) => d.code === 'unknown-param');
    assert.ok(refs.some((d) => d.range.start.line === lineOf(pipelineText, '${params.train.lr}')), JSON.stringify(refs));
    assert.match(refs[0].message, /Unknown parameter 'train.lr'/);
    await client.change(params, paramsText);
    assert.deepEqual(await client.waitForDiagnostics(pipeline, clean), []);
    await client.closeDocument(params);
  });

  test('a params file that is not open is read from disk, and its changes are watched', async () => {
    const params = path.join(ws, 'params.yaml');
    const paramsText = fs.readFileSync(params, 'utf8');
    fs.writeFileSync(params, paramsText.replace(/\bepochs:/, 'n_epochs:'));
    await client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: client.uri(params), type: FileChangeType.Changed }] });
    const ds = await client.waitForDiagnostics(pipeline, hasCode('unknown-param'));
    assert.ok(ds.some((d) => d.message.includes("'train.epochs'")), JSON.stringify(ds.map((d) => d.message)));
    fs.writeFileSync(params, paramsText);
    await client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: client.uri(params), type: FileChangeType.Changed }] });
    assert.deepEqual(await client.waitForDiagnostics(pipeline, clean), []);
  });

  test('a Slurm stage is checked against clusters.yaml, re-read when it changes on disk', async () => {
    const slurm = replaceOnce(pipelineText, 'executor: local ', 'cluster: lumi\n    executor: slurm ');
    await client.change(pipeline, slurm);
    assert.deepEqual(await client.waitForDiagnostics(pipeline, clean), []);
    const clusters = path.join(ws, 'clusters.yaml');
    const clustersText = fs.readFileSync(clusters, 'utf8');
    fs.writeFileSync(clusters, clustersText.replace(/^ {2}lumi:/m, '  lumi-g:'));
    await client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: client.uri(clusters), type: FileChangeType.Changed }] });
    const ds = await client.waitForDiagnostics(pipeline, hasCode('unknown-cluster'));
    const d = ds.find((x) => x.code === 'unknown-cluster') as Diagnostic;
    assert.equal(d.range.start.line, lineOf(slurm, 'cluster: lumi'));
    assert.match(d.message, /Did you mean 'lumi-g'\?/);
    fs.writeFileSync(clusters, clustersText);
    await client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: client.uri(clusters), type: FileChangeType.Changed }] });
    await client.waitForDiagnostics(pipeline, clean);
    await client.change(pipeline, pipelineText);
    await client.waitForDiagnostics(pipeline, clean);
  });

  test('Validate Workspace publishes diagnostics for files that are not open', async () => {
    const other = path.join(ws, 'scoring.pipeline.yaml');
    fs.writeFileSync(other, replaceOnce(pipelineText, 'name: grant-fraud', 'name: Grant_Fraud'));
    const result = await client.request<{ files: number; errors: number; warnings: number }>('mlops/validateWorkspace', {});
    assert.equal(result.files, 4);
    assert.equal(result.errors, 1);
    const ds = await client.waitForDiagnostics(other, hasCode('invalid-name'));
    assert.equal(ds[0].range.start.line, lineOf(pipelineText, 'name: grant-fraud'));
    fs.rmSync(other);
    await client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: client.uri(other), type: FileChangeType.Deleted }] });
    assert.deepEqual(await client.waitForDiagnostics(other, clean), []);
  });

  test('YAML files that are not ours get nothing', async () => {
    const compose = path.join(ws, 'docker-compose.yaml');
    await client.open(compose, 'services: [: broken');
    await client.change(pipeline, pipelineText + '\n');
    await client.waitForDiagnostics(pipeline, clean);
    assert.equal(await client.publishedFor(compose), undefined);
    await client.closeDocument(compose);
  });

  for (const [name, text, code] of [
    ['an alias bomb', aliasBomb(), undefined],
    ['a 10 MB file', `apiVersion: mlops/v1\nkind: Pipeline\nname: big\nstages:\n${'  # padding padding padding padding padding padding padding padding\n'.repeat(160_000)}`, 'file-too-large'],
    ['100,000 nested brackets', `stages: ${'['.repeat(100_000)}`, undefined],
  ] as const) {
    test(`${name} gets diagnostics, and the server keeps answering`, async () => {
      const file = path.join(ws, 'robust.pipeline.yaml');
      await client.open(file, text);
      const ds = await client.waitForDiagnostics(file, (x) => x.length > 0, 30_000);
      if (code) assert.ok(codes(ds).includes(code), JSON.stringify(codes(ds)));
      await client.closeDocument(file);
      const symbols = await client.documentSymbols(pipeline);
      assert.ok(symbols.length > 0);
    });
  }
});

function aliasBomb(): string {
  const lines = ['apiVersion: mlops/v1', 'kind: Pipeline', 'name: bomb', 'a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i <= 9; i++) lines.push(`a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]`);
  lines.push('stages:', '  train:', '    cmd: *a9');
  return lines.join('\n') + '\n';
}
