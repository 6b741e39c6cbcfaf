/**
 * The "Model Registry" view: model, then version (newest first), then its pending requests. A
 * version shows its stage as icon and text, its aliases, whether its gates passed and how far its
 * approval has come. It is listed again when the server says the store changed, never by polling.
 */
import * as vscode from 'vscode';
import { ListModelsRequest, ModelItem, ModelStage, ModelVersionItem, TransitionRequestItem } from '../../../server/src/protocol';
import { ServerTreeProvider } from '../serverTree';

export class ModelNode extends vscode.TreeItem {
  constructor(readonly model: ModelItem) {
    super(model.name, vscode.TreeItemCollapsibleState.Expanded);
    this.id = `model:${model.root}:${model.name}`;
    const production = model.versions.find((v) => v.stage === 'Production');
    this.description = [`${model.versions.length} version${model.versions.length === 1 ? '' : 's'}`, production && `Production v${production.version}`, model.risk === 'high' && 'high risk'].filter(Boolean).join(' · ');
    this.tooltip = `${model.name} (${vscode.workspace.asRelativePath(model.pipelineFile)}): Production needs ${model.approvalsRequired} approval${model.approvalsRequired === 1 ? '' : 's'}`;
    this.accessibilityInformation = { label: `${model.name}, ${this.description}` };
    this.iconPath = new vscode.ThemeIcon('package');
    this.contextValue = 'model';
  }
}

export class VersionNode extends vscode.TreeItem {
  constructor(readonly model: ModelItem, readonly version: ModelVersionItem) {
    const pending = version.pendingRequests.filter((r) => r.status === 'pending');
    super(`v${version.version}`, pending.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
    // A new id once a request is pending: VS Code keeps the expansion state of a known id, and a
    // version that had nothing below it would stay closed over its new request.
    this.id = `version:${model.root}:${model.name}/${version.version}${pending.length ? ':pending' : ''}`;
    const failing = version.gates.filter((g) => g.verdict !== 'pass');
    this.description = [
      version.stage,
      ...version.aliases.map((a) => `@${a}`),
      version.gatesPassed ? undefined : `${failing.length} gate${failing.length === 1 ? '' : 's'} failed`,
      ...pending.map((r) => `→ ${r.toStage}: ${r.approvals.length}/${r.required} approvals`),
    ].filter(Boolean).join(' · ');
    this.iconPath = pending.length ? new vscode.ThemeIcon('bell-dot', new vscode.ThemeColor('list.warningForeground')) : STAGE_ICONS[version.stage];
    this.tooltip = versionTooltip(version);
    // version-<stage>[-pending]: the menus offer what fits (Approve only with a pending request...).
    this.contextValue = `version-${version.stage}${pending.length ? '-pending' : ''}`;
  }
}

export class RequestNode extends vscode.TreeItem {
  constructor(readonly model: ModelItem, readonly version: ModelVersionItem, readonly request: TransitionRequestItem) {
    super(`→ ${request.toStage}: ${request.approvals.length} of ${request.required} approvals`, vscode.TreeItemCollapsibleState.None);
    this.id = `request:${model.root}:${request.id}`;
    this.description = `requested by ${request.requestedBy}${request.approvals.length ? `; approved by ${request.approvals.map((a) => a.approver).join(', ')}` : ''}`;
    this.tooltip = `Request ${request.id}${request.reason ? `: “${request.reason}”` : ''}\nRequested ${request.requestedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')} by ${request.requestedBy}`;
    // Read out what is shown (a plain-text tooltip would otherwise be what a screen reader says).
    this.accessibilityInformation = { label: `${this.label}, ${this.description}` };
    this.iconPath = new vscode.ThemeIcon('git-pull-request');
    this.contextValue = 'request-pending';
  }
}

type Node = ModelNode | VersionNode | RequestNode;

export class RegistryTreeProvider extends ServerTreeProvider<Node> {
  /** The last listing (for the palette's pickers and the end-to-end tests). */
  models: ModelItem[] = [];

  protected async list(): Promise<{ items: Node[]; problems: string[] }> {
    const { models, problems } = await this.client.sendRequest(ListModelsRequest, {});
    this.models = models;
    return { items: models.map((m) => new ModelNode(m)), problems };
  }

  protected childrenOf(node: Node): Node[] {
    if (node instanceof ModelNode) return node.model.versions.map((v) => new VersionNode(node.model, v));
    if (node instanceof VersionNode) return node.version.pendingRequests.filter((r) => r.status === 'pending').map((r) => new RequestNode(node.model, node.version, r));
    return [];
  }
}

const STAGE_ICONS: Record<ModelStage, vscode.ThemeIcon> = {
  None: new vscode.ThemeIcon('circle-outline'),
  Staging: new vscode.ThemeIcon('beaker', new vscode.ThemeColor('charts.yellow')),
  Production: new vscode.ThemeIcon('rocket', new vscode.ThemeColor('testing.iconPassed')),
  Archived: new vscode.ThemeIcon('archive', new vscode.ThemeColor('disabledForeground')),
};

/** The gate report as text: for the tooltip and for the approval's confirmation. */
export function gateReportText(version: ModelVersionItem): string {
  if (!version.gates.length) return 'The pipeline declares no validation gate.';
  return version.gates.map((g) => {
    const bound = [g.min !== undefined && `≥ ${g.min}`, g.max !== undefined && `≤ ${g.max}`].filter(Boolean).join(' and ');
    const value = g.value === null ? 'not reported' : String(Number(g.value.toPrecision(6)));
    return `${g.verdict === 'pass' ? '✓' : '✗'} ${g.metric} ${value} (${bound})${g.stage ? ` from ${g.stage}` : ''}`;
  }).join('\n');
}

/** Names, paths and aliases are text people typed: appended as text, never as Markdown. */
function versionTooltip(v: ModelVersionItem): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendText(`${v.model} v${v.version}: ${v.stage}${v.aliases.length ? ` (${v.aliases.map((a) => `@${a}`).join(', ')})` : ''}\n\n`);
  md.appendText(`Run ${v.runId}, artifact ${v.artifact.path} sha256:${v.artifact.sha256.slice(0, 12)}…, registered by ${v.createdBy}\n\n`);
  md.appendCodeblock(gateReportText(v), 'text');
  return md;
}
