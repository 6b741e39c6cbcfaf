/**
 * What the Snapshots, Runs and Model Registry views share: a tree whose items come from the
 * language server, listed again on refresh() (the callers debounce or follow the server's
 * notifications), empty while the server is not running, with a problem of a project shown as an
 * error item rather than hiding the rest.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';

export class ProblemItem extends vscode.TreeItem {
  constructor(message: string) {
    super(message, vscode.TreeItemCollapsibleState.None);
    this.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'));
    this.tooltip = message;
  }
}

export abstract class ServerTreeProvider<N extends vscode.TreeItem> implements vscode.TreeDataProvider<N | ProblemItem> {
  private readonly changed = new vscode.EventEmitter<N | ProblemItem | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(protected readonly client: LanguageClient) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(node: N | ProblemItem): vscode.TreeItem {
    return node;
  }

  async getChildren(node?: N | ProblemItem): Promise<(N | ProblemItem)[]> {
    if (!this.client.isRunning() || node instanceof ProblemItem) return [];
    if (node) return this.childrenOf(node);
    const { items, problems } = await this.list();
    return [...problems.map((p) => new ProblemItem(p)), ...items];
  }

  /** The top-level items, asked of the server, and the projects that could not be listed. */
  protected abstract list(): Promise<{ items: N[]; problems: string[] }>;

  /** The children of an item (a ProblemItem when they cannot be read). */
  protected abstract childrenOf(node: N): (N | ProblemItem)[] | Promise<(N | ProblemItem)[]>;
}
