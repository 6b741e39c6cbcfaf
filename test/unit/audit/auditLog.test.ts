/**
 * The audit log on real SQLite files: the hash chain, what verification catches when an attacker
 * edits the file with the sqlite3 tool (and what it cannot), concurrent writers, prune with its
 * checkpoint, export, and the retention period read from the project's pipelines.
 */
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { appendAudit, AuditError, entryHash, GENESIS_HASH } from '../../../server/src/core/audit/auditLog';
import { auditEntries, ExportedEntry, exportAudit } from '../../../server/src/core/audit/export';
import { latestPruneBefore, pruneAudit } from '../../../server/src/core/audit/prune';
import { projectRetention } from '../../../server/src/core/audit/retention';
import { ChainVerification, verifyAuditChain } from '../../../server/src/core/audit/verify';
import { canonicalJson } from '../../../server/src/core/canonicalJson';
import { Store } from '../../../server/src/core/store/store';
import { removeTempDirs, runNode, startSoon, tempProject, WAIT_FOR_START } from '../store/storeTestUtil';
import { parseCsv, sqlite3, tamper } from './auditTestUtil';

after(removeTempDirs);

const AUDIT_JS = path.resolve(__dirname, '../../../server/src/core/audit/auditLog.js');
const DAY = 24 * 60 * 60 * 1000;
/** 2025-01-01T00:00:00Z: entry i is written i days later. */
const T0 = Date.UTC(2025, 0, 1);

/** A project whose log has `n` entries, entry i (1-based) at T0 + (i - 1) days. */
function logOf(n: number): { store: Store; root: string } {
  const root = tempProject('audit');
  const store = Store.open(root);
  for (let i = 1; i <= n; i++) {
    store.transaction((db) => appendAudit(db, { actor: i % 2 ? 'ana@example.eu' : 'bo@example.eu', action: 'run.end', entity: `run:r${i}`, details: { status: 'failed', exitCode: i, note: `naïve, "quoted"\nline ${i}` }, time: T0 + (i - 1) * DAY }));
  }
  return { store, root };
}

/** Verifies the file as a fresh process would: the store reopened after the tool has written it. */
function verifyFile(root: string): ChainVerification {
  const store = Store.open(root);
  try {
    return verifyAuditChain(store.db);
  } finally {
    store.close();
  }
}

/**
 * A log of `n` entries (then `prepare`, e.g. a prune) on disk with no connection open, as an
 * attacker finds it; `entries` as they were first written; `edit` tampers with it and verifies the result.
 */
function fileLogOf(n: number, prepare?: (store: Store) => void): { root: string; entries: ExportedEntry[]; edit: (sql: string) => ChainVerification } {
  const { store, root } = logOf(n);
  const entries = [...auditEntries(store.db)];
  prepare?.(store);
  store.close();
  return { root, entries, edit: (sql) => (tamper(store.path, sql), verifyFile(root)) };
}

describe('audit log: the hash chain', () => {
  test('appends form a chain: seq 1.., hash = SHA-256(prevHash + "\\n" + canonical entry); verify walks it', () => {
    const { store } = logOf(20);
    try {
      const entries = [...auditEntries(store.db)];
      assert.deepEqual(entries.map((e) => e.seq), Array.from({ length: 20 }, (_, i) => i + 1));
      let prev = GENESIS_HASH;
      for (const e of entries) {
        assert.equal(e.prevHash, prev);
        const body = canonicalJson({ seq: e.seq, time: Date.parse(e.time), actor: e.actor, action: e.action, entity: e.entity, details: e.details });
        assert.equal(e.hash, crypto.createHash('sha256').update(`${prev}\n${body}`).digest('hex'), `entry ${e.seq}: the documented formula`);
        prev = e.hash;
      }
      assert.deepEqual(verifyAuditChain(store.db), { ok: true, entries: 20, firstSeq: 1, lastSeq: 20, headHash: prev, checkpoint: null });
    } finally {
      store.close();
    }
  });

  test('an empty log verifies, its head the genesis hash', () => {
    const store = Store.open(tempProject('audit'));
    try {
      assert.deepEqual(verifyAuditChain(store.db), { ok: true, entries: 0, firstSeq: null, lastSeq: null, headHash: GENESIS_HASH, checkpoint: null });
    } finally {
      store.close();
    }
  });

  test('appendAudit outside a transaction throws; code cannot UPDATE or DELETE entries (triggers)', () => {
    const { store } = logOf(3);
    try {
      assert.throws(() => appendAudit(store.db, { actor: 'a', action: 'x.y', entity: 'x:1', details: {} }), /inside the transaction/);
      assert.throws(() => store.transaction((db) => db.prepare("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2").run()), /append-only/);
      assert.throws(() => store.transaction((db) => db.prepare('DELETE FROM audit_log WHERE seq = 2').run()), /append-only/);
      assert.equal([...auditEntries(store.db)].length, 3);
      assert.equal(verifyAuditChain(store.db).ok, true);
    } finally {
      store.close();
    }
  });
});

describe('audit log: tampering with the sqlite3 tool', () => {
  test('a changed detail breaks the chain at that seq', () => {
    const v = fileLogOf(20).edit("UPDATE audit_log SET details = json_set(details, '$.status', 'completed') WHERE seq = 17");
    assert.equal(v.ok, false);
    assert.equal(v.broken?.seq, 17);
    assert.match(v.broken!.reason, /^entry 17 was changed after it was written: its content \(time, actor, action, entity or details\) no longer matches its hash$/);
    assert.equal(v.entries, 20);
  });

  test('a changed actor or time breaks it too; details that are no longer JSON are named', () => {
    const log = fileLogOf(6);
    assert.equal(log.edit("UPDATE audit_log SET actor = 'someone.else@example.eu' WHERE seq = 4").broken?.seq, 4);
    assert.equal(log.edit('UPDATE audit_log SET time = time - 1 WHERE seq = 2').broken?.seq, 2, 'the first break is named');
    assert.match(log.edit("UPDATE audit_log SET details = 'not json' WHERE seq = 1").broken!.reason, /^entry 1 was changed after it was written: its details are no longer the JSON/);
  });

  test('an entry changed together with a recomputed hash is caught at the next entry', () => {
    const log = fileLogOf(20);
    const e = log.entries[16];
    const details = { ...(e.details as object), status: 'completed' };
    const hash = entryHash(e.prevHash, { seq: 17, time: Date.parse(e.time), actor: e.actor, action: e.action, entity: e.entity, details });
    const v = log.edit(`UPDATE audit_log SET details = '${canonicalJson(details).replace(/'/g, "''")}', hash = '${hash}' WHERE seq = 17`);
    assert.equal(v.broken?.seq, 18);
    assert.match(v.broken!.reason, /^entry 18 does not link to entry 17: .* or entry 17 was changed together with its hash$/);
  });

  test('a deleted middle entry is named; so is a deleted first entry', () => {
    const log = fileLogOf(20);
    let v = log.edit('DELETE FROM audit_log WHERE seq = 10');
    assert.deepEqual([v.broken?.seq, v.broken?.reason, v.entries], [10, 'entry 10 is missing; entry 11 follows entry 9: it was deleted', 19]);
    v = log.edit('DELETE FROM audit_log WHERE seq IN (1, 2)');
    assert.equal(v.broken?.seq, 1);
    assert.match(v.broken!.reason, /^entries 1 to 2 are missing; the log starts at entry 3 and there is no prune checkpoint/);
  });

  test('a deleted entry with the later ones renumbered is caught by the link', () => {
    const v = fileLogOf(8).edit('DELETE FROM audit_log WHERE seq = 5; UPDATE audit_log SET seq = seq - 1 WHERE seq > 5');
    assert.equal(v.broken?.seq, 5);
    assert.match(v.broken!.reason, /^entry 5 does not link to entry 4/);
  });

  test('two entries swapped (reordered) are named at the first of them', () => {
    const v = fileLogOf(10).edit('UPDATE audit_log SET seq = 1000 WHERE seq = 5; UPDATE audit_log SET seq = 5 WHERE seq = 6; UPDATE audit_log SET seq = 6 WHERE seq = 1000');
    assert.equal(v.broken?.seq, 5);
    assert.match(v.broken!.reason, /^entry 5 does not link to entry 4: it records the previous hash [0-9a-f]{12}…, but that is [0-9a-f]{12}…\. Entries were reordered/);
  });

  test('contents swapped between two rows, seqs kept, are caught too', () => {
    const swap = ['time', 'actor', 'action', 'entity', 'details', 'prev_hash', 'hash'].map((c) => `${c} = (SELECT ${c} FROM copy WHERE copy.seq = 9 - audit_log.seq)`).join(', ');
    assert.equal(fileLogOf(10).edit(`CREATE TABLE copy AS SELECT * FROM audit_log; UPDATE audit_log SET ${swap} WHERE seq IN (4, 5); DROP TABLE copy`).broken?.seq, 4);
  });

  test('the last entry deleted is NOT caught by the chain alone: the head hash, anchored elsewhere, is what shows it', () => {
    const log = fileLogOf(10);
    const anchored = log.entries[9].hash; // the head verify printed, e.g. written into a git commit message
    const v = log.edit('DELETE FROM audit_log WHERE seq = 10');
    assert.deepEqual([v.ok, v.entries, v.lastSeq], [true, 9, 9], 'a shorter chain is still a valid chain');
    assert.notEqual(v.headHash, anchored);
    const reopened = Store.open(log.root);
    try {
      assert.equal([...auditEntries(reopened.db)].some((e) => e.hash === anchored), false, 'the anchored head is gone from the log');
    } finally {
      reopened.close();
    }
  });
});

describe('audit log: concurrent writers', () => {
  test('4 processes appending 200 entries each at once: 800 entries, seqs 1..800, the chain verifies', async () => {
    const root = tempProject('audit-concurrent');
    Store.open(root).close();
    const writer = `
      const { Store } = require(process.env.STORE_JS);
      const { appendAudit } = require(process.env.AUDIT_JS);
      const store = Store.open(process.env.ROOT);
      ${WAIT_FOR_START}
      for (let i = 0; i < 200; i++) {
        store.transaction((db) => appendAudit(db, { actor: 'writer' + process.env.WRITER, action: 'test.append', entity: 'test:' + process.env.WRITER, details: { i } }));
      }
      store.close();
      console.log(JSON.stringify({ ok: true }));`;
    const env = { ROOT: root, AUDIT_JS, START_AT: startSoon(800) };
    const results = await Promise.all([0, 1, 2, 3].map((w) => runNode(writer, { env: { ...env, WRITER: String(w) } })));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const store = Store.open(root);
    try {
      const entries = [...auditEntries(store.db)];
      assert.deepEqual(entries.map((e) => e.seq), Array.from({ length: 800 }, (_, i) => i + 1));
      for (let w = 0; w < 4; w++) {
        const mine = entries.filter((e) => e.actor === `writer${w}`).map((e) => (e.details as { i: number }).i);
        assert.deepEqual(mine, Array.from({ length: 200 }, (_, i) => i), `writer ${w}'s entries, in its order`);
      }
      assert.equal(new Set(entries.map((e) => e.actor)).size, 4);
      const v = verifyAuditChain(store.db);
      assert.deepEqual([v.ok, v.entries, v.firstSeq, v.lastSeq], [true, 800, 1, 800]);
    } finally {
      store.close();
    }
  });
});

describe('audit log: prune', () => {
  const NOW = T0 + 400 * DAY;

  test('refused inside the retention period: the message names the latest date allowed and Art. 19; nothing is removed', () => {
    const { store } = logOf(10);
    try {
      const limit = latestPruneBefore(NOW, 365);
      assert.equal(limit, T0 + 35 * DAY);
      assert.throws(() => pruneAudit(store, { before: limit + 1, actor: 'ana@example.eu', retentionDays: 365, retentionSource: 'governance.logRetentionDays of pipeline.yaml', now: NOW }), (e: unknown) => {
        assert.ok(e instanceof AuditError);
        assert.equal(e.code, 'within-retention');
        assert.match(e.message, /keeps its logs 365 days \(governance\.logRetentionDays of pipeline\.yaml\)/);
        assert.match(e.message, /The latest --before allowed now is 2025-02-05T00:00:00\.000Z/);
        assert.match(e.message, /Art\. 19/);
        return true;
      });
      assert.equal(verifyAuditChain(store.db).entries, 10);
      assert.equal(verifyAuditChain(store.db).checkpoint, null);
    } finally {
      store.close();
    }
  });

  test('allowed past it: the older entries go, the checkpoint names the last one removed, the prune records itself, the chain verifies', () => {
    const { store } = logOf(10);
    try {
      const before = T0 + 4 * DAY; // entries 1-4 are older
      const removedHead = [...auditEntries(store.db)][3].hash;
      const r = pruneAudit(store, { before, actor: 'ana@example.eu', retentionDays: 365, now: NOW });
      assert.deepEqual([r.removed, r.fromSeq, r.toSeq], [4, 1, 4]);
      assert.deepEqual(r.checkpoint, { seq: 4, hash: removedHead, prunedBefore: before, at: NOW });
      assert.equal(r.entry?.seq, 11);
      assert.deepEqual([r.entry?.action, r.entry?.entity, r.entry?.actor], ['audit.prune', 'audit:log', 'ana@example.eu']);
      assert.deepEqual(r.entry?.details, { removed: 4, fromSeq: 1, toSeq: 4, before: '2025-01-05T00:00:00.000Z', retentionDays: 365, checkpointHash: removedHead });
      const v = verifyAuditChain(store.db);
      assert.deepEqual([v.ok, v.entries, v.firstSeq, v.lastSeq], [true, 7, 5, 11]);
      assert.equal(store.db.prepare('SELECT COUNT(*) FROM audit_prune_permit').pluck().get(), 0, 'the permit is gone: deletes are refused again');
      assert.throws(() => store.transaction((db) => db.prepare('DELETE FROM audit_log WHERE seq = 5').run()), /append-only/);

      // What an export after the prune holds starts after the checkpoint, linked to it.
      const lines: string[] = [];
      exportAudit(store.db, {}, 'jsonl', (chunk) => lines.push(...chunk.trimEnd().split('\n')));
      const first = JSON.parse(lines[0]);
      assert.deepEqual([first.seq, first.prevHash, lines.length], [5, removedHead, 7]);
    } finally {
      store.close();
    }
  });

  test('prune twice: the checkpoint moves on and the chain still verifies; nothing older is a no-op that records nothing', () => {
    const { store } = logOf(10);
    try {
      pruneAudit(store, { before: T0 + 2 * DAY, actor: 'a', retentionDays: 30, now: NOW });
      const second = pruneAudit(store, { before: T0 + 6 * DAY, actor: 'b', retentionDays: 30, now: NOW + 1 });
      assert.deepEqual([second.removed, second.fromSeq, second.toSeq, second.checkpoint?.seq], [4, 3, 6, 6]);
      const v = verifyAuditChain(store.db);
      assert.deepEqual([v.ok, v.firstSeq, v.lastSeq], [true, 7, 12]);
      const none = pruneAudit(store, { before: T0 + 6 * DAY, actor: 'c', retentionDays: 30, now: NOW + 2 });
      assert.deepEqual([none.removed, none.entry, none.checkpoint?.seq], [0, undefined, 6]);
      assert.equal(verifyAuditChain(store.db).lastSeq, 12, 'no entry for a prune that removed nothing');
      // Everything older: the prune's own entry follows the checkpoint directly.
      const all = pruneAudit(store, { before: NOW + 3, actor: 'd', retentionDays: 0, now: NOW + 3 });
      assert.deepEqual([all.removed, all.toSeq, all.entry?.seq], [6, 12, 13]);
      assert.deepEqual(verifyAuditChain(store.db).entries, 1);
      assert.equal(verifyAuditChain(store.db).ok, true);
    } finally {
      store.close();
    }
  });

  test('only a prefix of the chain goes: an entry written while the clock was behind stays with its neighbours', () => {
    const root = tempProject('audit');
    const store = Store.open(root);
    try {
      const times = [T0, T0 + DAY, T0 + 10 * DAY, T0 + 2 * DAY, T0 + 11 * DAY];
      for (const time of times) store.transaction((db) => appendAudit(db, { actor: 'a', action: 'x.y', entity: 'x:1', details: {}, time }));
      const r = pruneAudit(store, { before: T0 + 5 * DAY, actor: 'a', retentionDays: 1, now: NOW });
      assert.deepEqual([r.removed, r.toSeq], [2, 2], 'entry 4 (day 2) stays: entry 3 (day 10) before it stays');
      assert.equal(verifyAuditChain(store.db).ok, true);
    } finally {
      store.close();
    }
  });

  test('a broken chain is not pruned (that would delete the evidence)', () => {
    const log = fileLogOf(10);
    log.edit("UPDATE audit_log SET actor = 'x' WHERE seq = 2");
    const reopened = Store.open(log.root);
    try {
      assert.throws(() => pruneAudit(reopened, { before: T0 + 5 * DAY, actor: 'a', retentionDays: 30, now: NOW }), (e: unknown) => e instanceof AuditError && e.code === 'chain-broken' && /broken at seq 2/.test(e.message));
      assert.equal(verifyAuditChain(reopened.db).entries, 10);
    } finally {
      reopened.close();
    }
  });

  test('after a prune: the checkpoint removed, or an entry put back before it, is named', () => {
    const log = fileLogOf(10, (store) => pruneAudit(store, { before: T0 + 4 * DAY, actor: 'a', retentionDays: 30, now: NOW }));
    const pruned = log.entries[1];
    let v = log.edit(`INSERT INTO audit_log VALUES (2, ${Date.parse(pruned.time)}, '${pruned.actor}', '${pruned.action}', '${pruned.entity}', '${canonicalJson(pruned.details).replace(/'/g, "''")}', '${pruned.prevHash}', '${pruned.hash}')`);
    assert.equal(v.broken?.seq, 2);
    assert.match(v.broken!.reason, /^entry 2 comes before the prune checkpoint \(entries up to 4 were pruned\)/);
    v = log.edit('DELETE FROM audit_log WHERE seq = 2; DELETE FROM audit_checkpoint');
    assert.equal(v.broken?.seq, 1);
    assert.match(v.broken!.reason, /^entries 1 to 4 are missing; the log starts at entry 5 and there is no prune checkpoint: they were deleted, or the checkpoint/);
  });

  test('a checkpoint forged with the permit, triggers in place, and the entries before it deleted: broken at the first entry left', () => {
    const { store, root } = logOf(20);
    const head = verifyAuditChain(store.db).headHash;
    const tenth = [...auditEntries(store.db)][9];
    store.close();
    // What prune does, without prune: the permit lets the delete trigger through.
    sqlite3(Store.pathFor(root), `BEGIN; INSERT INTO audit_checkpoint (id, seq, hash, pruned_before, at) VALUES (1, 10, '${tenth.hash}', ${T0 + 10 * DAY}, ${T0 + 400 * DAY}); ` +
      'INSERT INTO audit_prune_permit (held) VALUES (1); DELETE FROM audit_log WHERE seq <= 10; DELETE FROM audit_prune_permit; COMMIT;');
    const v = verifyFile(root);
    assert.deepEqual([v.ok, v.entries, v.firstSeq, v.headHash], [false, 10, 11, head], 'the rest of the chain links to the checkpoint and the head is unchanged');
    assert.equal(v.broken?.seq, 11);
    assert.equal(v.broken?.reason, 'entries 1 to 10 were removed without `mlops audit prune`: the log starts after a prune checkpoint (entry 10), but no audit.prune entry after it records that prune');
  });

  test('a checkpoint moved on past a real prune: the entries between the two are named', () => {
    const log = fileLogOf(10, (store) => pruneAudit(store, { before: T0 + 4 * DAY, actor: 'a', retentionDays: 30, now: T0 + 400 * DAY }));
    const v = log.edit(`UPDATE audit_checkpoint SET seq = 6, hash = '${log.entries[5].hash}'; DELETE FROM audit_log WHERE seq <= 6`);
    assert.deepEqual([v.ok, v.broken?.seq], [false, 7]);
    assert.match(v.broken!.reason, /^entries 5 to 6 were removed without `mlops audit prune`: the checkpoint is at entry 6, but the latest prune \(entry 11\) removed entries up to 4$/);
  });

  test('a checkpoint edited in place (its date or time) no longer matches the prune that made it', () => {
    for (const edit of [`pruned_before = ${T0 + 3 * DAY}`, `at = ${T0 + 500 * DAY}`]) {
      const log = fileLogOf(10, (store) => pruneAudit(store, { before: T0 + 4 * DAY, actor: 'a', retentionDays: 30, now: T0 + 400 * DAY }));
      const v = log.edit(`UPDATE audit_checkpoint SET ${edit}`);
      assert.equal(v.broken?.seq, 5, edit);
      assert.match(v.broken!.reason, /^the prune checkpoint was changed: it is not what the latest prune \(entry 11\) recorded/, edit);
    }
  });

  test('every entry after a checkpoint deleted: the prune\'s own entry is missing, which is named', () => {
    const v = fileLogOf(4, (store) => pruneAudit(store, { before: T0 + 10 * DAY, actor: 'a', retentionDays: 30, now: NOW })).edit('DELETE FROM audit_log');
    assert.equal(v.broken?.seq, 5);
    assert.match(v.broken!.reason, /a prune always records itself/);
  });
});

describe('audit log: export and filters', () => {
  test('jsonl and csv hold every field as stored; CSV quoting survives commas, quotes and line breaks', () => {
    const { store } = logOf(3);
    try {
      store.transaction((db) => appendAudit(db, { actor: 'Doe, "J"\nDept. B', action: 'run.create', entity: 'run:x', details: { message: 'a,b\r\n"c"' }, time: T0 + 5 * DAY }));
      let jsonl = '';
      assert.equal(exportAudit(store.db, {}, 'jsonl', (c) => (jsonl += c)), 4);
      const parsed = jsonl.trimEnd().split('\n').map((l) => JSON.parse(l));
      assert.deepEqual(parsed, [...auditEntries(store.db)]);
      assert.deepEqual(Object.keys(parsed[0]), ['seq', 'time', 'actor', 'action', 'entity', 'details', 'prevHash', 'hash']);
      let csv = '';
      exportAudit(store.db, {}, 'csv', (c) => (csv += c));
      const rows = parseCsv(csv);
      assert.deepEqual(rows[0], ['seq', 'time', 'actor', 'action', 'entity', 'details', 'prev_hash', 'hash']);
      assert.equal(rows.length, 5);
      assert.deepEqual(rows[4].slice(0, 6), ['4', '2025-01-06T00:00:00.000Z', 'Doe, "J"\nDept. B', 'run.create', 'run:x', '{"message":"a,b\\r\\n\\"c\\""}']);
      assert.deepEqual(rows.slice(1).map((r) => JSON.parse(r[5])), parsed.map((p) => p.details));
      assert.deepEqual(rows.slice(1).map((r) => r[7]), parsed.map((p) => p.hash));
    } finally {
      store.close();
    }
  });

  test('since is inclusive, until exclusive; entity matches itself and what is below it', () => {
    const { store } = logOf(5);
    try {
      const seqs = (q: Parameters<typeof auditEntries>[1]): number[] => [...auditEntries(store.db, q)].map((e) => e.seq);
      assert.deepEqual(seqs({ since: T0 + DAY, until: T0 + 3 * DAY }), [2, 3]);
      for (const entity of ['model:grant-fraud', 'model:grant-fraud/3', 'model:grant-fraud-v2', 'model:grant-fraud:champion', 'model:grant-fraudx']) {
        store.transaction((db) => appendAudit(db, { actor: 'a', action: 'registry.x', entity, details: {} }));
      }
      const entities = (entity: string): string[] => [...auditEntries(store.db, { entity })].map((e) => e.entity);
      assert.deepEqual(entities('model:grant-fraud'), ['model:grant-fraud', 'model:grant-fraud/3', 'model:grant-fraud:champion']);
      assert.deepEqual(entities('model:grant-fraud/'), ['model:grant-fraud/3']);
      assert.deepEqual(entities('run:').length, 5);
      assert.deepEqual(entities('run:r2'), ['run:r2']);
      assert.deepEqual(seqs({ newestFirst: true, limit: 3 }), [10, 9, 8]);
    } finally {
      store.close();
    }
  });
});

describe('audit log: the retention period of the project', () => {
  const pipeline = (extra: string): string => `apiVersion: mlops/v1\nkind: Pipeline\nname: p\nstages:\n  train: { cmd: "true" }\n${extra}`;
  function project(files: Record<string, string>): string {
    const root = tempProject('retention');
    for (const [rel, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      fs.writeFileSync(path.join(root, rel), text);
    }
    return root;
  }
  const refused = async (root: string, pattern: RegExp): Promise<void> => {
    await assert.rejects(projectRetention(root), (e: unknown) => e instanceof AuditError && e.code === 'no-retention' && pattern.test(e.message));
  };

  test('the longest governance.logRetentionDays of the pipelines wins', async () => {
    const root = project({
      'pipeline.yaml': pipeline('governance: { logRetentionDays: 200 }\n'),
      'models/b.pipeline.yaml': pipeline('governance: { logRetentionDays: 400 }\n'),
      'models/c.pipeline.yaml': pipeline(''),
      'node_modules/x/pipeline.yaml': pipeline('governance: { logRetentionDays: 9999 }\n'),
    });
    assert.deepEqual(await projectRetention(root), { days: 400, pipelineFile: 'models/b.pipeline.yaml' });
  });

  test('a high-risk pipeline counts at least six months (183 days) even when it says less', async () => {
    assert.deepEqual(await projectRetention(project({ 'pipeline.yaml': pipeline('risk: high\ngovernance: { logRetentionDays: 30 }\n') })), { days: 183, pipelineFile: 'pipeline.yaml' });
  });

  test('refused: a high-risk pipeline without it, no pipeline with it, an unreadable pipeline, a value that is not days', async () => {
    await refused(project({ 'pipeline.yaml': pipeline('governance: { logRetentionDays: 400 }\n'), 'b.pipeline.yaml': pipeline('risk: high\n') }), /^b\.pipeline\.yaml is a high-risk pipeline without governance\.logRetentionDays.*Art\. 19/);
    await refused(project({ 'pipeline.yaml': pipeline('risk: limited\n') }), /^No pipeline of the project sets governance\.logRetentionDays:/);
    await refused(project({}), /\(there is no pipeline\.yaml\)/);
    await refused(project({ 'pipeline.yaml': 'name: [unclosed\n' }), /^pipeline\.yaml: the YAML does not parse/);
    await refused(project({ 'pipeline.yaml': pipeline('governance: { logRetentionDays: "a year" }\n') }), /logRetentionDays is "a year", not a whole number of days/);
  });
});
