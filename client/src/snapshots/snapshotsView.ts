/**
 * The "Snapshots" view: each pointer file of the workspace with its short id, size and file count,
 * expandable into the snapshot's top-level entries; a pointer whose data changed since the
 * snapshot (stale), whose data is missing, or that cannot be read is marked. One class per kind
 * of tree item, as in vscode-docker.
 *
 * Everything comes from the language server (ListSnapshotsRequest, SnapshotEntriesRequest); the
 * view refreshes through SnapshotsRefresher, never by polling.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { formatBytes } from '../../../server/src/core/units';
import { ListSnapshotsRequest, SnapshotEntriesRequest, SnapshotEntry, SnapshotSummary } from '../../../server/src/protocol';
import { ProblemItem, ServerTreeProvider } from '../serverTree';

export class SnapshotItem extends vscode.TreeItem {
  constructor(readonly snapshot: SnapshotSummary) {
    super(labelOf(snapshot), snapshot.type === 'directory' && snapshot.cached ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    const s = snapshot;
    this.id = `snapshot:${s.pointer}`;
    this.resourceUri = vscode.Uri.file(s.pointer);
    const facts = s.id ? [s.id.slice(7, 15), s.size !== undefined ? formatBytes(s.size) : undefined, s.type === 'file' ? undefined : plural(s.files ?? 0, 'file')] : [];
    const mark = STATE_MARKS[s.state] ?? (s.cached === false ? 'not in cache' : undefined);
    this.description = [...facts.filter(Boolean), mark && `(${mark})`].filter(Boolean).join(' · ');
    this.iconPath = iconOf(s);
    this.tooltip = tooltipOf(s);
    // What the context menus offer (package.json `viewItem` clauses): snapshot, snapshot-stale...
    this.contextValue = `snapshot-${s.state}${s.cached === false ? '-uncached' : ''}`;
  }
}

export class SnapshotEntryItem extends vscode.TreeItem {
  constructor(parent: SnapshotSummary, entry: SnapshotEntry) {
    super(entry.name, vscode.TreeItemCollapsibleState.None);
    this.id = `snapshot-entry:${parent.pointer}/${entry.name}`;
    this.description = entry.type === 'directory' ? `${formatBytes(entry.size)} · ${plural(entry.files, 'file')}` : formatBytes(entry.size);
    this.iconPath = entry.type === 'directory' ? vscode.ThemeIcon.Folder : vscode.ThemeIcon.File;
    this.resourceUri = vscode.Uri.file(path.join(parent.dataPath, entry.name));
    this.contextValue = 'snapshot-entry';
  }
}

/** A project that could not be listed, or an expansion that failed: said in the tree itself. */
type Node = SnapshotItem | SnapshotEntryItem;

export class SnapshotsTreeProvider extends ServerTreeProvider<Node> {
  private readonly listed = new vscode.EventEmitter<SnapshotSummary[]>();
  /** Fired after each listing of the pointer files. */
  readonly onDidList = this.listed.event;
  /** The last listing (for commands that pick a snapshot, and for the end-to-end tests). */
  snapshots: SnapshotSummary[] = [];

  protected async list(): Promise<{ items: Node[]; problems: string[] }> {
    const { snapshots, problems } = await this.client.sendRequest(ListSnapshotsRequest, {});
    this.snapshots = snapshots;
    this.listed.fire(snapshots);
    return { items: snapshots.map((s) => new SnapshotItem(s)), problems };
  }

  protected async childrenOf(node: Node): Promise<(Node | ProblemItem)[]> {
    if (!(node instanceof SnapshotItem)) return [];
    try {
      const { entries } = await this.client.sendRequest(SnapshotEntriesRequest, { pointer: node.snapshot.pointer });
      return entries.map((e) => new SnapshotEntryItem(node.snapshot, e));
    } catch (err) {
      return [new ProblemItem(err instanceof Error ? err.message : String(err))];
    }
  }
}

const STATE_MARKS: Partial<Record<SnapshotSummary['state'], string>> = {
  modified: 'changed since snapshot',
  'data-missing': 'data missing',
  error: 'error',
};

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function labelOf(s: SnapshotSummary): string {
  const rel = path.relative(s.root, s.dataPath);
  return rel.split(path.sep).join('/');
}

function iconOf(s: SnapshotSummary): vscode.ThemeIcon {
  switch (s.state) {
    case 'modified':
      return new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
    case 'data-missing':
      return new vscode.ThemeIcon('cloud-download', new vscode.ThemeColor('list.warningForeground'));
    case 'error':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
    default:
      return new vscode.ThemeIcon(s.type === 'file' ? 'file-binary' : 'database');
  }
}

function tooltipOf(s: SnapshotSummary): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${labelOf(s)}**\n\n`);
  if (s.error) md.appendMarkdown(`${escape(s.error)}\n\n`);
  if (s.id) md.appendMarkdown(`\`${s.id}\`\n\n`);
  if (s.size !== undefined) md.appendMarkdown(`${formatBytes(s.size)} in ${plural(s.files ?? 0, 'file')}${s.createdAt ? `, taken ${s.createdAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}` : ''}\n\n`);
  if (s.message) md.appendMarkdown(`“${escape(s.message)}”\n\n`);
  if (s.state === 'modified') md.appendMarkdown(`$(warning) The data changed since this snapshot${s.currentId ? ` (it is now \`${s.currentId.slice(0, 19)}…\`)` : ''}: snapshot it again to record it, or check out the snapshot to restore it.\n\n`);
  if (s.state === 'data-missing') md.appendMarkdown('$(cloud-download) The data is not in the workspace: **Checkout Snapshot** restores it from the cache.\n\n');
  if (s.cached === false) md.appendMarkdown('Not in the local cache: `mlops pull` fetches it from the remote.\n\n');
  return md;
}

function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!<>|]/g, '\\$&');
}
