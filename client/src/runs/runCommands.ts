/**
 * The run commands: Run (a stage, from its code lens or the palette), Run with Overrides..., Run
 * Pipeline, Open Run (its page), Cancel Run, Delete Run, Show Run Log, Refresh. Each sends one typed request; the Runs
 * view follows the run through RunsChanged notifications.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { LanguageClient } from 'vscode-languageclient/node';
import { CancelRunRequest, DeleteRunRequest, RunsChangedNotification, StartRunRequest } from '../../../server/src/protocol';
import { RunPages } from './runPage';
import { RunNode, RunsTreeProvider } from './runsView';

export function registerRunCommands(client: LanguageClient, tree: RunsTreeProvider, pages: RunPages, log: vscode.LogOutputChannel): vscode.Disposable {
  const start = async (pipelineFile: string | undefined, stage: string | undefined, overrides: string[] = []): Promise<boolean> => {
    const file = pipelineFile ?? activePipeline();
    if (!file) {
      void vscode.window.showErrorMessage('Open a pipeline.yaml (or *.pipeline.yaml) to run it.');
      return false;
    }
    try {
      await client.sendRequest(StartRunRequest, { pipelineFile: file, stage, overrides });
      void vscode.commands.executeCommand('mlops.runs.focus');
      return true;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log.error(`Run ${stage ?? 'pipeline'} of ${file}: ${message}`);
      void vscode.window.showErrorMessage(`MLOps: cannot run ${stage ?? 'the pipeline'}: ${message}`);
      return false;
    }
  };
  return vscode.Disposable.from(
    client.onNotification(RunsChangedNotification, () => {
      tree.refresh();
      pages.runsChanged();
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
    vscode.commands.registerCommand('mlops.cancelRun', async (node?: RunNode) => {
      if (!node) return;
      await client.sendRequest(CancelRunRequest, { pipelineFile: node.run.pipelineFile, id: node.run.id });
    }),
    vscode.commands.registerCommand('mlops.deleteRun', async (node?: RunNode) => {
      if (!node) return;
      const ok = await vscode.window.showWarningMessage(`Delete run ${node.run.id} of ${node.run.stage}? Its record, metrics and log go; its artifacts stay in the cache until gc.`, { modal: true }, 'Delete');
      if (ok === 'Delete') await client.sendRequest(DeleteRunRequest, { pipelineFile: node.run.pipelineFile, id: node.run.id });
    }),
    vscode.commands.registerCommand('mlops.showRunLog', async (node?: RunNode) => {
      if (!node) return;
      await vscode.window.showTextDocument(vscode.Uri.file(path.join(node.run.dir, 'log.txt')), { preview: true });
    }),
    vscode.commands.registerCommand('mlops.refreshRuns', () => tree.refresh()),
  );
}

function activePipeline(): string | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  return doc && /(^|[\\/])(pipeline|[^\\/]+\.pipeline)\.yaml$/.test(doc.fileName) ? doc.fileName : undefined;
}
