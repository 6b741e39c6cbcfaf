/**
 * The "Runs" view: pipeline, then sweep, then run (newest first). A run shows its stage and short
 * id, its status as an icon (a running one spins) and the latest value of its key metric as
 * description (the search metric if its stage reports it, else the stage's first declared metric). It is
 * listed again when the server says runs changed (StoreChangedNotification), never by polling.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { ListRunsRequest, RunItem } from '../../../server/src/protocol';
import { ServerTreeProvider } from '../serverTree';

export class PipelineNode extends vscode.TreeItem {
  constructor(readonly pipelineFile: string, readonly name: string, readonly runs: RunItem[]) {
    super(name, vscode.TreeItemCollapsibleState.Expanded);
    this.id = `pipeline:${pipelineFile}`;
    this.description = vscode.workspace.asRelativePath(pipelineFile);
    this.iconPath = new vscode.ThemeIcon('symbol-event');
    this.resourceUri = vscode.Uri.file(pipelineFile);
    this.contextValue = 'pipeline';
  }
}

export class SweepNode extends vscode.TreeItem {
  constructor(readonly sweepId: string, readonly runs: RunItem[]) {
    super(`sweep ${sweepId.slice(0, 8)}`, vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `sweep:${sweepId}`;
    const done = runs.filter((r) => r.status !== 'running').length;
    this.description = `${runs.length} trial${runs.length === 1 ? '' : 's'}${done < runs.length ? `, ${runs.length - done} running` : ''}`;
    this.iconPath = new vscode.ThemeIcon(done < runs.length ? 'loading~spin' : 'beaker');
    this.contextValue = 'sweep';
  }
}

export class RunNode extends vscode.TreeItem {
  constructor(readonly run: RunItem) {
    super(`${run.stage} · ${run.id.slice(0, 8)}`, vscode.TreeItemCollapsibleState.None);
    this.id = `run:${run.id}`;
    const key = keyMetricOf(run);
    const metric = key ? `${key} ${Number(run.metrics[key].last.toPrecision(4))}` : undefined;
    this.description = [metric, STATUS_TEXT[run.status] + (run.status === 'failed' && run.exitCode !== null ? ` (exit ${run.exitCode})` : '')].filter(Boolean).join(' · ');
    this.iconPath = STATUS_ICONS[run.status];
    this.tooltip = tooltipOf(run);
    // Context menus: run-running (cancel) or run-ended (delete).
    this.contextValue = run.status === 'running' ? 'run-running' : 'run-ended';
  }
}

/** The stage's key metric once the run has logged it, else the first metric it logged. */
export function keyMetricOf(run: RunItem): string | undefined {
  return run.keyMetric !== null && run.keyMetric in run.metrics ? run.keyMetric : Object.keys(run.metrics)[0];
}

type Node = PipelineNode | SweepNode | RunNode;

export class RunsTreeProvider extends ServerTreeProvider<Node> {
  /** The last listing (for the end-to-end tests and commands). */
  runs: RunItem[] = [];

  protected async list(): Promise<{ items: Node[]; problems: string[] }> {
    const { runs, problems } = await this.client.sendRequest(ListRunsRequest, {});
    this.runs = runs;
    const byPipeline = new Map<string, RunItem[]>();
    for (const r of runs) byPipeline.set(r.pipelineFile, [...(byPipeline.get(r.pipelineFile) ?? []), r]);
    return { items: [...byPipeline].map(([file, list]) => new PipelineNode(file, list[0].pipeline, list)), problems };
  }

  protected childrenOf(node: Node): Node[] {
    if (node instanceof PipelineNode) {
      const seen = new Set<string>();
      const children: Node[] = [];
      for (const r of node.runs) {
        if (!r.sweepId) children.push(new RunNode(r));
        else if (!seen.has(r.sweepId)) {
          seen.add(r.sweepId);
          children.push(new SweepNode(r.sweepId, node.runs.filter((x) => x.sweepId === r.sweepId)));
        }
      }
      return children;
    }
    if (node instanceof SweepNode) return node.runs.map((r) => new RunNode(r));
    return [];
  }
}

const STATUS_TEXT: Record<RunItem['status'], string> = {
  running: 'running', completed: 'completed', failed: 'failed', cancelled: 'cancelled', interrupted: 'interrupted',
};

const STATUS_ICONS: Record<RunItem['status'], vscode.ThemeIcon> = {
  running: new vscode.ThemeIcon('loading~spin'),
  completed: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  cancelled: new vscode.ThemeIcon('circle-slash'),
  interrupted: new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground')),
};

function tooltipOf(r: RunItem): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${r.stage}** of ${r.pipeline} · run \`${r.id}\`\n\n`);
  md.appendMarkdown(`${STATUS_TEXT[r.status]}, started ${r.startedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}${r.endedAt ? `, took ${((Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000).toFixed(1)} s` : ''}\n\n`);
  for (const [name, m] of Object.entries(r.metrics)) md.appendMarkdown(`- ${name}: ${Number(m.last.toPrecision(6))} (min ${Number(m.min.toPrecision(6))}, max ${Number(m.max.toPrecision(6))}, ${m.steps} points)\n`);
  md.appendMarkdown(`\nLog: \`${path.join(r.dir, 'log.txt')}\``);
  return md;
}
