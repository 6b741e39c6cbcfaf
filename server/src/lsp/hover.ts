/**
 * Hover in pipeline, params and clusters files: the schema documentation of a key (type, allowed
 * values, default), the meaning of an enum value, and for a name defined elsewhere what it
 * resolves to: `${params.train.lr}` shows "**train.lr** = `0.05` (params.yaml:12)"; a dataset's
 * `snapshot: sha256:...` shows its file count, size and date.
 */
import * as path from 'path';
import { Hover, MarkupKind, Position, Range } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { URI } from 'vscode-uri';
import { describeSnapshot } from '../core/snapshots/browse';
import { ObjectStore } from '../core/snapshots/objectStore';
import { formatBytes } from '../core/units';
import { leavesUnder, paramsIndex } from '../core/validation/paramsIndex';
import { SNAPSHOT_ID } from '../core/validation/pipeline';
import { projectRootOf } from '../core/workspace/workspaceFiles';
import { LineIndex } from '../core/yaml/lineIndex';
import { getValue, stringValue } from '../core/yaml/yamlAst';
import {
  CursorContext, cursorContext, declaredSchemaAt, Reference, referenceAt, schemaMarkdown, trailingComment, valueChoices, writtenValue,
} from './cursorContext';
import { ServerWorkspace } from './serverWorkspace';

export function hover(doc: TextDocument, filePath: string, position: Position, workspace: ServerWorkspace): Hover | null {
  const c = cursorContext(doc.getText(), filePath, doc.offsetAt(position), workspace.context);
  if (!c || c.token.start === c.token.end) return null;
  const ref = referenceAt(c, filePath, workspace.context);
  const markdown = ref ? referenceMarkdown(ref, filePath) : c.at === 'key' ? keyMarkdown(c) : snapshotMarkdown(c, filePath, workspace) ?? valueMarkdown(c);
  if (!markdown) return null;
  const span = ref ?? c.token;
  return { contents: { kind: MarkupKind.Markdown, value: markdown }, range: Range.create(doc.positionAt(span.start), doc.positionAt(span.end)) };
}

/** `snapshot: sha256:...` under a dataset: what the snapshot holds, from its pointer file or the local cache. */
function snapshotMarkdown(c: CursorContext, filePath: string, workspace: ServerWorkspace): string | undefined {
  const id = c.token.value;
  if (c.fileKind !== 'pipeline' || c.path.length !== 3 || c.path[0] !== 'data' || c.path[2] !== 'snapshot' || typeof id !== 'string' || !SNAPSHOT_ID.test(id)) return undefined;
  const root = projectRootOf(filePath, workspace.context);
  const info = describeSnapshot(root, id.slice(7));
  const head = `**Snapshot** \`${id.slice(0, 19)}…\``;
  if (!info.cached && info.files === undefined) return `${head}\n\nNot in the local cache (${path.relative(root, new ObjectStore(root).objectsDir)}). \`mlops pull\` fetches it from the remote.`;
  const facts = [
    info.type === 'file' ? 'a file' : `${info.files} file${info.files === 1 ? '' : 's'}`,
    info.size !== undefined && formatBytes(info.size),
    info.createdAt && `${info.pointers.length ? 'taken' : 'stored'} ${info.createdAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}`,
  ].filter(Boolean).join(' · ');
  const lines = [`${head}: ${facts}`];
  if (info.message) lines.push(`“${info.message}”`);
  if (info.pointers.length) lines.push(`Named by ${info.pointers.map((p) => link(p, path.join(root, p))).join(', ')}.`);
  if (!info.cached) lines.push('Not in the local cache: `mlops pull` fetches it from the remote.');
  return lines.join('\n\n');
}

function keyMarkdown(c: CursorContext): string | undefined {
  if (c.fileKind === 'params' && c.path[0] !== 'search') return paramKeyMarkdown(c);
  const declared = declaredSchemaAt(c.schema, c.path);
  if (!declared) return undefined;
  const docs = schemaMarkdown(c.schema, declared, String(c.path[c.path.length - 1]));
  // A top-level key also says which file format it belongs to.
  return c.path.length === 1 && c.schema.root.title ? `${docs}\n\n---\n*${c.schema.root.title}*` : docs;
}

/** A key of params.yaml is a parameter or a group of them. */
function paramKeyMarkdown(c: CursorContext): string | undefined {
  const key = c.path.join('.');
  const entry = paramsIndex(c.parsed).entries.get(key);
  if (!entry) return undefined;
  if (!entry.leaf) {
    const leaves = leavesUnder(paramsIndex(c.parsed), key);
    return `**${key}**: group of ${leaves.length} parameter${leaves.length === 1 ? '' : 's'}${leaves.length ? `: ${listed(leaves.map((l) => l.slice(key.length + 1)))}` : ''}.`;
  }
  const note = trailingComment(c.parsed.text, entry.pair.key.start);
  return [`**${key}** = \`${writtenValue(c.parsed, entry.pair.value)}\`${entry.type ? ` (${entry.type})` : ''}`, note, `Stages use it as \`\${params.${key}}\` in a cmd, or list \`${key}\` in their params.`]
    .filter(Boolean).join('\n\n');
}

function valueMarkdown(c: CursorContext): string | undefined {
  const last = c.path[c.path.length - 1];
  // A list item shares the documentation of its list.
  const keyPath = typeof last === 'number' ? c.path.slice(0, -1) : c.path;
  const declared = declaredSchemaAt(c.schema, c.path);
  const listDeclared = declaredSchemaAt(c.schema, keyPath);
  if (!declared || !listDeclared) return undefined;
  const keyName = String(keyPath[keyPath.length - 1] ?? '');
  const schema = c.schema.resolve(declared);
  if (schema?.const !== undefined && c.path.length === 1) {
    // `apiVersion: mlops/v1`, `kind: Pipeline`: what the whole document is.
    const root = c.schema.root;
    return [root.title && `**${root.title}**`, root.description, '---', schemaMarkdown(c.schema, listDeclared, keyName, true)].filter(Boolean).join('\n\n');
  }
  const choice = valueChoices(c.schema, declared).find((v) => v.value === c.token.value && v.description);
  if (!choice) return schemaMarkdown(c.schema, listDeclared, keyName);
  return `\`${choice.value}\`: ${choice.description}\n\n---\n\n${schemaMarkdown(c.schema, listDeclared, keyName, true)}`;
}

function referenceMarkdown(ref: Reference, fromFile: string): string {
  const where = path.relative(path.dirname(fromFile), ref.filePath) || path.basename(ref.filePath);
  const target = ref.target;
  const pair = target?.pair;
  const parsed = target?.parsed;
  if (!target) {
    const what = { param: 'parameter', stage: 'stage', cluster: 'cluster', data: 'dataset', file: 'file' }[ref.kind];
    return ref.kind === 'file' ? `**${ref.name}**: not found (${where}).` : `**${ref.name}**: no such ${what} in ${where}.`;
  }
  if (!pair || !parsed) return `**${ref.name}**: ${link(where, target.filePath)}`;
  const line = new LineIndex(parsed.text).positionAt(pair.key.start).line + 1;
  const at = link(`${where}:${line}`, target.filePath, line);
  const field = (key: string): string | undefined => stringValue(getValue(pair.value, key));
  switch (ref.kind) {
    case 'param': {
      if (ref.param && !ref.param.leaf) {
        const leaves = leavesUnder(paramsIndex(parsed), ref.name);
        return `**${ref.name}** is a group of parameters (${at}), not a value: name one of ${listed(leaves)}.`;
      }
      const note = trailingComment(parsed.text, pair.key.start);
      return [`**${ref.name}** = \`${writtenValue(parsed, pair.value)}\` (${at})`, note].filter(Boolean).join('\n\n');
    }
    case 'stage':
      return [`**${ref.name}**: stage run by ${field('executor') ?? 'local'} (${at})`, field('description'), field('cmd') && `\`${field('cmd')}\``].filter(Boolean).join('\n\n');
    case 'cluster':
      return [`**${ref.name}**: cluster \`${field('host') ?? '?'}\` (${at})`, ['account', 'partition', 'container'].map((k) => field(k) && `${k}: \`${field(k)}\``).filter(Boolean).join(' · ')]
        .filter(Boolean).join('\n\n');
    case 'data':
      return [`**${ref.name}**: dataset \`${field('path') ?? '?'}\` (${at})`, field('description')].filter(Boolean).join('\n\n');
    default:
      return `**${ref.name}**: ${at}`;
  }
}

/** A link that opens the file (at a 1-based line). */
function link(label: string, filePath: string, line?: number): string {
  return `[${label}](${URI.file(filePath).toString()}${line ? `#L${line}` : ''})`;
}

function listed(names: string[]): string {
  const shown = names.slice(0, 8).map((n) => `\`${n}\``).join(', ');
  return names.length > 8 ? `${shown}, …` : shown;
}
