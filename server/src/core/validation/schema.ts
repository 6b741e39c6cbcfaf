/**
 * A small interpreter for the subset of JSON Schema used by schemas/*.schema.json, working on the
 * position-aware YAML tree so that every problem lands on the exact key or value. The same schema
 * objects feed completion (keys, enums, defaults) and hover (descriptions).
 */
import { deref, isIntLiteral, Pair, YamlNode } from '../yaml/yamlAst';
import { didYouMean, Fix, Problem, replacementFixes, suggestionText } from './problem';

export interface JsonSchema {
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  type?: JsonType | JsonType[];
  title?: string;
  description?: string;
  markdownDescription?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
  enumDescriptions?: string[];
  const?: unknown;
  pattern?: string;
  patternErrorMessage?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  minProperties?: number;
  anyOf?: JsonSchema[];
  default?: unknown;
  examples?: unknown[];
  /** Our stable diagnostic code for a failed `pattern`. */
  'x-code'?: string;
}
export type JsonType = 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean' | 'null';

export class SchemaModel {
  private readonly patterns = new Map<string, RegExp>();
  /** Offsets of lines blanked to recover from syntax errors, during one `validateDocument`. */
  private blanked: number[] = [];

  constructor(readonly root: JsonSchema) {}

  /**
   * Validates a whole document. Where a line was blanked to get past a syntax error, the mapping
   * holding it may have lost a key, so its missing keys are not reported; other mappings are.
   */
  validateDocument(root: YamlNode, text: string, problems: Problem[], blankedLineOffsets: number[] = []): void {
    this.blanked = blankedLineOffsets;
    try {
      this.validate(root, text, problems, '');
    } finally {
      this.blanked = [];
    }
  }

  /** Whether a blanked line lies in the lines of a mapping (after its key, before its next sibling). */
  private lostLines(node: YamlNode, anchor: Pair | undefined, text: string): boolean {
    if (this.blanked.length === 0) return false;
    if (!anchor) return node.start === 0 || this.blanked.some((b) => b >= node.start && b <= node.end);
    const keyLine = text.lastIndexOf('\n', anchor.key.start - 1) + 1;
    const indent = anchor.key.start - keyLine;
    let lineStart = text.indexOf('\n', anchor.key.end) + 1;
    while (lineStart > 0 && lineStart < text.length) {
      const content = /^( *)([^ \r\n])?/.exec(text.slice(lineStart, lineStart + 512));
      const ended = content?.[2] !== undefined && content[2] !== '#' && content[1].length <= indent;
      if (ended && !this.blanked.includes(lineStart)) break;
      if (this.blanked.includes(lineStart)) return true;
      lineStart = text.indexOf('\n', lineStart) + 1;
    }
    return false;
  }

  /** Follows `$ref`s to a concrete schema. */
  resolve(schema: JsonSchema | undefined): JsonSchema | undefined {
    let s = schema;
    for (let i = 0; s?.$ref && i < 16; i++) {
      const name = s.$ref.replace(/^#\/\$defs\//, '');
      s = this.root.$defs?.[name];
    }
    return s;
  }

  /** For an `anyOf` union, the alternative matching the node's shape (or the first one). */
  branchFor(schema: JsonSchema | undefined, node: YamlNode | undefined, text: string): JsonSchema | undefined {
    const s = this.resolve(schema);
    if (!s?.anyOf) return s;
    const t = node ? nodeType(node, text) : undefined;
    const alternatives = s.anyOf.map((a) => this.resolve(a)).filter((a): a is JsonSchema => !!a);
    return alternatives.find((a) => t !== undefined && typeMatches(a, t)) ?? alternatives.find((a) => typeIncludes(a, 'object')) ?? alternatives[0];
  }

  /** The schema of a map's key (a named property, or the schema for any other key). */
  propertySchema(schema: JsonSchema | undefined, key: string): JsonSchema | undefined {
    const s = this.resolve(schema);
    if (!s) return undefined;
    if (s.anyOf) return s.anyOf.map((a) => this.propertySchema(a, key)).find((x) => x);
    if (s.properties && key in s.properties) return s.properties[key];
    if (typeof s.additionalProperties === 'object') return s.additionalProperties;
    return undefined;
  }

  itemSchema(schema: JsonSchema | undefined): JsonSchema | undefined {
    const s = this.resolve(schema);
    if (s?.anyOf) return s.anyOf.map((a) => this.itemSchema(a)).find((x) => x);
    return s?.items;
  }

  /** The schema for a path of keys from the root, e.g. ['stages', 'train', 'resources']. */
  schemaAtPath(path: (string | number)[]): JsonSchema | undefined {
    let s: JsonSchema | undefined = this.root;
    for (const k of path) {
      s = typeof k === 'number' ? this.itemSchema(s) : this.propertySchema(s, k);
      if (!s) return undefined;
    }
    return this.resolve(s);
  }

  /** Properties that can be written in an object schema (union alternatives merged). */
  properties(schema: JsonSchema | undefined): Record<string, JsonSchema> {
    const s = this.resolve(schema);
    if (!s) return {};
    if (s.anyOf) return Object.assign({}, ...s.anyOf.map((a) => this.properties(a)));
    return s.properties ?? {};
  }

  validate(node: YamlNode, text: string, problems: Problem[], where: string, schema: JsonSchema = this.root, anchor?: Pair): void {
    const s = this.branchFor(schema, node, text);
    if (!s || node.kind === 'alias') return; // aliases are checked where their anchor is defined
    const actual = nodeType(node, text);
    if (s.type !== undefined && !typeMatches(s, actual)) {
      if (!(actual === 'null' && node.start === node.end && typeIncludes(s, 'object') && s.required?.length)) {
        problems.push(typeProblem(node, s, actual, where));
        return;
      }
    }
    if (s.const !== undefined && node.kind === 'scalar' && node.value !== s.const) {
      problems.push({ start: node.start, end: node.end, severity: 'error', code: 'invalid-value',
        message: `${where} must be '${String(s.const)}'.`, fixes: replacementFixes(node.start, node.end, [String(s.const)]) });
    }
    if (s.enum && node.kind === 'scalar' && !s.enum.includes(node.value)) {
      const names = s.enum.map(String);
      const suggestions = didYouMean(String(node.value), names);
      problems.push({ start: node.start, end: node.end, severity: 'error', code: 'invalid-enum',
        message: `${where} must be one of ${names.map((n) => `'${n}'`).join(', ')}, not '${String(node.value)}'.${suggestionText(suggestions)}`,
        fixes: replacementFixes(node.start, node.end, suggestions.length ? suggestions : names) });
    }
    const emptyObject = actual === 'null' && typeIncludes(s, 'object');
    if (node.kind === 'map' || emptyObject) this.validateMap(node, text, s, problems, where, anchor);
    else if (node.kind === 'scalar') this.validateScalar(node, s, problems, where);
    else if (node.kind === 'seq') {
      if (s.minItems !== undefined && node.items.length < s.minItems) {
        problems.push({ start: node.start, end: node.end, severity: 'error', code: 'empty', message: `${where} needs at least ${s.minItems} item(s).` });
      }
      const items = s.items;
      if (items) node.items.forEach((item, i) => this.validate(item, text, problems, `${where}[${i}]`, items));
    }
  }

  private validateScalar(node: Extract<YamlNode, { kind: 'scalar' }>, s: JsonSchema, problems: Problem[], where: string): void {
    const v = node.value;
    if (typeof v === 'string' && s.pattern && !this.regex(s.pattern).test(v)) {
      problems.push({ start: node.start, end: node.end, severity: 'error', code: s['x-code'] ?? 'invalid-value',
        message: s.patternErrorMessage ? `${where}: ${s.patternErrorMessage}` : `${where} '${v}' does not match ${s.pattern}.` });
    }
    if (typeof v === 'number') {
      const tooLow = (s.minimum !== undefined && v < s.minimum) || (s.exclusiveMinimum !== undefined && v <= s.exclusiveMinimum);
      const tooHigh = (s.maximum !== undefined && v > s.maximum) || (s.exclusiveMaximum !== undefined && v >= s.exclusiveMaximum);
      if (tooLow || tooHigh) {
        problems.push({ start: node.start, end: node.end, severity: 'error', code: 'out-of-range', message: `${where} is ${v}; it must be ${rangeText(s)}.` });
      }
    }
  }

  private validateMap(node: YamlNode, text: string, s: JsonSchema, problems: Problem[], where: string, anchor?: Pair): void {
    const pairs = node.kind === 'map' ? node.pairs : [];
    const present = new Set<string>();
    const known = Object.keys(s.properties ?? {});
    const written = new Set(pairs.map((p) => p.keyText));
    const unwritten = known.filter((k) => !written.has(k));
    for (const pair of pairs) {
      const key = pair.keyText;
      const path = where ? `${where}.${key}` : key;
      if (present.has(key)) {
        problems.push({ start: pair.key.start, end: pair.key.end, severity: 'error', code: 'duplicate-key',
          message: `Duplicate key '${key}'${where ? ` in ${where}` : ''}: YAML keeps only the last one. Remove or rename it.` });
      }
      present.add(key);
      let child: JsonSchema | undefined = s.properties?.[key];
      if (!child) {
        if (s.additionalProperties === false || s.additionalProperties === undefined && s.properties) {
          const suggestions = didYouMean(key, unwritten);
          problems.push({ start: pair.key.start, end: pair.key.end, severity: 'error', code: 'unknown-key',
            message: `Unknown key '${key}'${where ? ` in ${where}` : ''}.${suggestionText(suggestions)}${suggestions.length ? '' : ` Allowed: ${known.join(', ')}.`}`,
            fixes: replacementFixes(pair.key.start, pair.key.end, suggestions) });
          continue;
        }
        if (typeof s.additionalProperties === 'object') child = s.additionalProperties;
        const names = this.resolve(s.propertyNames);
        if (names?.pattern && !this.regex(names.pattern).test(key)) {
          problems.push({ start: pair.key.start, end: pair.key.end, severity: 'error', code: names['x-code'] ?? 'invalid-name',
            message: `'${key}'${where ? ` in ${where}` : ''}: ${names.patternErrorMessage ?? `must match ${names.pattern}`}.`.replace(/\.\.$/, '.') });
        }
      }
      if (child) this.validate(pair.value, text, problems, path, child, pair);
    }
    const damaged = s.required?.length ? this.lostLines(node, anchor, text) : false;
    for (const req of s.required ?? []) {
      if (present.has(req) || damaged) continue;
      const at = anchor?.key ?? (node.kind === 'map' && node.pairs[0] ? node.pairs[0].key : node);
      problems.push({ start: at.start, end: at.end, severity: 'error', code: 'missing-required',
        message: `${where ? `${where} is missing` : 'Missing'} required key '${req}'. Add it.`,
        fixes: [insertKeyFix(node, anchor, text, req, this.resolve(s.properties?.[req]))] });
    }
    if (s.minProperties !== undefined && pairs.length < s.minProperties && node.kind === 'map') {
      problems.push({ start: (anchor?.key ?? node).start, end: (anchor?.key ?? node).end, severity: 'error', code: 'empty', message: `${where} needs at least ${s.minProperties} entr${s.minProperties === 1 ? 'y' : 'ies'}.` });
    }
  }

  private regex(pattern: string): RegExp {
    let r = this.patterns.get(pattern);
    if (!r) {
      r = new RegExp(pattern, 'u');
      this.patterns.set(pattern, r);
    }
    return r;
  }
}

export function nodeType(node: YamlNode, text: string): JsonType {
  const n = deref(node) ?? node;
  if (n.kind === 'map') return 'object';
  if (n.kind === 'seq') return 'array';
  if (n.kind === 'alias') return 'null';
  const v = n.value;
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return isIntLiteral(n, text) ? 'integer' : 'number';
  return 'string';
}

function typeIncludes(s: JsonSchema, t: JsonType): boolean {
  return Array.isArray(s.type) ? s.type.includes(t) : s.type === t;
}

function typeMatches(s: JsonSchema, actual: JsonType): boolean {
  if (s.type === undefined) return true;
  return typeIncludes(s, actual) || (actual === 'integer' && typeIncludes(s, 'number'));
}

const TYPE_WORDS: Record<JsonType, string> = {
  object: 'a mapping (key: value lines)', array: 'a list', string: 'a string', number: 'a decimal number',
  integer: 'a whole number', boolean: 'true or false', null: 'empty',
};

function typeProblem(node: YamlNode, s: JsonSchema, actual: JsonType, where: string): Problem {
  const expected = (Array.isArray(s.type) ? s.type : [s.type as JsonType]).map((t) => TYPE_WORDS[t]).join(' or ');
  const hint = actual === 'number' && typeIncludes(s, 'integer') ? ' Remove the fraction.'
    : actual !== 'string' && typeIncludes(s, 'string') ? ' Quote the value to make it a string.' : '';
  return { start: node.start, end: Math.max(node.end, node.start), severity: 'error', code: 'wrong-type',
    message: `${where || 'The document'} must be ${expected}, not ${TYPE_WORDS[actual]}.${hint}` };
}

function rangeText(s: JsonSchema): string {
  const parts: string[] = [];
  if (s.minimum !== undefined) parts.push(`at least ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) parts.push(`greater than ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined) parts.push(`at most ${s.maximum}`);
  if (s.exclusiveMaximum !== undefined) parts.push(`less than ${s.exclusiveMaximum}`);
  return parts.join(' and ');
}

/** A value to insert for a missing key: its const, default, first enum value or an empty one of its type. */
export function placeholderFor(s: JsonSchema | undefined): string {
  if (!s) return '""';
  const v = s.const ?? s.default ?? s.enum?.[0];
  if (v !== undefined) return typeof v === 'string' ? v : JSON.stringify(v);
  const t = Array.isArray(s.type) ? s.type[0] : s.type;
  if (t === 'array') return '[]';
  if (t === 'object') return '{}';
  if (t === 'integer' || t === 'number') return '0';
  if (t === 'boolean') return 'true';
  return '""';
}

/** Inserts `key: value` as a new last line of a block mapping (or after the key that holds it). */
export function insertKeyFix(node: YamlNode, anchor: Pair | undefined, text: string, key: string, s: JsonSchema | undefined): Fix {
  const line = `${key}: ${placeholderFor(s)}`;
  const title = `Add '${key}'`;
  if (node.kind === 'map' && text[node.start] === '{') {
    const at = text.lastIndexOf('}', node.end);
    const before = text.slice(node.start + 1, at).trim() ? ', ' : ' ';
    return { title, edits: [{ start: at, end: at, newText: `${before}${line} ` }] };
  }
  if (node.kind === 'map' && node.pairs.length > 0) {
    const first = node.pairs[0].key;
    const indent = first.start - (text.lastIndexOf('\n', first.start - 1) + 1);
    const last = node.pairs[node.pairs.length - 1].value;
    const eol = text.indexOf('\n', Math.max(last.end, node.pairs[node.pairs.length - 1].key.end));
    const at = eol < 0 ? text.length : eol;
    return { title, edits: [{ start: at, end: at, newText: `\n${' '.repeat(indent)}${line}` }] };
  }
  if (anchor) {
    const keyLineStart = text.lastIndexOf('\n', anchor.key.start - 1) + 1;
    const indent = anchor.key.start - keyLineStart + 2;
    return { title, edits: [{ start: node.start, end: node.end, newText: `\n${' '.repeat(indent)}${line}` }] };
  }
  return { title, edits: [{ start: 0, end: 0, newText: `${line}\n` }] };
}
