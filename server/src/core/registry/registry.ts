/**
 * The model registry (migration 3 of `.mlops/mlops.db`): registered models, their numbered
 * versions (a run's artifact with its gate report), stages, aliases, tags, transition requests
 * and approvals.
 *
 * Every mutation is one `BEGIN IMMEDIATE` transaction that reads there what it decides on (the
 * version an alias names, its stage, the pending requests, the pipeline's policy and gates) and
 * appends its audit entries (core/audit/auditLog.ts): the change and its record commit together or
 * not at all, and two processes acting at once are serialised (the second sees what the first
 * did). Registration alone evaluates its gates before the transaction (a completed run's metrics
 * no longer change) and checks in it that the run still exists and is completed. A promotion to
 * Production archives the previous Production version in the same transaction, and the unique
 * index `one_production_version` makes a second Production version impossible even for a writer
 * that bypassed this module.
 *
 * Policy (read from the model's pipeline file when a decision is made):
 * - Staging and Production need every gate to pass; the gates are evaluated again at each such
 *   transition and at the approval that applies a request (the evidence may have grown: an
 *   evaluate run after the registration; the gates may have been tightened). Only a pipeline that
 *   is not high-risk may pass failing gates with an override and a reason.
 * - Production needs `registry.approvals` distinct approvers other than the requester
 *   (four-eyes); with 0 it is immediate. None and Archived are immediate and check nothing, and
 *   they cancel the version's pending requests: an approval must not bring back a retired version.
 * - Rollback restores the version that was Production before the current one, at once and without
 *   its gates: an emergency action, audited like any other, with whether those gates pass now.
 * - Reasons, tags and aliases are one line of text: a line break or control character in them
 *   could forge lines in the audit log's text and in the model card.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { appendAudit } from '../audit/auditLog';
import { canonicalJson } from '../canonicalJson';
import { iso } from '../isoTime';
import { newId } from '../runs/runStage';
import { Artifact, RunRecord, RunStatus, RunStore } from '../runs/runStore';
import type { Store } from '../store/store';
import { RegistryError } from './errors';
import { describeGate, evaluateGates, GateReport, gatesPassed } from './gates';
import { lineageOf } from './lineage';
import { approvalsRequired, defaultModelName, readPipeline, RegistryPipeline, RiskClass, riskOf } from './pipelinePolicy';

export type ModelStage = 'None' | 'Staging' | 'Production' | 'Archived';
export const MODEL_STAGES: readonly ModelStage[] = ['None', 'Staging', 'Production', 'Archived'];
export type RequestStatus = 'pending' | 'approved' | 'rejected' | 'cancelled';

export interface Approval {
  approver: string;
  at: number;
  reason: string | null;
}

export interface TransitionRequest {
  id: string;
  model: string;
  version: number;
  toStage: ModelStage;
  requestedBy: string;
  requestedAt: number;
  reason: string | null;
  /** Distinct approvers needed, fixed when the request was made. */
  required: number;
  approvals: Approval[];
  /** Who rejected it, when and why. */
  rejection: { by: string; at: number; reason: string | null } | null;
  status: RequestStatus;
  decidedAt: number | null;
}

export interface ModelVersion {
  model: string;
  version: number;
  runId: string;
  stage: ModelStage;
  aliases: string[];
  tags: Record<string, string>;
  createdAt: number;
  createdBy: string;
  artifact: Artifact;
  gatesPassed: boolean;
  gates: GateReport;
  pendingRequests: TransitionRequest[];
}

export interface StageChange {
  version: number;
  from: ModelStage;
  to: ModelStage;
  at: number;
  actor: string;
  reason: string | null;
  requestId: string | null;
  gatesOverridden: boolean;
}

export interface RegisteredModel {
  name: string;
  /** Relative to the project root, POSIX separators. */
  pipelineFile: string;
  createdAt: number;
  createdBy: string;
  /** From the pipeline file as it is now; null when it is gone or does not validate. */
  risk: RiskClass | null;
  approvalsRequired: number | null;
  /** Newest first. */
  versions: ModelVersion[];
}

export type TransitionOutcome =
  | { applied: true; version: ModelVersion; archived: ModelVersion | null }
  /** `opened`: false when an identical request was already pending (it is returned instead). */
  | { applied: false; request: TransitionRequest; opened: boolean };

export interface ApprovalOutcome {
  request: TransitionRequest;
  /** This approval completed the request and the transition was made. */
  applied: boolean;
  version: ModelVersion | null;
  archived: ModelVersion | null;
  /** False when this approver had already approved: a second approval by one person counts once. */
  counted: boolean;
}

/** A version is named by its number or by one of its aliases (`champion` or `@champion`). */
export type VersionRef = number | string;

const MODEL_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Starts with a letter, so that an alias can never be read as a version number. */
const ALIAS_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;
const TAG_KEY = /^[A-Za-z0-9_.:/-]{1,128}$/;
/** Artifact endings taken for the model when a run left several files and one of them has such an ending. */
const MODEL_FILE_ENDINGS = ['.json', '.onnx', '.pkl', '.pt', '.joblib', '.bin'];

interface VersionRow {
  model: string; version: number; run_id: string; artifact_path: string; artifact_sha256: string; artifact_size: number; stage: ModelStage;
  created_at: number; created_by: string; gates: string; gates_passed: number; tags: string;
}
interface RequestRow {
  id: string; model: string; version: number; to_stage: ModelStage; requested_by: string; requested_at: number; reason: string | null;
  required: number; status: RequestStatus; decided_at: number | null;
}
interface ModelRow { name: string; pipeline_file: string; created_at: number; created_by: string }

interface StageMove {
  model: string;
  version: number;
  from: ModelStage;
  to: ModelStage;
  actor: string;
  reason: string | null;
  requestId: string | null;
  gatesOverridden: boolean;
  at: number;
  /** More facts for the audit entry (the gate report behind a promotion, the version it superseded). */
  details?: Record<string, unknown>;
}

export class ModelRegistry {
  private readonly db: BetterSqlite3.Database;
  private readonly root: string;

  constructor(private readonly store: Store, private readonly runs: RunStore = new RunStore(store)) {
    this.db = store.db;
    this.root = store.projectRoot;
  }

  /**
   * A completed run's artifact becomes the next version of the model (default: the pipeline's
   * `registry.model`, else its name), with the gate report of its lineage.
   */
  register(opts: { runId: string; model?: string; artifact?: string; actor: string }): ModelVersion {
    // Read and evaluated outside the transaction, so that other writers do not wait on the pipeline
    // file and the lineage's metrics.
    const run = this.runs.get(opts.runId);
    checkRegistrable(opts.runId, run);
    const pipeline = readPipeline(this.root, run.pipelineFile);
    const name = opts.model ?? defaultModelName(pipeline);
    if (!MODEL_NAME.test(name)) throw new RegistryError('invalid-name', `'${name}' is not a model name: lowercase letters, digits and '-', starting with a letter or digit (e.g. grant-fraud).`);
    const artifact = chooseArtifact(run, opts.artifact);
    const gates = this.evaluate(run, pipeline);
    return this.store.transaction((db) => {
      // Again under the lock: `runs delete` may have removed the run since (model_versions.run_id has
      // no foreign key to stop it), and the version must not outlive its provenance.
      const still = db.prepare('SELECT status FROM runs WHERE id = ?').get(run.id) as { status: RunStatus } | undefined;
      checkRegistrable(run.id, still && { ...run, status: still.status });
      const model = this.modelRow(name);
      if (model && model.pipeline_file !== run.pipelineFile) {
        throw new RegistryError('pipeline-mismatch', `The model ${name} belongs to ${model.pipeline_file}, and run ${run.id} to ${run.pipelineFile}: register it under another name (--name NAME).`);
      }
      const now = Date.now();
      if (!model) db.prepare('INSERT INTO models (name, pipeline_file, created_at, created_by) VALUES (?, ?, ?, ?)').run(name, run.pipelineFile, now, opts.actor);
      const same = db.prepare('SELECT version FROM model_versions WHERE model = ? AND run_id = ? AND artifact_path = ?').get(name, run.id, artifact.path) as { version: number } | undefined;
      if (same) throw new RegistryError('already-registered', `${artifact.path} of run ${run.id} is already version ${same.version} of ${name} (mlops registry show ${name} ${same.version}).`);
      const { last } = db.prepare('SELECT MAX(version) AS last FROM model_versions WHERE model = ?').get(name) as { last: number | null };
      const version = (last ?? 0) + 1;
      const passed = gatesPassed(gates);
      db.prepare(`INSERT INTO model_versions (model, version, run_id, artifact_path, artifact_sha256, artifact_size, created_at, created_by, gates, gates_passed)
                  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(name, version, run.id, artifact.path, artifact.sha256, artifact.size, now, opts.actor, JSON.stringify(gates), Number(passed));
      appendAudit(db, { actor: opts.actor, action: 'registry.register', entity: versionEntity(name, version), time: now, details: { runId: run.id, artifact, gatesPassed: passed, gates } });
      return this.versionRecord(this.versionRow(name, version)!);
    });
  }

  /**
   * Moves a version to `to`: at once, or (Production with approvals required) by opening a
   * request that `approve` completes. Gate failures refuse Staging and Production unless
   * `overrideGates` (with a reason, and only on a pipeline that is not high-risk).
   */
  transition(opts: { model: string; version: VersionRef; to: ModelStage; actor: string; reason?: string; overrideGates?: boolean }): TransitionOutcome {
    const reason = reasonText(opts.reason);
    return this.store.transaction((db) => {
      const now = Date.now();
      const model = this.modelRowOrThrow(opts.model);
      const current = this.getVersion(model.name, opts.version);
      checkNotAlready(current, opts.to);
      let gates: GateReport | undefined;
      let required = 0;
      let gatesOverridden = false;
      if (opts.to === 'Staging' || opts.to === 'Production') {
        const pipeline = readPipeline(this.root, model.pipeline_file);
        ({ gates, overridden: gatesOverridden } = this.checkGates(model, current, opts.to, pipeline, { override: opts.overrideGates === true, reason }));
        if (opts.to === 'Production') required = approvalsRequired(pipeline);
      }
      const pending = db.prepare("SELECT * FROM transition_requests WHERE model = ? AND version = ? AND to_stage = ? AND status = 'pending'").get(model.name, current.version, opts.to) as RequestRow | undefined;
      if (required > 0 && pending) return { applied: false, request: this.requestRecord(pending), opened: false };
      if (gates) this.keepReport(db, current, gates);
      if (required > 0) {
        const id = newId();
        db.prepare(`INSERT INTO transition_requests (id, model, version, to_stage, requested_by, requested_at, reason, required, status)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending')`).run(id, model.name, current.version, opts.to, opts.actor, now, reason, required);
        appendAudit(db, {
          actor: opts.actor, action: 'registry.request', entity: versionEntity(model.name, current.version), time: now,
          details: { requestId: id, from: current.stage, to: opts.to, required, reason, gatesOverridden, gates },
        });
        return { applied: false, request: this.requestRecord(this.requestRow(id)!), opened: true };
      }
      const archived = this.applyStage(db, {
        model: model.name, version: current.version, from: current.stage, to: opts.to, actor: opts.actor, reason, requestId: null, gatesOverridden, at: now,
        ...(gates && { details: { gates } }),
      });
      return { applied: true, version: this.versionRecord(this.versionRow(model.name, current.version)!), archived: archived === null ? null : this.versionRecord(this.versionRow(model.name, archived)!) };
    });
  }

  /**
   * Records an approval of a pending request; the one that brings the distinct approvers to the
   * required number also makes the transition, in the same transaction, on the version's gates
   * evaluated again against the pipeline as it is then. Gates that fail then (and are not
   * overridable) refuse the approval and leave the request pending, as it was.
   */
  approve(opts: { requestId: string; actor: string; reason?: string }): ApprovalOutcome {
    const reason = reasonText(opts.reason);
    return this.store.transaction((db) => {
      const now = Date.now();
      const request = this.requirePendingRequest(opts.requestId);
      if (sameActor(request.requestedBy, opts.actor)) {
        throw new RegistryError('self-approval', `${opts.actor} requested ${request.id} and cannot approve it too (four-eyes): another person must approve it (mlops registry approve ${request.id} --by THEM).`);
      }
      const counted = !request.approvals.some((a) => sameActor(a.approver, opts.actor));
      const approvals = request.approvals.length + Number(counted);
      const applies = approvals >= request.required;
      // A refusal throws here and the transaction rolls back: the request stays pending as it was.
      const decision = applies ? this.gatesForApproval(request) : null;
      if (counted) db.prepare("INSERT INTO approvals (request_id, approver, decision, reason, at) VALUES (?, ?, 'approve', ?, ?)").run(request.id, opts.actor, reason, now);
      appendAudit(db, {
        // Under the version, as every registry entry: a model's audit trail then holds its approvals.
        actor: opts.actor, action: 'registry.approve', entity: versionEntity(request.model, request.version), time: now,
        details: { request: request.id, to: request.toStage, reason, counted, approvals, required: request.required, applied: applies },
      });
      let archived: number | null = null;
      if (decision) {
        const { version, gates, overridden } = decision;
        this.keepReport(db, version, gates);
        archived = this.applyStage(db, {
          model: request.model, version: request.version, from: version.stage, to: request.toStage, actor: opts.actor, reason: request.reason,
          requestId: request.id, gatesOverridden: overridden, at: now, details: { requestedBy: request.requestedBy, gates },
        });
        db.prepare("UPDATE transition_requests SET status = 'approved', decided_at = ? WHERE id = ?").run(now, request.id);
      }
      return {
        request: this.requestRecord(this.requestRow(request.id)!),
        applied: applies,
        version: applies ? this.versionRecord(this.versionRow(request.model, request.version)!) : null,
        archived: archived === null ? null : this.versionRecord(this.versionRow(request.model, archived)!),
        counted,
      };
    });
  }

  /** Closes a pending request without a transition; the reason is required. */
  reject(opts: { requestId: string; actor: string; reason: string }): TransitionRequest {
    const reason = reasonText(opts.reason);
    if (!reason) throw new RegistryError('reason-required', 'A rejection needs a reason (--reason R): the requester and the audit log see it.');
    return this.store.transaction((db) => {
      const now = Date.now();
      const request = this.requirePendingRequest(opts.requestId);
      // One row per approver and request: their last decision (an earlier approval stays in the audit
      // log). The rejecter's approval is found as sameActor compares people: `bob` replaces `Bob`'s.
      const approved = request.approvals.find((a) => sameActor(a.approver, opts.actor));
      if (approved) {
        db.prepare("UPDATE approvals SET approver = ?, decision = 'reject', reason = ?, at = ? WHERE request_id = ? AND approver = ?").run(opts.actor, reason, now, request.id, approved.approver);
      } else {
        db.prepare("INSERT INTO approvals (request_id, approver, decision, reason, at) VALUES (?, ?, 'reject', ?, ?)").run(request.id, opts.actor, reason, now);
      }
      db.prepare("UPDATE transition_requests SET status = 'rejected', decided_at = ? WHERE id = ?").run(now, request.id);
      appendAudit(db, {
        actor: opts.actor, action: 'registry.reject', entity: versionEntity(request.model, request.version), time: now,
        details: { request: request.id, to: request.toStage, reason },
      });
      return this.requestRecord(this.requestRow(request.id)!);
    });
  }

  /** The current Production version is archived and the one that was Production before it restored. */
  rollback(opts: { model: string; actor: string; reason?: string }): { restored: ModelVersion; archived: ModelVersion } {
    const reason = reasonText(opts.reason);
    return this.store.transaction((db) => {
      const now = Date.now();
      const model = this.modelRowOrThrow(opts.model);
      const current = db.prepare("SELECT version FROM model_versions WHERE model = ? AND stage = 'Production'").get(model.name) as { version: number } | undefined;
      const previous = current && this.previousProduction(model.name);
      if (!current || previous === undefined) {
        throw new RegistryError('no-previous-production', current
          ? `Version ${current.version} is the first Production version of ${model.name}: there is none before it to restore. Move it with mlops registry transition ${model.name} ${current.version} Archived.`
          : `No version of ${model.name} is in Production: there is nothing to roll back.`);
      }
      const restoring = this.getVersion(model.name, previous);
      // The restored version's gates are not checked: it passed them when it was approved for
      // Production, and an emergency must not wait for an evaluation run or a fixed pipeline file.
      // Whether they pass now is recorded for the audit (null when the pipeline file is unusable).
      const gatesNow = this.gatesIfReadable(model, restoring);
      appendAudit(db, {
        actor: opts.actor, action: 'registry.rollback', entity: versionEntity(model.name, previous), time: now,
        details: { restored: previous, archived: current.version, reason, gatesPassedNow: gatesNow && gatesPassed(gatesNow), gatesNow },
      });
      const common = { model: model.name, actor: opts.actor, reason: reason ?? 'rollback', requestId: null, gatesOverridden: false, at: now, details: { rollback: true } };
      this.moveStage(db, { ...common, version: current.version, from: 'Production', to: 'Archived' });
      this.moveStage(db, { ...common, version: previous, from: restoring.stage, to: 'Production' });
      return { restored: this.versionRecord(this.versionRow(model.name, previous)!), archived: this.versionRecord(this.versionRow(model.name, current.version)!) };
    });
  }

  /** Points `alias` at the version (moving it from another one), or removes it from the version. */
  setAlias(opts: { model: string; version: VersionRef; alias: string; actor: string; remove?: boolean }): ModelVersion {
    checkOneLine('alias', opts.alias);
    const alias = opts.alias.replace(/^@/, '');
    if (!ALIAS_NAME.test(alias)) throw new RegistryError('invalid-name', `'${opts.alias}' is not an alias: a letter, then letters, digits, '_' or '-' (e.g. champion).`);
    return this.store.transaction((db) => {
      const now = Date.now();
      const version = this.getVersion(opts.model, opts.version);
      const held = db.prepare('SELECT version FROM model_aliases WHERE model = ? AND alias = ?').get(version.model, alias) as { version: number } | undefined;
      if (opts.remove) {
        if (held?.version !== version.version) throw new RegistryError('unknown-alias', `Version ${version.version} of ${version.model} has no alias '${alias}'${held ? ` (version ${held.version} has it)` : ''}.`);
        db.prepare('DELETE FROM model_aliases WHERE model = ? AND alias = ?').run(version.model, alias);
      } else {
        db.prepare('INSERT INTO model_aliases (model, alias, version) VALUES (?, ?, ?) ON CONFLICT (model, alias) DO UPDATE SET version = excluded.version').run(version.model, alias, version.version);
      }
      appendAudit(db, {
        actor: opts.actor, action: 'registry.alias', entity: versionEntity(version.model, version.version), time: now,
        details: opts.remove ? { alias, removed: true } : { alias, movedFrom: held && held.version !== version.version ? held.version : null },
      });
      return this.versionRecord(this.versionRow(version.model, version.version)!);
    });
  }

  /** Sets and removes tags of a version (free-form key/value notes: owner, dataset, ticket...). */
  setTags(opts: { model: string; version: VersionRef; set: Record<string, string>; remove: string[]; actor: string }): ModelVersion {
    const keys = [...Object.keys(opts.set), ...opts.remove];
    for (const key of keys) checkOneLine('tag key', key);
    for (const value of Object.values(opts.set)) checkOneLine('tag value', value);
    const bad = keys.find((k) => !TAG_KEY.test(k));
    if (bad !== undefined) throw new RegistryError('invalid-name', `'${bad}' is not a tag key: 1 to 128 letters, digits and _ . : / -.`);
    return this.store.transaction((db) => {
      const version = this.getVersion(opts.model, opts.version);
      const tags: Record<string, string> = { ...version.tags, ...opts.set };
      for (const k of opts.remove) delete tags[k];
      db.prepare('UPDATE model_versions SET tags = ? WHERE model = ? AND version = ?').run(canonicalJson(tags), version.model, version.version);
      appendAudit(db, { actor: opts.actor, action: 'registry.tag', entity: versionEntity(version.model, version.version), details: { set: opts.set, removed: opts.remove } });
      return this.versionRecord(this.versionRow(version.model, version.version)!);
    });
  }

  /** Every registered model, by name, with its versions (newest first). */
  listModels(): RegisteredModel[] {
    return this.read(() => (this.db.prepare('SELECT * FROM models ORDER BY name').all() as ModelRow[]).map((m) => this.modelRecord(m)));
  }

  /** The model with its versions; `unknown-model` when there is none of that name. */
  getModel(name: string): RegisteredModel {
    return this.read(() => this.modelRecord(this.modelRowOrThrow(name)));
  }

  /** A version by number or alias; `unknown-model` or `unknown-version` when there is none. */
  getVersion(model: string, ref: VersionRef): ModelVersion {
    return this.read(() => {
      this.modelRowOrThrow(model);
      const n = this.versionNumber(model, ref);
      const row = n === undefined ? undefined : this.versionRow(model, n);
      if (!row) throw new RegistryError('unknown-version', `${model} has no version ${typeof ref === 'string' && !/^\d+$/.test(ref) ? `with the alias '${ref}'` : ref} (mlops registry show ${model} lists them).`);
      return this.versionRecord(row);
    });
  }

  /** The stage changes of the model (or of one version), oldest first. */
  history(model: string, version?: number): StageChange[] {
    const where = version === undefined ? '' : ' AND version = ?';
    const rows = this.read(() => this.db.prepare(`SELECT * FROM stage_transitions WHERE model = ?${where} ORDER BY id`).all(model, ...(version === undefined ? [] : [version])) as {
      version: number; from_stage: ModelStage; to_stage: ModelStage; at: number; actor: string; reason: string | null; request_id: string | null; gates_overridden: number;
    }[]);
    return rows.map((r) => ({ version: r.version, from: r.from_stage, to: r.to_stage, at: r.at, actor: r.actor, reason: r.reason, requestId: r.request_id, gatesOverridden: r.gates_overridden === 1 }));
  }

  /** Pending requests (all of them with `all`), newest first; or those of one version. */
  requests(filter: { all?: boolean; model?: string; version?: number } = {}): TransitionRequest[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (!filter.all) where.push("status = 'pending'");
    if (filter.model !== undefined) (where.push('model = ?'), args.push(filter.model));
    if (filter.version !== undefined) (where.push('version = ?'), args.push(filter.version));
    const sql = `SELECT * FROM transition_requests${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY requested_at DESC, id`;
    return this.read(() => (this.db.prepare(sql).all(...args) as RequestRow[]).map((r) => this.requestRecord(r)));
  }

  request(id: string): TransitionRequest | undefined {
    const row = this.read(() => this.requestRow(id));
    return row && this.requestRecord(row);
  }

  /** The gate report of a run's lineage against the pipeline's gates, as registration computes it. */
  private evaluate(run: RunRecord, pipeline: RegistryPipeline): GateReport {
    return evaluateGates(pipeline.validation ?? [], lineageOf(this.runs, run, pipeline.stages));
  }

  /** The version's gates evaluated now; a version whose run is gone keeps the report it had. */
  private gatesNow(version: ModelVersion, pipeline: RegistryPipeline): GateReport {
    const run = this.runs.get(version.runId);
    return run ? this.evaluate(run, pipeline) : version.gates;
  }

  /** `gatesNow`, or null when the model's pipeline file is gone or does not validate. */
  private gatesIfReadable(model: ModelRow, version: ModelVersion): GateReport | null {
    try {
      return this.gatesNow(version, readPipeline(this.root, model.pipeline_file));
    } catch (e) {
      if (e instanceof RegistryError && e.code === 'no-pipeline') return null;
      throw e;
    }
  }

  /**
   * The version's gates evaluated now, and whether entering `to` overrides them: failing gates
   * refuse it (`gates-failed`) unless `override`, which a high-risk pipeline never allows and which
   * needs a reason. `pendingRequest`: the request an approval would apply, which a refusal leaves pending.
   */
  private checkGates(model: ModelRow, version: ModelVersion, to: ModelStage, pipeline: RegistryPipeline,
    opts: { override: boolean; reason: string | null; pendingRequest?: string }): { gates: GateReport; overridden: boolean } {
    const gates = this.gatesNow(version, pipeline);
    if (gatesPassed(gates)) return { gates, overridden: false };
    const failing = gates.filter((g) => g.verdict !== 'pass');
    const high = riskOf(pipeline) === 'high';
    const stays = opts.pendingRequest === undefined ? ''
      : ` Request ${opts.pendingRequest} stays pending until the gates pass or someone rejects it (mlops registry reject ${opts.pendingRequest} --reason R).`;
    if (!opts.override) {
      const missing = failing.some((g) => g.verdict === 'missing');
      throw new RegistryError('gates-failed', `Version ${version.version} of ${model.name} fails ${failing.length} gate${failing.length > 1 ? 's' : ''}: ${failing.map(describeGate).join(', ')}. It cannot enter ${to}.` +
        `${missing ? ' A missing metric is checked again at the next transition: run the stage that reports it first.' : ''}` +
        (stays || (high ? '' : ' This pipeline is not high-risk: --override-gates --reason R passes it anyway, and that is logged.')));
    }
    if (high) throw new RegistryError('override-not-allowed', `${model.pipeline_file} is a high-risk pipeline (risk: high): its gates cannot be overridden. Train a version that passes them.${stays}`);
    if (!opts.reason) throw new RegistryError('reason-required', 'Overriding gates needs a reason (--reason R): it goes into the audit log.');
    return { gates, overridden: true };
  }

  /**
   * What the approval completing `request` applies it on: the version as it is now, its gates
   * evaluated again against the pipeline as it is now (they may have been tightened, or its risk
   * raised, since the request was opened), under the rules of `transition`. An override the
   * request was opened with still holds where the pipeline still allows one.
   */
  private gatesForApproval(request: TransitionRequest): { version: ModelVersion; gates: GateReport; overridden: boolean } {
    const model = this.modelRowOrThrow(request.model);
    const version = this.getVersion(request.model, request.version);
    const pipeline = readPipeline(this.root, model.pipeline_file);
    const checked = this.checkGates(model, version, request.toStage, pipeline, { override: this.openedWithOverride(request), reason: request.reason, pendingRequest: request.id });
    return { version, ...checked };
  }

  /**
   * Whether the request was opened with overridden gates. Its audit entry says so (the request's
   * row has no such column); an entry pruned past the retention period counts as no override, so
   * the gates must then pass.
   */
  private openedWithOverride(request: TransitionRequest): boolean {
    const entry = this.db.prepare(`SELECT json_extract(details, '$.gatesOverridden') AS overridden FROM audit_log
                                   WHERE entity = ? AND action = 'registry.request' AND json_extract(details, '$.requestId') = ?`)
      .get(versionEntity(request.model, request.version), request.id) as { overridden: number | null } | undefined;
    return entry?.overridden === 1;
  }

  /** The report a decision was taken on is the one the version keeps (and its audit entry holds it too). */
  private keepReport(db: BetterSqlite3.Database, version: ModelVersion, gates: GateReport): void {
    if (canonicalJson(gates) === canonicalJson(version.gates)) return;
    db.prepare('UPDATE model_versions SET gates = ?, gates_passed = ? WHERE model = ? AND version = ?').run(JSON.stringify(gates), Number(gatesPassed(gates)), version.model, version.version);
  }

  /**
   * Moves the version; entering Production first archives the version that held it (the unique
   * index would refuse two). Returns the archived version's number.
   */
  private applyStage(db: BetterSqlite3.Database, move: StageMove): number | null {
    let archived: number | null = null;
    if (move.to === 'Production') {
      const holder = db.prepare("SELECT version FROM model_versions WHERE model = ? AND stage = 'Production'").get(move.model) as { version: number } | undefined;
      if (holder) {
        this.moveStage(db, { ...move, version: holder.version, from: 'Production', to: 'Archived', gatesOverridden: false, reason: `superseded by version ${move.version}`, details: { supersededBy: move.version } });
        archived = holder.version;
      }
    }
    this.moveStage(db, move);
    return archived;
  }

  /**
   * One stage change: the version's stage, its stage_transitions row, its audit entry, and the
   * cancellation of the version's pending requests it made moot.
   */
  private moveStage(db: BetterSqlite3.Database, m: StageMove): void {
    db.prepare('UPDATE model_versions SET stage = ? WHERE model = ? AND version = ?').run(m.to, m.model, m.version);
    db.prepare(`INSERT INTO stage_transitions (model, version, from_stage, to_stage, at, actor, reason, request_id, gates_overridden)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(m.model, m.version, m.from, m.to, m.at, m.actor, m.reason, m.requestId, Number(m.gatesOverridden));
    appendAudit(db, {
      actor: m.actor, action: 'registry.transition', entity: versionEntity(m.model, m.version), time: m.at,
      details: { from: m.from, to: m.to, reason: m.reason, requestId: m.requestId, gatesOverridden: m.gatesOverridden, ...m.details },
    });
    this.cancelMootRequests(db, m);
  }

  /**
   * Cancels, each with its audit entry, the pending requests of the moved version that approving
   * later would turn into a stale decision: those to the stage it reached (other than the request
   * the move applies), and, when it left service (Archived or None), those to any other stage, which
   * would bring back a version someone retired.
   */
  private cancelMootRequests(db: BetterSqlite3.Database, m: StageMove): void {
    const retired = m.to === 'Archived' || m.to === 'None';
    const pending = db.prepare("SELECT id, to_stage FROM transition_requests WHERE model = ? AND version = ? AND status = 'pending' AND id IS NOT ?")
      .all(m.model, m.version, m.requestId) as Pick<RequestRow, 'id' | 'to_stage'>[];
    for (const request of pending) {
      const reason = request.to_stage === m.to ? `version ${m.version} reached ${m.to} another way` : retired ? `version ${m.version} was moved to ${m.to}` : null;
      if (reason === null) continue;
      db.prepare("UPDATE transition_requests SET status = 'cancelled', decided_at = ? WHERE id = ?").run(m.at, request.id);
      appendAudit(db, {
        actor: m.actor, action: 'registry.cancel', entity: versionEntity(m.model, m.version), time: m.at,
        details: { request: request.id, to: request.to_stage, reason },
      });
    }
  }

  /**
   * The version to restore: Production tenures form a stack, a promotion pushes and a return to the
   * version below the top pops (a rollback, or the same decision taken by hand). So successive
   * rollbacks walk back v3 -> v2 -> v1 instead of swinging between the last two.
   */
  private previousProduction(model: string): number | undefined {
    const entries = this.db.prepare("SELECT version FROM stage_transitions WHERE model = ? AND to_stage = 'Production' ORDER BY id").all(model) as { version: number }[];
    const stack: number[] = [];
    for (const { version } of entries) {
      if (stack.at(-1) === version) continue;
      if (stack.at(-2) === version) stack.pop();
      else stack.push(version);
    }
    return stack.at(-2);
  }

  private modelRowOrThrow(name: string): ModelRow {
    const row = this.modelRow(name);
    if (!row) throw new RegistryError('unknown-model', `No registered model '${name}' (mlops registry list shows them; mlops registry register --run ID creates one).`);
    return row;
  }

  private requirePendingRequest(id: string): TransitionRequest {
    const row = this.requestRow(id);
    if (!row) throw new RegistryError('unknown-request', `No transition request '${id}' (mlops registry requests lists the pending ones).`);
    if (row.status !== 'pending') throw new RegistryError('not-pending', `Request ${id} is already ${row.status}${row.decided_at ? ` (${iso(row.decided_at)})` : ''}: nothing to decide.`);
    return this.requestRecord(row);
  }

  private versionNumber(model: string, ref: VersionRef): number | undefined {
    if (typeof ref === 'number') return ref;
    if (/^\d+$/.test(ref)) return Number(ref);
    const row = this.db.prepare('SELECT version FROM model_aliases WHERE model = ? AND alias = ?').get(model, ref.replace(/^@/, '')) as { version: number } | undefined;
    return row?.version;
  }

  private modelRow(name: string): ModelRow | undefined {
    return this.db.prepare('SELECT * FROM models WHERE name = ?').get(name) as ModelRow | undefined;
  }

  private versionRow(model: string, version: number): VersionRow | undefined {
    return this.db.prepare('SELECT * FROM model_versions WHERE model = ? AND version = ?').get(model, version) as VersionRow | undefined;
  }

  private requestRow(id: string): RequestRow | undefined {
    return this.db.prepare('SELECT * FROM transition_requests WHERE id = ?').get(id) as RequestRow | undefined;
  }

  private modelRecord(m: ModelRow): RegisteredModel {
    let policy: { risk: RiskClass | null; approvalsRequired: number | null } = { risk: null, approvalsRequired: null };
    try {
      const pipeline = readPipeline(this.root, m.pipeline_file);
      policy = { risk: riskOf(pipeline), approvalsRequired: approvalsRequired(pipeline) };
    } catch (e) {
      if (!(e instanceof RegistryError)) throw e; // a listing still shows a model whose pipeline is gone
    }
    const versions = (this.db.prepare('SELECT * FROM model_versions WHERE model = ? ORDER BY version DESC').all(m.name) as VersionRow[]).map((v) => this.versionRecord(v));
    return { name: m.name, pipelineFile: m.pipeline_file, createdAt: m.created_at, createdBy: m.created_by, ...policy, versions };
  }

  private versionRecord(v: VersionRow): ModelVersion {
    const aliases = (this.db.prepare('SELECT alias FROM model_aliases WHERE model = ? AND version = ? ORDER BY alias').all(v.model, v.version) as { alias: string }[]).map((a) => a.alias);
    const pending = (this.db.prepare("SELECT * FROM transition_requests WHERE model = ? AND version = ? AND status = 'pending' ORDER BY requested_at").all(v.model, v.version) as RequestRow[]).map((r) => this.requestRecord(r));
    return {
      model: v.model, version: v.version, runId: v.run_id, stage: v.stage, aliases, tags: JSON.parse(v.tags) as Record<string, string>,
      createdAt: v.created_at, createdBy: v.created_by, artifact: { path: v.artifact_path, sha256: v.artifact_sha256, size: v.artifact_size },
      gatesPassed: v.gates_passed === 1, gates: JSON.parse(v.gates) as GateReport, pendingRequests: pending,
    };
  }

  private requestRecord(r: RequestRow): TransitionRequest {
    const decisions = this.db.prepare('SELECT approver, decision, reason, at FROM approvals WHERE request_id = ? ORDER BY at, approver').all(r.id) as (Approval & { decision: 'approve' | 'reject' })[];
    const rejected = decisions.find((d) => d.decision === 'reject');
    return {
      id: r.id, model: r.model, version: r.version, toStage: r.to_stage, requestedBy: r.requested_by, requestedAt: r.requested_at, reason: r.reason,
      required: r.required, approvals: decisions.filter((d) => d.decision === 'approve').map(({ approver, at, reason }) => ({ approver, at, reason })),
      rejection: rejected ? { by: rejected.approver, at: rejected.at, reason: rejected.reason } : null, status: r.status, decidedAt: r.decided_at,
    };
  }

  private read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      this.store.rethrow(e);
    }
  }
}

/** The audit entity of a version: `model:grant-fraud/3`. */
export function versionEntity(model: string, version: number): string {
  return `model:${model}/${version}`;
}

/**
 * The artifact that is the model: the one named, else the run's only artifact, else the only one
 * with a model file ending (.json, .onnx, .pkl, .pt, .joblib, .bin).
 */
export function chooseArtifact(run: Pick<RunRecord, 'id' | 'artifacts'>, named?: string): Artifact {
  const list = run.artifacts.map((a) => a.path).join(', ');
  if (named !== undefined) {
    const found = run.artifacts.find((a) => a.path === named.replace(/^\.\//, ''));
    if (!found) throw new RegistryError('no-artifact', `Run ${run.id} has no artifact ${named}${list ? ` (its artifacts: ${list})` : ''}.`);
    return found;
  }
  if (!run.artifacts.length) throw new RegistryError('no-artifact', `Run ${run.id} left no artifact: a stage's model is what it writes to MLOPS_OUTPUT_DIR. Register a run that wrote one.`);
  if (run.artifacts.length === 1) return run.artifacts[0];
  const models = run.artifacts.filter((a) => MODEL_FILE_ENDINGS.some((e) => a.path.endsWith(e)));
  if (models.length === 1) return models[0];
  throw new RegistryError('ambiguous-artifact', `Run ${run.id} left several artifacts (${list}): name the model with --artifact PATH.`);
}

/** `unknown-run` or `run-not-completed` unless `run` (found by `ref`) can become a version. */
function checkRegistrable<R extends Pick<RunRecord, 'id' | 'stage' | 'status'>>(ref: string, run: R | undefined): asserts run is R {
  if (!run) throw new RegistryError('unknown-run', `No run '${ref}' in this project (mlops runs list shows them; a short id must be unique).`);
  if (run.status !== 'completed') throw new RegistryError('run-not-completed', `Run ${run.id} ended ${run.status}: only a completed run can be registered. Run the stage again (mlops run ${run.stage}).`);
}

/** Identities compare without case or surrounding spaces: `Alice@x.eu` may not approve what `alice@x.eu ` requested. */
function sameActor(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** A reason as stored: trimmed, null when empty, on one line. */
function reasonText(text: string | undefined): string | null {
  const reason = text?.trim() || null;
  if (reason !== null) checkOneLine('reason', reason);
  return reason;
}

/**
 * `invalid-text` when `text` holds a control character (tab, CR, LF, NUL...) or a Unicode line or
 * paragraph separator: written into the audit log's text and the model card, it could forge lines there.
 */
function checkOneLine(field: string, text: string): void {
  const bad = /[\p{Cc}\u2028\u2029]/u.exec(text);
  if (bad) {
    const code = bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    throw new RegistryError('invalid-text', `A ${field} cannot hold a line break or control character (it has U+${code}): write it on one line.`);
  }
}

function checkNotAlready(version: ModelVersion, to: ModelStage): void {
  if (version.stage === to) throw new RegistryError('same-stage', `Version ${version.version} of ${version.model} is already ${to}.`);
}
