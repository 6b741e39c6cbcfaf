/**
 * Lists a view again on demand, debounced, and only while it is visible: a hidden view is marked
 * out of date and listed when it shows again (vscode-docker's refresh manager does the same). So a
 * run logging metrics does not make hidden views ask the server, and each ask is a process.
 */
import * as vscode from 'vscode';

export class ViewRefresher implements vscode.Disposable {
  private timer: NodeJS.Timeout | undefined;
  private outOfDate = false;
  protected readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly view: vscode.TreeView<unknown>, private readonly refresh: () => void, private readonly debounceMs: number) {
    this.disposables.push(view.onDidChangeVisibility((e) => {
      if (e.visible && this.outOfDate) this.schedule();
    }));
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
    }, this.debounceMs);
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}
