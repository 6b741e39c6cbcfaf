/**
 * The run page: a webview with the run's four ingredients, params, a chart per metric (uPlot,
 * bundled in media/vendor/, no CDN), artifacts and the end of the log. Strict Content-Security-
 * Policy: scripts and styles only from the extension's media folder, no inline script, no remote
 * content. While the run goes, each RunsChanged notification fetches it again and the charts grow.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { RunDetails, RunDetailsRequest } from '../../../server/src/protocol';

/** What the page script receives (media/runPage.js). */
export type RunPageMessage = { type: 'details'; details: RunDetails } | { type: 'error'; message: string };

export class RunPages implements vscode.Disposable {
  private readonly panels = new Map<string, { panel: vscode.WebviewPanel; pipelineFile: string; ended: boolean }>();

  constructor(private readonly client: LanguageClient, private readonly extensionUri: vscode.Uri) {}

  async open(pipelineFile: string, id: string): Promise<vscode.WebviewPanel> {
    const existing = this.panels.get(id);
    if (existing) {
      existing.panel.reveal();
      return existing.panel;
    }
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    const panel = vscode.window.createWebviewPanel('mlops.run', `Run ${id.slice(0, 8)}`, vscode.ViewColumn.Active, {
      enableScripts: true, localResourceRoots: [media], retainContextWhenHidden: false,
    });
    panel.iconPath = vscode.Uri.joinPath(media, 'mlops.svg');
    panel.webview.html = pageHtml(panel.webview, media);
    const entry = { panel, pipelineFile, ended: false };
    this.panels.set(id, entry);
    panel.onDidDispose(() => this.panels.delete(id));
    // The page asks for its data once its script runs (also after being hidden and shown again).
    panel.webview.onDidReceiveMessage((m: { type?: string }) => {
      if (m?.type === 'ready') void this.update(id);
    });
    return panel;
  }

  /** Runs changed: pages of runs still going fetch their run again. */
  runsChanged(): void {
    for (const [id, entry] of this.panels) if (!entry.ended) void this.update(id);
  }

  private async update(id: string): Promise<void> {
    const entry = this.panels.get(id);
    if (!entry) return;
    let message: RunPageMessage;
    try {
      const details = await this.client.sendRequest(RunDetailsRequest, { pipelineFile: entry.pipelineFile, id });
      entry.ended = details.status !== 'running';
      entry.panel.title = `${details.stage} · ${id.slice(0, 8)}`;
      message = { type: 'details', details };
    } catch (err) {
      message = { type: 'error', message: err instanceof Error ? err.message : String(err) };
    }
    void entry.panel.webview.postMessage(message);
  }

  dispose(): void {
    for (const { panel } of this.panels.values()) panel.dispose();
    this.panels.clear();
  }
}

function pageHtml(webview: vscode.Webview, media: vscode.Uri): string {
  const uri = (...parts: string[]): string => webview.asWebviewUri(vscode.Uri.joinPath(media, ...parts)).toString();
  const csp = [`default-src 'none'`, `script-src ${webview.cspSource}`, `style-src ${webview.cspSource}`, `img-src ${webview.cspSource} data:`, `font-src ${webview.cspSource}`].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${uri('vendor', 'uPlot.min.css')}">
<link rel="stylesheet" href="${uri('runPage.css')}">
<title>Run</title>
</head>
<body>
<main id="page"><p class="muted">Loading the run...</p></main>
<script src="${uri('vendor', 'uPlot.iife.min.js')}"></script>
<script src="${uri('runPage.js')}"></script>
</body>
</html>`;
}
