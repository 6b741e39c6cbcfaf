import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import * as fs from 'fs';
import * as path from 'path';
import { Store, StoreError } from '../../../server/src/core/store/store';
import { Migration, MIGRATIONS, SCHEMA_VERSION } from '../../../server/src/core/store/migrations';
import { removeTempDirs, runNode, startSoon, tempProject, WAIT_FOR_START } from './storeTestUtil';

after(removeTempDirs);

function tables(store: Store): string[] {
  return store.db.prepare<[], string>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all();
}

function expectStoreError(fn: () => unknown, code: StoreError['code']): StoreError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof StoreError, `expected a StoreError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected a StoreError ${code}`);
}

describe('Store: opening and migrations', () => {
  test('a fresh project gets .mlops/mlops.db, WAL, busy timeout, NORMAL sync, foreign keys, schema migrated', () => {
    const root = tempProject();
    const store = Store.open(root);
    try {
      assert.equal(store.path, path.join(root, '.mlops', 'mlops.db'));
      assert.ok(fs.statSync(store.path).isFile());
      assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(store.db.pragma('busy_timeout', { simple: true }), 10_000);
      assert.equal(store.db.pragma('synchronous', { simple: true }), 1); // NORMAL
      assert.equal(store.db.pragma('foreign_keys', { simple: true }), 1);
      assert.equal(store.version, SCHEMA_VERSION);
      assert.equal(store.db.pragma('user_version', { simple: true }), MIGRATIONS.length);
      assert.deepEqual(store.migrated, MIGRATIONS.map((m) => m.version));
      // Migration 1 is the stat cache only: runs, metrics, registry and audit come later.
      assert.deepEqual(tables(store), ['approvals', 'artifacts', 'audit_checkpoint', 'audit_log', 'audit_prune_permit', 'metric_latest', 'metrics', 'model_aliases', 'model_versions', 'models', 'runs', 'stage_transitions', 'stat_cache', 'transition_requests']);
    } finally {
      store.close();
    }
    assert.equal(store.isOpen, false);
    store.close(); // twice is fine
  });

  test('reopening keeps the data and applies no migration again', () => {
    const root = tempProject();
    const a = Store.open(root);
    a.transaction((db) => db.prepare("INSERT INTO stat_cache VALUES ('a.csv', 3, 42, 7, ?)").run('0'.repeat(64)));
    a.close();
    const b = Store.open(root);
    try {
      assert.deepEqual(b.migrated, []);
      assert.equal(b.version, SCHEMA_VERSION);
      assert.deepEqual(b.db.prepare('SELECT path, size, mtime_ns, ino FROM stat_cache').all(), [{ path: 'a.csv', size: 3, mtime_ns: 42, ino: 7 }]);
    } finally {
      b.close();
    }
  });

  test('migrations run in order, each once; later steps apply on a later open', () => {
    const root = tempProject();
    const seen: number[] = [];
    const steps: Migration[] = [
      { version: 1, description: 'one', up: 'CREATE TABLE t1 (x INTEGER)' },
      { version: 2, description: 'two', up: (db) => { seen.push(2); db.exec('CREATE TABLE t2 (x INTEGER)'); } },
    ];
    const a = Store.open(root, { migrations: steps });
    assert.deepEqual(a.migrated, [1, 2]);
    assert.equal(a.version, 2);
    a.close();
    const more: Migration[] = [...steps, { version: 3, description: 'three', up: 'CREATE TABLE t3 (x INTEGER); INSERT INTO t3 VALUES (1)' }];
    const b = Store.open(root, { migrations: more });
    assert.deepEqual(b.migrated, [3]);
    assert.deepEqual(tables(b), ['t1', 't2', 't3']);
    b.close();
    assert.deepEqual(seen, [2]);
  });

  test('a failing migration is rolled back and reported; the database stays at the last good version', () => {
    const root = tempProject();
    const steps: Migration[] = [
      { version: 1, description: 'one', up: 'CREATE TABLE t1 (x INTEGER)' },
      { version: 2, description: 'broken step', up: 'CREATE TABLE t2 (x INTEGER); INSERT INTO nowhere VALUES (1)' },
    ];
    const err = expectStoreError(() => Store.open(root, { migrations: steps }), 'migration-failed');
    assert.match(err.message, /migration 2 \(broken step\) failed: no such table: nowhere/);
    assert.match(err.message, /schema version 1/);
    const again = Store.open(root, { migrations: steps.slice(0, 1) });
    try {
      assert.equal(again.version, 1);
      assert.deepEqual(tables(again), ['t1']); // t2 was rolled back with the failed step
    } finally {
      again.close();
    }
  });

  test('a database from a newer version is refused with a clear message, not modified', () => {
    const root = tempProject();
    const a = Store.open(root);
    a.db.pragma('user_version = 999');
    a.close();
    const err = expectStoreError(() => Store.open(root), 'too-new');
    assert.match(err.message, new RegExp(`newer version of MLOps Workbench \\(schema version 999; this version knows up to ${SCHEMA_VERSION}\\)`));
    assert.match(err.message, /Update the extension/);
  });

  test('a migration list that is out of order is a programming error', () => {
    const root = tempProject();
    assert.throws(() => Store.open(root, { migrations: [{ version: 2, description: 'x', up: '' }] }), /out of order/);
  });

  test('transaction() commits, rolls back on throw, nests, and passes constraint errors through', () => {
    const root = tempProject();
    const store = Store.open(root);
    try {
      const insert = store.db.prepare("INSERT INTO stat_cache VALUES (?, 1, 1, 1, 'x')");
      store.transaction(() => { insert.run('a'); insert.run('b'); });
      assert.throws(() => store.transaction(() => { insert.run('c'); throw new Error('boom'); }), /boom/);
      store.transaction(() => {
        insert.run('d');
        assert.throws(() => store.transaction(() => { insert.run('e'); throw new Error('inner'); }), /inner/);
      });
      const err = (() => { try { store.transaction(() => insert.run('a')); } catch (e) { return e; } return undefined; })();
      assert.ok(err instanceof Error && !(err instanceof StoreError), 'a constraint error is the caller\'s, not wrapped');
      assert.match(String((err as { code?: string }).code), /SQLITE_CONSTRAINT/);
      assert.deepEqual(store.db.prepare<[], string>('SELECT path FROM stat_cache ORDER BY path').pluck().all(), ['a', 'b', 'd']);
    } finally {
      store.close();
    }
  });
});

describe('Store: clear errors instead of raw SQLITE_ codes', () => {
  test('a text file named mlops.db', () => {
    const root = tempProject();
    fs.mkdirSync(path.join(root, '.mlops'));
    const file = path.join(root, '.mlops', 'mlops.db');
    const text = 'these are my notes, not a database\n'.repeat(200);
    fs.writeFileSync(file, text);
    const err = expectStoreError(() => Store.open(root), 'not-a-database');
    assert.ok(err.message.includes(file), err.message);
    assert.match(err.message, /is not an SQLite database/);
    assert.match(err.message, /Move it aside/);
    assert.equal(fs.readFileSync(file, 'utf8'), text, 'the file is left untouched');
  });

  test('.mlops is a file, mlops.db is a folder, the project folder is missing', () => {
    const a = tempProject();
    fs.writeFileSync(path.join(a, '.mlops'), 'x');
    const e1 = expectStoreError(() => Store.open(a), 'not-a-directory');
    assert.match(e1.message, /exists but is not a folder/);
    const b = tempProject();
    fs.mkdirSync(path.join(b, '.mlops', 'mlops.db'), { recursive: true });
    const e2 = expectStoreError(() => Store.open(b), 'not-a-directory');
    assert.match(e2.message, /mlops\.db exists but is not a regular file/);
    const e3 = expectStoreError(() => Store.open(path.join(b, 'no-such-project')), 'not-a-directory');
    assert.match(e3.message, /the project folder .*no-such-project does not exist/);
    assert.ok(!fs.existsSync(path.join(b, 'no-such-project')), 'the project folder is not created');
  });

  // chmod does not stop root, so as root the opening process is a child running as `nobody`.
  const asRoot = process.getuid?.() === 0;
  const NOBODY = 65534;

  async function openAs(root: string): Promise<{ code?: string; message?: string; ok?: boolean }> {
    const script = `
      const { Store } = require(process.env.STORE_JS);
      try { Store.open(process.env.ROOT).close(); console.log(JSON.stringify({ ok: true })); }
      catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })); }`;
    if (!asRoot) {
      const { Store: S } = await import('../../../server/src/core/store/store');
      try { S.open(root).close(); return { ok: true }; } catch (e) { return { code: (e as StoreError).code, message: (e as Error).message }; }
    }
    const r = await runNode(script, { env: { ROOT: root }, uid: NOBODY, gid: NOBODY });
    assert.equal(r.code, 0, r.stderr);
    return r.json as { code?: string; message?: string };
  }

  function openableByNobody(root: string): void {
    // mkdtemp makes 0700 folders; the `nobody` child must be able to reach the project.
    fs.chmodSync(root, 0o755);
  }

  test('a read-only .mlops folder, with no database yet', async () => {
    const root = tempProject();
    openableByNobody(root);
    fs.mkdirSync(path.join(root, '.mlops'), { mode: 0o555 });
    fs.chmodSync(path.join(root, '.mlops'), 0o555);
    const r = await openAs(root);
    assert.equal(r.code, 'not-writable', JSON.stringify(r));
    assert.ok(r.message!.includes(path.join(root, '.mlops', 'mlops.db')), r.message);
    assert.match(r.message!, /is not writable by this user \(EACCES\)/);
    assert.match(r.message!, /give this user write access/);
    assert.ok(!fs.existsSync(path.join(root, '.mlops', 'mlops.db')));
  });

  test('a read-only .mlops folder holding a database (WAL needs -wal and -shm beside it)', async () => {
    const root = tempProject();
    openableByNobody(root);
    Store.open(root).close();
    fs.chmodSync(path.join(root, '.mlops', 'mlops.db'), 0o666);
    fs.chmodSync(path.join(root, '.mlops'), 0o555);
    const r = await openAs(root);
    assert.equal(r.code, 'not-writable', JSON.stringify(r));
    assert.match(r.message!, /folder .*\.mlops is not writable/);
  });

  test('a database file that this user cannot write, in a writable folder', async () => {
    const root = tempProject();
    openableByNobody(root);
    Store.open(root).close();
    const dir = path.join(root, '.mlops');
    fs.chmodSync(dir, 0o777);
    fs.chmodSync(path.join(dir, 'mlops.db'), 0o444);
    const r = await openAs(root);
    assert.equal(r.code, 'not-writable', JSON.stringify(r));
    assert.match(r.message!, /the file .*mlops\.db is not writable by this user/);
  });

  test('a project folder where .mlops cannot be created', async () => {
    const root = tempProject();
    fs.chmodSync(root, 0o555);
    const r = await openAs(root);
    assert.equal(r.code, 'not-writable', JSON.stringify(r));
    assert.match(r.message!, /cannot be created \(EACCES\)/);
  });
});

describe('Store: several processes at once', () => {
  test('processes opening a fresh database at the same moment all succeed; each step is applied once', async () => {
    const script = `
      const { Store } = require(process.env.STORE_JS);
      ${WAIT_FOR_START}
      const s = Store.open(process.env.ROOT);
      const tables = s.db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all();
      console.log(JSON.stringify({ migrated: s.migrated, version: s.version, mode: s.db.pragma('journal_mode', { simple: true }), tables }));
      s.close();`;
    for (let round = 0; round < 8; round++) {
      const root = tempProject('race');
      const procs = round % 2 === 0 ? 2 : 4;
      const env = { ROOT: root, START_AT: startSoon(500) };
      const results = await Promise.all(Array.from({ length: procs }, () => runNode(script, { env })));
      let applied = 0;
      for (const r of results) {
        assert.equal(r.code, 0, `round ${round}: ${r.stderr}`);
        const j = r.json as { migrated: number[]; version: number; mode: string; tables: string[] };
        assert.equal(j.version, SCHEMA_VERSION);
        assert.equal(j.mode, 'wal');
        assert.deepEqual([...j.tables].sort(), ['approvals', 'artifacts', 'audit_checkpoint', 'audit_log', 'audit_prune_permit', 'metric_latest', 'metrics', 'model_aliases', 'model_versions', 'models', 'runs', 'stage_transitions', 'stat_cache', 'transition_requests']);
        applied += j.migrated.length;
      }
      assert.equal(applied, SCHEMA_VERSION, `round ${round}: every migration applied exactly once across ${procs} processes`);
    }
  });

  test('processes opening and closing one database over and over (as many `mlops runs show` at once do) never fail', async () => {
    // The last connection to close checkpoints and removes -wal and -shm, while another process
    // may be checking them before its own open: a file that vanished is not an unwritable one.
    const root = tempProject('churn');
    Store.open(root).close();
    const script = `
      const { Store } = require(process.env.STORE_JS);
      ${WAIT_FOR_START}
      let opened = 0;
      for (let i = 0; i < 400; i++) {
        const s = Store.open(process.env.ROOT);
        s.db.prepare('SELECT count(*) FROM runs').get();
        s.close();
        opened++;
      }
      console.log(JSON.stringify({ opened }));`;
    const env = { ROOT: root, START_AT: startSoon(500) };
    const results = await Promise.all(Array.from({ length: 6 }, () => runNode(script, { env })));
    for (const r of results) {
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.json, { opened: 400 });
    }
  });

  test('a writer holding the lock makes another one wait (busy timeout), not fail', async () => {
    const root = tempProject();
    Store.open(root).close();
    const holder = `
      const { Store } = require(process.env.STORE_JS);
      const s = Store.open(process.env.ROOT);
      s.transaction((db) => {
        db.prepare("INSERT INTO stat_cache VALUES ('held', 1, 1, 1, 'x')").run();
        console.log('locked');
        const until = Date.now() + 1500; while (Date.now() < until) {}
      });
      s.close();`;
    const child = runNode(holder, { env: { ROOT: root } });
    await new Promise((r) => setTimeout(r, 600)); // let it take the lock
    const store = Store.open(root);
    try {
      const t0 = Date.now();
      store.transaction((db) => db.prepare("INSERT INTO stat_cache VALUES ('waited', 1, 1, 1, 'x')").run());
      const waited = Date.now() - t0;
      const r = await child;
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /locked/);
      assert.ok(waited > 200, `the write waited for the other process (${waited} ms)`);
      assert.deepEqual(store.db.prepare<[], string>('SELECT path FROM stat_cache ORDER BY path').pluck().all(), ['held', 'waited']);
    } finally {
      store.close();
    }
  });

  test('a lock held longer than the busy timeout gives a clear "busy" error', async () => {
    const root = tempProject();
    Store.open(root).close();
    const holder = `
      const { Store } = require(process.env.STORE_JS);
      const s = Store.open(process.env.ROOT);
      s.transaction(() => { console.log('locked'); const until = Date.now() + 2000; while (Date.now() < until) {} });
      s.close();`;
    const child = runNode(holder, { env: { ROOT: root } });
    await new Promise((r) => setTimeout(r, 700));
    const store = Store.open(root, { busyTimeoutMs: 100 });
    try {
      const err = expectStoreError(() => store.transaction(() => 1), 'busy');
      assert.match(err.message, /stayed locked by another process/);
    } finally {
      store.close();
      await child;
    }
  });
});
