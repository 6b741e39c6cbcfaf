/**
 * When the Snapshots view lists again: a pointer file created, changed or deleted, a file changed in
 * the data of a listed snapshot (it may have become stale), or a command that changed snapshots.
 * Debounced, and only while the view is visible (viewRefresher.ts).
 */
import * as path from 'path';
import * as vscode from 'vscode';
import type { SnapshotSummary } from '../../../server/src/protocol';
import { ViewRefresher } from '../viewRefresher';

const DEBOUNCE_MS = 400;

export class SnapshotsRefresher extends ViewRefresher {
  private dataWatchers: vscode.Disposable[] = [];
  private watchedData = '';

  constructor(view: vscode.TreeView<unknown>, refresh: () => void) {
    super(view, refresh, DEBOUNCE_MS);
    const pointers = vscode.workspace.createFileSystemWatcher('**/*.snapshot');
    this.disposables.push(
      pointers,
      pointers.onDidCreate(() => this.schedule()),
      pointers.onDidChange(() => this.schedule()),
      pointers.onDidDelete(() => this.schedule()),
    );
  }

  /** Watch the data of the snapshots just listed, so that an edit marks its snapshot stale. */
  watchData(snapshots: SnapshotSummary[]): void {
    const key = snapshots.map((s) => `${s.dataPath}:${s.type}`).join('\n');
    if (key === this.watchedData) return;
    this.watchedData = key;
    for (const w of this.dataWatchers) w.dispose();
    this.dataWatchers = snapshots.map((s) => {
      const pattern = s.type === 'file'
        ? new vscode.RelativePattern(vscode.Uri.file(path.dirname(s.dataPath)), path.basename(s.dataPath))
        : new vscode.RelativePattern(vscode.Uri.file(s.dataPath), '**/*');
      const watcher = vscode.workspace.createFileSystemWatcher(pattern);
      return vscode.Disposable.from(watcher, watcher.onDidCreate(() => this.schedule()), watcher.onDidChange(() => this.schedule()), watcher.onDidDelete(() => this.schedule()));
    });
  }

  override dispose(): void {
    super.dispose();
    for (const d of this.dataWatchers) d.dispose();
  }
}
