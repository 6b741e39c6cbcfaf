/**
 * `mlops registry ...`: registered models and versions, gates, stage transitions with four-eyes
 * approval, rollback, aliases, tags and the Annex IV model card (core/registry/). With --json each
 * prints one JSON document (errors too: `{"error":{code,message,path?}}`, exit code 1); the shapes are
 * those of core/registry/registryJson.ts, which the editor reads. The actor of a change is --by,
 * else MLOPS_USER, else git's user.email (core/audit/actor.ts).
 */
import * as fs from 'fs';
import type { GateResult } from '../core/registry/gates';
import type { ModelRegistry, ModelVersion, RegisteredModel, StageChange, TransitionRequest } from '../core/registry/registry';
import type { Store } from '../core/store/store';
import { resolveActor } from '../core/audit/actor';
import { iso } from '../core/isoTime';
import { findProjectRoot } from '../core/workspace/projectRoot';
import { optionValue, parseArgs, UsageError } from './args';
import { checkOptions, reportErrors, writeWholeFile } from './commandErrors';

/** The registry lines of `mlops --help`. */
export const REGISTRY_HELP = `  mlops registry register --run ID [--name MODEL] [--artifact PATH] [--by USER] [--json]
      Register a completed run's artifact as the next version of a model (default: the pipeline's
      registry.model), with the report of the pipeline's validation gates: each metric is taken from
      the run, the runs of the stages it needs, or the run that evaluated it.
  mlops registry list [--json]
  mlops registry show MODEL [VERSION] [--json]
      The registered models with their versions (stage, aliases, gates, pending requests); one model
      or version with its stage history. VERSION is a number or an alias.
  mlops registry transition MODEL VERSION STAGE [--reason R] [--override-gates] [--by USER] [--json]
      Move a version to None, Staging, Production or Archived. Staging and Production need every
      gate to pass (--override-gates --reason R passes them, except on a high-risk pipeline).
      Production needs registry.approvals approvers other than the requester: a request is opened.
  mlops registry requests [--all] [--json]
  mlops registry approve REQUEST [--reason R] [--by USER] [--json]
  mlops registry reject REQUEST --reason R [--by USER] [--json]
      The pending transition requests (--all: every one); approve one (the last approval needed
      makes the transition, archiving the previous Production version) or reject it.
  mlops registry rollback MODEL [--reason R] [--by USER] [--json]
      Archive the Production version and restore the one that was in Production before it.
  mlops registry alias MODEL VERSION ALIAS [--remove] [--by USER] [--json]
  mlops registry tag MODEL VERSION KEY=VALUE... [--remove KEY] [--by USER] [--json]
      Point an alias (champion, challenger...) at a version, moving it from another; set or remove tags.
  mlops registry card MODEL VERSION [--format md|html] [--out FILE] [--json]
      The version's technical documentation under the nine headings of Annex IV of the EU AI Act.`;

type Out = NodeJS.WritableStream;

export async function registryCommand(argv: string[], out: Out, err: Out): Promise<number> {
  const [sub, ...rest] = argv;
  // --remove takes a KEY for tag and is a flag for alias.
  const valued = new Set(['run', 'name', 'artifact', 'by', 'reason', 'format', 'out', ...(sub === 'tag' ? ['remove'] : [])]);
  const { positionals, options, repeated } = parseArgs(rest, valued);
  const json = options.has('json');
  const root = findProjectRoot(process.cwd());
  const text = (name: string): string | undefined => optionValue(options, name);
  const actor = (): string => resolveActor(root, text('by'));
  const expect = (n: number, usage: string): void => {
    if (positionals.length !== n) throw new UsageError(`usage: ${usage}`);
  };
  const print = (doc: object, line: string): number => {
    out.write(json ? `${JSON.stringify(doc)}\n` : line.endsWith('\n') ? line : `${line}\n`);
    return 0;
  };
  const { historyJson, modelJson, requestJson, transitionJson, versionJson } = await import('../core/registry/registryJson');

  switch (sub) {
    case 'register': {
      checkOptions(options, ['run', 'name', 'artifact', 'by', 'json']);
      expect(0, 'mlops registry register --run ID [--name MODEL] [--artifact PATH]');
      const runId = text('run');
      if (!runId) throw new UsageError('registry register needs --run ID (mlops runs list shows the runs)');
      return withRegistry(root, json, out, err, (registry) => {
        const v = registry.register({ runId, model: text('name'), artifact: text('artifact'), actor: actor() });
        return print(versionJson(v), `Registered ${v.model} version ${v.version}: ${v.artifact.path} (sha256:${v.artifact.sha256.slice(0, 12)}, ${v.artifact.size} B) of run ${v.runId}.\n${gateSummary(v)}`);
      });
    }
    case 'list': {
      checkOptions(options, ['json']);
      expect(0, 'mlops registry list');
      const { Store } = await import('../core/store/store');
      // No database yet: nothing is registered, and listing creates nothing.
      if (!fs.existsSync(Store.pathFor(root))) return print({ models: [] }, NO_MODELS);
      return withRegistry(root, json, out, err, (registry) => {
        const models = registry.listModels();
        return print({ models: models.map(modelJson) }, models.length ? models.map(describeModel).join('\n') : NO_MODELS);
      });
    }
    case 'show': {
      checkOptions(options, ['json']);
      if (positionals.length < 1 || positionals.length > 2) throw new UsageError('usage: mlops registry show MODEL [VERSION]');
      const [model, ref] = positionals;
      return withRegistry(root, json, out, err, (registry) => {
        if (ref === undefined) {
          const m = registry.getModel(model);
          const history = registry.history(m.name);
          return print({ ...modelJson(m), history: history.map(historyJson) }, `${describeModel(m)}\n${history.length ? `history:\n${history.map(historyLine).join('\n')}` : 'No stage changes yet.'}`);
        }
        const v = registry.getVersion(model, ref);
        const history = registry.history(v.model, v.version);
        return print({ ...versionJson(v), history: history.map(historyJson) }, `${describeVersion(v)}\n${history.length ? `history:\n${history.map(historyLine).join('\n')}` : 'No stage changes yet.'}`);
      });
    }
    case 'transition': {
      checkOptions(options, ['by', 'reason', 'override-gates', 'json']);
      expect(3, 'mlops registry transition MODEL VERSION STAGE [--reason R] [--override-gates]');
      const [model, ref, stageArg] = positionals;
      const { MODEL_STAGES } = await import('../core/registry/registry');
      const to = MODEL_STAGES.find((s) => s.toLowerCase() === stageArg.toLowerCase());
      if (!to) throw new UsageError(`'${stageArg}' is not a stage: ${MODEL_STAGES.join(', ')}`);
      const overrideGates = options.has('override-gates');
      if (overrideGates && !text('reason')?.trim()) throw new UsageError('--override-gates needs --reason R (it goes into the audit log)');
      return withRegistry(root, json, out, err, (registry) => {
        const r = registry.transition({ model, version: ref, to, actor: actor(), reason: text('reason'), overrideGates });
        if (!r.applied) {
          const { request: q } = r;
          return print(transitionJson(r),
            `${r.opened ? 'Opened' : 'Already pending:'} request ${q.id}: ${q.model} version ${q.version} to ${q.toStage} needs ${q.required} approval${q.required > 1 ? 's' : ''} by people other than ${q.requestedBy} ` +
            `(${q.approvals.length} so far). They run: mlops registry approve ${q.id} --by THEM`);
        }
        return print(transitionJson(r), `${stageLine(r.version, r.archived)}${r.version.gatesPassed || (to !== 'Staging' && to !== 'Production') ? '' : ' (gates overridden, logged)'}`);
      });
    }
    case 'requests': {
      checkOptions(options, ['all', 'json']);
      expect(0, 'mlops registry requests [--all]');
      const { Store } = await import('../core/store/store');
      if (!fs.existsSync(Store.pathFor(root))) return print({ requests: [] }, 'No transition requests.');
      return withRegistry(root, json, out, err, (registry) => {
        const list = registry.requests({ all: options.has('all') });
        return print({ requests: list.map(requestJson) }, list.length ? list.map(requestLine).join('\n') : options.has('all') ? 'No transition requests.' : 'No pending transition requests (--all shows decided ones).');
      });
    }
    case 'approve': {
      checkOptions(options, ['by', 'reason', 'json']);
      expect(1, 'mlops registry approve REQUEST [--reason R]');
      return withRegistry(root, json, out, err, (registry) => {
        const r = registry.approve({ requestId: positionals[0], actor: actor(), reason: text('reason') });
        const q = r.request;
        const counted = r.counted
          ? `Approved request ${q.id} (${q.approvals.length} of ${q.required}).`
          : `You had already approved request ${q.id}: a second approval by the same person counts once (${q.approvals.length} of ${q.required}).`;
        return print({ request: requestJson(q), applied: r.applied, version: r.version && versionJson(r.version), archived: r.archived && versionJson(r.archived), counted: r.counted },
          `${counted}${r.applied && r.version ? ` ${stageLine(r.version, r.archived)}` : ''}`);
      });
    }
    case 'reject': {
      checkOptions(options, ['by', 'reason', 'json']);
      expect(1, 'mlops registry reject REQUEST --reason R');
      const reason = text('reason');
      if (!reason?.trim()) throw new UsageError('registry reject needs --reason R (the requester and the audit log see it)');
      return withRegistry(root, json, out, err, (registry) => {
        const q = registry.reject({ requestId: positionals[0], actor: actor(), reason });
        return print({ request: requestJson(q) }, `Rejected request ${q.id} (${q.model} version ${q.version} to ${q.toStage}).`);
      });
    }
    case 'rollback': {
      checkOptions(options, ['by', 'reason', 'json']);
      expect(1, 'mlops registry rollback MODEL [--reason R]');
      return withRegistry(root, json, out, err, (registry) => {
        const r = registry.rollback({ model: positionals[0], actor: actor(), reason: text('reason') });
        return print({ restored: versionJson(r.restored), archived: versionJson(r.archived) }, `Rolled back ${r.restored.model}: version ${r.restored.version} is Production again, version ${r.archived.version} is Archived.`);
      });
    }
    case 'alias': {
      checkOptions(options, ['remove', 'by', 'json']);
      expect(3, 'mlops registry alias MODEL VERSION ALIAS [--remove]');
      const [model, ref, alias] = positionals;
      const remove = options.has('remove');
      if (typeof options.get('remove') === 'string') throw new UsageError('registry alias takes --remove without a value: mlops registry alias MODEL VERSION ALIAS --remove');
      return withRegistry(root, json, out, err, (registry) => {
        const v = registry.setAlias({ model, version: ref, alias, actor: actor(), remove });
        return print(versionJson(v), remove ? `Removed the alias ${alias} from ${v.model} version ${v.version}.` : `${alias} now names ${v.model} version ${v.version}.`);
      });
    }
    case 'tag': {
      checkOptions(options, ['remove', 'by', 'json']);
      if (positionals.length < 2) throw new UsageError('usage: mlops registry tag MODEL VERSION KEY=VALUE... [--remove KEY]');
      const [model, ref, ...pairs] = positionals;
      const remove = repeated.get('remove') ?? [];
      if (!pairs.length && !remove.length) throw new UsageError('registry tag needs KEY=VALUE pairs or --remove KEY');
      const set: Record<string, string> = {};
      for (const p of pairs) {
        const eq = p.indexOf('=');
        if (eq <= 0) throw new UsageError(`'${p}' is not KEY=VALUE`);
        set[p.slice(0, eq)] = p.slice(eq + 1);
      }
      return withRegistry(root, json, out, err, (registry) => {
        const v = registry.setTags({ model, version: ref, set, remove, actor: actor() });
        return print(versionJson(v), `Tags of ${v.model} version ${v.version}: ${tagsText(v)}.`);
      });
    }
    case 'card': {
      checkOptions(options, ['format', 'out', 'json']);
      expect(2, 'mlops registry card MODEL VERSION [--format md|html] [--out FILE]');
      const format = text('format') ?? 'md';
      if (format !== 'md' && format !== 'html') throw new UsageError('--format is md or html');
      const outFile = text('out');
      const { modelCard } = await import('../core/registry/modelCard');
      const { render } = await import('../core/registry/cardRender');
      return withRegistry(root, json, out, err, (_registry, store) => {
        const card = render(modelCard(store, positionals[0], positionals[1]), format);
        if (outFile) writeWholeFile(outFile, 'the card', `card.${format}`, (write) => write(card));
        if (json) return print({ format, text: card }, '');
        out.write(outFile ? `Wrote the card to ${outFile} (${format}, ${Buffer.byteLength(card)} bytes).\n` : card);
        return 0;
      });
    }
    default:
      throw new UsageError(sub === undefined
        ? 'registry needs a subcommand: register, list, show, transition, requests, approve, reject, rollback, alias, tag or card'
        : `unknown registry subcommand '${sub}'`);
  }
}

const NO_MODELS = 'No registered models yet: mlops registry register --run ID registers a run\'s model.';

/**
 * Opens the store and the registry for one command. A refusal of the registry (RegistryError), a
 * refused actor or a card that cannot be written is reported like every located error
 * (reportErrors): `{"error":{code,message,path?}}` with --json, the message on stderr, exit code 1.
 */
async function withRegistry(root: string, json: boolean, out: Out, err: Out, fn: (registry: ModelRegistry, store: Store) => number): Promise<number> {
  return reportErrors(json, out, err, async () => {
    const { Store } = await import('../core/store/store');
    const { ModelRegistry } = await import('../core/registry/registry');
    const store = Store.open(root);
    try {
      return fn(new ModelRegistry(store), store);
    } finally {
      store.close();
    }
  });
}

function gateSummary(v: ModelVersion): string {
  if (!v.gates.length) return 'The pipeline has no validation gates.';
  const failing = v.gates.filter((g) => g.verdict !== 'pass').length;
  const head = failing
    ? `Gates: ${failing} of ${v.gates.length} do not pass; version ${v.version} cannot enter Staging or Production.`
    : `Gates: all ${v.gates.length} pass.`;
  return `${head}\n${v.gates.map(gateLine).join('\n')}`;
}

function gateLine(g: GateResult): string {
  const bound = [g.min !== undefined && `>= ${g.min}`, g.max !== undefined && `<= ${g.max}`].filter(Boolean).join(' and ');
  const value = g.value === null ? 'no run reports it' : `${Number(g.value.toPrecision(6))} (${g.stage} run ${g.runId})`;
  return `  ${g.verdict.toUpperCase().padEnd(7)} ${g.metric} ${bound}: ${value}`;
}

function describeModel(m: RegisteredModel): string {
  const policy = m.risk === null ? 'pipeline missing or invalid' : `risk ${m.risk}, ${m.approvalsRequired} approval${m.approvalsRequired === 1 ? '' : 's'} for Production`;
  return `${m.name} (${m.pipelineFile}, ${policy})\n${m.versions.map((v) => `  ${versionLine(v)}`).join('\n') || '  no versions'}`;
}

function versionLine(v: ModelVersion): string {
  const aliases = v.aliases.map((a) => `@${a}`).join(' ');
  const pending = v.pendingRequests.map((q) => `request ${q.id} to ${q.toStage} (${q.approvals.length}/${q.required})`).join(', ');
  return [`v${v.version}`, v.stage.padEnd(10), `run ${v.runId}`, v.gatesPassed ? 'gates pass' : 'gates FAIL', aliases, pending].filter(Boolean).join('  ');
}

function describeVersion(v: ModelVersion): string {
  return [
    `${v.model} version ${v.version}: ${v.stage}${v.aliases.length ? ` (${v.aliases.map((a) => `@${a}`).join(', ')})` : ''}`,
    `run ${v.runId}, artifact ${v.artifact.path} (sha256:${v.artifact.sha256}, ${v.artifact.size} B)`,
    `registered ${iso(v.createdAt)} by ${v.createdBy}`,
    `tags: ${tagsText(v)}`,
    gateSummary(v),
    ...v.pendingRequests.map((q) => `pending: ${requestLine(q)}`),
  ].join('\n');
}

function tagsText(v: ModelVersion): string {
  return Object.entries(v.tags).map(([k, x]) => `${k}=${x}`).join(', ') || 'none';
}

function historyLine(h: StageChange): string {
  return `  ${iso(h.at)}  v${h.version} ${h.from} -> ${h.to} by ${h.actor}${h.reason ? `: ${h.reason}` : ''}${h.requestId ? ` (request ${h.requestId})` : ''}${h.gatesOverridden ? ' [gates overridden]' : ''}`;
}

function requestLine(q: TransitionRequest): string {
  const approvers = q.approvals.map((a) => a.approver).join(', ');
  return `${q.id}  ${q.model} v${q.version} -> ${q.toStage}  by ${q.requestedBy} ${iso(q.requestedAt)}  approvals ${q.approvals.length}/${q.required}${approvers ? ` (${approvers})` : ''}  ${q.status}${q.reason ? `  "${q.reason}"` : ''}`;
}

function stageLine(v: ModelVersion, archived: ModelVersion | null): string {
  return `${v.model} version ${v.version} is now ${v.stage}.${archived ? ` Version ${archived.version} (Production until now) is Archived.` : ''}`;
}
