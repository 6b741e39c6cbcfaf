/** Wires the LSP connection to the workspace model and the language features (one file each). */
import {
  Connection, DidChangeConfigurationNotification, FileChangeType, InitializeParams, InitializeResult, TextDocuments, TextDocumentSyncKind,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { POINTER_SUFFIX } from '../core/snapshots/pointerFile';
import { fileKind } from '../core/workspace/workspaceFiles';
import { InitializationOptions, ValidateWorkspaceRequest } from '../protocol';
import { codeActions } from './codeActions';
import { codeLenses } from './codeLens';
import { completions, COMPLETION_TRIGGERS } from './completion';
import { definition } from './definition';
import { DiagnosticsPublisher } from './diagnostics';
import { documentSymbols } from './documentSymbols';
import { guarded } from './guard';
import { hover } from './hover';
import { ServerWorkspace, uriToPath } from './serverWorkspace';
import { registerRegistryRequests } from './registry';
import { registerRunRequests } from './runs';
import { registerSnapshotRequests } from './snapshots';
import { validateWorkspace } from './validateWorkspace';

export function startLanguageServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  const workspace = new ServerWorkspace(documents);
  const diagnostics = new DiagnosticsPublisher(connection, workspace);
  const ours = (uri: string): string | undefined => {
    const p = uriToPath(uri);
    return p && fileKind(p) ? p : undefined;
  };

  let clientSendsFolderChanges = false;
  connection.onInitialize((params: InitializeParams): InitializeResult => {
    clientSendsFolderChanges = params.capabilities.workspace?.workspaceFolders === true;
    workspace.roots = (params.workspaceFolders ?? []).map((f) => uriToPath(f.uri)).filter((p): p is string => !!p);
    if (workspace.roots.length === 0 && params.rootUri) {
      const root = uriToPath(params.rootUri);
      if (root) workspace.roots = [root];
    }
    const options = params.initializationOptions as Partial<InitializationOptions> | undefined;
    diagnostics.enabled = options?.validationEnabled ?? true;
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        completionProvider: { triggerCharacters: COMPLETION_TRIGGERS, resolveProvider: false },
        hoverProvider: true,
        definitionProvider: true,
        documentSymbolProvider: true,
        codeActionProvider: { codeActionKinds: ['quickfix'] },
        codeLensProvider: { resolveProvider: false },
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: 'mlops-workbench', version: typeof MLOPS_VERSION === 'string' ? MLOPS_VERSION : 'dev' },
    };
  });

  connection.onInitialized(() => {
    diagnostics.sendStatus('ready', 'Ready');
    void connection.client.register(DidChangeConfigurationNotification.type, undefined).catch(() => undefined);
    // The event exists only after initialize, for a client that sends it (asking earlier throws).
    if (!clientSendsFolderChanges) return;
    connection.workspace.onDidChangeWorkspaceFolders((e) => {
      const removed = new Set(e.removed.map((f) => uriToPath(f.uri)));
      workspace.roots = workspace.roots.filter((r) => !removed.has(r));
      for (const f of e.added) {
        const p = uriToPath(f.uri);
        if (p) workspace.roots.push(p);
      }
    });
  });

  connection.onDidChangeConfiguration((change) => {
    const enabled = (change.settings as { mlops?: { validation?: { enable?: boolean } } } | undefined)?.mlops?.validation?.enable;
    if (typeof enabled === 'boolean' && enabled !== diagnostics.enabled) {
      diagnostics.enabled = enabled;
      for (const doc of documents.all()) {
        const p = ours(doc.uri);
        if (p) diagnostics.schedule(p);
      }
    }
  });

  documents.onDidChangeContent((e) => {
    const p = ours(e.document.uri);
    if (p) diagnostics.schedule(p);
  });
  documents.onDidClose((e) => {
    const p = ours(e.document.uri);
    if (!p) return;
    diagnostics.closed(p);
    // A closed params/clusters file is read from disk again by the pipelines that use it.
    for (const dependent of workspace.dependentsOf(p)) diagnostics.schedule(dependent);
  });

  connection.onDidChangeWatchedFiles((e) => {
    for (const change of e.changes) {
      const p = uriToPath(change.uri);
      if (!p) continue;
      if (p.endsWith(POINTER_SUFFIX)) {
        // A snapshot was taken, pulled or removed: the pipelines' "not in the local cache" warnings may have changed.
        workspace.forgetExistence();
        for (const doc of documents.all()) {
          const open = ours(doc.uri);
          if (open && fileKind(open) === 'pipeline') diagnostics.schedule(open);
        }
        continue;
      }
      const deleted = change.type === FileChangeType.Deleted;
      workspace.changedOnDisk(p, deleted);
      if (workspace.documentAt(p)) continue; // the editor's buffer wins over the disk
      if (deleted && diagnostics.isTracked(p)) diagnostics.clear(p);
      else if (diagnostics.isTracked(p)) diagnostics.schedule(p);
      for (const dependent of workspace.dependentsOf(p)) diagnostics.schedule(dependent);
    }
  });

  connection.onCompletion(guarded(connection, 'completion', [], (params) => {
    const doc = documents.get(params.textDocument.uri);
    const p = ours(params.textDocument.uri);
    return doc && p ? completions(doc, p, params.position, workspace) : [];
  }));
  connection.onHover(guarded(connection, 'hover', null, (params) => {
    const doc = documents.get(params.textDocument.uri);
    const p = ours(params.textDocument.uri);
    return doc && p ? hover(doc, p, params.position, workspace) : null;
  }));
  connection.onDefinition(guarded(connection, 'definition', null, (params) => {
    const doc = documents.get(params.textDocument.uri);
    const p = ours(params.textDocument.uri);
    return doc && p ? definition(doc, p, params.position, workspace) : null;
  }));
  connection.onDocumentSymbol(guarded(connection, 'document symbols', [], (params) => {
    const doc = documents.get(params.textDocument.uri);
    const p = ours(params.textDocument.uri);
    return doc && p ? documentSymbols(doc, p, workspace) : [];
  }));
  connection.onCodeAction(guarded(connection, 'code actions', [], (params) => (ours(params.textDocument.uri) ? codeActions(params) : [])));
  connection.onRequest(ValidateWorkspaceRequest, async () => validateWorkspace(workspace, diagnostics));
  registerSnapshotRequests(connection, workspace);
  const runs = registerRunRequests(connection, workspace);
  registerRegistryRequests(connection, workspace, runs);
  connection.onShutdown(() => runs.dispose());
  connection.onCodeLens(guarded(connection, 'code lenses', [], (params) => {
    const doc = documents.get(params.textDocument.uri);
    const p = ours(params.textDocument.uri);
    return doc && p ? codeLenses(doc, p, workspace) : [];
  }));

  documents.listen(connection);
  connection.listen();
}

declare const MLOPS_VERSION: string | undefined;
