/**
 * A position-aware YAML 1.2 tree built from js-yaml's parse events.
 *
 * Why js-yaml with a listener rather than the `yaml` package's document model: on a
 * 7,700-line pipeline it is about 15x faster, and the listener costs almost nothing. Aliases
 * are kept as alias nodes and never expanded, so an alias bomb costs nothing to walk.
 * After a syntax error the offending line is blanked and the text parsed again, so the rest
 * of the file is still checked as far as it parses.
 */
import * as jsyaml from 'js-yaml';

export type Scalar = string | number | boolean | null;

interface NodeBase {
  /** Offset of the first character (including a tag or anchor). */
  start: number;
  /** Offset just past the last character. */
  end: number;
}
export interface ScalarNode extends NodeBase { kind: 'scalar'; value: Scalar }
/** An alias is never expanded; `target` points at the anchored node (walk it once, where it is defined). */
export interface AliasNode extends NodeBase { kind: 'alias'; target?: YamlNode }
export interface SeqNode extends NodeBase { kind: 'seq'; items: YamlNode[] }
export interface Pair { key: YamlNode; keyText: string; value: YamlNode }
export interface MapNode extends NodeBase { kind: 'map'; pairs: Pair[] }
export type YamlNode = ScalarNode | AliasNode | SeqNode | MapNode;

export interface SyntaxProblem {
  message: string;
  start: number;
  end: number;
  code: 'yaml-syntax' | 'file-too-large' | 'nesting-too-deep';
}

export interface ParsedYaml {
  text: string;
  root: YamlNode | undefined;
  problems: SyntaxProblem[];
  /** Start offsets of the lines blanked to recover from syntax errors: their mappings may miss keys. */
  blankedLineStarts: number[];
  /** Anchors or aliases tie distant parts together, so an edit cannot be re-parsed locally. */
  hasAnchors: boolean;
}

/** Larger files get one diagnostic instead of a parse that could take seconds. */
export const MAX_YAML_BYTES = 5 * 1024 * 1024;
const MAX_RECOVERIES = 25;

/** A node being parsed: where js-yaml opened it, and its children so far. */
interface Frame { open: number; children: readonly YamlNode[] }
const NO_CHILDREN: readonly YamlNode[] = [];

/** js-yaml's parser state as the listener sees it (not in its typings). */
interface ListenerState { position: number; kind: string | null; result: unknown; input: string }

export function parseYaml(text: string): ParsedYaml {
  const problems: SyntaxProblem[] = [];
  const blankedLineStarts: number[] = [];
  if (text.length > MAX_YAML_BYTES) {
    problems.push({
      code: 'file-too-large', start: 0, end: Math.min(text.indexOf('\n') >>> 0, text.length),
      message: `File is ${(text.length / 1048576).toFixed(1)} MB; MLOps validates YAML files up to ${MAX_YAML_BYTES / 1048576} MB. Split it or move data out of it.`,
    });
    return { text, root: undefined, problems, blankedLineStarts, hasAnchors: false };
  }
  let source = text;
  for (let attempt = 0; attempt <= MAX_RECOVERIES; attempt++) {
    try {
      const { root, hasAnchors } = buildTree(source);
      return { text, root, problems, blankedLineStarts, hasAnchors };
    } catch (err) {
      if (err instanceof RangeError) {
        // js-yaml recurses per nesting level: a stack overflow means absurdly deep input.
        problems.push({ code: 'nesting-too-deep', start: 0, end: lineEnd(text, 0), message: 'YAML is nested too deeply to check. Flatten the structure.' });
        return { text, root: undefined, problems, blankedLineStarts, hasAnchors: false };
      }
      if (!(err instanceof jsyaml.YAMLException)) throw err;
      const reported = Math.min(Math.max(err.mark?.position ?? 0, 0), source.length);
      const opener = openerKind(err.reason ?? '');
      const openerLine = (opener === 'flow' ? undefined : unclosedQuoteLine(source, reported)) ?? (opener && unclosedLine(source, reported, opener));
      const errorLine = openerLine ? undefined : lineToBlank(source, reported);
      const danglingLine = errorLine && danglingLineBefore(source, errorLine);
      const atOpener = !!(openerLine || danglingLine);
      const line = openerLine || danglingLine || errorLine;
      const at = line && atOpener ? line.start : reported;
      if (!problems.some((p) => p.code === 'yaml-syntax' && p.start === at)) {
        const range = line && (atOpener || at >= line.end) ? trimmedLine(source, line) : { start: at, end: lineEnd(source, at) };
        problems.push({ code: 'yaml-syntax', ...range, message: syntaxMessage(err, atOpener, !!danglingLine) });
      }
      if (line === undefined || attempt === MAX_RECOVERIES) break;
      blankedLineStarts.push(line.start);
      source = source.slice(0, line.start) + ' '.repeat(line.end - line.start) + source.slice(line.end);
    }
  }
  return { text, root: undefined, problems, blankedLineStarts, hasAnchors: false };
}

function syntaxMessage(err: jsyaml.YAMLException, atOpener: boolean, dangling: boolean): string {
  const reason = dangling ? "this line is neither 'key: value' nor a list item (a colon is missing?)"
    : atOpener ? 'a bracket or quote opened on this line is not closed' : err.reason || 'invalid YAML';
  return `YAML syntax error: ${reason}. Fix this line; the rest of the file is checked as far as it parses.`;
}

interface LineSpan { start: number; end: number }

function trimmedLine(text: string, line: LineSpan): { start: number; end: number } {
  const content = text.slice(line.start, line.end);
  const start = line.start + (content.length - content.trimStart().length);
  return { start, end: Math.max(start, line.start + content.trimEnd().length) };
}

const DANGLING = /^( *)[^\s#:\-?[{"'|>&*!%@`][^:#]*$/;

/**
 * A half-typed line (`    ex` above `    cmd: ...`) makes js-yaml fail on the NEXT line. When the
 * line before the error is a bare word at the same indentation, it is the one to blame.
 */
function danglingLineBefore(text: string, errorLine: LineSpan): LineSpan | undefined {
  const errorIndent = /^ */.exec(text.slice(errorLine.start, errorLine.end))?.[0].length ?? 0;
  for (let start = previousLineStart(text, errorLine.start), n = 0; errorLine.start > 0 && n < 50; n++) {
    const end = lineEnd(text, start);
    const line = text.slice(start, end).replace(/\r$/, '');
    if (line.trim() !== '' && !line.trimStart().startsWith('#')) {
      const m = DANGLING.exec(line);
      return m && m[1].length === errorIndent ? { start, end } : undefined;
    }
    if (start === 0) return undefined;
    start = previousLineStart(text, start);
  }
  return undefined;
}

/** A line where a quoted scalar starts (after `key:`, `-`, `[`, `{` or `,`) and does not end. */
const OPENS_DOUBLE = /(?:^\s*|[:?-]\s+|[[{,]\s*)"(?:[^"\\]|\\.)*$/;
const OPENS_SINGLE = /(?:^\s*|[:?-]\s+|[[{,]\s*)'(?:[^']|'')*$/;
const MAX_QUOTE_LOOKBACK = 200;

/**
 * js-yaml reads an unclosed quote up to the next quote character, maybe many lines later, and
 * fails there. Look back from the error for a line that opens a quoted scalar without closing it,
 * unless a line in between closes one (then the quote was really multi-line).
 */
function unclosedQuoteLine(text: string, at: number): LineSpan | undefined {
  let start = text.lastIndexOf('\n', Math.max(0, at - 1)) + 1;
  for (let n = 0; n < MAX_QUOTE_LOOKBACK; n++) {
    const end = lineEnd(text, start);
    const line = text.slice(start, end).replace(/\r$/, '');
    if (OPENS_DOUBLE.test(line) || OPENS_SINGLE.test(line)) return { start, end };
    const doubles = line.replace(/\\./g, '').split('"').length - 1;
    if (n > 0 && doubles % 2 === 1) return undefined;
    if (start === 0) return undefined;
    start = previousLineStart(text, start);
  }
  return undefined;
}

type Opener = 'flow' | '"' | "'";

/** Errors that js-yaml reports where a construct ends (often the end of the file), not where it opened. */
function openerKind(reason: string): Opener | undefined {
  if (/flow collection/.test(reason)) return 'flow';
  if (/double quoted/.test(reason)) return '"';
  if (/single quoted/.test(reason)) return "'";
  return undefined;
}

/** The nearest line at or before `at` that leaves a flow collection or a quoted scalar open. */
function unclosedLine(text: string, at: number, opener: Opener): LineSpan | undefined {
  let start = text.lastIndexOf('\n', Math.max(0, at - 1)) + 1;
  for (let n = 0; n < 200; n++) {
    const end = lineEnd(text, start);
    const line = text.slice(start, end);
    let open = false;
    if (opener === 'flow') {
      const content = line.replace(/"(?:[^"\\]|\\.)*"|'[^']*'|(^|\s)#.*$/g, '');
      let depth = 0;
      for (const ch of content) depth += ch === '[' || ch === '{' ? 1 : ch === ']' || ch === '}' ? -1 : 0;
      open = depth > 0;
    } else {
      const quotes = line.replace(opener === '"' ? /\\./g : /''/g, '').split(opener).length - 1;
      open = quotes % 2 === 1;
    }
    if (open) return { start, end };
    if (start === 0) return undefined;
    start = previousLineStart(text, start);
  }
  return undefined;
}

/** Start of the line before the line starting at `start` (> 0). */
function previousLineStart(text: string, start: number): number {
  return start >= 2 ? text.lastIndexOf('\n', start - 2) + 1 : 0;
}

function lineEnd(text: string, at: number): number {
  const nl = text.indexOf('\n', at);
  if (nl < 0) return text.length;
  return nl > at && text.charCodeAt(nl - 1) === 13 /* \r */ ? nl - 1 : nl;
}

/** The line holding the error, or the nearest non-blank line before it (an unclosed bracket reports at EOF). */
function lineToBlank(text: string, at: number): LineSpan | undefined {
  let start = text.lastIndexOf('\n', at - 1) + 1;
  for (;;) {
    const end = lineEnd(text, start);
    if (text.slice(start, end).trim() !== '') return { start, end };
    if (start === 0) return undefined;
    start = previousLineStart(text, start);
  }
}

function buildTree(source: string): { root: YamlNode | undefined; hasAnchors: boolean } {
  // Parallel stacks rather than a frame object per node, and a children list only for nodes that
  // have children: most nodes are scalars, and the garbage of a parse sets the server's memory peak.
  const opens: number[] = [];
  const childLists: (YamlNode[] | undefined)[] = [];
  const anchors = new Map<string, YamlNode>();
  let hasAnchors = false;
  let root: YamlNode | undefined;
  const listener = (event: 'open' | 'close', state: ListenerState): void => {
    if (event === 'open') {
      opens.push(state.position);
      childLists.push(undefined);
      return;
    }
    const open = opens.pop();
    if (open === undefined) return;
    const node = makeNode(source, { open, children: childLists.pop() ?? NO_CHILDREN }, state, anchors);
    if (!node) return;
    if (node.kind === 'alias' || anchors.size > 0) hasAnchors = true;
    const parent = childLists.length - 1;
    if (parent < 0) root = node;
    else (childLists[parent] ??= []).push(node);
  };
  jsyaml.load(source, { schema: jsyaml.CORE_SCHEMA, json: true, listener: listener as jsyaml.LoadOptions['listener'] });
  return { root, hasAnchors };
}

const ANCHOR_NAME = /^[&*]([^\s,\[\]{}]+)/;

function makeNode(src: string, frame: Frame, state: ListenerState, anchors: Map<string, YamlNode>): YamlNode | undefined {
  const node = makeBareNode(src, frame, state, anchors);
  if (node && src.charCodeAt(node.start) === 38 /* '&' */) {
    const name = ANCHOR_NAME.exec(src.slice(node.start, node.start + 256))?.[1];
    if (name) anchors.set(name, node);
  }
  return node;
}

function makeBareNode(src: string, frame: Frame, state: ListenerState, anchors: Map<string, YamlNode>): YamlNode | undefined {
  let start = skipSpace(src, frame.open, state.position);
  let end = trimEnd(src, start, state.position);
  if (end <= start) start = end = Math.min(frame.open, src.length); // an empty value stays where it was opened
  // js-yaml wraps some nodes (sequence items, tagged scalars, explicit keys) in a second frame.
  const only = frame.children.length === 1 ? frame.children[0] : undefined;
  if (only && ((only.start === start && only.end === end) || (state.kind !== 'mapping' && state.kind !== 'sequence'))) return only;
  // A block collection ends with its last child, not with the comments js-yaml skipped after it.
  const block = src.charCodeAt(start) !== 123 /* { */ && src.charCodeAt(start) !== 91 /* [ */;
  switch (state.kind) {
    case 'mapping': {
      const pairs = pairUp(src, frame.children);
      const last = pairs[pairs.length - 1];
      return { kind: 'map', start, end: block && last ? Math.max(last.key.end, last.value.end) : end, pairs };
    }
    case 'sequence': {
      const items = block && Array.isArray(state.result) && state.result.length > frame.children.length
        ? withEmptyItems(src, start, end, frame.children) : frame.children.length ? (frame.children as YamlNode[]) : [];
      const last = items[items.length - 1];
      return { kind: 'seq', start, end: block && last ? Math.max(last.end, start + 1) : end, items };
    }
    default:
      if (state.kind === null && src.charCodeAt(start) === 42 /* '*' */) {
        const name = ANCHOR_NAME.exec(src.slice(start, start + 256))?.[1];
        return { kind: 'alias', start, end, target: name ? anchors.get(name) : undefined };
      }
      if (state.kind === null && frame.children.length === 0 && start === end) {
        return { kind: 'scalar', start, end, value: null };
      }
      return { kind: 'scalar', start, end, value: toScalar(state.result) };
  }
}

/** js-yaml reports no node for an empty block item (`-` alone): put a null item after each such dash. */
function withEmptyItems(src: string, start: number, end: number, children: readonly YamlNode[]): YamlNode[] {
  const column = start - (src.lastIndexOf('\n', start - 1) + 1);
  const dashes: number[] = [];
  for (let lineStart = start - column; lineStart <= end; lineStart = src.indexOf('\n', lineStart) + 1 || end + 1) {
    const dash = lineStart + column;
    const after = src.charCodeAt(dash + 1);
    const isItem = src.charCodeAt(dash) === 45 /* - */ && (Number.isNaN(after) || isSpace(after)) && !/\S/.test(src.slice(lineStart, dash));
    if (isItem) dashes.push(dash);
  }
  return dashes.map((dash, i) => children.find((c) => c.start > dash && (i + 1 === dashes.length || c.start < dashes[i + 1]))
    ?? { kind: 'scalar', start: dash + 1, end: dash + 1, value: null });
}

function toScalar(v: unknown): Scalar {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return String(v);
}

/** Mapping children arrive as a flat key, value, key, value... list; a flow key may lack a value. */
function pairUp(src: string, children: readonly YamlNode[]): Pair[] {
  const pairs: Pair[] = [];
  for (let i = 0; i < children.length; i++) {
    const key = children[i];
    const hasValue = i + 1 < children.length && nextSignificant(src, key.end) === 58 /* ':' */;
    if (!hasValue && key.kind === 'scalar' && key.value === null && key.start === key.end) continue;
    const value: YamlNode = hasValue ? children[++i] : { kind: 'scalar', start: key.end, end: key.end, value: null };
    pairs.push({ key, keyText: keyText(src, key), value });
  }
  return pairs;
}

function keyText(src: string, key: YamlNode): string {
  if (key.kind === 'scalar') return key.value === null ? '' : String(key.value);
  return src.slice(key.start, key.end);
}

function nextSignificant(src: string, from: number): number {
  for (let i = from; i < src.length; i++) {
    const c = src.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) continue;
    return c;
  }
  return -1;
}

/** First offset at or after `from` that is not whitespace or a comment, capped at `limit`. */
function skipSpace(src: string, from: number, limit: number): number {
  let i = from;
  while (i < limit) {
    const c = src.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) i++;
    else if (c === 35 /* # */ && (i === 0 || isSpace(src.charCodeAt(i - 1)))) {
      while (i < limit && src.charCodeAt(i) !== 10) i++;
    } else break;
  }
  return Math.min(i, limit);
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

function trimEnd(src: string, start: number, end: number): number {
  let i = Math.min(end, src.length);
  while (i > start && isSpace(src.charCodeAt(i - 1))) i--;
  return i;
}

// ---- incremental re-parse ----

/**
 * Parses `text`, the next version of `prev.text`, by re-parsing only the entry of a block mapping
 * (a top-level section, or one stage) that holds the edit, when that provably gives the same tree
 * as a full parse; otherwise parses everything. This is what keeps a keystroke in a 1,000-stage
 * pipeline cheap. `prev`'s tree is reused: it must not be used afterwards.
 */
export function reparse(prev: ParsedYaml, text: string): ParsedYaml {
  if (prev.problems.length === 0 && !prev.hasAnchors && prev.root && text.length <= MAX_YAML_BYTES) {
    const root = reparseEntry(prev.root, prev.text, text);
    if (root) return { text, root, problems: [], blankedLineStarts: [], hasAnchors: false };
  }
  return parseYaml(text);
}

function reparseEntry(root: YamlNode, old: string, text: string): YamlNode | undefined {
  let pre = 0;
  const shorter = Math.min(old.length, text.length);
  while (pre < shorter && old.charCodeAt(pre) === text.charCodeAt(pre)) pre++;
  let suf = 0;
  while (suf < shorter - pre && old.charCodeAt(old.length - 1 - suf) === text.charCodeAt(text.length - 1 - suf)) suf++;
  const oldEnd = old.length - suf;
  const delta = text.length - old.length;

  // Descend through block mappings to the smallest entry whose lines strictly contain the edit.
  const path: { map: MapNode; index: number }[] = [];
  let segment: { start: number; end: number } | undefined;
  let limit = old.length;
  for (let node: YamlNode = root; node.kind === 'map' && old.charCodeAt(node.start) !== 123 /* '{' */;) {
    const pairs: Pair[] = node.pairs;
    const index = pairs.findIndex((p, i) => p.key.start <= pre && (i + 1 === pairs.length || pairs[i + 1].key.start > oldEnd));
    if (index < 0) break;
    const key = pairs[index].key;
    const start = old.lastIndexOf('\n', key.start - 1) + 1;
    const next = pairs[index + 1];
    const end = next ? old.lastIndexOf('\n', next.key.start - 1) + 1 : limit;
    const keyFirstOnLine = /^ *$/.test(old.slice(start, key.start));
    if (!keyFirstOnLine || !(start < pre && oldEnd < end)) break;
    path.push({ map: node, index });
    segment = { start, end };
    limit = end;
    node = pairs[index].value;
  }
  if (!segment) return undefined;

  const source = text.slice(segment.start, segment.end + delta);
  const keyIndent = path[path.length - 1].map.pairs[path[path.length - 1].index].key.start - segment.start;
  if (!continuesEntry(source, keyIndent)) return undefined;
  let parsed: { root: YamlNode | undefined; hasAnchors: boolean };
  try {
    parsed = buildTree(source);
  } catch {
    return undefined; // a syntax error: the full parse reports it with recovery
  }
  const entry = parsed.root;
  if (parsed.hasAnchors || entry?.kind !== 'map' || entry.pairs.length !== 1 || entry.pairs[0].key.start !== keyIndent) return undefined;

  shift(entry, segment.start);
  const deepest = path[path.length - 1];
  deepest.map.pairs[deepest.index] = entry.pairs[0];
  for (let level = path.length - 1; level >= 0; level--) {
    const { map, index } = path[level];
    for (let i = index + 1; i < map.pairs.length; i++) {
      shift(map.pairs[i].key, delta);
      shift(map.pairs[i].value, delta);
    }
    const last = map.pairs[map.pairs.length - 1];
    map.end = index === map.pairs.length - 1 ? Math.max(last.key.end, last.value.end) : map.end + delta;
  }
  return root;
}

/** Every non-blank, non-comment line after the first is indented deeper than the entry's key. */
function continuesEntry(source: string, keyIndent: number): boolean {
  for (let i = source.indexOf('\n'); i >= 0 && i + 1 < source.length; i = source.indexOf('\n', i + 1)) {
    let j = i + 1;
    while (source.charCodeAt(j) === 32) j++;
    const c = source.charCodeAt(j);
    if (c === 10 || c === 13 || c === 35 /* # */ || Number.isNaN(c)) continue;
    if (j - (i + 1) <= keyIndent || c === 9) return false;
  }
  return true;
}

/** Moves a subtree by `delta` characters (iteratively: trees may be deep). */
function shift(node: YamlNode, delta: number): void {
  if (delta === 0) return;
  const stack: YamlNode[] = [node];
  while (stack.length) {
    const n = stack.pop() as YamlNode;
    n.start += delta;
    n.end += delta;
    if (n.kind === 'map') for (const p of n.pairs) stack.push(p.key, p.value);
    else if (n.kind === 'seq') for (const item of n.items) stack.push(item);
  }
}

// ---- navigation helpers used by the validator and the language features ----

/** Follows an alias to its anchored node (one step: anchors cannot point at later aliases). */
export function deref(node: YamlNode | undefined): YamlNode | undefined {
  return node?.kind === 'alias' ? node.target : node;
}

export function getPair(node: YamlNode | undefined, key: string): Pair | undefined {
  const map = deref(node);
  if (!map || map.kind !== 'map') return undefined;
  for (const p of map.pairs) if (p.keyText === key) return p;
  return undefined;
}

export function getValue(map: YamlNode | undefined, key: string): YamlNode | undefined {
  return getPair(map, key)?.value;
}

export function scalarValue(node: YamlNode | undefined): Scalar | undefined {
  const n = deref(node);
  return n?.kind === 'scalar' ? n.value : undefined;
}

/** True for a number written without a decimal point or exponent (YAML core int). */
export function isIntLiteral(node: YamlNode | undefined, text: string): boolean {
  const n = deref(node);
  if (n?.kind !== 'scalar' || typeof n.value !== 'number' || !Number.isInteger(n.value)) return false;
  const raw = text.slice(n.start, n.end);
  return !/^[-+]?[0-9]*\.|[eE]/.test(raw) || /^[-+]?0x/i.test(raw);
}

export function stringValue(node: YamlNode | undefined): string | undefined {
  const v = scalarValue(node);
  return typeof v === 'string' ? v : undefined;
}

export function numberValue(node: YamlNode | undefined): number | undefined {
  const v = scalarValue(node);
  return typeof v === 'number' ? v : undefined;
}

/** The innermost node whose range holds `offset`, with the chain of pairs leading to it. */
export function nodePath(root: YamlNode | undefined, offset: number): { node: YamlNode; keys: (string | number)[]; pair?: Pair; inKey: boolean }[] {
  const chain: { node: YamlNode; keys: (string | number)[]; pair?: Pair; inKey: boolean }[] = [];
  let node = root;
  const keys: (string | number)[] = [];
  while (node) {
    chain.push({ node, keys: keys.slice(), inKey: false });
    let next: YamlNode | undefined;
    if (node.kind === 'map') {
      for (const p of node.pairs) {
        if (offset >= p.key.start && offset <= p.key.end) {
          chain.push({ node: p.key, keys: [...keys, p.keyText], pair: p, inKey: true });
          return chain;
        }
        if (offset >= p.value.start && offset <= p.value.end && p.value.end > p.value.start) {
          keys.push(p.keyText);
          chain[chain.length - 1].pair = p;
          next = p.value;
          break;
        }
      }
    } else if (node.kind === 'seq') {
      node.items.forEach((item, i) => {
        if (!next && offset >= item.start && offset <= item.end) {
          keys.push(i);
          next = item;
        }
      });
    }
    node = next;
  }
  return chain;
}
