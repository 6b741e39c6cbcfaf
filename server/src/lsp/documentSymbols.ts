/**
 * The outline of a pipeline, params or clusters file: top-level sections, and in them what the
 * domain names: stages (with executor and command), datasets, validation gates ("accuracy >= 0.85"),
 * cluster profiles, params groups and leaves (with their values). Other keys appear as plain
 * properties. Depth and size are capped: a file may be huge or absurdly nested.
 */
import { DocumentSymbol, Range, SymbolKind } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { FileKind, fileKind } from '../core/workspace/workspaceFiles';
import { getValue, Pair, ParsedYaml, scalarValue, stringValue, YamlNode } from '../core/yaml/yamlAst';
import { writtenValue } from './cursorContext';
import { ServerWorkspace } from './serverWorkspace';

const MAX_DEPTH = 20;
const MAX_CHILDREN = 2000;
/** Beyond this an outline is no help, and the editor would spend longer drawing it than we building it. */
const MAX_SYMBOLS = 20000;
const MAX_DETAIL = 60;

export function documentSymbols(doc: TextDocument, filePath: string, workspace: ServerWorkspace): DocumentSymbol[] {
  const kind = fileKind(filePath);
  if (!kind) return [];
  const parsed = workspace.cache.parse(filePath, doc.getText());
  const root = parsed.root;
  if (root?.kind !== 'map') return [];
  const outline = new Outline(doc, parsed, kind);
  return outline.each(root.pairs, (pair) => outline.section(pair));
}

class Outline {
  private left = MAX_SYMBOLS;

  constructor(private readonly doc: TextDocument, private readonly parsed: ParsedYaml, private readonly kind: FileKind) {}

  /** Symbols for a list of entries, as many as the caps allow. */
  each<T>(entries: T[], make: (entry: T, index: number) => DocumentSymbol | undefined): DocumentSymbol[] {
    const symbols: DocumentSymbol[] = [];
    for (let i = 0; i < entries.length && i < MAX_CHILDREN && this.left > 0; i++) {
      const symbol = make(entries[i], i);
      if (symbol) symbols.push(symbol);
    }
    return symbols;
  }

  section(pair: Pair): DocumentSymbol {
    const value = pair.value;
    const collection = value.kind === 'map' || value.kind === 'seq';
    if (this.kind === 'pipeline' && value.kind === 'map' && pair.keyText === 'stages') {
      return this.symbol(pair, SymbolKind.Module, `${value.pairs.length} stage${value.pairs.length === 1 ? '' : 's'}`, this.each(value.pairs, (p) => this.stage(p)));
    }
    if (this.kind === 'pipeline' && value.kind === 'map' && pair.keyText === 'data') {
      return this.symbol(pair, SymbolKind.Module, undefined, this.each(value.pairs, (p) => this.named(p, SymbolKind.File, stringValue(getValue(p.value, 'path')))));
    }
    if (this.kind === 'pipeline' && value.kind === 'seq' && pair.keyText === 'validation') {
      return this.symbol(pair, SymbolKind.Module, undefined, this.each(value.items, (item, i) => this.gate(item, i)));
    }
    if (this.kind === 'clusters' && value.kind === 'map' && pair.keyText === 'clusters') {
      return this.symbol(pair, SymbolKind.Module, undefined, this.each(value.pairs, (p) => this.named(p, SymbolKind.Object, stringValue(getValue(p.value, 'host')))));
    }
    if (this.kind === 'params' && pair.keyText !== 'search') return this.param(pair, 1);
    return collection ? this.symbol(pair, SymbolKind.Module, undefined, this.children(value, 1)) : this.property(pair, 1);
  }

  private stage(pair: Pair): DocumentSymbol {
    const executor = stringValue(getValue(pair.value, 'executor')) ?? 'local';
    const cmd = stringValue(getValue(pair.value, 'cmd'));
    return this.symbol(pair, SymbolKind.Function, cmd ? `${executor} · ${shorten(cmd)}` : executor, this.children(pair.value, 2));
  }

  /** A dataset or cluster: an entry known by its name, with one telling field as detail. */
  private named(pair: Pair, kind: SymbolKind, detail: string | undefined): DocumentSymbol {
    return this.symbol(pair, kind, detail && shorten(detail), this.children(pair.value, 2));
  }

  private gate(item: YamlNode, index: number): DocumentSymbol | undefined {
    if (item.kind !== 'map') return undefined;
    const metricPair = item.pairs.find((p) => p.keyText === 'metric');
    const metric = stringValue(metricPair?.value) ?? `gate ${index + 1}`;
    const min = scalarValue(getValue(item, 'min'));
    const max = scalarValue(getValue(item, 'max'));
    const type = stringValue(getValue(item, 'type'));
    const bounds = min !== undefined && max !== undefined ? `${min} <= ${metric} <= ${max}`
      : min !== undefined ? `${metric} >= ${min}` : max !== undefined ? `${metric} <= ${max}` : metric;
    this.left--;
    const selection = metricPair?.value ?? item;
    return {
      name: metric, kind: SymbolKind.Event, detail: type ? `${bounds} (${type})` : bounds,
      // An empty value may sit just past its mapping's end: the range must still hold it.
      range: this.range(Math.min(item.start, selection.start), Math.max(item.end, selection.end)),
      selectionRange: this.range(selection.start, selection.end),
    };
  }

  /** A params group (its members below it) or leaf (its value as detail). */
  private param(pair: Pair, depth: number): DocumentSymbol {
    const value = pair.value;
    if (value.kind !== 'map') return this.symbol(pair, SymbolKind.Variable, writtenValue(this.parsed, value));
    const members = depth < MAX_DEPTH ? this.each(value.pairs, (p) => this.param(p, depth + 1)) : [];
    return this.symbol(pair, SymbolKind.Namespace, undefined, members);
  }

  /** Any other key: its mapping or list below it, or its value as detail. */
  private property(pair: Pair, depth: number): DocumentSymbol {
    const value = pair.value;
    if (value.kind === 'map') {
      // A one-line `{ min: 1, max: 5 }` reads best as it is written.
      const detail = this.parsed.text[value.start] === '{' ? writtenValue(this.parsed, value) : undefined;
      return this.symbol(pair, SymbolKind.Object, detail, this.children(value, depth + 1));
    }
    if (value.kind === 'seq') {
      const scalars = value.items.every((i) => i.kind === 'scalar');
      return this.symbol(pair, SymbolKind.Array, scalars ? writtenValue(this.parsed, value) : undefined, scalars ? [] : this.children(value, depth + 1));
    }
    const text = stringValue(value);
    return this.symbol(pair, scalarKind(value), text !== undefined ? shorten(text) : writtenValue(this.parsed, value));
  }

  private children(node: YamlNode, depth: number): DocumentSymbol[] {
    if (depth > MAX_DEPTH) return [];
    if (node.kind === 'map') return this.each(node.pairs, (p) => this.property(p, depth));
    if (node.kind !== 'seq') return [];
    return this.each(node.items, (item, i) => {
      if (item.kind !== 'map' && item.kind !== 'seq') return undefined;
      this.left--;
      const range = this.range(item.start, item.end);
      return { name: `[${i}]`, kind: item.kind === 'map' ? SymbolKind.Object : SymbolKind.Array, range, selectionRange: range, children: this.children(item, depth + 1) };
    });
  }

  private symbol(pair: Pair, kind: SymbolKind, detail?: string, children: DocumentSymbol[] = []): DocumentSymbol {
    this.left--;
    const selectionRange = this.range(pair.key.start, pair.key.end);
    return {
      name: pair.keyText || '""', kind, detail,
      range: this.range(Math.min(pair.key.start, pair.value.start), Math.max(pair.key.end, pair.value.end)),
      selectionRange,
      children: children.length ? children : undefined,
    };
  }

  private range(start: number, end: number): Range {
    return Range.create(this.doc.positionAt(start), this.doc.positionAt(Math.max(start, end)));
  }
}

function scalarKind(node: YamlNode): SymbolKind {
  const v = scalarValue(node);
  if (typeof v === 'number') return SymbolKind.Number;
  if (typeof v === 'boolean') return SymbolKind.Boolean;
  if (v === null) return SymbolKind.Null;
  return node.kind === 'alias' ? SymbolKind.Variable : SymbolKind.String;
}

function shorten(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_DETAIL ? `${oneLine.slice(0, MAX_DETAIL - 1)}…` : oneLine;
}
