/**
 * When the Snapshots view lists again: a pointer file created, changed or deleted, a file changed in
 * the data of a listed snapshot (it may have become stale), or a command that changed snapshots.
 * Events are debounced into one listing, and nothing is listed while the view is hidden: it is
 * marked out of date and listed when it shows again (vscode-docker's refresh manager does the same).
 */
import * as path from 'path';
import * as vscode from 'vscode';
import type { SnapshotSummary } from '../../../server/src/protocol';

const DEBOUNCE_MS = 400;

export class SnapshotsRefresher implements vscode.Disposable {
  private timer: NodeJS.Timeout | undefined;
  private outOfDate = false;
  private dataWatchers: vscode.Disposable[] = [];
  private watchedData = '';
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly view: vscode.TreeView<unknown>, private readonly refresh: () => void) {
    const pointers = vscode.workspace.createFileSystemWatcher('**/*.snapshot');
    this.disposables.push(
      pointers,
      pointers.onDidCreate(() => this.schedule()),
      pointers.onDidChange(() => this.schedule()),
      pointers.onDidDelete(() => this.schedule()),
      view.onDidChangeVisibility((e) => {
        if (e.visible && this.outOfDate) this.schedule();
      }),
    );
  }

  /** Ask for a listing soon (several asks in a row make one). */
  schedule(): void {
    if (!this.view.visible) {
      this.outOfDate = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.outOfDate = false;
      this.refresh();
    }, DEBOUNCE_MS);
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

  dispose(): void {
    clearTimeout(this.timer);
    for (const d of [...this.disposables, ...this.dataWatchers]) d.dispose();
  }
}
