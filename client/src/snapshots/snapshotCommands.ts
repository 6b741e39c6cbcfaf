/**
 * The snapshot commands: Snapshot Folder (also in the Explorer's context menu), Checkout Snapshot,
 * Compare with Previous Snapshot, Verify Cache, Refresh. Each sends one typed request to the
 * language server; long ones show a cancellable progress notification fed by the server's
 * OperationProgress notifications.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { LanguageClient, ResponseError } from 'vscode-languageclient/node';
import { formatBytes } from '../../../server/src/core/units';
import {
  CheckoutSnapshotRequest, CompareWithPreviousRequest, CreateSnapshotRequest, CreateSnapshotResult, OperationProgressNotification, SnapshotErrorData,
  SnapshotSummary, VerifyCacheRequest,
} from '../../../server/src/protocol';
import { actor } from '../actor';
import { ReadOnlyDocuments } from '../readOnlyDocuments';
import { comparisonTitle, formatComparison } from './comparisonDocument';
import { SnapshotItem, SnapshotsTreeProvider } from './snapshotsView';

/** What the snapshot commands need from the extension. */
export interface SnapshotCommandContext {
  client: LanguageClient;
  tree: SnapshotsTreeProvider;
  /** Ask the view to list again (debounced). */
  changed: () => void;
  log: vscode.LogOutputChannel;
  documents: ReadOnlyDocuments;
}

export function registerSnapshotCommands(ctx: SnapshotCommandContext): vscode.Disposable {
  const progress = new ProgressRouter();
  const commands = new SnapshotCommands(ctx, progress);
  return vscode.Disposable.from(
    vscode.commands.registerCommand('mlops.snapshotFolder', (uri?: vscode.Uri) => commands.snapshot(uri)),
    vscode.commands.registerCommand('mlops.checkoutSnapshot', (item?: SnapshotItem) => commands.checkout(item)),
    vscode.commands.registerCommand('mlops.compareWithPreviousSnapshot', (item?: SnapshotItem) => commands.compareWithPrevious(item)),
    vscode.commands.registerCommand('mlops.verifyCache', () => commands.verify()),
    vscode.commands.registerCommand('mlops.refreshSnapshots', () => ctx.tree.refresh()),
    ctx.client.onNotification(OperationProgressNotification, ({ token, done, total }) => progress.update(token, done, total)),
  );
}

class SnapshotCommands {
  constructor(private readonly ctx: SnapshotCommandContext, private readonly progress: ProgressRouter) {}

  /** Returns the result (the end-to-end tests call the command and check it), undefined when not done. */
  async snapshot(uri?: vscode.Uri): Promise<CreateSnapshotResult | undefined> {
    const client = this.running();
    if (!client) return undefined;
    const target = uri ?? (await vscode.window.showOpenDialog({
      canSelectFolders: true, canSelectFiles: true, canSelectMany: false, openLabel: 'Snapshot',
      title: 'MLOps: Snapshot Folder', defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    }))?.[0];
    if (!target) return undefined;
    const shown = vscode.workspace.asRelativePath(target);
    const result = await this.withProgress(`Snapshotting ${shown}`, (progressToken, token) => client.sendRequest(CreateSnapshotRequest, { path: target.fsPath, progressToken, by: actor() }, token));
    this.ctx.changed();
    if (!result) return undefined;
    const detail = `${result.files} file(s), ${formatBytes(result.size)}, ${result.stored} new object(s) in the cache`;
    this.ctx.log.info(`Snapshot ${result.id} of ${target.fsPath}: ${detail}`);
    void vscode.window.showInformationMessage(`Snapshot ${result.id.slice(0, 15)}… of ${shown}: ${detail}. Commit ${vscode.workspace.asRelativePath(result.pointer)} with git.`, 'Open Pointer File').then((pick) => {
      if (pick) void vscode.window.showTextDocument(vscode.Uri.file(result.pointer));
    });
    return result;
  }

  async checkout(item?: SnapshotItem): Promise<boolean> {
    const client = this.running();
    if (!client) return false;
    const s = item?.snapshot ?? (await this.pick('Check out which snapshot?'));
    if (!s) return false;
    const shown = vscode.workspace.asRelativePath(s.dataPath);
    let localChanges: string | undefined;
    const run = (force: boolean) => this.withProgress(`Checking out ${shown}`, (_p, token) => client.sendRequest(CheckoutSnapshotRequest, { path: s.dataPath, force, by: actor() }, token), (err) => {
      if (force || errorCode(err) !== 'local-changes') return false;
      localChanges = err.message;
      return true;
    });
    let result = await run(false);
    if (!result && localChanges) {
      const discard = 'Discard Changes and Checkout';
      const pick = await vscode.window.showWarningMessage(`${shown} has changes that are in no snapshot.`, { modal: true, detail: localChanges }, discard);
      if (pick !== discard) return false;
      result = await run(true);
    }
    this.ctx.changed();
    if (!result) return false;
    void vscode.window.showInformationMessage(`Checked out ${s.id?.slice(0, 15)}… into ${vscode.workspace.asRelativePath(s.dataPath)}: ${result.written} file(s) written, ${result.removed} removed, ${result.unchanged} unchanged.`);
    return true;
  }

  async compareWithPrevious(item?: SnapshotItem): Promise<void> {
    const client = this.running();
    if (!client) return;
    const s = item?.snapshot ?? (await this.pick('Compare which snapshot with its previous version?'));
    if (!s) return;
    try {
      const comparison = await client.sendRequest(CompareWithPreviousRequest, { pointer: s.pointer });
      const name = path.relative(s.root, s.dataPath);
      await this.ctx.documents.show(comparisonTitle(name, comparison), formatComparison(name, comparison), 'diff');
    } catch (err) {
      this.showError(`Cannot compare ${vscode.workspace.asRelativePath(s.pointer)}`, err);
    }
  }

  async verify(): Promise<{ ok: boolean; objects: number } | undefined> {
    const client = this.running();
    if (!client) return undefined;
    const result = await this.withProgress('Verifying the snapshot cache', (progressToken, token) => client.sendRequest(VerifyCacheRequest, { progressToken }, token));
    if (!result) return undefined;
    const objects = result.projects.reduce((n, p) => n + p.objects, 0);
    const bytes = result.projects.reduce((n, p) => n + p.bytes, 0);
    const bad = result.projects.flatMap((p) => [
      ...p.corrupt.map((c) => `${p.root}: corrupt ${c.object} (${c.reason}${c.detail ? `: ${c.detail}` : ''})`),
      ...p.missing.map((m) => `${p.root}: missing ${m.sha256} (needed by ${m.referencedBy.join(', ')})`),
    ]);
    if (bad.length === 0) {
      void vscode.window.showInformationMessage(`Snapshot cache verified: ${objects} object(s), ${formatBytes(bytes)}, all intact.`);
    } else {
      for (const line of bad) this.ctx.log.error(line);
      void vscode.window.showErrorMessage(`Snapshot cache: ${bad.length} problem(s) among ${objects} object(s). Corrupt objects must be removed and the data snapshotted again; missing ones pulled.`, 'Show Details').then((pick) => {
        if (pick) this.ctx.log.show(true);
      });
    }
    return { ok: bad.length === 0, objects };
  }

  /**
   * Runs a request under a cancellable progress notification. Errors give undefined and are shown
   * (with the file to reveal when the server named one), unless `handled` takes care of them.
   */
  private async withProgress<T>(title: string, send: (progressToken: string, token: vscode.CancellationToken) => Promise<T>, handled?: (err: ResponseError<unknown>) => boolean): Promise<T | undefined> {
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (report, token) => {
      const progressToken = this.progress.start(report);
      try {
        return await send(progressToken, token);
      } catch (err) {
        if (token.isCancellationRequested) {
          void vscode.window.showInformationMessage(`${title}: cancelled. What was already stored stays in the cache.`);
          return undefined;
        }
        if (handled && err instanceof ResponseError && handled(err)) return undefined;
        this.showError(title, err);
        return undefined;
      } finally {
        this.progress.end(progressToken);
      }
    });
  }

  private showError(what: string, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    const file = err instanceof ResponseError ? (err.data as SnapshotErrorData | undefined)?.path : undefined;
    this.ctx.log.error(`${what}: ${message}`);
    void vscode.window.showErrorMessage(`${what}: ${message}`, ...(file ? ['Reveal in Explorer'] : [])).then((pick) => {
      if (pick && file) void vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(file));
    });
  }

  private async pick(title: string): Promise<SnapshotSummary | undefined> {
    const items = this.ctx.tree.snapshots.map((s) => ({ label: path.relative(s.root, s.dataPath), description: s.id?.slice(7, 15), snapshot: s }));
    if (items.length === 0) {
      void vscode.window.showInformationMessage('No snapshots in this workspace yet: use MLOps: Snapshot Folder first.');
      return undefined;
    }
    return (await vscode.window.showQuickPick(items, { title }))?.snapshot;
  }

  private running(): LanguageClient | undefined {
    const client = this.ctx.client;
    if (client.isRunning()) return client;
    void vscode.window.showErrorMessage('The MLOps language server is not running. See the MLOps output channel.');
    return undefined;
  }
}

/** The SnapshotError code the server attached to a failed request. */
function errorCode(err: ResponseError<unknown>): string | undefined {
  return (err.data as SnapshotErrorData | undefined)?.code;
}

/** Routes the server's OperationProgress notifications to the progress notification of their operation. */
class ProgressRouter {
  private next = 0;
  private readonly active = new Map<string, { report: vscode.Progress<{ message?: string; increment?: number }>; fraction: number }>();

  start(report: vscode.Progress<{ message?: string; increment?: number }>): string {
    const token = `op-${++this.next}`;
    this.active.set(token, { report, fraction: 0 });
    return token;
  }

  end(token: string): void {
    this.active.delete(token);
  }

  update(token: string, done: number, total: number): void {
    const op = this.active.get(token);
    if (!op || total <= 0) return;
    // The notification's bar takes increments: report the growth of the done fraction.
    const fraction = Math.min(1, done / total);
    op.report.report({ message: `${done} of ${total}`, increment: (fraction - op.fraction) * 100 });
    op.fraction = fraction;
  }
}
