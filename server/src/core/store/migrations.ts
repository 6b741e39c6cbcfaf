/**
 * Versioned schema of `.mlops/mlops.db`.
 *
 * The database's `PRAGMA user_version` is the number of migrations applied. Migrations are only
 * ever appended: never edit or reorder a released step (a database in a user's project already
 * carries it), add a new one instead. Each step runs in its own `BEGIN IMMEDIATE` transaction that
 * re-reads `user_version` once it holds the write lock, so two processes opening a fresh database
 * at the same moment never both apply a step: the second one waits for the lock, sees the new
 * version and skips it.
 */
import type BetterSqlite3 from 'better-sqlite3';

export interface Migration {
  /** 1, 2, 3... in order: after this step `user_version` is `version`. */
  readonly version: number;
  /** What the step adds, for error messages ("migration 2 (runs and metrics) failed: ..."). */
  readonly description: string;
  /** SQL (several statements allowed), or a function for steps that must compute something. */
  readonly up: string | ((db: BetterSqlite3.Database) => void);
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'snapshot stat cache',
    // path: relative to the project root, POSIX separators. size, mtime_ns and ino are the
    // fs.statSync(p, { bigint: true }) values as 64-bit integers (ino, unsigned in the kernel, is
    // stored as the signed integer with the same 64 bits: see statCache.ts). WITHOUT ROWID keeps
    // the rows clustered by path, so the rows under a directory are one range scan.
    up: `
      CREATE TABLE stat_cache (
        path     TEXT    NOT NULL PRIMARY KEY,
        size     INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        ino      INTEGER NOT NULL,
        sha256   TEXT    NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    description: 'runs, metrics and artifacts',
    // Times are ms since the epoch (INTEGER). pid is the process that runs the run (the CLI or the
    // server: when it is gone, the run was interrupted); job_pid leads the job's process group
    // (what a cancel signals). JSON columns hold what is shown as-is (params, data,
    // environment). metric_latest is kept up to date on every insert, in the same transaction, so
    // that listing thousands of runs with their latest metrics is one indexed scan (the Runs view),
    // never a GROUP BY over every point (MLflow's slow path).
    up: `
      CREATE TABLE runs (
        id            TEXT    NOT NULL PRIMARY KEY,
        pipeline      TEXT    NOT NULL,
        pipeline_file TEXT    NOT NULL,
        stage         TEXT    NOT NULL,
        sweep_id      TEXT,
        status        TEXT    NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'cancelled', 'interrupted')),
        exit_code     INTEGER,
        started_at    INTEGER NOT NULL,
        ended_at      INTEGER,
        git_commit    TEXT,
        git_dirty     INTEGER,
        params_hash   TEXT    NOT NULL,
        params        TEXT    NOT NULL,
        data          TEXT    NOT NULL,
        environment   TEXT    NOT NULL,
        command       TEXT    NOT NULL,
        inputs_hash   TEXT    NOT NULL,
        executor      TEXT    NOT NULL,
        host          TEXT    NOT NULL,
        pid           INTEGER,
        job_pid       INTEGER
      );
      CREATE INDEX runs_by_start ON runs (started_at DESC);
      CREATE INDEX runs_by_stage ON runs (pipeline_file, stage, started_at DESC);
      CREATE INDEX runs_by_sweep ON runs (sweep_id, started_at) WHERE sweep_id IS NOT NULL;
      CREATE INDEX runs_running ON runs (status) WHERE status = 'running';

      CREATE TABLE metrics (
        run_id TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        name   TEXT    NOT NULL,
        step   INTEGER NOT NULL,
        value  REAL    NOT NULL,
        time   INTEGER NOT NULL
      );
      CREATE INDEX metrics_series ON metrics (run_id, name, step);

      CREATE TABLE metric_latest (
        run_id    TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        name      TEXT    NOT NULL,
        last      REAL    NOT NULL,
        last_step INTEGER NOT NULL,
        min       REAL    NOT NULL,
        max       REAL    NOT NULL,
        steps     INTEGER NOT NULL,
        PRIMARY KEY (run_id, name)
      ) WITHOUT ROWID;

      CREATE TABLE artifacts (
        run_id TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        path   TEXT    NOT NULL,
        sha256 TEXT    NOT NULL,
        size   INTEGER NOT NULL,
        PRIMARY KEY (run_id, path)
      ) WITHOUT ROWID;
      CREATE INDEX artifacts_by_object ON artifacts (sha256);
    `,
  },
  {
    version: 3,
    description: 'audit log, model registry',
    // The audit log is a hash chain (core/audit/auditLog.ts): hash = SHA-256 over prev_hash and the
    // entry's canonical bytes. Triggers keep code from editing or deleting entries by mistake
    // (the chain catches whoever edits the file by other means); only `mlops audit prune` may
    // delete, while it holds a row in audit_prune_permit inside its transaction. After a prune,
    // audit_checkpoint names the last removed entry, where verification starts.
    // Registry: at most one Production version per model (a unique partial index), at most one
    // pending request per (version, stage); approvals are one row per approver and request.
    up: `
      CREATE TABLE audit_log (
        seq       INTEGER PRIMARY KEY,
        time      INTEGER NOT NULL,
        actor     TEXT    NOT NULL,
        action    TEXT    NOT NULL,
        entity    TEXT    NOT NULL,
        details   TEXT    NOT NULL,
        prev_hash TEXT    NOT NULL,
        hash      TEXT    NOT NULL
      );
      CREATE INDEX audit_by_entity ON audit_log (entity, seq);
      CREATE INDEX audit_by_time ON audit_log (time);
      CREATE TABLE audit_checkpoint (
        id            INTEGER PRIMARY KEY CHECK (id = 1),
        seq           INTEGER NOT NULL,
        hash          TEXT    NOT NULL,
        pruned_before INTEGER NOT NULL,
        at            INTEGER NOT NULL
      );
      CREATE TABLE audit_prune_permit (held INTEGER NOT NULL);
      CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log WHEN NOT EXISTS (SELECT 1 FROM audit_prune_permit)
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only (mlops audit prune removes entries past the retention period)'); END;

      CREATE TABLE models (
        name          TEXT    NOT NULL PRIMARY KEY,
        pipeline_file TEXT    NOT NULL,
        created_at    INTEGER NOT NULL,
        created_by    TEXT    NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE model_versions (
        model           TEXT    NOT NULL REFERENCES models (name),
        version         INTEGER NOT NULL,
        run_id          TEXT    NOT NULL,
        artifact_path   TEXT    NOT NULL,
        artifact_sha256 TEXT    NOT NULL,
        artifact_size   INTEGER NOT NULL,
        stage           TEXT    NOT NULL DEFAULT 'None' CHECK (stage IN ('None', 'Staging', 'Production', 'Archived')),
        created_at      INTEGER NOT NULL,
        created_by      TEXT    NOT NULL,
        gates           TEXT    NOT NULL,
        gates_passed    INTEGER NOT NULL,
        tags            TEXT    NOT NULL DEFAULT '{}',
        PRIMARY KEY (model, version)
      ) WITHOUT ROWID;
      CREATE UNIQUE INDEX one_production_version ON model_versions (model) WHERE stage = 'Production';
      CREATE INDEX versions_by_run ON model_versions (run_id);
      CREATE TABLE model_aliases (
        model   TEXT    NOT NULL,
        alias   TEXT    NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (model, alias),
        FOREIGN KEY (model, version) REFERENCES model_versions (model, version)
      ) WITHOUT ROWID;
      CREATE TABLE stage_transitions (
        id               INTEGER PRIMARY KEY,
        model            TEXT    NOT NULL,
        version          INTEGER NOT NULL,
        from_stage       TEXT    NOT NULL,
        to_stage         TEXT    NOT NULL,
        at               INTEGER NOT NULL,
        actor            TEXT    NOT NULL,
        reason           TEXT,
        request_id       TEXT,
        gates_overridden INTEGER NOT NULL DEFAULT 0,
        FOREIGN KEY (model, version) REFERENCES model_versions (model, version)
      );
      CREATE INDEX transitions_by_model ON stage_transitions (model, id);
      CREATE TABLE transition_requests (
        id           TEXT    NOT NULL PRIMARY KEY,
        model        TEXT    NOT NULL,
        version      INTEGER NOT NULL,
        to_stage     TEXT    NOT NULL CHECK (to_stage IN ('None', 'Staging', 'Production', 'Archived')),
        requested_by TEXT    NOT NULL,
        requested_at INTEGER NOT NULL,
        reason       TEXT,
        required     INTEGER NOT NULL,
        status       TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled')),
        decided_at   INTEGER,
        FOREIGN KEY (model, version) REFERENCES model_versions (model, version)
      ) WITHOUT ROWID;
      CREATE UNIQUE INDEX one_pending_request ON transition_requests (model, version, to_stage) WHERE status = 'pending';
      CREATE INDEX requests_pending ON transition_requests (status) WHERE status = 'pending';
      CREATE TABLE approvals (
        request_id TEXT    NOT NULL REFERENCES transition_requests (id),
        approver   TEXT    NOT NULL,
        decision   TEXT    NOT NULL CHECK (decision IN ('approve', 'reject')),
        reason     TEXT,
        at         INTEGER NOT NULL,
        PRIMARY KEY (request_id, approver)
      ) WITHOUT ROWID;
    `,
  },
];

/** The schema version this code writes: the number of known migrations. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Throws unless `migrations` are numbered 1..n in order (a programming error, caught by tests). */
export function checkMigrationList(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(`migration list out of order: entry ${i} has version ${m.version}, expected ${i + 1}`);
    }
  });
}

export function userVersion(db: BetterSqlite3.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** A migration step failed; the database is left at `fromVersion` (the step was rolled back). */
export class MigrationError extends Error {
  constructor(readonly migration: Migration, readonly fromVersion: number, cause: unknown) {
    super(`migration ${migration.version} (${migration.description}) failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'MigrationError';
  }
}

/** The database was written by a newer version of MLOps Workbench than this one. */
export class SchemaTooNewError extends Error {
  constructor(readonly found: number, readonly known: number) {
    super(`schema version ${found} is newer than the ${known} this version of MLOps Workbench knows`);
    this.name = 'SchemaTooNewError';
  }
}

/**
 * Brings `db` up to the last of `migrations`; returns the versions this call applied (empty when
 * the database was already current, or another process migrated it first).
 */
export function applyMigrations(db: BetterSqlite3.Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  checkMigrationList(migrations);
  const target = migrations.length;
  const applied: number[] = [];
  // Fast path without taking the write lock: an up-to-date database is only read.
  let current = userVersion(db);
  if (current > target) throw new SchemaTooNewError(current, target);
  while (current < target) {
    const step = db.transaction((): number => {
      // Re-read under the write lock: another process may have migrated meanwhile.
      const v = userVersion(db);
      if (v > target) throw new SchemaTooNewError(v, target);
      if (v >= target) return v;
      const m = migrations[v];
      try {
        if (typeof m.up === 'string') db.exec(m.up);
        else m.up(db);
      } catch (e) {
        throw new MigrationError(m, v, e);
      }
      // PRAGMA takes no bound parameter; the version is an integer we produced.
      db.pragma(`user_version = ${m.version}`);
      applied.push(m.version);
      return m.version;
    });
    current = step.immediate();
  }
  return applied;
}
