/**
 * The project's SQLite database, `<projectRoot>/.mlops/mlops.db` (better-sqlite3, synchronous).
 *
 * Several processes use it at once (the language server and any number of CLI runs), so:
 * - WAL journal: readers never block the writer and the writer never blocks readers;
 * - a busy timeout (10 s by default): a writer waits for another one instead of failing;
 * - every write transaction is `BEGIN IMMEDIATE` (`transaction()`): it takes the write lock
 *   before reading, so it can never fail half-way with SQLITE_BUSY because another writer
 *   committed between its read and its first write (what a deferred transaction does in WAL);
 * - synchronous=NORMAL: a commit does not fsync (the WAL is fsynced at checkpoints); a power loss
 *   may lose the last commits but never corrupts the database;
 * - foreign keys on.
 *
 * Opening failures (unwritable folder or file, a file that is not a database, a schema from a
 * newer version) become a `StoreError` whose message names the path, the cause and what to do.
 */
import * as fs from 'fs';
import * as path from 'path';
import Database from 'better-sqlite3';
import { ensureLocalFilesIgnored } from '../workspace/projectRoot';
import { applyMigrations, Migration, MigrationError, MIGRATIONS, SchemaTooNewError, userVersion } from './migrations';

/**
 * The bundled CLI (server/out/cli.js) carries better-sqlite3's JavaScript and has its native module
 * copied beside it (scripts/build.mjs), so the packaged extension needs no node_modules. Run from
 * the sources, the module is found in node_modules as usual.
 */
const BUNDLED_BINDING = ((file) => (fs.existsSync(file) ? file : undefined))(path.join(__dirname, 'better_sqlite3.node'));

export const STORE_DIR = '.mlops';
export const STORE_FILE = 'mlops.db';
export const DEFAULT_BUSY_TIMEOUT_MS = 10_000;

export type StoreErrorCode =
  | 'not-writable'     // the folder or the database file cannot be written by this user / is on a read-only disk
  | 'not-a-directory'  // no project folder, .mlops is not a folder, or mlops.db is not a regular file
  | 'not-a-database'   // mlops.db is not an SQLite database (e.g. a text file)
  | 'corrupt'          // an SQLite database, damaged
  | 'too-new'          // written by a newer MLOps Workbench
  | 'migration-failed' // a schema step failed (rolled back)
  | 'busy'             // another process held the write lock for longer than the busy timeout
  | 'disk-full'
  | 'io-error'
  | 'open-failed';     // anything else

export class StoreError extends Error {
  constructor(readonly code: StoreErrorCode, readonly dbPath: string, message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'StoreError';
  }
}

export interface StoreOptions {
  /** How long a writer waits for another process's write lock before giving up (ms). */
  busyTimeoutMs?: number;
  /** The schema steps; default MIGRATIONS. Only tests pass another list. */
  migrations?: readonly Migration[];
}

export class Store {
  /** The better-sqlite3 connection, for modules that prepare their own statements. */
  readonly db: Database.Database;
  /** Absolute path of mlops.db. */
  readonly path: string;
  /** The schema versions this open applied (empty when another process, or an earlier open, did). */
  readonly migrated: readonly number[];

  private constructor(readonly projectRoot: string, dbPath: string, db: Database.Database, migrated: number[]) {
    this.path = dbPath;
    this.db = db;
    this.migrated = migrated;
  }

  /** `<projectRoot>/.mlops/mlops.db`. */
  static pathFor(projectRoot: string): string {
    return path.join(path.resolve(projectRoot), STORE_DIR, STORE_FILE);
  }

  /**
   * Opens (creating `.mlops/` and the database if needed) and migrates the project's database.
   * Throws a StoreError with an actionable message when that is not possible.
   */
  static open(projectRoot: string, options: StoreOptions = {}): Store {
    const root = path.resolve(projectRoot);
    const dbPath = Store.pathFor(root);
    const dir = path.dirname(dbPath);
    if (!isDirectory(root)) {
      throw new StoreError('not-a-directory', dbPath,
        `Cannot open the MLOps database ${dbPath}: the project folder ${root} does not exist or is not a folder. ` +
        'Open an existing project folder (the one holding pipeline.yaml).');
    }
    checkLocation(dir, dbPath);
    ensureLocalFilesIgnored(dir);
    let db: Database.Database | undefined;
    try {
      const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
      db = new Database(dbPath, { timeout: busyTimeoutMs, nativeBinding: BUNDLED_BINDING });
      // The first statement is also where SQLite notices a file that is not a database.
      switchToWal(db, busyTimeoutMs);
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      // Keep the -wal file from staying huge after a large import once it has been checkpointed.
      db.pragma('journal_size_limit = 67108864');
      const migrated = applyMigrations(db, options.migrations ?? MIGRATIONS);
      return new Store(root, dbPath, db, migrated);
    } catch (e) {
      try { db?.close(); } catch { /* already failing */ }
      throw toStoreError(e, dbPath);
    }
  }

  get isOpen(): boolean {
    return this.db.open;
  }

  /** The schema version of the database (`PRAGMA user_version`). */
  get version(): number {
    return userVersion(this.db);
  }

  /**
   * Runs `fn` in a `BEGIN IMMEDIATE` transaction (a savepoint when already inside one): committed
   * if it returns, rolled back if it throws. Keep it short: other writers wait while it runs.
   * `fn` must not be async (better-sqlite3 is synchronous; a promise would escape the transaction).
   */
  transaction<T>(fn: (db: Database.Database) => T): T {
    try {
      return this.db.transaction(fn).immediate(this.db);
    } catch (e) {
      this.rethrow(e);
    }
  }

  /**
   * Throws `e`, as a StoreError with an actionable message when it is an SQLite error caused by
   * the file or its environment (damaged file, read-only disk, lock held too long, disk full...).
   * The caller's own errors (constraint violations, bugs) are thrown unchanged. For modules that
   * read outside `transaction()`.
   */
  rethrow(e: unknown): never {
    throw (isSqliteError(e) && environmentalError(e, this.path)) || e;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/**
 * `PRAGMA journal_mode = WAL`. On a database already in WAL this only reads. On a fresh one it
 * needs an exclusive lock, and when two processes open the new file at the same moment both hold
 * a shared lock and want to upgrade: SQLite then answers SQLITE_BUSY at once, without calling the
 * busy handler (waiting could deadlock). So retry here, with a short random back-off, for as long
 * as the busy timeout allows.
 */
function switchToWal(db: Database.Database, busyTimeoutMs: number): void {
  const deadline = Date.now() + busyTimeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (e) {
      if (!(isSqliteError(e) && e.code.startsWith('SQLITE_BUSY')) || Date.now() >= deadline) throw e;
      sleepSync(Math.min(2 + attempt * 5, 50) * (0.5 + Math.random()));
    }
  }
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

function sleepSync(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

interface SqliteErrorLike { code: string; message: string }

function isSqliteError(e: unknown): e is Error & SqliteErrorLike {
  return e instanceof Database.SqliteError;
}

function errnoOf(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Creates `dir` if needed and checks that this process can create and write mlops.db, -wal and
 * -shm there. SQLite itself would silently open a write-protected file read-only and fail only at
 * the first write, or report a bare SQLITE_CANTOPEN without saying why.
 */
function checkLocation(dir: string, dbPath: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    const code = errnoOf(e);
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      throw new StoreError('not-a-directory', dbPath,
        `Cannot open the MLOps database ${dbPath}: ${dir} (or a folder above it) exists but is not a folder (${code}). ` +
        `Rename or remove that file so that MLOps Workbench can create the ${STORE_DIR} folder.`, e);
    }
    throw notWritable(dbPath, `the folder ${dir} cannot be created (${code ?? String(e)})`, e);
  }
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (e) {
    throw notWritable(dbPath, `the folder ${dir} cannot be read (${errnoOf(e) ?? String(e)})`, e);
  }
  if (!st.isDirectory()) {
    throw new StoreError('not-a-directory', dbPath,
      `Cannot open the MLOps database ${dbPath}: ${dir} exists but is not a folder. ` +
      `Rename or remove that file so that MLOps Workbench can create the ${STORE_DIR} folder.`);
  }
  try {
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
  } catch (e) {
    throw notWritable(dbPath, `the folder ${dir} is not writable by this user (${errnoOf(e) ?? String(e)})`, e);
  }
  for (const file of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) {
    let fst: fs.Stats;
    try {
      fst = fs.statSync(file);
    } catch {
      continue; // does not exist yet: SQLite creates it in the writable folder
    }
    if (!fst.isFile()) {
      throw new StoreError('not-a-directory', dbPath,
        `Cannot open the MLOps database ${dbPath}: ${file} exists but is not a regular file. ` +
        `Move it aside so that MLOps Workbench can create its database there.`);
    }
    try {
      fs.accessSync(file, fs.constants.R_OK | fs.constants.W_OK);
    } catch (e) {
      // Gone since the stat: the last connection of another process closed and removed its -wal
      // (or -shm). SQLite creates it again; only a file that is there and refused is a problem.
      if (errnoOf(e) === 'ENOENT') continue;
      throw notWritable(dbPath, `the file ${file} is not writable by this user (${errnoOf(e) ?? String(e)})`, e);
    }
  }
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function notWritable(dbPath: string, why: string, cause: unknown): StoreError {
  return new StoreError('not-writable', dbPath,
    `Cannot open the MLOps database ${dbPath}: ${why}. MLOps Workbench records snapshots, runs and ` +
    `approvals there and must be able to write ${STORE_FILE}, ${STORE_FILE}-wal and ${STORE_FILE}-shm in ` +
    `${path.dirname(dbPath)}: give this user write access to that folder and its files (for example, ` +
    `run \`chmod -R u+w ${path.dirname(dbPath)}\` as their owner), or open the project from a writable location.`, cause);
}

/** Turns whatever opening threw into a StoreError with an actionable message. */
function toStoreError(e: unknown, dbPath: string): Error {
  if (e instanceof StoreError) return e;
  if (e instanceof SchemaTooNewError) {
    return new StoreError('too-new', dbPath,
      `Cannot open the MLOps database ${dbPath}: it was written by a newer version of MLOps Workbench ` +
      `(schema version ${e.found}; this version knows up to ${e.known}). Update the extension and the ` +
      '`mlops` CLI to the newest version; do not delete the database, it holds the project\'s history.', e);
  }
  if (e instanceof MigrationError) {
    return new StoreError('migration-failed', dbPath,
      `Cannot upgrade the MLOps database ${dbPath}: ${e.message}. The step was rolled back and the ` +
      `database is unchanged (schema version ${e.fromVersion}). Report this with the message above.`, e);
  }
  if (!isSqliteError(e)) return e instanceof Error ? e : new Error(String(e));
  return environmentalError(e, dbPath)
    ?? new StoreError('open-failed', dbPath, `Cannot open the MLOps database ${dbPath}: ${e.code}: ${e.message}.`, e);
}

/** The StoreError for an SQLite error caused by the file or its environment, else undefined. */
function environmentalError(e: Error & SqliteErrorLike, dbPath: string): StoreError | undefined {
  const code = e.code;
  const raw = `${code}: ${e.message}`;
  if (code === 'SQLITE_NOTADB') {
    return new StoreError('not-a-database', dbPath,
      `Cannot open the MLOps database ${dbPath}: the file is not an SQLite database (${raw}). ` +
      `Something else has written a file with that name. Move it aside (for example ` +
      `\`mv ${dbPath} ${dbPath}.broken\`) and a new, empty database is created on the next start; ` +
      'look at the moved file first if it may hold runs or approvals of this project.', e);
  }
  if (code.startsWith('SQLITE_CORRUPT')) {
    return new StoreError('corrupt', dbPath,
      `The MLOps database ${dbPath} is damaged (${raw}). Close every MLOps process (editor, CLI), keep a copy ` +
      `of the .mlops folder, then try \`sqlite3 ${dbPath} .recover\` into a new file, or move the ` +
      'database aside to start a new one.', e);
  }
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') {
    return notWritable(dbPath, `SQLite cannot write it (${raw})`, e);
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new StoreError('busy', dbPath,
      `The MLOps database ${dbPath} stayed locked by another process for longer than the busy timeout (${raw}). ` +
      'Another MLOps process (editor or CLI) may be hanging inside a write: let it finish or stop it, then retry.', e);
  }
  if (code === 'SQLITE_FULL') {
    return new StoreError('disk-full', dbPath,
      `Cannot write the MLOps database ${dbPath}: the disk is full (${raw}). Free some space (\`mlops gc\` ` +
      'removes unreferenced cache objects) and retry.', e);
  }
  if (code.startsWith('SQLITE_IOERR')) {
    return new StoreError('io-error', dbPath,
      `Cannot read or write the MLOps database ${dbPath}: input/output error (${raw}). Check the disk and ` +
      'the file system it is on (network file systems do not support SQLite\'s WAL mode).', e);
  }
  return undefined;
}
