/**
 * The compare page: two runs or more side by side (media/comparePage.js): the params and
 * ingredients that differ, last metric values, and a chart per metric overlaying the runs. While
 * one of them goes, each StoreChanged notification fetches those still going and the charts grow.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { RunDetails, RunDetailsRequest } from '../../../server/src/protocol';
import type { RunRef } from './runPage';
import { errorMessage, LivePages, PageError, PageLoad } from './webviewPage';

type CompareMessage = {
  type: 'compare';
  /** In the order the runs were given (it sets their colours), without those that failed to load. */
  runs: RunDetails[];
  failed: { id: string; message: string }[];
};

/** What the page script receives: `error` when no run could be loaded. */
export type ComparePageMessage = CompareMessage | PageError;

export class ComparePages extends LivePages<RunRef[], CompareMessage> {
  constructor(private readonly client: LanguageClient, extensionUri: vscode.Uri) {
    super(extensionUri, 'mlops.compare', 'comparePage.js');
  }

  /** Opens (or reveals, for the same set of ids in any order) a compare panel for these runs. Rejects with fewer than two. */
  async open(runs: RunRef[]): Promise<vscode.WebviewPanel> {
    const unique = [...new Map(runs.map((r) => [r.id, { pipelineFile: r.pipelineFile, id: r.id }])).values()];
    if (unique.length < 2) throw new Error('Select two runs or more to compare.');
    const key = unique.map((r) => r.id).sort().join(' ');
    return this.show(key, `Compare ${unique.length} runs`, unique);
  }

  protected override async load(refs: RunRef[], shown: CompareMessage | undefined): Promise<PageLoad<CompareMessage>> {
    // An ended run no longer changes: while a sweep's last trial goes, only that one is fetched.
    const ended = new Map((shown?.runs ?? []).filter((d) => d.status !== 'running').map((d) => [d.id, d]));
    const results = await Promise.allSettled(refs.map((ref) => ended.get(ref.id) ?? this.client.sendRequest(RunDetailsRequest, ref)));
    const runs: RunDetails[] = [];
    const failed: CompareMessage['failed'] = [];
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') runs.push(r.value);
      else failed.push({ id: refs[i].id, message: errorMessage(r.reason) });
    });
    if (!runs.length) throw new Error(failed.map((f) => `Run ${f.id.slice(0, 8)}: ${f.message}`).join('\n'));
    // A run that failed to load is not waited for: fetching it again would fail the same way.
    return { message: { type: 'compare', runs, failed }, ended: runs.every((d) => d.status !== 'running') };
  }
}
