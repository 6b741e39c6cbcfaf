/**
 * What is at a cursor offset in a pipeline, params or clusters file: the key path of the place,
 * whether the cursor is on a key or a value, the token under it, and the `${params.…}` reference
 * around it; and what a token there refers to in this or another file. Shared by completion,
 * hover and definition.
 *
 * The tree answers wherever it covers the cursor. A half-typed line does not parse (the parser
 * blanks it), so elsewhere the place is read from the text of the line, as yaml-language-server
 * does: its indentation leads to the nearest line above that the tree knows, and a flow
 * collection left open on the line (`needs: [a, `) is scanned up to the cursor.
 */
import * as path from 'path';
import { resolveLinks } from '../core/validation/pipeline';
import { ParamEntry, paramsIndex } from '../core/validation/paramsIndex';
import { JsonSchema, SchemaModel } from '../core/validation/schema';
import { schemaModels } from '../core/validation/schemas';
import { FileKind, fileKind, readParsed, WorkspaceContext } from '../core/workspace/workspaceFiles';
import { deref, getValue, nodePath, Pair, ParsedYaml, stringValue, YamlNode } from '../core/yaml/yamlAst';

export type KeyPath = (string | number)[];

/** The scalar under the cursor, or the empty spot where one is being typed. */
export interface Token {
  start: number;
  end: number;
  /** What it says: the scalar's value, without quotes. */
  value: string;
}

/** A `${params.x.y}` in a stage's `cmd`: the offsets of the dotted key `x.y` (the closing `}` may be missing). */
export interface ParamRef {
  key: string;
  start: number;
  end: number;
}

export interface CursorContext {
  fileKind: FileKind;
  schema: SchemaModel;
  parsed: ParsedYaml;
  offset: number;
  /** On (or typing) a mapping key, or on a value: a mapping's value or a sequence item. */
  at: 'key' | 'value';
  /**
   * Where the token sits, from the root. For a key: its own path, ending in the key ('' when
   * nothing is typed yet). For a value: the path of the key or the item index holding it.
   */
  path: KeyPath;
  token: Token;
  /** The other keys of the mapping (at a key) or the other items of the sequence (at an item). */
  siblings: string[];
  /** Inside `{ }` or `[ ]`, where a new key stays on its line. */
  inFlow: boolean;
  paramRef?: ParamRef;
}

interface Place {
  at: 'key' | 'value';
  path: KeyPath;
  token: Token;
  inFlow: boolean;
  /**
   * Entries written beside the cursor, read from the text: the tree may lack some (error recovery
   * blanks the broken line and often the next one too).
   */
  writtenSiblings: string[];
  /**
   * False when the place is a list item the tree does not have (found by counting dashes): the
   * tree's item at that index is another one (it also drops empty `- ` items).
   */
  treeHasContainer: boolean;
}

/** Text-only analysis follows indentation up through at most this many levels (deeper input is absurd). */
const MAX_LEVELS = 64;
/** Siblings are read from at most this many lines each way (a top-level key of a huge file has thousands). */
const MAX_SIBLING_LINES = 10_000;

export function cursorContext(text: string, filePath: string, offset: number, ctx: WorkspaceContext): CursorContext | undefined {
  const kind = fileKind(filePath);
  if (!kind) return undefined;
  const parsed = ctx.cache.parse(filePath, text);
  const schema = schemaModels[kind];
  const at = Math.max(0, Math.min(offset, text.length));
  const found = placeInTree(parsed, at) ?? placeInLine(parsed, at, schema);
  if (!found) return undefined;
  const place = typingKeyWhereMappingIs(found, schema, parsed.text);
  const siblings = [...new Set([...place.writtenSiblings, ...(place.treeHasContainer ? treeSiblings(parsed.root, place, at) : [])])];
  const paramRef = kind === 'pipeline' && place.at === 'value' && isStageField(place.path, 'cmd') ? paramRefAt(text, place.token, at) : undefined;
  return { fileKind: kind, schema, parsed, offset: at, at: place.at, path: place.path, token: place.token, siblings, inFlow: place.inFlow, paramRef };
}

/** `path` is ['stages', <stage>, field, ...]: the stage's name, else undefined. */
export function stageOf(path: KeyPath, field?: string): string | undefined {
  if (path[0] !== 'stages' || typeof path[1] !== 'string') return undefined;
  return field === undefined || path[2] === field ? path[1] : undefined;
}

function isStageField(path: KeyPath, field: string): boolean {
  return path.length === 3 && stageOf(path, field) !== undefined;
}

/** An item of a stage's list field, e.g. ['stages', 'train', 'needs', 0]. */
export function isStageListItem(path: KeyPath, field: string): boolean {
  return path.length === 4 && stageOf(path, field) !== undefined && typeof path[3] === 'number';
}

export function samePath(path: KeyPath, expected: KeyPath): boolean {
  return path.length === expected.length && path.every((k, i) => k === expected[i]);
}

/** The node at a key path, following aliases. */
function nodeAtPath(root: YamlNode | undefined, path: KeyPath): YamlNode | undefined {
  let node = deref(root);
  for (const key of path) {
    if (!node) return undefined;
    if (typeof key === 'number') node = node.kind === 'seq' ? deref(node.items[key]) : undefined;
    else node = deref(getValue(node, key));
  }
  return node;
}

/**
 * The schema written for a path, before `$ref`s are followed: it carries the description given
 * at the point of use (e.g. `name`'s own, not the shared definition's).
 */
export function declaredSchemaAt(model: SchemaModel, path: KeyPath): JsonSchema | undefined {
  let schema: JsonSchema | undefined = model.root;
  for (const key of path) {
    schema = typeof key === 'number' ? model.itemSchema(schema) : model.propertySchema(schema, key);
    if (!schema) return undefined;
  }
  return schema;
}

/** True when every alternative of the schema at `path` is a mapping (a scalar there must be a key being typed). */
export function expectsMapping(model: SchemaModel, path: KeyPath): boolean {
  const schema = model.resolve(declaredSchemaAt(model, path));
  if (!schema) return false;
  const alternatives = schema.anyOf ? schema.anyOf.map((a) => model.resolve(a)) : [schema];
  return alternatives.every((a) => a !== undefined && (a.type === 'object' || (a.type === undefined && a.properties !== undefined)));
}

// ---- the tree's answer ----

function placeInTree(parsed: ParsedYaml, offset: number): Place | undefined {
  const chain = nodePath(parsed.root, offset);
  const last = chain[chain.length - 1];
  if (!last || last.node.kind !== 'scalar' || last.node.start === last.node.end) return undefined;
  const node = last.node;
  const token = { start: node.start, end: node.end, value: node.value === null ? '' : String(node.value) };
  const inFlow = chain.some((entry) => entry.node !== node && entry.node.kind !== 'scalar' && isFlowStart(parsed.text, entry.node.start));
  if (last.keys.length === 0) return { at: 'key', path: [token.value], token, inFlow, writtenSiblings: [], treeHasContainer: true }; // a document of one word: its first key
  return { at: last.inKey ? 'key' : 'value', path: last.keys, token, inFlow, writtenSiblings: [], treeHasContainer: true };
}

function isFlowStart(text: string, at: number): boolean {
  const c = text[at];
  return c === '{' || c === '[';
}

/**
 * A plain scalar standing where the schema wants a mapping (`resources:` then `  cp` on the next
 * line, or `- met` in a list of gates) is a key being typed.
 */
function typingKeyWhereMappingIs(place: Place, model: SchemaModel, text: string): Place {
  if (place.at !== 'value' || place.inFlow || /^["']/.test(text.slice(place.token.start, place.token.start + 1))) return place;
  const last = place.path[place.path.length - 1];
  const onOwnLine = typeof last === 'number' || !/\S/.test(text.slice(lineStartOf(text, place.token.start), place.token.start).replace(/^\s*(-\s+)*/, ''));
  if (!onOwnLine || !expectsMapping(model, place.path)) return place;
  return { ...place, at: 'key', path: [...place.path, place.token.value] };
}

function treeSiblings(root: YamlNode | undefined, place: Place, offset: number): string[] {
  const container = nodeAtPath(root, place.path.slice(0, -1));
  const own = (n: YamlNode): boolean => n.start <= offset && offset <= n.end;
  if (place.at === 'key' && container?.kind === 'map') {
    return container.pairs.filter((p) => !own(p.key)).map((p) => p.keyText);
  }
  if (place.at === 'value' && typeof place.path[place.path.length - 1] === 'number' && container?.kind === 'seq') {
    return container.items.filter((item) => !own(item)).map((item) => stringValue(item)).filter((v): v is string => v !== undefined);
  }
  return [];
}

function paramRefAt(text: string, token: Token, offset: number): ParamRef | undefined {
  const open = text.lastIndexOf('${', offset);
  if (open < token.start || open > token.end) return undefined;
  const match = /^\$\{\s*params\.([^}\s]*)/.exec(text.slice(open, Math.min(token.end, open + 1024)));
  if (!match) return undefined;
  const end = open + match[0].length;
  const closed = text[end] === '}';
  if (offset > end + (closed ? 1 : 0)) return undefined;
  return { key: match[1], start: end - match[1].length, end };
}

// ---- the text's answer, where the tree does not cover the cursor ----

/** One line as indentation sees it. Columns count UTF-16 units from the line start, like LSP characters. */
interface LineShape {
  start: number;
  text: string;
  /** Columns of the `- ` item markers. */
  dashes: number[];
  /** Column where the content after indentation and dashes starts. */
  contentCol: number;
  /** A `key:` at the content start: the key's columns and the column after the colon. */
  key?: { value: string; startCol: number; endCol: number; colonCol: number };
  /** Column of a `#` comment, else the line length. */
  commentCol: number;
  /** Nothing but spaces or a comment. */
  blank: boolean;
}

function hasInlineValue(line: LineShape): boolean {
  return line.key !== undefined && line.text.slice(line.key.colonCol, line.commentCol).trim() !== '';
}

function lineStartOf(text: string, offset: number): number {
  // lastIndexOf with a negative start still looks at index 0: guard the first line.
  return offset <= 0 ? 0 : text.lastIndexOf('\n', offset - 1) + 1;
}

function lineShape(text: string, start: number): LineShape {
  const nl = text.indexOf('\n', start);
  const line = text.slice(start, nl < 0 ? text.length : nl).replace(/\r$/, '');
  let col = 0;
  while (col < line.length && line[col] === ' ') col++;
  const dashes: number[] = [];
  while (line[col] === '-' && (col + 1 === line.length || line[col + 1] === ' ' || line[col + 1] === '\t')) {
    dashes.push(col);
    col++;
    while (line[col] === ' ' || line[col] === '\t') col++;
  }
  const commentCol = commentColumn(line, col);
  const key = keyAt(line, col, commentCol);
  return { start, text: line, dashes, contentCol: col, key, commentCol, blank: line.slice(col, commentCol).trim() === '' };
}

/** The first `#` that starts a comment (after whitespace, outside quotes). */
function commentColumn(line: string, from: number): number {
  let quote: string | undefined;
  for (let i = from; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if ((c === '"' || c === "'") && (i === from || /[\s\[{,:]/.test(line[i - 1]))) quote = c;
    else if (c === '#' && (i === from || /\s/.test(line[i - 1]))) return i;
  }
  return line.length;
}

function keyAt(line: string, col: number, limit: number): LineShape['key'] {
  const head = line.slice(col, limit);
  const m = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s"'\[\]{},#&*!|>%@`-][^#]*?|-[^\s#][^#]*?)[ \t]*:(?=\s|$)/.exec(head);
  if (!m) return undefined;
  const raw = m[1];
  return { value: unquote(raw), startCol: col, endCol: col + raw.length, colonCol: col + m[0].length };
}

function unquote(raw: string): string {
  if (raw.length >= 2 && raw[0] === '"' && raw.endsWith('"')) {
    try {
      return JSON.parse(raw) as string;
    } catch {
      return raw.slice(1, -1);
    }
  }
  if (raw.length >= 2 && raw[0] === "'" && raw.endsWith("'")) return raw.slice(1, -1).replace(/''/g, "'");
  return raw;
}

function tokenOf(lineStart: number, line: string, from: number, to: number): Token {
  let s = from;
  let e = to;
  while (s < e && /\s/.test(line[s])) s++;
  while (e > s && /\s/.test(line[e - 1])) e--;
  return { start: lineStart + s, end: lineStart + e, value: unquote(line.slice(s, e)) };
}

function placeInLine(parsed: ParsedYaml, offset: number, model: SchemaModel): Place | undefined {
  const text = parsed.text;
  const shape = lineShape(text, lineStartOf(text, offset));
  const col = Math.min(offset - shape.start, shape.text.length);
  if (col > shape.commentCol || (col < shape.contentCol && !shape.blank)) return undefined;
  const flow = scanFlow(shape.text, shape.contentCol, col);
  if (flow === 'comment') return undefined;
  if (flow.length > 0) return placeInFlow(parsed, shape, flow, col);
  if (shape.dashes.length > 1) return undefined; // nested `- -` items: too rare to guess at
  const scope = new Scope(parsed);
  let container: KeyPath | undefined;
  if (shape.dashes.length === 1) {
    container = scope.itemPathOfLine(shape, 0);
    if (!container) return undefined;
    if (!shape.key && !expectsMapping(model, container)) {
      const token = tokenOf(shape.start, shape.text, shape.contentCol, shape.commentCol);
      return { at: 'value', path: container, token, inFlow: false, writtenSiblings: scope.blockSiblings(shape, shape.dashes[0], 'items'), treeHasContainer: !scope.countedItem };
    }
  } else {
    container = scope.mappingAt(shape, shape.blank ? col : shape.contentCol, 0);
    if (!container) return undefined;
  }
  if (shape.key && col >= shape.key.colonCol) {
    const token = tokenOf(shape.start, shape.text, shape.key.colonCol, shape.commentCol);
    return { at: 'value', path: [...container, shape.key.value], token, inFlow: false, writtenSiblings: [], treeHasContainer: !scope.countedItem };
  }
  const token = shape.key
    ? { start: shape.start + shape.key.startCol, end: shape.start + shape.key.endCol, value: shape.key.value }
    : tokenOf(shape.start, shape.text, shape.contentCol, shape.commentCol);
  if (shape.blank) Object.assign(token, { start: offset, end: offset, value: '' });
  const writtenSiblings = scope.blockSiblings(shape, shape.blank && !shape.dashes.length ? col : shape.contentCol, 'keys');
  return { at: 'key', path: [...container, token.value], token, inFlow: false, writtenSiblings, treeHasContainer: !scope.countedItem };
}

/** Finds the key paths of earlier lines: from the tree where it has them, else from indentation. */
class Scope {
  /** Set once an item index was counted from the text rather than read from the tree. */
  countedItem = false;

  constructor(private readonly parsed: ParsedYaml) {}

  /** The mapping that a key at column `col` of the line `below` belongs to. */
  mappingAt(below: LineShape, col: number, level: number): KeyPath | undefined {
    if (level > MAX_LEVELS) return undefined;
    if (col === 0 && deref(this.parsed.root)?.kind !== 'seq') return [];
    for (let line = this.above(below); line; line = this.above(line)) {
      if (line.blank || line.contentCol > col) continue;
      if (line.contentCol === col) {
        if (!line.key) continue;
        // A sibling: the tree knows its mapping, or the line opens the list item holding it.
        const known = this.keyPathInTree(line);
        if (known) return known.slice(0, -1);
        if (line.dashes.length) return this.itemPathOfLine(line, level + 1);
        continue;
      }
      return line.key ? this.keyPathOfLine(line, level + 1) : undefined;
    }
    return [];
  }

  /** The path of the list item that the line's (last) dash opens. */
  itemPathOfLine(line: LineShape, level: number): KeyPath | undefined {
    const contentStart = line.start + line.contentCol;
    const entry = nodePath(this.parsed.root, contentStart).find((e) => typeof e.keys[e.keys.length - 1] === 'number' && e.node.start === contentStart);
    if (entry) return entry.keys;
    const seq = this.sequenceAt(line, line.dashes[line.dashes.length - 1], level + 1);
    return seq && [...seq.path, seq.index];
  }

  private keyPathInTree(line: LineShape): KeyPath | undefined {
    if (!line.key) return undefined;
    const keyStart = line.start + line.key.startCol;
    const last = nodePath(this.parsed.root, keyStart).pop();
    return last?.inKey && last.node.start === keyStart ? last.keys : undefined;
  }

  private keyPathOfLine(line: LineShape, level: number): KeyPath | undefined {
    if (!line.key || level > MAX_LEVELS) return undefined;
    const known = this.keyPathInTree(line);
    if (known) return known;
    const container = line.dashes.length ? this.itemPathOfLine(line, level + 1) : this.mappingAt(line, line.contentCol, level + 1);
    return container && [...container, line.key.value];
  }

  /** The sequence whose items are dashes at column `col`, and the index of the item on line `below`. */
  private sequenceAt(below: LineShape, col: number, level: number): { path: KeyPath; index: number } | undefined {
    if (level > MAX_LEVELS) return undefined;
    let before = 0;
    for (let line = this.above(below); line; line = this.above(line)) {
      if (line.blank) continue;
      if (line.dashes[0] === col) {
        const item = nodePath(this.parsed.root, line.start + line.contentCol).find((e) => typeof e.keys[e.keys.length - 1] === 'number' && e.node.start === line.start + line.contentCol);
        if (item) {
          this.countedItem = true;
          return { path: item.keys.slice(0, -1), index: (item.keys[item.keys.length - 1] as number) + 1 + before };
        }
        before++;
        continue;
      }
      const indent = line.dashes.length ? line.dashes[0] : line.contentCol;
      if (indent > col) continue;
      // `key:` then `- item` at the same column is a common style; a key further left owns the list too.
      if (line.key && line.contentCol <= col && !hasInlineValue(line)) {
        const keyPath = this.keyPathOfLine(line, level + 1);
        this.countedItem = true;
        return keyPath && { path: keyPath, index: before };
      }
      return undefined;
    }
    return undefined;
  }

  /**
   * What is written beside `line` in its block: the keys at column `col` (of the mapping holding
   * the line), or the items whose dash is at column `col`.
   */
  blockSiblings(line: LineShape, col: number, what: 'keys' | 'items'): string[] {
    const found: string[] = [];
    const walk = (next: (l: LineShape) => LineShape | undefined, upward: boolean): void => {
      let lines = 0;
      for (let l = next(line); l && lines < MAX_SIBLING_LINES; l = next(l), lines++) {
        if (l.blank) continue;
        if (what === 'items') {
          const indent = l.dashes.length ? l.dashes[0] : l.contentCol;
          if (indent < col) return;
          if (l.dashes[0] === col && !l.key) found.push(tokenOf(0, l.text, l.contentCol, l.commentCol).value);
          continue;
        }
        if (l.contentCol > col) continue;
        if (l.contentCol < col || (l.dashes.length && !upward)) return; // the block ends, or the next list item starts
        if (l.key) found.push(l.key.value);
        if (l.dashes.length) return; // the first line of this list item
      }
    };
    // A list item's first line starts its mapping: nothing above belongs to it.
    if (what === 'items' || !line.dashes.length) walk((l) => this.above(l), true);
    walk((l) => this.below(l), false);
    return found;
  }

  private above(line: LineShape): LineShape | undefined {
    if (line.start === 0) return undefined;
    return lineShape(this.parsed.text, lineStartOf(this.parsed.text, line.start - 1));
  }

  private below(line: LineShape): LineShape | undefined {
    const nl = this.parsed.text.indexOf('\n', line.start);
    return nl < 0 ? undefined : lineShape(this.parsed.text, nl + 1);
  }
}

interface FlowFrame {
  open: '[' | '{';
  col: number;
  /** Where the entry being written starts. */
  entryCol: number;
  index: number;
  /** In a mapping, the key of the entry being written once its colon is seen. */
  key?: string;
  written: string[];
}

/** The flow collections still open at column `to` of the line, or 'comment' when the cursor is in one. */
function scanFlow(line: string, from: number, to: number): FlowFrame[] | 'comment' {
  const frames: FlowFrame[] = [];
  for (let i = from; i < to; i++) {
    const c = line[i];
    const top = frames[frames.length - 1];
    if ((c === '"' || c === "'") && (i === from || /[\s\[{,:]/.test(line[i - 1]))) {
      i = closingQuote(line, i);
      continue;
    }
    if (c === '#' && (i === from || /\s/.test(line[i - 1]))) return 'comment';
    if (c === '[' || c === '{') frames.push({ open: c, col: i, entryCol: i + 1, index: 0, written: [] });
    else if ((c === ']' || c === '}') && top) frames.pop();
    else if (c === ',' && top) {
      const entry = top.key ?? unquote(line.slice(top.entryCol, i).trim());
      if (entry) top.written.push(entry);
      Object.assign(top, { index: top.index + 1, key: undefined, entryCol: i + 1 });
    } else if (c === ':' && top?.open === '{' && top.key === undefined && (i + 1 >= line.length || /[\s,\]}]/.test(line[i + 1]))) {
      top.key = unquote(line.slice(top.entryCol, i).trim());
      top.entryCol = i + 1;
    }
  }
  return frames;
}

function closingQuote(line: string, open: number): number {
  const quote = line[open];
  for (let i = open + 1; i < line.length; i++) {
    if (quote === '"' && line[i] === '\\') i++;
    else if (line[i] === quote) {
      if (quote === "'" && line[i + 1] === "'") i++;
      else return i;
    }
  }
  return line.length;
}

function placeInFlow(parsed: ParsedYaml, shape: LineShape, frames: FlowFrame[], col: number): Place | undefined {
  const scope = new Scope(parsed);
  let base: KeyPath | undefined;
  if (shape.key && frames[0].col >= shape.key.colonCol) {
    const container = shape.dashes.length ? scope.itemPathOfLine(shape, 0) : scope.mappingAt(shape, shape.contentCol, 0);
    base = container && [...container, shape.key.value];
  } else if (shape.dashes.length && frames[0].col === shape.contentCol) {
    base = scope.itemPathOfLine(shape, 0);
  }
  if (!base) return undefined;
  const path = [...base];
  for (const frame of frames.slice(0, -1)) {
    if (frame.open === '[') path.push(frame.index);
    else if (frame.key !== undefined) path.push(frame.key);
    else return undefined; // a collection used as a key
  }
  const inner = frames[frames.length - 1];
  let end = col;
  while (end < shape.text.length && !/[,\]}]/.test(shape.text[end]) && end < shape.commentCol) end++;
  const token = tokenOf(shape.start, shape.text, inner.entryCol, Math.max(end, col));
  if (token.start > shape.start + col) Object.assign(token, { start: shape.start + col, end: shape.start + col, value: '' });
  const treeHasContainer = !scope.countedItem;
  if (inner.open === '[') return { at: 'value', path: [...path, inner.index], token, inFlow: true, writtenSiblings: inner.written, treeHasContainer };
  if (inner.key !== undefined) return { at: 'value', path: [...path, inner.key], token, inFlow: true, writtenSiblings: [], treeHasContainer };
  return { at: 'key', path: [...path, token.value], token, inFlow: true, writtenSiblings: inner.written, treeHasContainer };
}

// ---- what a token refers to ----

/** Where a reference leads: a key in some file, or a whole file. */
export interface Target {
  filePath: string;
  parsed?: ParsedYaml;
  /** The key that defines the thing (absent for a whole file). */
  pair?: Pair;
}

export interface Reference {
  kind: 'param' | 'stage' | 'cluster' | 'data' | 'file';
  /** The name as written: a dotted params key, a stage/cluster/dataset name, a path. */
  name: string;
  /** Where it is written in this document. */
  start: number;
  end: number;
  /** The file it is looked up in. */
  filePath: string;
  target?: Target;
  /** For a params key naming a group: its entry (not a leaf). */
  param?: ParamEntry;
}

/** The thing in this or another file that the token under the cursor names, if it names one. */
export function referenceAt(c: CursorContext, filePath: string, ctx: WorkspaceContext): Reference | undefined {
  const { path: p, token } = c;
  if (c.fileKind === 'params') {
    if (c.at === 'key' && p.length === 3 && p[0] === 'search' && p[1] === 'space' && token.value) {
      return paramReference(token.value, token.start, token.end, filePath, c.parsed);
    }
    return undefined;
  }
  if (c.fileKind !== 'pipeline') return undefined;
  const dir = path.dirname(filePath);
  const links = (): ReturnType<typeof resolveLinks> => resolveLinks(c.parsed, filePath, ctx);
  if (c.paramRef) {
    const { paramsPath } = links();
    return paramReference(c.paramRef.key, c.paramRef.start, c.paramRef.end, paramsPath, readParsed(ctx, paramsPath));
  }
  if (c.at !== 'value' || !token.value) return undefined;
  const span = { name: token.value, start: token.start, end: token.end };
  if (isStageListItem(p, 'params')) {
    const { paramsPath } = links();
    return paramReference(token.value, token.start, token.end, paramsPath, readParsed(ctx, paramsPath));
  }
  if (isStageListItem(p, 'needs')) {
    const pair = pairNamed(getValue(c.parsed.root, 'stages'), token.value);
    return { kind: 'stage', ...span, filePath, target: pair && { filePath, parsed: c.parsed, pair } };
  }
  if (isStageField(p, 'cluster')) {
    const { clustersPath, clusters } = links();
    const pair = clusters?.get(token.value);
    const target = clustersPath && pair ? { filePath: clustersPath, parsed: readParsed(ctx, clustersPath), pair } : undefined;
    return { kind: 'cluster', ...span, filePath: clustersPath ?? path.join(dir, 'clusters.yaml'), target };
  }
  const dataName = isStageListItem(p, 'deps') && token.value.startsWith('data.') ? token.value.slice('data.'.length)
    : samePath(p, ['monitor', 'drift', 'reference']) ? token.value : undefined;
  if (dataName !== undefined) {
    const pair = pairNamed(getValue(c.parsed.root, 'data'), dataName);
    return { kind: 'data', ...span, name: dataName, filePath, target: pair && { filePath, parsed: c.parsed, pair } };
  }
  if (p.length === 4 && stageOf(p, 'image') && p[3] === 'dockerfile') {
    const context = stringValue(getValue(nodeAtPath(c.parsed.root, p.slice(0, 3)), 'context')) ?? '.';
    return fileReference(path.resolve(dir, context, token.value), span, ctx);
  }
  if (samePath(p, ['params'])) return fileReference(path.resolve(dir, token.value), span, ctx);
  return undefined;
}

function fileReference(filePath: string, span: { name: string; start: number; end: number }, ctx: WorkspaceContext): Reference {
  return { kind: 'file', ...span, filePath, target: ctx.source.exists(filePath) ? { filePath } : undefined };
}

function paramReference(key: string, start: number, end: number, paramsPath: string, paramsParsed: ParsedYaml | undefined): Reference {
  const entry = paramsParsed ? paramsIndex(paramsParsed).entries.get(key) : undefined;
  const target = entry && paramsParsed ? { filePath: paramsPath, parsed: paramsParsed, pair: entry.pair } : undefined;
  return { kind: 'param', name: key, start, end, filePath: paramsPath, target, param: entry };
}

function pairNamed(map: YamlNode | undefined, name: string): Pair | undefined {
  const m = deref(map);
  return m?.kind === 'map' ? m.pairs.find((p) => p.keyText === name) : undefined;
}

// ---- schema documentation, for completion items and hovers ----

/** A value the schema allows at a place, with its documentation. */
export interface ValueChoice {
  value: string;
  description?: string;
  isDefault: boolean;
}

/** Enum, const and boolean values of a schema (every alternative of a union). */
export function valueChoices(model: SchemaModel, declared: JsonSchema | undefined): ValueChoice[] {
  const schema = model.resolve(declared);
  if (!schema) return [];
  const alternatives = schema.anyOf ? schema.anyOf.map((a) => model.resolve(a)).filter((a): a is JsonSchema => !!a) : [schema];
  const fallback = declared?.default ?? schema.default;
  const choices: ValueChoice[] = [];
  for (const alt of alternatives) {
    const values = alt.enum ?? (alt.const !== undefined ? [alt.const] : typesOf(alt).includes('boolean') ? [true, false] : []);
    values.forEach((v, i) => choices.push({ value: String(v), description: alt.enumDescriptions?.[i], isDefault: v === (alt.default ?? fallback) }));
  }
  return choices;
}

function typesOf(schema: JsonSchema): string[] {
  return schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
}

/** The type of a place in words: `string`, `list of string`, `mapping`, `string or mapping`. */
export function typeText(model: SchemaModel, declared: JsonSchema | undefined): string | undefined {
  const schema = model.resolve(declared);
  if (!schema) return undefined;
  const alternatives = schema.anyOf ? schema.anyOf.map((a) => model.resolve(a)).filter((a): a is JsonSchema => !!a) : [schema];
  const words = alternatives.flatMap((alt) => typesOf(alt).map((t) => {
    if (t === 'object') return 'mapping';
    if (t !== 'array') return t;
    const item = typeText(model, alt.items);
    return item ? `list of ${item}` : 'list';
  }));
  return words.length ? [...new Set(words)].join(' or ') : undefined;
}

/** Markdown for a place in a file: its description and type, then (unless `brief`) its allowed values and default. */
export function schemaMarkdown(model: SchemaModel, declared: JsonSchema | undefined, name?: string, brief = false): string {
  const schema = model.resolve(declared);
  if (!declared || !schema) return name ? `**${name}**` : '';
  const type = typeText(model, declared);
  const parts: string[] = [];
  if (name) parts.push(`**${name}**${type ? ` (${type})` : ''}`);
  const description = declared.markdownDescription ?? declared.description ?? schema.markdownDescription ?? schema.description;
  if (description) parts.push(description);
  if (brief) return parts.join('\n\n');
  const choices = valueChoices(model, declared).filter((c) => !(type === 'boolean' && !c.description));
  if (choices.length === 1 && schema.const !== undefined) parts.push(`Always \`${choices[0].value}\`.`);
  else if (choices.some((c) => c.description)) parts.push(`Allowed values:\n${choices.map((c) => `- \`${c.value}\`${c.description ? `: ${c.description}` : ''}`).join('\n')}`);
  else if (choices.length) parts.push(`Allowed values: ${choices.map((c) => `\`${c.value}\``).join(', ')}.`);
  const fallback = declared.default ?? schema.default;
  if (fallback !== undefined) parts.push(`Default: \`${typeof fallback === 'string' ? fallback : JSON.stringify(fallback)}\`.`);
  return parts.join('\n\n');
}

/** The comment at the end of the line holding `offset` (e.g. a params leaf's `# learning rate`). */
export function trailingComment(text: string, offset: number): string | undefined {
  const shape = lineShape(text, lineStartOf(text, offset));
  const comment = shape.text.slice(shape.commentCol + 1).trim();
  return shape.commentCol < shape.text.length && shape.commentCol > shape.contentCol && comment ? comment : undefined;
}

/** A params leaf's value as written (a list or long string shortened), for details and hovers. */
export function writtenValue(parsed: ParsedYaml, node: YamlNode): string {
  const raw = parsed.text.slice(node.start, node.end).replace(/\s+/g, ' ').trim();
  return raw.length > 60 ? `${raw.slice(0, 59)}…` : raw;
}
