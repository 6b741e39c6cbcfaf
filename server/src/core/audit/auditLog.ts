/**
 * The audit log: append-only, one hash chain per project database (`audit_log`, migration 3).
 * Every mutation of runs, snapshots and the registry appends its entry inside the transaction
 * that makes the change, so the two are committed together or not at all.
 *
 *   hash = SHA-256( prevHash + "\n" + canonicalJson({ seq, time, actor, action, entity, details }) )
 *
 * The first entry's prevHash is 64 zeros (or, after a prune, the hash of the last pruned entry,
 * kept in `audit_checkpoint`). Editing, deleting or reordering an entry breaks the chain at that
 * seq, which verification reports.
 */
import * as crypto from 'crypto';
import type BetterSqlite3 from 'better-sqlite3';
import { canonicalJson } from '../canonicalJson';

export const GENESIS_HASH = '0'.repeat(64);

/** The actor of what MLOps does on nobody's behalf, e.g. ending as `interrupted` a run whose process is gone. */
export const SYSTEM_ACTOR = 'mlops';

/**
 * What would start a new line where an entry is shown as text (a terminal, a report): the control
 * characters (C0, DEL, C1: \n, \r, \v, \f, NEL...) and the Unicode line and paragraph separators.
 */
export const CONTROL_CHARACTER = /[\p{Cc}\u2028\u2029]/u;

/** `text` on one line, each control character written as its JSON escape (\n, \r, \t, \u2028...). */
export function escapeControls(text: string): string {
  const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
  return text.replace(new RegExp(CONTROL_CHARACTER.source, 'gu'), (c) => named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export interface AuditEntryInput {
  actor: string;
  /** What happened, `area.verb`: run.create, run.end, registry.transition, audit.prune... */
  action: string;
  /**
   * What it happened to, `kind:id`: run:3f2a..., model:grant-fraud/3 (a version, with its requests
   * and approvals), snapshot:data/raw, remote:share, cache:local, audit:log.
   */
  entity: string;
  details: Record<string, unknown>;
  /** ms since the epoch; now when not given. */
  time?: number;
}

export interface AuditEntry {
  seq: number;
  time: number;
  actor: string;
  action: string;
  entity: string;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/** An audit_log row as stored, as verification and exports read it (details as its JSON text). */
export interface AuditRow {
  seq: number;
  time: number;
  actor: string;
  action: string;
  entity: string;
  details: string;
  prev_hash: string;
  hash: string;
}

/** The columns of an AuditRow, for SELECT. */
export const AUDIT_ROW_COLUMNS = 'seq, time, actor, action, entity, details, prev_hash, hash';

/** The hash of an entry whose predecessor's hash is prevHash. */
export function entryHash(prevHash: string, e: Pick<AuditEntry, 'seq' | 'time' | 'actor' | 'action' | 'entity' | 'details'>): string {
  const body = canonicalJson({ seq: e.seq, time: e.time, actor: e.actor, action: e.action, entity: e.entity, details: e.details });
  return crypto.createHash('sha256').update(`${prevHash}\n${body}`, 'utf8').digest('hex');
}

/**
 * Appends an entry. Call it inside the write transaction of the change it records
 * (`store.transaction((db) => { ...change...; appendAudit(db, {...}); })`): the transaction's
 * write lock is what keeps two processes from taking the same seq.
 */
export function appendAudit(db: BetterSqlite3.Database, input: AuditEntryInput): AuditEntry {
  if (!db.inTransaction) throw new Error('appendAudit must run inside the transaction of the change it records');
  const last = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
  const checkpoint = last ? undefined : (db.prepare('SELECT seq, hash FROM audit_checkpoint WHERE id = 1').get() as { seq: number; hash: string } | undefined);
  const prev = last ?? checkpoint ?? { seq: 0, hash: GENESIS_HASH };
  const details = JSON.parse(canonicalJson(input.details)) as Record<string, unknown>; // what is hashed is what is stored
  const entry = { seq: prev.seq + 1, time: input.time ?? Date.now(), actor: input.actor, action: input.action, entity: input.entity, details, prevHash: prev.hash, hash: '' };
  entry.hash = entryHash(entry.prevHash, entry);
  db.prepare('INSERT INTO audit_log (seq, time, actor, action, entity, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    .run(entry.seq, entry.time, entry.actor, entry.action, entry.entity, canonicalJson(details), entry.prevHash, entry.hash);
  return entry;
}

/** An audit operation refused; `code` says why (as the CLI's {"error":{code}} does). */
export class AuditError extends Error {
  constructor(
    readonly code: 'within-retention' | 'no-retention' | 'chain-broken' | 'invalid-actor',
    message: string,
    /** The file the message is about (a pipeline.yaml without logRetentionDays). */
    readonly path?: string,
  ) {
    super(message);
    this.name = 'AuditError';
  }
}
