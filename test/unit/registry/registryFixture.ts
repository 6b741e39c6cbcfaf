/**
 * What the registry tests share: a project folder with a pipeline file and a real store, runs put
 * straight into the run tables (the registry only reads them, so the tests do not depend on how
 * runs are made), and a check of the audit chain.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { verifyAuditChain } from '../../../server/src/core/audit/verify';
import { ModelRegistry } from '../../../server/src/core/registry/registry';
import { Store } from '../../../server/src/core/store/store';
import { tempProject } from '../store/storeTestUtil';

export interface PipelineOptions {
  risk?: 'minimal' | 'limited' | 'high';
  /** `registry.approvals`; undefined leaves the key out. */
  approvals?: number;
  model?: string;
  gates?: string[];
}

/** prepare -> train -> evaluate, each declaring the metrics the default gates use. */
export function pipelineYaml(o: PipelineOptions = {}): string {
  const risk = o.risk ?? 'limited';
  const gates = o.gates ?? ['  - { metric: missing_rate, max: 0.05, type: data_quality, description: Few missing values }', '  - { metric: accuracy, min: 0.8 }'];
  return [
    'apiVersion: mlops/v1', 'kind: Pipeline', 'name: demo', 'description: Flags things for review', `risk: ${risk}`,
    'data:', '  raw: { path: data/raw, description: What came in }', '  reference: { path: data/reference.csv }',
    'stages:',
    '  prepare:', '    cmd: node prepare.js', '    metrics: [missing_rate]',
    '  train:', '    cmd: node train.js', '    needs: [prepare]', '    metrics: [loss]',
    '  evaluate:', '    cmd: node evaluate.js', '    needs: [train]', '    metrics: [accuracy]',
    'validation:', ...gates,
    'registry:', `  model: ${o.model ?? 'demo-model'}`, ...(o.approvals === undefined ? [] : [`  approvals: ${o.approvals}`]),
    'monitor:', '  drift: { reference: reference, features: [amount], method: psi, bins: 10, warn: 0.1, alert: 0.25 }', '  performance: { metric: accuracy, min: 0.75 }',
    'governance:', '  humanOversight: true', '  logRetentionDays: 365', '  owner: review-team', '  intendedPurpose: Prioritise cases for review by a person',
    '',
  ].join('\n');
}

/** A temporary project holding `pipeline.yaml` (and any other pipeline files given), its store opened. */
export function registryProject(pipelines: Record<string, string> = { 'pipeline.yaml': pipelineYaml() }): { root: string; store: Store; registry: ModelRegistry } {
  const root = tempProject('registry');
  for (const [file, text] of Object.entries(pipelines)) fs.writeFileSync(path.join(root, file), text);
  const store = Store.open(root);
  return { root, store, registry: new ModelRegistry(store) };
}

export interface TestRun {
  id: string;
  stage: string;
  startedAt: number;
  endedAt?: number;
  status?: 'running' | 'completed' | 'failed';
  pipelineFile?: string;
  metrics?: Record<string, number>;
  artifacts?: string[];
  data?: Record<string, string>;
}

/** A run as `mlops run` leaves it: its row, the last value of each metric, its artifacts (named by path; the hash derives from it). */
export function insertRun(db: BetterSqlite3.Database, r: TestRun): void {
  db.prepare(`INSERT INTO runs (id, pipeline, pipeline_file, stage, status, exit_code, started_at, ended_at, git_commit, git_dirty, params_hash, params, data,
                                environment, command, inputs_hash, executor, host, pid)
              VALUES (?, 'demo', ?, ?, ?, 0, ?, ?, ?, 0, ?, ?, ?, '{"node":"v20"}', ?, 'i', 'local', 'here', 1)`)
    .run(r.id, r.pipelineFile ?? 'pipeline.yaml', r.stage, r.status ?? 'completed', r.startedAt, r.endedAt ?? (r.status === 'running' ? null : r.startedAt + 10),
      'c'.repeat(40), 'p'.repeat(64), JSON.stringify({ train: { lr: 0.1 } }), JSON.stringify(r.data ?? {}), `node ${r.stage}.js`);
  for (const [name, value] of Object.entries(r.metrics ?? {})) {
    db.prepare('INSERT INTO metric_latest (run_id, name, last, last_step, min, max, steps) VALUES (?, ?, ?, 0, ?, ?, 1)').run(r.id, name, value, value, value);
  }
  for (const a of r.artifacts ?? []) db.prepare('INSERT INTO artifacts (run_id, path, sha256, size) VALUES (?, ?, ?, ?)').run(r.id, a, hashOf(`${r.id}/${a}`), a.length);
}

/** A stand-in for an artifact's sha256: 64 hex derived from a label. */
export function hashOf(label: string): string {
  return Buffer.from(label).toString('hex').padEnd(64, '0').slice(0, 64);
}

/**
 * prepare, train, evaluate one after the other from `t` (10 ms each, 5 ms apart), as `mlops run`
 * runs the pipeline; the ids are `${tag}-prepare`, `${tag}-train`, `${tag}-evaluate`.
 */
export function insertPipelineRuns(db: BetterSqlite3.Database, tag: string, t: number, metrics: { missing_rate?: number; accuracy?: number } = {}): string {
  insertRun(db, { id: `${tag}-prepare`, stage: 'prepare', startedAt: t, metrics: { missing_rate: metrics.missing_rate ?? 0.01 }, data: { raw: `sha256:${hashOf(`raw-${tag}`)}` } });
  insertRun(db, { id: `${tag}-train`, stage: 'train', startedAt: t + 15, metrics: { loss: 0.2 }, artifacts: ['model.json'] });
  insertRun(db, { id: `${tag}-evaluate`, stage: 'evaluate', startedAt: t + 30, metrics: { accuracy: metrics.accuracy ?? 0.9 } });
  return `${tag}-train`;
}

export function assertAuditChainVerifies(db: BetterSqlite3.Database): void {
  const v = verifyAuditChain(db);
  assert.equal(v.ok, true, `audit chain: ${JSON.stringify(v.broken)}`);
}

/** The audit entries as (action, entity) pairs, in order. */
export function auditTrail(db: BetterSqlite3.Database): { action: string; entity: string; actor: string; details: Record<string, unknown> }[] {
  return (db.prepare('SELECT action, entity, actor, details FROM audit_log ORDER BY seq').all() as { action: string; entity: string; actor: string; details: string }[])
    .map((e) => ({ ...e, details: JSON.parse(e.details) as Record<string, unknown> }));
}
