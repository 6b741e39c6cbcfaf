/** The outline (document symbols) as the editor gets it from the real server over stdio. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DocumentSymbol, Range, SymbolKind } from 'vscode-languageserver-protocol';
import { closeSample, copySample, LspTestClient } from './lspTestClient';

describe('document symbols', () => {
  let dir: string;
  let client: LspTestClient;

  before(async () => {
    dir = copySample();
    client = await LspTestClient.start(dir);
  });

  after(() => closeSample({ dir, client }));

  async function symbolsOf(name: string, text?: string): Promise<DocumentSymbol[]> {
    const filePath = path.join(dir, name);
    await client.open(filePath, text);
    const symbols = await client.documentSymbols(filePath);
    await client.closeDocument(filePath);
    return symbols;
  }

  const named = (symbols: DocumentSymbol[] | undefined, name: string): DocumentSymbol => {
    const found = symbols?.find((s) => s.name === name);
    assert.ok(found, `symbol '${name}' among ${symbols?.map((s) => s.name).join(', ')}`);
    return found;
  };

  const inside = (inner: Range, outer: Range): boolean => {
    const before = (a: Range['start'], b: Range['start']): boolean => a.line < b.line || (a.line === b.line && a.character <= b.character);
    return before(outer.start, inner.start) && before(inner.end, outer.end);
  };

  /** Every symbol's selectionRange lies in its range, and every child in its parent (LSP requires it). */
  function assertWellFormed(symbols: DocumentSymbol[], parent?: DocumentSymbol): { count: number; depth: number } {
    let count = 0;
    let depth = 0;
    for (const s of symbols) {
      assert.ok(s.name.length > 0, 'a symbol has a name');
      assert.ok(inside(s.selectionRange, s.range), `selectionRange of '${s.name}' inside its range`);
      if (parent) assert.ok(inside(s.range, parent.range), `'${s.name}' inside '${parent.name}'`);
      const below = assertWellFormed(s.children ?? [], s);
      count += 1 + below.count;
      depth = Math.max(depth, 1 + below.depth);
    }
    return { count, depth };
  }

  it('lists the sections, stages, datasets and gates of a pipeline', async () => {
    const symbols = await symbolsOf('pipeline.yaml');
    assertWellFormed(symbols);
    assert.equal(named(symbols, 'stages').kind, SymbolKind.Module);
    const stages = named(symbols, 'stages').children ?? [];
    assert.deepEqual(stages.map((s) => s.name), ['prepare', 'train', 'evaluate']);
    assert.ok(stages.every((s) => s.kind === SymbolKind.Function));
    assert.match(named(stages, 'train').detail ?? '', /^local · node src\/train\.js/);
    assert.match(named(stages, 'prepare').detail ?? '', /^local · /);
    assert.equal(named(named(symbols, 'data').children, 'raw').detail, 'data/raw');
    const gates = named(symbols, 'validation').children ?? [];
    assert.equal(named(gates, 'accuracy').detail, 'accuracy >= 0.85');
    assert.equal(named(gates, 'demographic_parity_difference').detail, 'demographic_parity_difference <= 0.1 (fairness)');
  });

  it('lists params groups and leaves with their values', async () => {
    const symbols = await symbolsOf('params.yaml');
    assertWellFormed(symbols);
    const train = named(symbols, 'train');
    assert.equal(train.kind, SymbolKind.Namespace);
    assert.equal(named(train.children, 'lr').detail, '0.05');
    assert.equal(named(train.children, 'lr').kind, SymbolKind.Variable);
    assert.ok(named(named(symbols, 'search').children, 'space').children?.some((s) => s.name === 'train.lr'));
  });

  it('lists the cluster profiles of clusters.yaml', async () => {
    const symbols = await symbolsOf('clusters.yaml');
    assertWellFormed(symbols);
    const clusters = named(symbols, 'clusters').children ?? [];
    assert.deepEqual(clusters.map((c) => [c.name, c.detail]), [['lumi', 'lumi.csc.fi'], ['leonardo', 'login.leonardo.cineca.it']]);
  });

  it('still outlines what parses of a broken pipeline', async () => {
    const text = fs.readFileSync(path.join(dir, 'pipeline.yaml'), 'utf8').replace('  evaluate:\n', '  evaluate:\n    cmd: [unclosed\n');
    const symbols = await symbolsOf('pipeline.yaml', text);
    assertWellFormed(symbols);
    assert.ok(named(symbols, 'stages').children?.some((s) => s.name === 'train'));
  });

  it('caps the depth of a deeply nested file and the size of a huge one', async () => {
    let deep = 'apiVersion: mlops/v1\nkind: Pipeline\nname: deep\nstages:\n  a:\n    cmd: x\n    env:\n';
    for (let level = 0; level < 60; level++) deep += `${'  '.repeat(level + 3)}k${level}:\n`;
    const deepShape = assertWellFormed(await symbolsOf('deep.pipeline.yaml', deep));
    assert.ok(deepShape.depth >= 15 && deepShape.depth <= 22, `depth ${deepShape.depth} is capped near 20`);

    const huge = `apiVersion: mlops/v1\nkind: Pipeline\nname: huge\nstages:\n${Array.from({ length: 20000 }, (_, i) => `  s${i}:\n    cmd: node s.js ${i}\n`).join('')}`;
    const hugeShape = assertWellFormed(await symbolsOf('huge.pipeline.yaml', huge));
    assert.ok(hugeShape.count > 1000 && hugeShape.count <= 20000, `${hugeShape.count} symbols for 40,000 keys`);
    assert.deepEqual(client.serverErrors, []);
  });
});
