/**
 * `mlops audit verify`: the audit log's hash chain recomputed from the start.
 *
 * The walk starts at the prune checkpoint (or at the genesis hash, 64 zeros, before entry 1) and
 * checks, entry by entry in seq order:
 * - the seq follows the previous one (a gap is a deleted entry; an entry at or before the
 *   checkpoint was put back after a prune, or the checkpoint was changed);
 * - the entry's prev_hash is the previous entry's hash (an entry moved, replaced or deleted, or the
 *   previous one edited together with its hash);
 * - its hash is the SHA-256 of prev_hash and its content (an edit of time, actor, action, entity or
 *   details).
 * After a prune it also checks that the checkpoint is the one `mlops audit prune` made: the latest
 * `audit.prune` entry of the chain (a prune records itself after its checkpoint, in the same
 * transaction) must name the checkpoint's seq, hash, date and time. Whoever holds the file can
 * write a checkpoint and delete the entries before it as prune does; without that entry, which
 * they cannot add to the chain without recomputing every hash after it, the log is broken at the
 * first entry left.
 *
 * What the chain alone cannot show: entries removed from the END (the shorter chain is intact), a
 * whole log rewritten with new hashes, or entries added at the end by someone who computes their
 * hashes (the chain has no secret key). The head hash printed by verify is what catches the first
 * two when it is kept somewhere the database's owner cannot rewrite (a git commit, a ticket, an
 * e-mail to the compliance officer): a later log must still contain that hash (`mlops audit
 * export | grep`).
 */
import type BetterSqlite3 from 'better-sqlite3';
import { iso } from '../isoTime';
import { AUDIT_ROW_COLUMNS, AuditRow, entryHash, GENESIS_HASH } from './auditLog';

export interface AuditCheckpoint {
  /** The last entry a prune removed: the chain goes on from its hash. */
  seq: number;
  hash: string;
  /** The prune's --before (ms since the epoch). */
  prunedBefore: number;
  /** When the prune ran (ms since the epoch). */
  at: number;
}

/** The entry a prune records itself as, after its checkpoint. */
export const PRUNE_ACTION = 'audit.prune';
export const PRUNE_ENTITY = 'audit:log';

/** The details of that entry: what verification matches the checkpoint against. */
export type PruneDetails = {
  removed: number;
  fromSeq: number;
  /** The checkpoint's seq and hash. */
  toSeq: number;
  checkpointHash: string;
  /** The checkpoint's prunedBefore, as an ISO time. */
  before: string;
  retentionDays: number;
};

export interface ChainVerification {
  ok: boolean;
  /** The entries in the log (after any prune). */
  entries: number;
  firstSeq: number | null;
  lastSeq: number | null;
  /** The last entry's hash (the checkpoint's, or the genesis hash, when there is none): the value to anchor elsewhere. */
  headHash: string;
  checkpoint: AuditCheckpoint | null;
  /** The first entry where the chain fails, and why, in plain words. */
  broken?: { seq: number; reason: string };
}

/** Where the chain stands: the entry the next one must link to (seq 0 and the genesis hash at the start). */
interface Link {
  seq: number;
  hash: string;
}

export function readCheckpoint(db: BetterSqlite3.Database): AuditCheckpoint | null {
  const row = db.prepare('SELECT seq, hash, pruned_before, at FROM audit_checkpoint WHERE id = 1').get() as { seq: number; hash: string; pruned_before: number; at: number } | undefined;
  return row ? { seq: row.seq, hash: row.hash, prunedBefore: row.pruned_before, at: row.at } : null;
}

export function verifyAuditChain(db: BetterSqlite3.Database): ChainVerification {
  // One read transaction: entries appended meanwhile by other processes are not half seen.
  return db.transaction(() => {
    const checkpoint = readCheckpoint(db);
    let previous: Link = checkpoint ? { seq: checkpoint.seq, hash: checkpoint.hash } : { seq: 0, hash: GENESIS_HASH };
    let entries = 0;
    let firstSeq: number | null = null;
    let broken: ChainVerification['broken'];
    let lastPrune: AuditRow | undefined;
    for (const row of db.prepare(`SELECT ${AUDIT_ROW_COLUMNS} FROM audit_log ORDER BY seq`).iterate() as IterableIterator<AuditRow>) {
      entries++;
      firstSeq ??= row.seq;
      broken ??= linkProblem(row, previous, checkpoint) ?? contentProblem(row);
      if (row.action === PRUNE_ACTION && row.entity === PRUNE_ENTITY) lastPrune = row;
      previous = { seq: row.seq, hash: row.hash };
    }
    if (checkpoint && firstSeq === null) {
      // A prune records itself after its checkpoint, so an empty log after one lost that entry at least.
      broken = { seq: checkpoint.seq + 1, reason: `no entry follows the prune checkpoint (entry ${checkpoint.seq}), but a prune always records itself as the next entry: entries were deleted` };
    } else if (checkpoint && firstSeq !== null) {
      // Reported at the first entry left, so before any break the walk found later; one it found there says more.
      const unmade = checkpointProblem(checkpoint, lastPrune, firstSeq);
      if (unmade && (!broken || unmade.seq < broken.seq)) broken = unmade;
    }
    return { ok: !broken, entries, firstSeq, lastSeq: entries ? previous.seq : null, headHash: previous.hash, checkpoint, ...(broken && { broken }) };
  })();
}

/**
 * Whether the latest prune entry records `checkpoint` (what prune.ts writes: toSeq and
 * checkpointHash, before as ISO time, the entry's time the checkpoint's `at`); the break is
 * reported at `firstSeq`, the first entry left.
 */
function checkpointProblem(checkpoint: AuditCheckpoint, lastPrune: AuditRow | undefined, firstSeq: number): ChainVerification['broken'] {
  if (!lastPrune) {
    return {
      seq: firstSeq,
      reason: `${entriesText(1, checkpoint.seq)} removed without \`mlops audit prune\`: the log starts after a prune checkpoint (entry ${checkpoint.seq}), ` +
        'but no audit.prune entry after it records that prune',
    };
  }
  // An edited prune entry is reported where it stands (contentProblem): what it says proves nothing either way.
  if (contentProblem(lastPrune)) return undefined;
  const recorded = JSON.parse(lastPrune.details) as PruneDetails;
  if (recorded.toSeq < checkpoint.seq) {
    return {
      seq: firstSeq,
      reason: `${entriesText(recorded.toSeq + 1, checkpoint.seq)} removed without \`mlops audit prune\`: the checkpoint is at entry ${checkpoint.seq}, ` +
        `but the latest prune (entry ${lastPrune.seq}) removed entries up to ${recorded.toSeq}`,
    };
  }
  if (recorded.toSeq !== checkpoint.seq || recorded.checkpointHash !== checkpoint.hash || Date.parse(recorded.before) !== checkpoint.prunedBefore || lastPrune.time !== checkpoint.at) {
    return {
      seq: firstSeq,
      reason: `the prune checkpoint was changed: it is not what the latest prune (entry ${lastPrune.seq}) recorded ` +
        `(checkpoint: entry ${checkpoint.seq}, hash ${short(checkpoint.hash)}, before ${iso(checkpoint.prunedBefore)}, at ${iso(checkpoint.at)}; ` +
        `prune: entry ${recorded.toSeq}, hash ${short(recorded.checkpointHash)}, before ${recorded.before}, at ${iso(lastPrune.time)})`,
    };
  }
  return undefined;
}

function entriesText(from: number, to: number): string {
  return from === to ? `entry ${from} was` : `entries ${from} to ${to} were`;
}

function linkProblem(row: AuditRow, previous: Link, checkpoint: AuditCheckpoint | null): ChainVerification['broken'] {
  const expected = previous.seq + 1;
  if (row.seq < expected) {
    // Only the first entry can be here (seqs are unique and walked in order).
    return {
      seq: row.seq,
      reason: checkpoint
        ? `entry ${row.seq} comes before the prune checkpoint (entries up to ${checkpoint.seq} were pruned): it was put back after the prune, or the checkpoint was changed`
        : `entry ${row.seq} has a seq below 1, which MLOps never writes: it was inserted by other means`,
    };
  }
  if (row.seq > expected) {
    const missing = row.seq - 1 === expected ? `entry ${expected} is missing` : `entries ${expected} to ${row.seq - 1} are missing`;
    const after = previous.seq === 0 && !checkpoint
      ? `the log starts at entry ${row.seq} and there is no prune checkpoint: they were deleted, or the checkpoint \`mlops audit prune\` leaves was removed`
      : `entry ${row.seq} follows ${describe(previous, checkpoint)}: ${row.seq - 1 === expected ? 'it was' : 'they were'} deleted`;
    return { seq: expected, reason: `${missing}; ${after}` };
  }
  if (row.prev_hash !== previous.hash) {
    return {
      seq: row.seq,
      reason: `entry ${row.seq} does not link to ${describe(previous, checkpoint)}: it records the previous hash ${short(row.prev_hash)}, but that is ${short(previous.hash)}. ` +
        `Entries were reordered, replaced or deleted, or ${describe(previous, checkpoint)} was changed together with its hash`,
    };
  }
  return undefined;
}

function contentProblem(row: AuditRow): ChainVerification['broken'] {
  let details: Record<string, unknown>;
  try {
    details = JSON.parse(row.details) as Record<string, unknown>;
  } catch {
    return { seq: row.seq, reason: `entry ${row.seq} was changed after it was written: its details are no longer the JSON that was recorded` };
  }
  if (entryHash(row.prev_hash, { seq: row.seq, time: row.time, actor: row.actor, action: row.action, entity: row.entity, details }) !== row.hash) {
    return { seq: row.seq, reason: `entry ${row.seq} was changed after it was written: its content (time, actor, action, entity or details) no longer matches its hash` };
  }
  return undefined;
}

function describe(link: Link, checkpoint: AuditCheckpoint | null): string {
  if (checkpoint && link.seq === checkpoint.seq && link.hash === checkpoint.hash) return `the prune checkpoint (entry ${link.seq})`;
  return link.seq === 0 ? 'the start of the log' : `entry ${link.seq}`;
}

function short(hash: string): string {
  return `${hash.slice(0, 12)}…`;
}
