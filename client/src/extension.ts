/**
 * The extension: thin by design. It starts the language server, shows its state, and forwards
 * commands to it; it never touches the workspace's data itself.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions, ServerOptions, State, TransportKind } from 'vscode-languageclient/node';
import {
  InitializationOptions, ModelItem, ModelVersionItem, RunItem, SERVER_NODE_FLAGS, ServerStatusNotification, StoreChangedNotification, ValidateWorkspaceRequest,
} from '../../server/src/protocol';
import { ReadOnlyDocuments } from './readOnlyDocuments';
import { registerRegistryCommands } from './registry/registryCommands';
import { RegistryTreeProvider, VersionNode } from './registry/registryView';
import { ComparePages } from './runs/comparePage';
import { registerRunCommands } from './runs/runCommands';
import { RunPages } from './runs/runPage';
import { RunNode, RunsTreeProvider } from './runs/runsView';
import { registerSnapshotCommands } from './snapshots/snapshotCommands';
import { SnapshotsRefresher } from './snapshots/snapshotsRefresher';
import { SnapshotsTreeProvider } from './snapshots/snapshotsView';
import { ServerStatusBar } from './statusBar';
import { ViewRefresher } from './viewRefresher';

/** File names the server handles, whatever language id the editor assigned them. */
export const WATCHED_FILES = '**/{pipeline.yaml,*.pipeline.yaml,params.yaml,*.params.yaml,clusters.yaml}';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<MlopsApi> {
  const log = vscode.window.createOutputChannel('MLOps', { log: true });
  const status = new ServerStatusBar();
  context.subscriptions.push(log, status);

  const config = vscode.workspace.getConfiguration('mlops');
  const serverModule = context.asAbsolutePath(path.join('server', 'out', 'server.js'));
  const runtime = config.get<string>('server.nodePath') || undefined;
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.stdio, runtime, options: { execArgv: SERVER_NODE_FLAGS } },
    debug: { module: serverModule, transport: TransportKind.stdio, runtime, options: { execArgv: [...SERVER_NODE_FLAGS, '--nolazy', '--inspect=6009'] } },
  };
  const initializationOptions: InitializationOptions = { validationEnabled: config.get<boolean>('validation.enable', true) };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', pattern: '**/{pipeline,params,clusters}.yaml' },
      { scheme: 'file', pattern: '**/*.{pipeline,params}.yaml' },
    ],
    // Pointer files too: a new snapshot can settle a pipeline's "not in the local cache" warning.
    synchronize: { fileEvents: [vscode.workspace.createFileSystemWatcher(WATCHED_FILES), vscode.workspace.createFileSystemWatcher('**/*.snapshot')], configurationSection: 'mlops' },
    outputChannel: log,
    initializationOptions,
  };
  const languageClient = new LanguageClient('mlops', 'MLOps Language Server', serverOptions, clientOptions);
  client = languageClient;
  context.subscriptions.push(client.onDidChangeState((e) => status.clientState(e.newState)));
  client.onNotification(ServerStatusNotification, (s) => status.update(s));

  const documents = new ReadOnlyDocuments();
  context.subscriptions.push(documents);

  const snapshots = new SnapshotsTreeProvider(languageClient);
  const snapshotsView = vscode.window.createTreeView('mlops.snapshots', { treeDataProvider: snapshots, showCollapseAll: true });
  const refresher = new SnapshotsRefresher(snapshotsView, () => snapshots.refresh());
  context.subscriptions.push(
    snapshotsView,
    refresher,
    snapshots.onDidList((listed) => refresher.watchData(listed)),
    registerSnapshotCommands({ client: languageClient, tree: snapshots, changed: () => refresher.schedule(), log, documents }),
    languageClient.onDidChangeState((e) => {
      if (e.newState === State.Running) refresher.schedule();
    }),
  );

  const runs = new RunsTreeProvider(languageClient);
  const runPages = new RunPages(languageClient, context.extensionUri);
  const comparePages = new ComparePages(languageClient, context.extensionUri);
  // Several runs may be selected: Compare Runs takes the selection.
  const runsView = vscode.window.createTreeView('mlops.runs', { treeDataProvider: runs, showCollapseAll: true, canSelectMany: true });
  context.subscriptions.push(
    runsView,
    // Selecting a run opens its page. (Not a command on the item: the view is refreshed while runs
    // log metrics, and a click could land on an item whose command was just replaced.)
    runsView.onDidChangeSelection((e) => {
      const [node] = e.selection;
      if (e.selection.length === 1 && node instanceof RunNode) void runPages.open(node.run.pipelineFile, node.run.id);
    }),
    runPages,
    comparePages,
    registerRunCommands({ client: languageClient, tree: runs, pages: runPages, comparePages, documents, log }),
  );

  const registry = new RegistryTreeProvider(languageClient);
  const registryView = vscode.window.createTreeView('mlops.registry', { treeDataProvider: registry, showCollapseAll: true });
  // The server already debounces StoreChanged (a burst of writes is one notification).
  const runsRefresher = new ViewRefresher(runsView, () => runs.refresh(), 0);
  const registryRefresher = new ViewRefresher(registryView, () => registry.refresh(), 0);
  context.subscriptions.push(
    registryView,
    runsRefresher,
    registryRefresher,
    registerRegistryCommands({ client: languageClient, tree: registry, documents, log, runs: () => runs.runs }),
    // One handler (a client keeps one per notification): every view and page that shows the store.
    languageClient.onNotification(StoreChangedNotification, () => {
      runsRefresher.schedule();
      runPages.runsChanged();
      comparePages.runsChanged();
      registryRefresher.schedule();
    }),
    languageClient.onDidChangeState((e) => {
      if (e.newState !== State.Running) return;
      runsRefresher.schedule();
      registryRefresher.schedule();
    }),
  );

  context.subscriptions.push(
    vscode.commands.registerCommand('mlops.validateWorkspace', () => validateWorkspaceCommand()),
    vscode.commands.registerCommand('mlops.showOutput', () => log.show(true)),
    vscode.commands.registerCommand('mlops.restartServer', async () => {
      await client?.restart();
      log.info('Language server restarted');
    }),
    vscode.window.registerTreeDataProvider('mlops.welcome', { getTreeItem: (e: vscode.TreeItem) => e, getChildren: () => [] }),
  );

  try {
    await client.start();
    log.info(`Language server started (${runtime ?? 'bundled Node'}): ${serverModule}`);
  } catch (err) {
    status.failed(String(err));
    log.error(`Language server failed to start: ${String(err)}. Check the setting mlops.server.nodePath.`);
    void vscode.window.showErrorMessage(`MLOps language server failed to start: ${String(err)}. Set "mlops.server.nodePath" to a Node.js 20 binary.`, 'Open Settings').then((pick) => {
      if (pick) void vscode.commands.executeCommand('workbench.action.openSettings', 'mlops.server.nodePath');
    });
  }
  return {
    validateWorkspace: () => validateWorkspaceCommand(true),
    snapshotsView: async () => {
      const items = await snapshots.getChildren();
      return items.map((i) => ({ label: String(i.label), description: String(i.description ?? ''), contextValue: i.contextValue }));
    },
    runsView: () => flatten(runs, (node) => (node instanceof RunNode ? { run: node.run } : {})),
    registryView: () => flatten(registry, (node) => (node instanceof VersionNode ? { model: node.model, version: node.version } : {})),
  };
}

/** What the extension exposes to other extensions and to its end-to-end tests. */
/** Every item of a tree, depth first, as the end-to-end tests read it, with what `extra` adds. */
async function flatten<N extends vscode.TreeItem, X>(tree: vscode.TreeDataProvider<N>, extra: (node: N) => X): Promise<(TreeItemText & X)[]> {
  const flat: (TreeItemText & X)[] = [];
  const walk = async (node?: N): Promise<void> => {
    for (const child of (await tree.getChildren(node)) ?? []) {
      flat.push({ label: String(child.label), description: String(child.description ?? ''), contextValue: child.contextValue, ...extra(child) });
      await walk(child);
    }
  };
  await walk();
  return flat;
}

interface TreeItemText { label: string; description: string; contextValue?: string }

export interface MlopsApi {
  validateWorkspace(): Promise<{ files: number; errors: number; warnings: number } | undefined>;
  /** The top-level items of the Snapshots view as it would show them now. */
  snapshotsView(): Promise<{ label: string; description: string; contextValue?: string }[]>;
  /** Every item of the Runs view (pipelines, sweeps, runs), depth first; run items carry their run. */
  runsView(): Promise<(TreeItemText & { run?: RunItem })[]>;
  /** Every item of the Model Registry view (models, versions, requests), depth first; version items carry their model and version. */
  registryView(): Promise<(TreeItemText & { model?: ModelItem; version?: ModelVersionItem })[]>;
}

async function validateWorkspaceCommand(quiet = false): Promise<{ files: number; errors: number; warnings: number } | undefined> {
  if (!client?.isRunning()) {
    void vscode.window.showErrorMessage('The MLOps language server is not running. See the MLOps output channel.');
    return undefined;
  }
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'MLOps: validating workspace...' },
    () => client!.sendRequest(ValidateWorkspaceRequest, {}),
  );
  if (!quiet) {
    const summary = `MLOps: ${result.files} file(s) checked: ${result.errors} error(s), ${result.warnings} warning(s).`;
    if (result.errors || result.warnings) void vscode.commands.executeCommand('workbench.actions.view.problems');
    void vscode.window.showInformationMessage(summary);
  }
  return result;
}

export async function deactivate(): Promise<void> {
  const running = client;
  client = undefined;
  // A server that failed to start cannot be stopped; there is nothing to wait for then.
  if (running?.isRunning()) await running.stop().catch(() => undefined);
}
