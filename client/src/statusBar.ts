/** The status-bar item: the language server's state and the problem count; a click validates the workspace. */
import * as vscode from 'vscode';
import { State } from 'vscode-languageclient/node';
import type { ServerStatusParams } from '../../server/src/protocol';

export class ServerStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('mlops.status', vscode.StatusBarAlignment.Left, 10);

  constructor() {
    this.item.name = 'MLOps';
    this.item.command = 'mlops.validateWorkspace';
    this.show('$(loading~spin) MLOps', 'MLOps language server starting...');
  }

  clientState(state: State): void {
    if (state === State.Starting) this.show('$(loading~spin) MLOps', 'MLOps language server starting...');
    else if (state === State.Stopped) this.failed('stopped');
  }

  update(s: ServerStatusParams): void {
    if (s.state === 'validating') return this.show('$(loading~spin) MLOps', s.detail);
    if (s.state === 'error') return this.failed(s.detail);
    const text = s.errors || s.warnings ? `$(error) ${s.errors} $(warning) ${s.warnings}` : '$(check)';
    this.show(`${text} MLOps`, `MLOps language server: ready\n${s.detail}\nClick to validate the workspace.`);
  }

  failed(detail: string): void {
    this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
    this.item.command = 'mlops.showOutput';
    this.item.text = '$(error) MLOps';
    this.item.tooltip = `MLOps language server: ${detail}\nClick to open the log.`;
    this.item.show();
  }

  private show(text: string, tooltip: string): void {
    this.item.backgroundColor = undefined;
    this.item.command = 'mlops.validateWorkspace';
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
