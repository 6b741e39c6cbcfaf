/**
 * The run page: a webview with the run's four ingredients, params, a chart per metric (uPlot,
 * bundled in media/vendor/, no CDN), artifacts and the end of the log. While the run goes, each
 * StoreChanged notification fetches it again and the charts grow. Its ingredients and log are links
 * the extension opens (the commit, a snapshot, params.json, log.txt).
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { RunDetails, RunDetailsRequest } from '../../../server/src/protocol';
import { errorMessage, LivePages, PageError, PageLink, PageLoad } from './webviewPage';

type RunDetailsMessage = { type: 'details'; details: RunDetails };

/** What the page script receives (media/runPage.js). */
export type RunPageMessage = RunDetailsMessage | PageError;

/** A run, as RunDetailsRequest names it. */
export interface RunRef { pipelineFile: string; id: string }

export class RunPages extends LivePages<RunRef, RunDetailsMessage> {
  constructor(private readonly client: LanguageClient, extensionUri: vscode.Uri) {
    super(extensionUri, 'mlops.run', 'runPage.js');
  }

  async open(pipelineFile: string, id: string): Promise<vscode.WebviewPanel> {
    return this.show(id, `Run ${id.slice(0, 8)}`, { pipelineFile, id });
  }

  protected override async load({ pipelineFile, id }: RunRef): Promise<PageLoad<RunDetailsMessage>> {
    const details = await this.client.sendRequest(RunDetailsRequest, { pipelineFile, id });
    return { message: { type: 'details', details }, ended: details.status !== 'running', title: `${details.stage} · ${id.slice(0, 8)}` };
  }

  /** Only what the page was sent is opened: a link must name this run's commit or one of its snapshots. */
  protected override openLink({ pipelineFile }: RunRef, link: PageLink, shown: RunDetailsMessage | undefined): void {
    const details = shown?.details;
    if (!details) return;
    let opening: Thenable<unknown>;
    if (link.kind === 'commit' && link.commit === details.gitCommit) {
      opening = vscode.commands.executeCommand('mlops.showCommit', pipelineFile, link.commit);
    } else if (link.kind === 'snapshot' && details.data[link.name] === link.id) {
      opening = vscode.commands.executeCommand('mlops.showSnapshot', pipelineFile, link.id);
    } else if (link.kind === 'params' || link.kind === 'log') {
      const file = vscode.Uri.joinPath(vscode.Uri.file(details.dir), link.kind === 'params' ? 'params.json' : 'log.txt');
      opening = vscode.window.showTextDocument(file, { preview: true });
    } else {
      return;
    }
    opening.then(undefined, (err) => void vscode.window.showErrorMessage(`MLOps: cannot open the run's ${link.kind}: ${errorMessage(err)}`));
  }
}
