/**
 * Runs in the project's SQLite store (.mlops/mlops.db, migration 2): what each run was made of
 * (the four ingredients: data snapshots, git commit, params hash, environment), its status, its
 * metric points and its artifacts.
 *
 * Metric points are appended in batches, each batch one transaction that also keeps
 * `metric_latest` (last, min, max, steps per series) current: the Runs view lists runs with their
 * latest metrics from that table alone. Any number of processes may write at once (WAL, busy
 * timeout, BEGIN IMMEDIATE: see store.ts).
 *
 * Both hot paths are shaped by what each statement call and each value crossing between JavaScript
 * and SQLite costs (for a listing, more than SQLite's own work): a batch of points goes in through
 * multi-row INSERTs and one `metric_latest` upsert per series, and a listing takes each run's
 * latest metrics out as one JSON text.
 *
 * Each change of a run's record (created, ended, deleted) appends its audit entry in the same
 * transaction (core/audit/auditLog.ts), by the actor the caller names. Metric points and artifacts
 * are not audited one by one (a run may log millions of points): the run's end records how many.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { appendAudit } from '../audit/auditLog';
import { iso } from '../isoTime';
import type { Store } from '../store/store';

export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled' | 'interrupted';

export interface NewRun {
  id: string;
  pipeline: string;
  /** Relative to the project root, POSIX separators. */
  pipelineFile: string;
  stage: string;
  sweepId?: string;
  startedAt: number;
  gitCommit?: string;
  gitDirty?: boolean;
  paramsHash: string;
  params: Record<string, unknown>;
  /** Dataset name -> snapshot id (`sha256:...`). */
  data: Record<string, string>;
  environment: Record<string, string>;
  command: string;
  /** Hash of what decides the result (command, params used, deps snapshots): equal inputs, skippable run. */
  inputsHash: string;
  executor: string;
  host: string;
  /** The process running the run (the CLI or the server). */
  pid: number;
}

export interface MetricSummary {
  last: number;
  lastStep: number;
  min: number;
  max: number;
  steps: number;
}

export interface Artifact {
  path: string;
  sha256: string;
  size: number;
}

export interface RunSummary {
  id: string;
  pipeline: string;
  pipelineFile: string;
  stage: string;
  sweepId?: string;
  status: RunStatus;
  exitCode?: number;
  startedAt: number;
  endedAt?: number;
  metrics: Record<string, MetricSummary>;
}

export interface RunRecord extends RunSummary, Omit<NewRun, 'sweepId'> {
  /** The leader of the job's process group, once started. */
  jobPid?: number;
  artifacts: Artifact[];
}

/** A metric point as the training contract writes it (step and time already filled in). */
export interface MetricPointRow {
  name: string;
  value: number;
  step: number;
  time: number;
}

export interface ListOptions {
  pipelineFile?: string;
  stage?: string;
  sweepId?: string;
  limit?: number;
}

interface RunRow {
  id: string; pipeline: string; pipeline_file: string; stage: string; sweep_id: string | null; status: RunStatus; exit_code: number | null;
  started_at: number; ended_at: number | null; git_commit: string | null; git_dirty: number | null; params_hash: string; params: string;
  data: string; environment: string; command: string; inputs_hash: string; executor: string; host: string; pid: number; job_pid: number | null;
}

/** Points per multi-row INSERT: one statement call (and one crossing into SQLite) per this many points. */
const POINTS_PER_INSERT = 256;
const POINT_COLUMNS = 5;

/**
 * A run's columns in a listing, then its latest metrics as one JSON object: name -> [last, lastStep,
 * min, max, steps]. SQLite writes a REAL in JSON with the digits it needs to read back bit for bit
 * (runStore.test.ts checks it with values like 1/3 and 5e-324).
 */
const SUMMARY_COLUMNS = `id, pipeline, pipeline_file, stage, sweep_id, status, exit_code, started_at, ended_at,
  (SELECT json_group_object(name, json_array(last, last_step, min, max, steps)) FROM metric_latest WHERE run_id = runs.id)`;

type SummaryRow = [
  id: string, pipeline: string, pipelineFile: string, stage: string, sweepId: string | null, status: RunStatus, exitCode: number | null,
  startedAt: number, endedAt: number | null, latestJson: string,
];
type LatestByName = Record<string, [last: number, lastStep: number, min: number, max: number, steps: number]>;

export class RunStore {
  private readonly db: BetterSqlite3.Database;
  private readonly insertPoint: BetterSqlite3.Statement;
  private readonly insertPoints: BetterSqlite3.Statement;
  private readonly mergeLatest: BetterSqlite3.Statement;

  constructor(private readonly store: Store) {
    this.db = store.db;
    this.insertPoint = this.db.prepare('INSERT INTO metrics (run_id, name, step, value, time) VALUES (?, ?, ?, ?, ?)');
    this.insertPoints = this.db.prepare(`INSERT INTO metrics (run_id, name, step, value, time) VALUES ${new Array<string>(POINTS_PER_INSERT).fill('(?, ?, ?, ?, ?)').join(', ')}`);
    // The batch's summary of a series merged into the stored one. The batch's points come after
    // the stored ones, so its last point wins a tie on the step.
    this.mergeLatest = this.db.prepare(`
      INSERT INTO metric_latest (run_id, name, last, last_step, min, max, steps) VALUES (@run, @name, @last, @lastStep, @min, @max, @steps)
      ON CONFLICT (run_id, name) DO UPDATE SET
        last = CASE WHEN excluded.last_step >= last_step THEN excluded.last ELSE last END,
        last_step = MAX(last_step, excluded.last_step),
        min = MIN(min, excluded.min),
        max = MAX(max, excluded.max),
        steps = steps + excluded.steps`);
  }

  /** Records a new running run and its `run.create` audit entry by `actor`. */
  create(run: NewRun, actor: string): void {
    this.store.transaction((db) => {
      db.prepare(`
        INSERT INTO runs (id, pipeline, pipeline_file, stage, sweep_id, status, started_at, git_commit, git_dirty, params_hash, params, data,
                          environment, command, inputs_hash, executor, host, pid)
        VALUES (@id, @pipeline, @pipelineFile, @stage, @sweepId, 'running', @startedAt, @gitCommit, @gitDirty, @paramsHash, @params, @data,
                @environment, @command, @inputsHash, @executor, @host, @pid)`).run({
        ...run,
        sweepId: run.sweepId ?? null,
        gitCommit: run.gitCommit ?? null,
        gitDirty: run.gitDirty === undefined ? null : Number(run.gitDirty),
        params: JSON.stringify(run.params),
        data: JSON.stringify(run.data),
        environment: JSON.stringify(run.environment),
      });
      appendAudit(db, {
        actor, action: 'run.create', entity: `run:${run.id}`,
        details: {
          pipeline: run.pipeline, pipelineFile: run.pipelineFile, stage: run.stage, sweepId: run.sweepId ?? null, paramsHash: run.paramsHash, data: run.data,
          gitCommit: run.gitCommit ?? null, gitDirty: run.gitDirty ?? null, executor: run.executor, command: run.command,
        },
      });
    });
  }

  setJobPid(id: string, jobPid: number): void {
    this.store.transaction((db) => db.prepare('UPDATE runs SET job_pid = ? WHERE id = ?').run(jobPid, id));
  }

  /** One transaction for the batch: the points and the latest values move together. */
  appendMetrics(id: string, points: readonly MetricPointRow[]): void {
    if (!points.length) return;
    const latest = summarizeSeries(points);
    this.store.transaction(() => {
      const args = new Array<string | number>(POINTS_PER_INSERT * POINT_COLUMNS);
      let i = 0;
      for (; i + POINTS_PER_INSERT <= points.length; i += POINTS_PER_INSERT) {
        for (let j = 0; j < POINTS_PER_INSERT; j++) {
          const p = points[i + j];
          const at = j * POINT_COLUMNS;
          args[at] = id;
          args[at + 1] = p.name;
          args[at + 2] = p.step;
          args[at + 3] = p.value;
          args[at + 4] = p.time;
        }
        this.insertPoints.run(args);
      }
      for (; i < points.length; i++) {
        const p = points[i];
        this.insertPoint.run(id, p.name, p.step, p.value, p.time);
      }
      for (const [name, m] of latest) this.mergeLatest.run({ run: id, name, ...m });
    });
  }

  addArtifacts(id: string, artifacts: readonly Artifact[]): void {
    this.store.transaction((db) => {
      const insert = db.prepare('INSERT OR REPLACE INTO artifacts (run_id, path, sha256, size) VALUES (?, ?, ?, ?)');
      for (const a of artifacts) insert.run(id, a.path, a.sha256, a.size);
    });
  }

  /**
   * Ends a run that is still running, recording `run.end` by `actor` (a run already ended, e.g.
   * cancelled meanwhile, keeps its status and gets no second entry). Returns whether this call ended it.
   */
  finish(id: string, status: Exclude<RunStatus, 'running'>, exitCode: number | null, endedAt: number, actor: string): boolean {
    return this.store.transaction((db) => {
      if (db.prepare("UPDATE runs SET status = ?, exit_code = ?, ended_at = ? WHERE id = ? AND status = 'running'").run(status, exitCode, endedAt, id).changes !== 1) return false;
      recordEnd(db, id, actor, { status, exitCode });
      return true;
    });
  }

  /**
   * Runs left `running` by a process that no longer exists on this host (the server or the CLI was
   * killed mid-run) become `interrupted`, each with its `run.end` entry by `actor` (SYSTEM_ACTOR
   * when MLOps notices it on nobody's behalf). Returns them with their job's pid, which may still run.
   */
  markInterrupted(host: string, isAlive: (pid: number) => boolean, now: number, actor: string): { id: string; jobPid?: number }[] {
    return this.store.transaction((db) => {
      const rows = db.prepare("SELECT id, pid, job_pid FROM runs WHERE status = 'running' AND host = ?").all(host) as { id: string; pid: number; job_pid: number | null }[];
      const dead = rows.filter((r) => !isAlive(r.pid));
      const mark = db.prepare("UPDATE runs SET status = 'interrupted', ended_at = ? WHERE id = ? AND status = 'running'");
      for (const r of dead) {
        mark.run(now, r.id);
        recordEnd(db, r.id, actor, { status: 'interrupted', exitCode: null, reason: `the process that ran it (pid ${r.pid} on ${host}) had ended` });
      }
      return dead.map((r) => ({ id: r.id, ...(r.job_pid !== null && { jobPid: r.job_pid }) }));
    });
  }

  /** The run with this id, or with this unique id prefix (as git takes short hashes). */
  get(idOrPrefix: string): RunRecord | undefined {
    const id = this.resolveId(idOrPrefix);
    if (!id) return undefined;
    const row = this.read(() => this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined);
    if (!row) return undefined;
    const [summary] = this.summaries('WHERE id = ?', [id]);
    if (!summary) return undefined; // deleted by another process meanwhile
    const artifacts = this.read(() => this.db.prepare('SELECT path, sha256, size FROM artifacts WHERE run_id = ? ORDER BY path').all(id) as Artifact[]);
    return {
      ...summary,
      gitCommit: row.git_commit ?? undefined,
      gitDirty: row.git_dirty === null ? undefined : row.git_dirty === 1,
      paramsHash: row.params_hash,
      params: JSON.parse(row.params) as Record<string, unknown>,
      data: JSON.parse(row.data) as Record<string, string>,
      environment: JSON.parse(row.environment) as Record<string, string>,
      command: row.command,
      inputsHash: row.inputs_hash,
      executor: row.executor,
      host: row.host,
      pid: row.pid,
      jobPid: row.job_pid ?? undefined,
      artifacts,
    };
  }

  /** Newest first. */
  list(opts: ListOptions = {}): RunSummary[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (opts.pipelineFile !== undefined) (where.push('pipeline_file = ?'), args.push(opts.pipelineFile));
    if (opts.stage !== undefined) (where.push('stage = ?'), args.push(opts.stage));
    if (opts.sweepId !== undefined) (where.push('sweep_id = ?'), args.push(opts.sweepId));
    return this.summaries(where.length ? `WHERE ${where.join(' AND ')}` : '', args, opts.limit);
  }

  /** The latest completed run of a stage with exactly these inputs (the `dvc repro` skip). */
  lastCompletedWithInputs(pipelineFile: string, stage: string, inputsHash: string): RunSummary | undefined {
    const row = this.read(() => this.db.prepare("SELECT id, inputs_hash FROM runs WHERE pipeline_file = ? AND stage = ? AND status = 'completed' ORDER BY started_at DESC, id DESC LIMIT 1").get(pipelineFile, stage) as { id: string; inputs_hash: string } | undefined);
    return row && row.inputs_hash === inputsHash ? this.summaries('WHERE id = ?', [row.id])[0] : undefined;
  }

  /** The points of one series, by step. */
  series(id: string, name: string): { step: number; value: number; time: number }[] {
    return this.read(() => this.db.prepare('SELECT step, value, time FROM metrics WHERE run_id = ? AND name = ? ORDER BY step, rowid').all(id, name) as { step: number; value: number; time: number }[]);
  }

  /**
   * Removes the run with its metrics and artifact records (the objects stay in the cache until gc),
   * recording `run.delete` by `actor` with what the run was. A run that a registered model version
   * was made from is refused (RunRegisteredError): the version's provenance must stay.
   */
  delete(id: string, actor: string): boolean {
    return this.store.transaction((db) => {
      const versions = db.prepare('SELECT model, version FROM model_versions WHERE run_id = ? ORDER BY model, version').all(id) as { model: string; version: number }[];
      if (versions.length) throw new RunRegisteredError(id, versions);
      const row = db.prepare(`SELECT pipeline_file, stage, status, started_at, params_hash, data, git_commit, (SELECT COUNT(*) FROM artifacts WHERE run_id = runs.id) AS artifacts
        FROM runs WHERE id = ?`).get(id) as { pipeline_file: string; stage: string; status: RunStatus; started_at: number; params_hash: string; data: string; git_commit: string | null; artifacts: number } | undefined;
      if (!row) return false;
      db.prepare('DELETE FROM runs WHERE id = ?').run(id);
      appendAudit(db, {
        actor, action: 'run.delete', entity: `run:${id}`,
        details: {
          pipelineFile: row.pipeline_file, stage: row.stage, status: row.status, startedAt: iso(row.started_at), paramsHash: row.params_hash,
          data: JSON.parse(row.data) as Record<string, string>, gitCommit: row.git_commit, artifacts: row.artifacts,
        },
      });
      return true;
    });
  }

  private resolveId(idOrPrefix: string): string | undefined {
    if (!/^[0-9a-z-]+$/.test(idOrPrefix)) return undefined;
    const rows = this.read(() => this.db.prepare("SELECT id FROM runs WHERE id >= ? AND id < ? || '~' LIMIT 2").all(idOrPrefix, idOrPrefix) as { id: string }[]);
    if (rows.some((r) => r.id === idOrPrefix)) return idOrPrefix;
    return rows.length === 1 ? rows[0].id : undefined;
  }

  /**
   * The runs matching `where`, newest first, with their latest metrics. A run's metrics leave
   * SQLite as one JSON text, and all of them are parsed in one go: for 10,000 runs with 5 metrics,
   * a few times faster than reading the 50,000 metric rows value by value.
   */
  private summaries(where: string, args: (string | number)[], limit?: number): RunSummary[] {
    const sql = `SELECT ${SUMMARY_COLUMNS} FROM runs ${where} ORDER BY started_at DESC, id DESC${limit !== undefined ? ' LIMIT ?' : ''}`;
    const rows = this.read(() => this.db.prepare(sql).raw().all(...args, ...(limit !== undefined ? [limit] : [])) as SummaryRow[]);
    const latest = JSON.parse(`[${rows.map((r) => r[9]).join(',')}]`) as LatestByName[];
    return rows.map((r, i) => summaryOf(r, latest[i]));
  }

  private read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      this.store.rethrow(e);
    }
  }
}

/** A run that a registered model version was made from cannot be deleted. */
export class RunRegisteredError extends Error {
  readonly code = 'run-registered';

  constructor(readonly runId: string, readonly versions: readonly { model: string; version: number }[]) {
    super(`Run ${runId} cannot be deleted: the registered model version${versions.length > 1 ? 's' : ''} ${versions.map((v) => `${v.model}/${v.version}`).join(', ')} ` +
      `${versions.length > 1 ? 'were' : 'was'} made from it, and a registered model must keep its provenance (the data, code and params that produced it). The run stays.`);
    this.name = 'RunRegisteredError';
  }
}

/** `run.end`: the new status and what the run left, counted (its points and artifacts are not audited one by one). */
function recordEnd(db: BetterSqlite3.Database, id: string, actor: string, end: { status: Exclude<RunStatus, 'running'>; exitCode: number | null; reason?: string }): void {
  const left = db.prepare('SELECT (SELECT COALESCE(SUM(steps), 0) FROM metric_latest WHERE run_id = ?) AS points, (SELECT COUNT(*) FROM artifacts WHERE run_id = ?) AS artifacts')
    .get(id, id) as { points: number; artifacts: number };
  appendAudit(db, { actor, action: 'run.end', entity: `run:${id}`, details: { ...end, points: left.points, artifacts: left.artifacts } });
}

/** Per metric name: the batch's last value (highest step; on a tie, the later point), min, max and count. */
function summarizeSeries(points: readonly MetricPointRow[]): Map<string, MetricSummary> {
  const byName = new Map<string, MetricSummary>();
  for (const p of points) {
    const s = byName.get(p.name);
    if (!s) {
      byName.set(p.name, { last: p.value, lastStep: p.step, min: p.value, max: p.value, steps: 1 });
      continue;
    }
    if (p.step >= s.lastStep) {
      s.last = p.value;
      s.lastStep = p.step;
    }
    if (p.value < s.min) s.min = p.value;
    if (p.value > s.max) s.max = p.value;
    s.steps++;
  }
  return byName;
}

function summaryOf([id, pipeline, pipelineFile, stage, sweepId, status, exitCode, startedAt, endedAt]: SummaryRow, latest: LatestByName): RunSummary {
  const metrics: Record<string, MetricSummary> = {};
  for (const name in latest) {
    const [last, lastStep, min, max, steps] = latest[name];
    metrics[name] = { last, lastStep, min, max, steps };
  }
  return {
    id, pipeline, pipelineFile, stage, sweepId: sweepId ?? undefined, status, exitCode: exitCode ?? undefined, startedAt, endedAt: endedAt ?? undefined, metrics,
  };
}
