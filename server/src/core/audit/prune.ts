/**
 * `mlops audit prune --before DATE`: the entries older than the retention period removed, the
 * chain still verifiable.
 *
 * One transaction: the chain is verified first (pruning a broken log would delete the evidence of
 * the tampering and bless the rest with a checkpoint), a permit row lets the delete trigger through,
 * the oldest entries go, the checkpoint takes the seq and hash of the last one removed (where
 * verification starts from now on), the permit goes, and the prune records itself as the next
 * entry: verification accepts a checkpoint only with that entry after it, naming its seq, hash,
 * date and time, so a checkpoint written by other means shows.
 *
 * What is removed is always a prefix of the chain, up to the first entry at or after `before`: an
 * entry written while the clock was set back stays with the entries around it, so the remaining
 * seqs stay consecutive.
 */
import { iso } from '../isoTime';
import type { Store } from '../store/store';
import { appendAudit, AuditEntry, AuditError } from './auditLog';
import { AuditCheckpoint, PRUNE_ACTION, PRUNE_ENTITY, PruneDetails, readCheckpoint, verifyAuditChain } from './verify';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface PruneOptions {
  /** Entries older than this (ms since the epoch) are removed. */
  before: number;
  actor: string;
  /** How long the project keeps its logs (projectRetention). */
  retentionDays: number;
  /** Where that period comes from, for the refusal ("governance.logRetentionDays of pipeline.yaml"). */
  retentionSource?: string;
  /** ms since the epoch; Date.now() by default. */
  now?: number;
}

export interface PruneResult {
  removed: number;
  /** The seqs removed, null when nothing was. */
  fromSeq: number | null;
  toSeq: number | null;
  /** Where verification starts now (unchanged when nothing was removed). */
  checkpoint: AuditCheckpoint | null;
  /** The `audit.prune` entry that records this prune, when something was removed. */
  entry?: AuditEntry;
}

/** The latest `before` the retention period allows at `now`: every entry from then on is kept. */
export function latestPruneBefore(now: number, retentionDays: number): number {
  return now - retentionDays * DAY_MS;
}

export function pruneAudit(store: Store, opts: PruneOptions): PruneResult {
  const now = opts.now ?? Date.now();
  const limit = latestPruneBefore(now, opts.retentionDays);
  if (opts.before > limit) {
    throw new AuditError('within-retention',
      `Cannot prune the audit log before ${iso(opts.before)}: the project keeps its logs ${opts.retentionDays} days` +
      `${opts.retentionSource ? ` (${opts.retentionSource})` : ''}, so every entry since ${iso(limit)} must stay ` +
      `(EU AI Act Art. 19: the logs of a high-risk AI system are kept for the period set for it, at least six months). ` +
      `The latest --before allowed now is ${iso(limit)}; nothing was pruned.`);
  }
  return store.transaction((db) => {
    const chain = verifyAuditChain(db);
    if (chain.broken) {
      throw new AuditError('chain-broken',
        `The audit log is broken at seq ${chain.broken.seq} (${chain.broken.reason}). Pruning now could delete the evidence of that change, ` +
        'so nothing was pruned: keep a copy of .mlops/mlops.db, find out what happened (mlops audit export), and restore the database from a backup if it was tampered with.');
    }
    const range = db.prepare(`SELECT MIN(seq) AS first, MAX(seq) AS last, (SELECT MIN(seq) FROM audit_log WHERE time >= ?) AS firstKept FROM audit_log`)
      .get(opts.before) as { first: number | null; last: number | null; firstKept: number | null };
    const toSeq = range.firstKept === null ? range.last : range.firstKept - 1;
    if (range.first === null || toSeq === null || toSeq < range.first) return { removed: 0, fromSeq: null, toSeq: null, checkpoint: chain.checkpoint };
    const lastRemoved = db.prepare('SELECT hash FROM audit_log WHERE seq = ?').get(toSeq) as { hash: string };
    db.prepare('INSERT INTO audit_prune_permit (held) VALUES (1)').run();
    const removed = db.prepare('DELETE FROM audit_log WHERE seq <= ?').run(toSeq).changes;
    db.prepare('INSERT OR REPLACE INTO audit_checkpoint (id, seq, hash, pruned_before, at) VALUES (1, ?, ?, ?, ?)').run(toSeq, lastRemoved.hash, opts.before, now);
    db.prepare('DELETE FROM audit_prune_permit').run();
    // Its details and time are what verification holds the checkpoint to (verify.ts checkpointProblem).
    const details: PruneDetails = { removed, fromSeq: range.first, toSeq, before: iso(opts.before), retentionDays: opts.retentionDays, checkpointHash: lastRemoved.hash };
    const entry = appendAudit(db, { actor: opts.actor, action: PRUNE_ACTION, entity: PRUNE_ENTITY, time: now, details });
    return { removed, fromSeq: range.first, toSeq, checkpoint: readCheckpoint(db), entry };
  });
}
