/**
 * The registry commands: Register Model Version (from a run), Request Promotion, Approve, Reject,
 * Archive, Rollback, Open Model Card, Show Audit Trail. Each sends one typed request with the
 * acting user (`mlops.user`); the view follows through StoreChanged notifications. Approving
 * shows the gate report first: a person signs off knowing what they approve (Art. 14).
 */
import * as vscode from 'vscode';
import { LanguageClient } from 'vscode-languageclient/node';
import {
  ApproveTransitionRequest, AuditEntryItem, AuditTrailRequest, ModelCardRequest, ModelStage, ModelVersionItem, RegisterModelVersionRequest, RejectTransitionRequest, RollbackModelRequest,
  RunItem, TransitionModelVersionRequest,
} from '../../../server/src/protocol';
import { actor } from '../actor';
import { ReadOnlyDocuments } from '../readOnlyDocuments';
import { gateReportText, ModelNode, RegistryTreeProvider, RequestNode, VersionNode } from './registryView';

export interface RegistryCommandContext {
  client: LanguageClient;
  tree: RegistryTreeProvider;
  documents: ReadOnlyDocuments;
  log: vscode.LogOutputChannel;
  /** The runs the Runs view lists (to pick one to register from the palette). */
  runs: () => RunItem[];
}

export function registerRegistryCommands(ctx: RegistryCommandContext): vscode.Disposable {
  const { client, documents, log } = ctx;
  /** Sends a request; a failure becomes an error message (and a log line); undefined then. */
  const attempt = async <T>(what: string, send: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await send();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log.error(`${what}: ${message}`);
      void vscode.window.showErrorMessage(`MLOps: cannot ${what}: ${message}`);
      return undefined;
    }
  };
  const done = (text: string): void => {
    log.info(text);
    void vscode.window.showInformationMessage(text);
  };

  return vscode.Disposable.from(
    vscode.commands.registerCommand('mlops.registerModelVersion', async (node?: { run: RunItem }) => {
      const run = node?.run ?? (await pickRun(ctx.runs()));
      if (!run) return undefined;
      const v = await attempt(`register run ${run.id.slice(0, 8)}`, () => client.sendRequest(RegisterModelVersionRequest, { pipelineFile: run.pipelineFile, runId: run.id, by: actor() }));
      if (!v) return undefined;
      const failing = v.gates.filter((g) => g.verdict !== 'pass').map((g) => g.metric);
      const text = `Registered ${v.model} v${v.version} from run ${run.id.slice(0, 8)}: ${failing.length ? `gates failed (${failing.join(', ')}): it cannot enter Staging or Production` : 'every gate passed'}.`;
      log.info(text);
      void (failing.length ? vscode.window.showWarningMessage(text) : vscode.window.showInformationMessage(text));
      void vscode.commands.executeCommand('mlops.registry.focus');
      return v;
    }),
    // (node, stage, reason) from a test; from the view: asks for the stage and a reason.
    vscode.commands.registerCommand('mlops.requestPromotion', async (given?: VersionNode, stage?: ModelStage, reason?: string) => {
      const node = given ?? (await pickVersion(ctx.tree, 'Promote which version?', (v) => v.stage !== 'Production'));
      if (!node) return undefined;
      const to = stage ?? (await vscode.window.showQuickPick(['Staging', 'Production'].filter((s) => s !== node.version.stage), { title: `Promote ${node.version.model} v${node.version.version} to...` })) as ModelStage | undefined;
      if (!to) return undefined;
      const why = reason ?? (await vscode.window.showInputBox({ title: `Why promote v${node.version.version} to ${to}?`, prompt: 'Recorded with the request and in the audit log' }));
      if (why === undefined) return undefined;
      const r = await attempt(`promote v${node.version.version}`, () => client.sendRequest(TransitionModelVersionRequest, { root: node.model.root, model: node.version.model, version: node.version.version, stage: to, reason: why, by: actor() }));
      if (!r) return undefined;
      done(r.applied
        ? `${r.version.model} v${r.version.version} is now in ${r.version.stage}${r.archived ? ` (v${r.archived.version} archived)` : ''}.`
        : `Promotion of ${r.request.model} v${r.request.version} to ${r.request.toStage} ${r.opened ? 'requested' : 'was already requested'}: ${r.request.approvals.length} of ${r.request.required} approval${r.request.required === 1 ? '' : 's'} so far, from others than ${r.request.requestedBy}.`);
      return r;
    }),
    vscode.commands.registerCommand('mlops.approveTransition', async (node?: RequestNode | VersionNode, reason?: string) => {
      const target = requestOf(node ?? (await pickVersion(ctx.tree, 'Approve the request of which version?', isPending)));
      if (!target) return undefined;
      const { model, version, request } = target;
      if (reason === undefined) {
        const ok = await vscode.window.showWarningMessage(
          `Approve ${version.model} v${version.version} for ${request.toStage}?`,
          { modal: true, detail: `Requested by ${request.requestedBy}${request.reason ? `: “${request.reason}”` : ''}.\n\nGate report:\n${gateReportText(version)}\n\nYour approval is recorded with your name (${actor() ?? 'from git user.email'}) in the audit log.` },
          'Approve',
        );
        if (ok !== 'Approve') return undefined;
      }
      const r = await attempt(`approve request ${request.id.slice(0, 8)}`, () => client.sendRequest(ApproveTransitionRequest, { root: model.root, requestId: request.id, reason, by: actor() }));
      if (!r) return undefined;
      done(r.applied && r.version
        ? `${r.version.model} v${r.version.version} is now in ${r.version.stage}${r.archived ? ` (v${r.archived.version} archived)` : ''}.`
        : `${r.counted ? 'Approved' : 'You had already approved this request; it counts once'}: ${r.request.approvals.length} of ${r.request.required} approvals.`);
      return r;
    }),
    vscode.commands.registerCommand('mlops.rejectTransition', async (node?: RequestNode | VersionNode, reason?: string) => {
      const target = requestOf(node ?? (await pickVersion(ctx.tree, 'Reject the request of which version?', isPending)));
      if (!target) return undefined;
      const why = reason ?? (await vscode.window.showInputBox({ title: `Reject the promotion of v${target.version.version} to ${target.request.toStage}`, prompt: 'Why? (required; recorded in the audit log)', validateInput: (v) => (v.trim() ? undefined : 'A reason is required') }));
      if (!why?.trim()) return undefined;
      const r = await attempt('reject the request', () => client.sendRequest(RejectTransitionRequest, { root: target.model.root, requestId: target.request.id, reason: why, by: actor() }));
      if (r) done(`Rejected the promotion of ${r.request.model} v${r.request.version} to ${r.request.toStage}.`);
      return r;
    }),
    vscode.commands.registerCommand('mlops.archiveModelVersion', async (given?: VersionNode) => {
      const node = given ?? (await pickVersion(ctx.tree, 'Archive which version?', (v) => v.stage !== 'Archived'));
      if (!node) return undefined;
      const ok = await vscode.window.showWarningMessage(`Archive ${node.version.model} v${node.version.version} (now ${node.version.stage})?`, { modal: true }, 'Archive');
      if (ok !== 'Archive') return undefined;
      const r = await attempt(`archive v${node.version.version}`, () => client.sendRequest(TransitionModelVersionRequest, { root: node.model.root, model: node.version.model, version: node.version.version, stage: 'Archived', by: actor() }));
      if (r?.applied) done(`${r.version.model} v${r.version.version} is archived.`);
      return r;
    }),
    vscode.commands.registerCommand('mlops.rollbackModel', async (given?: ModelNode) => {
      const node = given ?? (await pickModel(ctx.tree, 'Roll back which model?'));
      if (!node) return undefined;
      const why = await vscode.window.showInputBox({ title: `Roll ${node.model.name} back to its previous Production version`, prompt: 'Why? (recorded in the audit log)' });
      if (why === undefined) return undefined;
      const r = await attempt(`roll back ${node.model.name}`, () => client.sendRequest(RollbackModelRequest, { root: node.model.root, model: node.model.name, reason: why, by: actor() }));
      if (r) done(`${node.model.name}: v${r.restored.version} is in Production again; v${r.archived.version} is archived.`);
      return r;
    }),
    vscode.commands.registerCommand('mlops.openModelCard', async (given?: VersionNode) => {
      const node = given ?? (await pickVersion(ctx.tree, 'The model card of which version?', () => true));
      if (!node) return undefined;
      const r = await attempt('make the model card', () => client.sendRequest(ModelCardRequest, { root: node.model.root, model: node.version.model, version: node.version.version }));
      if (!r) return undefined;
      const editor = await documents.show(`${node.version.model} v${node.version.version} model card.md`, r.text, 'markdown');
      await vscode.commands.executeCommand('markdown.showPreviewToSide', editor.document.uri);
      return editor;
    }),
    vscode.commands.registerCommand('mlops.showAuditTrail', async (given?: ModelNode | VersionNode) => {
      const node = given ?? (await pickModel(ctx.tree, 'The audit trail of which model?'));
      if (!node) return undefined;
      const entity = 'version' in node ? `model:${node.version.model}/${node.version.version}` : `model:${node.model.name}`;
      const r = await attempt('read the audit log', () => client.sendRequest(AuditTrailRequest, { root: node.model.root, entity }));
      if (!r) return undefined;
      return documents.show(`audit ${entity.replace(/[/:]/g, ' ')}.log`, auditText(entity, r.entries, r.chain), 'log');
    }),
    vscode.commands.registerCommand('mlops.refreshRegistry', () => ctx.tree.refresh()),
  );
}

const isPending = (v: ModelVersionItem): boolean => v.pendingRequests.some((r) => r.status === 'pending');

/** From the palette: a version of the last listing that `fits`. */
async function pickVersion(tree: RegistryTreeProvider, title: string, fits: (v: ModelVersionItem) => boolean): Promise<VersionNode | undefined> {
  const nodes = tree.models.flatMap((m) => m.versions.filter(fits).map((v) => new VersionNode(m, v)));
  const items = nodes.map((node) => ({ label: `${node.version.model} v${node.version.version}`, description: String(node.description), node }));
  if (!items.length) {
    void vscode.window.showInformationMessage(`MLOps: no model version to choose (${title.toLowerCase()}). The Model Registry view lists them.`);
    return undefined;
  }
  return (await vscode.window.showQuickPick(items, { title: `MLOps: ${title}` }))?.node;
}

async function pickModel(tree: RegistryTreeProvider, title: string): Promise<ModelNode | undefined> {
  const items = tree.models.map((m) => new ModelNode(m)).map((node) => ({ label: node.model.name, description: String(node.description), node }));
  if (!items.length) {
    void vscode.window.showInformationMessage('MLOps: no registered model yet.');
    return undefined;
  }
  return (await vscode.window.showQuickPick(items, { title: `MLOps: ${title}` }))?.node;
}

function requestOf(node: RequestNode | VersionNode | undefined): { model: RequestNode['model']; version: RequestNode['version']; request: RequestNode['request'] } | undefined {
  if (node instanceof RequestNode) return node;
  const request = node?.version.pendingRequests.find((r) => r.status === 'pending');
  return node && request ? { model: node.model, version: node.version, request } : undefined;
}

async function pickRun(runs: RunItem[]): Promise<RunItem | undefined> {
  const completed = runs.filter((r) => r.status === 'completed');
  if (!completed.length) {
    void vscode.window.showErrorMessage('No completed run to register: run the training stage first.');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(completed.map((r) => ({ label: `${r.stage} · ${r.id.slice(0, 8)}`, description: r.startedAt.replace('T', ' ').replace(/\.\d+Z$/, ''), detail: r.pipelineFile, run: r })), { title: 'MLOps: Register Model Version', placeHolder: 'The run whose artifact becomes the new version' });
  return pick?.run;
}

function auditText(entity: string, entries: AuditEntryItem[], chain: { ok: boolean; message: string }): string {
  const lines = [`Audit trail of ${entity} (newest first): ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}; ${chain.message}`, ''];
  for (const e of entries) lines.push(`#${e.seq}  ${e.time.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}  ${e.actor}  ${e.action}  ${e.entity}  ${JSON.stringify(e.details)}`);
  return `${lines.join('\n')}\n`;
}
