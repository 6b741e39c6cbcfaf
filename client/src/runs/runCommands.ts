/**
 * The run commands: Run (a stage, from its code lens or the palette), Run with Overrides..., Run
 * Pipeline, Run Sweep..., Open Run (its page), Compare Runs, Reproduce Run, Cancel Run, Delete Run,
 * Show Run Log, Refresh, and the run page's links (Show Commit, Show Snapshot). Each sends one typed
 * request; the Runs view follows the runs through StoreChanged notifications.
 */
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { LanguageClient } from 'vscode-languageclient/node';
import {
  BackgroundCommandEndedNotification, CancelRunRequest, DeleteRunRequest, DescribeSnapshotRequest, ReproduceRunRequest, RunItem,
  ShowCommitRequest, StartRunRequest, StartSweepRequest,
} from '../../../server/src/protocol';
import { actor } from '../actor';
import { ReadOnlyDocuments } from '../readOnlyDocuments';
import { ComparePages } from './comparePage';
import { RunPages } from './runPage';
import { RunNode, RunsTreeProvider } from './runsView';

/** A run node, or a sweep node (its trials): what Compare Runs takes. */
type RunsOf = { run: RunItem } | { runs: RunItem[] };

export interface RunCommandContext {
  client: LanguageClient;
  tree: RunsTreeProvider;
  pages: RunPages;
  comparePages: ComparePages;
  documents: ReadOnlyDocuments;
  log: vscode.LogOutputChannel;
}

export function registerRunCommands(ctx: RunCommandContext): vscode.Disposable {
  const { client, tree, pages, comparePages, documents, log } = ctx;
  /** Sends a request; a failure becomes an error message (and a log line). Returns whether it succeeded. */
  const attempt = async (what: string, send: () => Promise<unknown>): Promise<boolean> => {
    try {
      await send();
      return true;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log.error(`${what}: ${message}`);
      void vscode.window.showErrorMessage(`MLOps: cannot ${what}: ${message}`);
      return false;
    }
  };
  const pipelineOr = (pipelineFile: string | undefined): string | undefined => {
    const file = pipelineFile ?? activePipeline();
    if (!file) void vscode.window.showErrorMessage('Open a pipeline.yaml (or *.pipeline.yaml) to run it.');
    return file;
  };
  const start = async (pipelineFile: string | undefined, stage: string | undefined, overrides: string[] = []): Promise<boolean> => {
    const file = pipelineOr(pipelineFile);
    if (!file) return false;
    const ok = await attempt(`run ${stage ?? 'the pipeline'}`, () => client.sendRequest(StartRunRequest, { pipelineFile: file, stage, overrides, by: actor() }));
    if (ok) void vscode.commands.executeCommand('mlops.runs.focus');
    return ok;
  };

  return vscode.Disposable.from(
    client.onNotification(BackgroundCommandEndedNotification, ({ command, ok, summary }) => {
      const text = `MLOps ${command}: ${summary}`;
      log.info(text);
      void (ok ? vscode.window.showInformationMessage(text) : vscode.window.showWarningMessage(text));
    }),
    vscode.commands.registerCommand('mlops.openRun', async (node?: RunNode) => {
      if (!node) return undefined;
      return pages.open(node.run.pipelineFile, node.run.id);
    }),
    vscode.commands.registerCommand('mlops.runStage', async (pipelineFile?: string, stage?: string) => {
      const name = stage ?? (await vscode.window.showInputBox({ title: 'MLOps: Run Stage', prompt: 'The stage of the open pipeline to run', placeHolder: 'train' }));
      return name ? start(pipelineFile, name.trim()) : false;
    }),
    vscode.commands.registerCommand('mlops.runPipeline', (pipelineFile?: string) => start(pipelineFile, undefined)),
    vscode.commands.registerCommand('mlops.runStageWithOverrides', async (pipelineFile?: string, stage?: string) => {
      const text = await vscode.window.showInputBox({
        title: `Run ${stage ?? 'stage'} with overrides`, prompt: 'Params to override, as KEY=VALUE separated by spaces (values are YAML: 0.1, true, [a, b])',
        placeHolder: 'train.lr=0.1 train.epochs=60',
        validateInput: (v) => (v.trim().split(/\s+/).every((o) => /^[^=\s]+=\S*$/.test(o)) ? undefined : 'Each override is KEY=VALUE, e.g. train.lr=0.1'),
      });
      if (text === undefined || !text.trim()) return false;
      return start(pipelineFile, stage, text.trim().split(/\s+/));
    }),
    // (pipelineFile, parallel) from a code lens or a test; the palette and the view ask for parallelism.
    vscode.commands.registerCommand('mlops.startSweep', async (target?: string | { pipelineFile: string }, parallel?: number) => {
      const file = pipelineOr(typeof target === 'string' ? target : target?.pipelineFile);
      if (!file) return false;
      const trialsAtOnce = parallel ?? (await pickParallelism());
      if (!trialsAtOnce) return false;
      const ok = await attempt('start the sweep', () => client.sendRequest(StartSweepRequest, { pipelineFile: file, parallel: trialsAtOnce, by: actor() }));
      if (ok) void vscode.commands.executeCommand('mlops.runs.focus');
      return ok;
    }),
    // From the view: the clicked run and the selection, or a sweep (all its trials); else a pick.
    vscode.commands.registerCommand('mlops.compareRuns', async (clicked?: RunsOf, selected?: RunsOf[]) => {
      const nodes = selected?.length ? selected : clicked ? [clicked] : [];
      let chosen: RunItem[] = nodes.flatMap((n) => ('runs' in n ? n.runs : 'run' in n ? [n.run] : []));
      if (chosen.length < 2) chosen = (await pickRuns(tree.runs, chosen)) ?? [];
      if (chosen.length < 2) return undefined;
      return comparePages.open(chosen.map((r) => ({ pipelineFile: r.pipelineFile, id: r.id })));
    }),
    vscode.commands.registerCommand('mlops.reproduceRun', async (node?: RunNode) => {
      if (!node) return false;
      const ok = await vscode.window.showWarningMessage(
        `Reproduce run ${node.run.id.slice(0, 8)} of ${node.run.stage}?`,
        { modal: true, detail: 'Its data snapshots are checked out (a pointer file naming another snapshot is rewritten; uncommitted data changes that are in no snapshot stop it), then its stage runs again with its params as a new run, and each artifact is compared bit for bit.' },
        'Reproduce',
      );
      if (ok !== 'Reproduce') return false;
      return attempt(`reproduce run ${node.run.id.slice(0, 8)}`, () => client.sendRequest(ReproduceRunRequest, { pipelineFile: node.run.pipelineFile, id: node.run.id, by: actor() }));
    }),
    vscode.commands.registerCommand('mlops.cancelRun', async (node?: RunNode) => {
      if (!node) return;
      await attempt(`cancel run ${node.run.id.slice(0, 8)}`, () => client.sendRequest(CancelRunRequest, { pipelineFile: node.run.pipelineFile, id: node.run.id, by: actor() }));
    }),
    vscode.commands.registerCommand('mlops.deleteRun', async (node?: RunNode) => {
      if (!node) return;
      const ok = await vscode.window.showWarningMessage(`Delete run ${node.run.id} of ${node.run.stage}? Its record, metrics and log go; its artifacts stay in the cache until gc.`, { modal: true }, 'Delete');
      if (ok === 'Delete') await attempt(`delete run ${node.run.id.slice(0, 8)}`, () => client.sendRequest(DeleteRunRequest, { pipelineFile: node.run.pipelineFile, id: node.run.id, by: actor() }));
    }),
    vscode.commands.registerCommand('mlops.showRunLog', async (node?: RunNode) => {
      if (!node) return;
      await vscode.window.showTextDocument(vscode.Uri.file(path.join(node.run.dir, 'log.txt')), { preview: true });
    }),
    vscode.commands.registerCommand('mlops.showCommit', async (pipelineFile: string, commit: string) => {
      await attempt(`show commit ${commit.slice(0, 12)}`, async () => {
        const { text } = await client.sendRequest(ShowCommitRequest, { pipelineFile, commit });
        await documents.show(`commit ${commit.slice(0, 12)}.diff`, text, 'diff');
      });
    }),
    vscode.commands.registerCommand('mlops.showSnapshot', async (pipelineFile: string, id: string) => {
      await attempt(`show snapshot ${id.slice(0, 19)}`, async () => {
        const { text } = await client.sendRequest(DescribeSnapshotRequest, { pipelineFile, id });
        await documents.show(`snapshot ${id.slice(7, 19)}.txt`, text, 'plaintext');
      });
    }),
    vscode.commands.registerCommand('mlops.refreshRuns', () => tree.refresh()),
  );
}

function activePipeline(): string | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  return doc && /(^|[\\/])(pipeline|[^\\/]+\.pipeline)\.yaml$/.test(doc.fileName) ? doc.fileName : undefined;
}

async function pickParallelism(): Promise<number | undefined> {
  const cores = Math.max(2, os.availableParallelism());
  const items = Array.from({ length: cores }, (_, i) => ({ label: i === 0 ? '1 trial at a time' : `${i + 1} trials at once`, n: i + 1 }));
  const pick = await vscode.window.showQuickPick(items, { title: 'MLOps: Run Sweep', placeHolder: `How many trials at once? (this machine has ${os.availableParallelism()} cores)` });
  return pick?.n;
}

async function pickRuns(runs: RunItem[], preselected: RunItem[]): Promise<RunItem[] | undefined> {
  const items = runs.map((r) => ({
    label: `${r.stage} · ${r.id.slice(0, 8)}`, description: `${r.status} · ${r.startedAt.replace('T', ' ').replace(/\.\d+Z$/, '')}`,
    detail: r.pipelineFile, picked: preselected.some((p) => p.id === r.id), run: r,
  }));
  const picked = await vscode.window.showQuickPick(items, { title: 'MLOps: Compare Runs', placeHolder: 'Choose two runs or more', canPickMany: true });
  return picked?.map((p) => p.run);
}
