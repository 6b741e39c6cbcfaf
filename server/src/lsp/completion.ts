/**
 * Completion in pipeline, params and clusters files: the keys the schema allows at the cursor
 * (with their documentation), enum and boolean values, and names defined elsewhere: stages in
 * `needs`, params keys in `${params.…}` and a stage's `params`, clusters, datasets, and in
 * params.yaml the parameters a search space can vary.
 */
import {
  Command, CompletionItem, CompletionItemKind, InsertTextMode, MarkupKind, Position, Range, TextEdit,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { resolveLinks, stagePairs } from '../core/validation/pipeline';
import { ParamsIndex, paramsIndex } from '../core/validation/paramsIndex';
import { readParsed } from '../core/workspace/workspaceFiles';
import { deref, getValue, Pair, ParsedYaml, stringValue } from '../core/yaml/yamlAst';
import {
  CursorContext, cursorContext, declaredSchemaAt, expectsMapping, isStageListItem, samePath, schemaMarkdown, stageOf,
  typeText, valueChoices, writtenValue,
} from './cursorContext';
import { ServerWorkspace } from './serverWorkspace';

export const COMPLETION_TRIGGERS = ['.', ':', '{', '[', ','];

/** Opens the suggestions again after inserting a key or a params group, for its value or members. */
const SUGGEST_AGAIN = Command.create('Suggest', 'editor.action.triggerSuggest');

export function completions(doc: TextDocument, filePath: string, position: Position, workspace: ServerWorkspace): CompletionItem[] {
  const c = cursorContext(doc.getText(), filePath, doc.offsetAt(position), workspace.context);
  if (!c) return [];
  const edits = new EditPlace(doc, c);
  if (c.paramRef) {
    const links = resolveLinks(c.parsed, filePath, workspace.context);
    const params = readParsed(workspace.context, links.paramsPath);
    return params ? paramItems(edits, paramsIndex(params), params, c.paramRef.start, c.paramRef.end, []) : [];
  }
  if (c.at === 'key') return keyItems(c, edits);
  return [...referenceItems(c, edits, filePath, workspace), ...schemaValueItems(c, edits)];
}

/** Where an item's text goes: over the token at the cursor, on its line. */
class EditPlace {
  readonly text: string;
  readonly cursor: number;

  constructor(private readonly doc: TextDocument, private readonly c: CursorContext) {
    this.text = doc.getText();
    this.cursor = c.offset;
  }

  /** Replaces [start, end), or just inserts at the cursor when that span leaves the cursor's line. */
  replace(start: number, end: number, newText: string): TextEdit {
    const offset = this.cursor;
    const oneLine = start <= offset && offset <= end && !this.text.slice(start, end).includes('\n');
    return TextEdit.replace(oneLine ? Range.create(this.doc.positionAt(start), this.doc.positionAt(end)) : Range.create(this.doc.positionAt(offset), this.doc.positionAt(offset)), newText);
  }

  /** Replaces the token, with a space first when the user typed `key:` and nothing after it. */
  value(newText: string): TextEdit {
    const lead = this.text[this.c.token.start - 1] === ':' ? ' ' : '';
    return this.replace(this.c.token.start, this.c.token.end, lead + newText);
  }

  column(offset: number): number {
    return this.doc.positionAt(offset).character;
  }
}

function keyItems(c: CursorContext, edits: EditPlace): CompletionItem[] {
  const container = c.path.slice(0, -1);
  const colonFollows = /^[ \t]*:/.test(edits.text.slice(c.token.end));
  const keyText = (name: string, mapping: boolean): string => {
    if (colonFollows) return name;
    if (mapping && !c.inFlow) return `${name}:\n${' '.repeat(edits.column(c.token.start) + 2)}`;
    return `${name}: `;
  };
  if (c.fileKind === 'params' && samePath(container, ['search', 'space'])) {
    const index = paramsIndex(c.parsed);
    return [...index.entries.values()].filter((e) => e.leaf && !c.siblings.includes(e.key)).map((entry) => {
      const now = writtenValue(c.parsed, entry.pair.value);
      return {
        label: entry.key, kind: CompletionItemKind.Variable, detail: now,
        documentation: { kind: MarkupKind.Markdown, value: `The range to search for \`${entry.key}\` (now \`${now}\`).` },
        textEdit: edits.replace(c.token.start, c.token.end, keyText(entry.key, false)),
      };
    });
  }
  const declared = declaredSchemaAt(c.schema, container);
  const required = new Set(c.schema.resolve(declared)?.required ?? []);
  return Object.entries(c.schema.properties(declared)).filter(([name]) => !c.siblings.includes(name)).map(([name, schema]) => {
    const mapping = expectsMapping(c.schema, [...container, name]);
    const hasChoices = valueChoices(c.schema, schema).length > 0 || name === 'cluster';
    return {
      label: name,
      kind: mapping ? CompletionItemKind.Module : CompletionItemKind.Property,
      detail: typeText(c.schema, schema),
      documentation: { kind: MarkupKind.Markdown, value: schemaMarkdown(c.schema, schema) },
      sortText: `${required.has(name) ? 0 : 1}${name}`,
      textEdit: edits.replace(c.token.start, c.token.end, keyText(name, mapping)),
      insertTextMode: InsertTextMode.asIs,
      command: hasChoices && !colonFollows ? SUGGEST_AGAIN : undefined,
    };
  });
}

function schemaValueItems(c: CursorContext, edits: EditPlace): CompletionItem[] {
  return valueChoices(c.schema, declaredSchemaAt(c.schema, c.path)).map((choice) => ({
    label: choice.value,
    kind: CompletionItemKind.EnumMember,
    detail: choice.isDefault ? 'default' : undefined,
    documentation: choice.description ? { kind: MarkupKind.Markdown, value: choice.description } : undefined,
    textEdit: edits.value(choice.value),
  }));
}

/** Names defined elsewhere that a pipeline value refers to. */
function referenceItems(c: CursorContext, edits: EditPlace, filePath: string, workspace: ServerWorkspace): CompletionItem[] {
  if (c.fileKind !== 'pipeline') return [];
  const p = c.path;
  const root = c.parsed.root;
  if (isStageListItem(p, 'needs')) {
    const self = stageOf(p);
    return stagePairs(root).filter((s) => s.keyText !== self && !c.siblings.includes(s.keyText)).map((stage) => ({
      label: stage.keyText, kind: CompletionItemKind.Reference,
      detail: `stage (${stringValue(getValue(stage.value, 'executor')) ?? 'local'})`,
      documentation: markdownOf([stringValue(getValue(stage.value, 'description')), codeLine(stringValue(getValue(stage.value, 'cmd')))]),
      textEdit: edits.value(stage.keyText),
    }));
  }
  if (isStageListItem(p, 'params')) {
    const links = resolveLinks(c.parsed, filePath, workspace.context);
    const params = readParsed(workspace.context, links.paramsPath);
    // Inside quotes the key starts after the opening one and ends before the closing one.
    const quote = /["']/.test(edits.text[c.token.start] ?? '') ? 1 : 0;
    const keyStart = c.token.start + quote;
    return params ? paramItems(edits, paramsIndex(params), params, keyStart, Math.max(keyStart, c.token.end - quote), c.siblings) : [];
  }
  if (isStageListItem(p, 'deps')) {
    return dataItems(c, edits, 'data.').filter((item) => !c.siblings.includes(item.label));
  }
  if (p.length === 3 && stageOf(p, 'cluster')) {
    const { clusters } = resolveLinks(c.parsed, filePath, workspace.context);
    return [...(clusters ?? new Map<string, Pair>())].map(([name, pair]) => ({
      label: name, kind: CompletionItemKind.Reference,
      detail: stringValue(getValue(pair.value, 'host')),
      documentation: markdownOf(['account', 'partition', 'container'].map((k) => {
        const v = stringValue(getValue(pair.value, k));
        return v && `${k}: \`${v}\``;
      })),
      textEdit: edits.value(name),
    }));
  }
  if (samePath(p, ['monitor', 'drift', 'reference'])) return dataItems(c, edits, '');
  if (p.length === 3 && stageOf(p, 'cmd')) return paramsExpressionStart(c, edits);
  return [];
}

function dataItems(c: CursorContext, edits: EditPlace, prefix: string): CompletionItem[] {
  const data = deref(getValue(c.parsed.root, 'data'));
  if (data?.kind !== 'map') return [];
  return data.pairs.map((entry) => ({
    label: prefix + entry.keyText, kind: CompletionItemKind.File,
    detail: stringValue(getValue(entry.value, 'path')),
    documentation: markdownOf([stringValue(getValue(entry.value, 'description'))]),
    textEdit: edits.value(prefix + entry.keyText),
  }));
}

/** Right after `${` (or `${par`) in a cmd: offer `params.`, then its members. */
function paramsExpressionStart(c: CursorContext, edits: EditPlace): CompletionItem[] {
  const typed = /\$\{\s*([a-z]*)$/.exec(edits.text.slice(c.token.start, c.offset))?.[1];
  if (typed === undefined || !'params.'.startsWith(typed)) return [];
  return [{
    label: 'params.', kind: CompletionItemKind.Module, detail: 'a value from the params file',
    textEdit: edits.replace(c.offset - typed.length, c.offset, 'params.'), command: SUGGEST_AGAIN,
  }];
}

/**
 * The members of the params group typed so far in the dotted key at [keyStart, keyEnd): after
 * `train.` the leaves and groups under train. Leaves close a `${params.` reference with `}`.
 */
function paramItems(edits: EditPlace, index: ParamsIndex, params: ParsedYaml, keyStart: number, keyEnd: number, listed: string[]): CompletionItem[] {
  const cursor = Math.min(Math.max(edits.cursor, keyStart), keyEnd);
  const typed = edits.text.slice(keyStart, cursor);
  const dot = typed.lastIndexOf('.');
  const group = dot < 0 ? '' : typed.slice(0, dot + 1);
  const segmentStart = keyStart + dot + 1;
  const nextDot = edits.text.slice(cursor, keyEnd).indexOf('.');
  const segmentEnd = nextDot < 0 ? keyEnd : cursor + nextDot;
  const inReference = edits.text.slice(keyStart - 7, keyStart) === 'params.';
  const closes = inReference && segmentEnd === keyEnd && !/^\s*\}/.test(edits.text.slice(keyEnd));
  const items: CompletionItem[] = [];
  for (const entry of index.entries.values()) {
    if (!entry.key.startsWith(group) || listed.includes(entry.key)) continue;
    const name = entry.key.slice(group.length);
    if (!name || name.includes('.')) continue;
    const unlisted = entry.leaf ? [] : index.leaves.filter((k) => k.startsWith(`${entry.key}.`) && !listed.includes(k));
    if (!entry.leaf && unlisted.length === 0) continue;
    items.push({
      label: name,
      kind: entry.leaf ? CompletionItemKind.Variable : CompletionItemKind.Module,
      detail: entry.leaf ? writtenValue(params, entry.pair.value) : `group of ${unlisted.length} parameter${unlisted.length === 1 ? '' : 's'}`,
      documentation: entry.leaf ? { kind: MarkupKind.Markdown, value: `\`${entry.key}\` = \`${writtenValue(params, entry.pair.value)}\`` } : undefined,
      textEdit: edits.replace(segmentStart, segmentEnd, entry.leaf ? name + (closes ? '}' : '') : `${name}.`),
      command: entry.leaf ? undefined : SUGGEST_AGAIN,
    });
  }
  return items;
}

function codeLine(code: string | undefined): string | undefined {
  return code && `\`${code.replace(/`/g, "'")}\``;
}

function markdownOf(lines: (string | undefined)[]): { kind: 'markdown'; value: string } | undefined {
  const present = lines.filter((l): l is string => !!l);
  return present.length ? { kind: MarkupKind.Markdown, value: present.join('\n\n') } : undefined;
}
