/**
 * Reading the audit log out: the entries matching a filter (`mlops audit log`), as JSON lines or CSV
 * (`mlops audit export`). An export is evidence: every field is written as stored, with the hashes,
 * so that whoever receives it can recompute the chain (time is ISO 8601 in UTC with milliseconds;
 * the hash covers it as milliseconds since the epoch, `Date.parse(time)`).
 */
import type BetterSqlite3 from 'better-sqlite3';
import { iso } from '../isoTime';
import { AUDIT_ROW_COLUMNS, AuditRow } from './auditLog';

export interface AuditFilter {
  /** From this time on (ms since the epoch, inclusive). */
  since?: number;
  /** Before this time (ms since the epoch, exclusive): since 2025-01-01, until 2025-02-01 is January. */
  until?: number;
  /**
   * An entity and everything below it: `model:grant-fraud` matches itself, `model:grant-fraud/3` and
   * `model:grant-fraud:x`, but not `model:grant-fraud-v2`; one ending with ':' or '/' (`run:`) is a prefix.
   */
  entity?: string;
}

export interface AuditQuery extends AuditFilter {
  newestFirst?: boolean;
  limit?: number;
}

/** An entry as `audit log --json` and the JSON lines export give it. */
export interface ExportedEntry {
  seq: number;
  /** ISO 8601, UTC. */
  time: string;
  actor: string;
  action: string;
  entity: string;
  /** The recorded object; the stored text itself when it is not JSON (an edited entry). */
  details: unknown;
  prevHash: string;
  hash: string;
}

export type ExportFormat = 'jsonl' | 'csv';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['jsonl', 'csv'];

/** The CSV header: the stored columns, in their order. */
const CSV_HEADER = AUDIT_ROW_COLUMNS.replace(/, /g, ',');

/** The entries matching `q`, oldest first unless `newestFirst`, read as they are consumed. */
export function* auditEntries(db: BetterSqlite3.Database, q: AuditQuery = {}): Generator<ExportedEntry> {
  for (const row of storedEntries(db, q)) yield exported(row);
}

/**
 * Writes the entries matching `filter` in `format` through `write` (in chunks of about 64 KiB);
 * returns how many there were. CSV follows RFC 4180: a header line, CRLF line ends, fields with a
 * comma, quote or line break quoted, quotes doubled; `details` is the stored JSON text. `db` is
 * undefined for a project without a database yet: its log is empty (a CSV of the header alone).
 */
export function exportAudit(db: BetterSqlite3.Database | undefined, filter: AuditFilter, format: ExportFormat, write: (chunk: string) => void): number {
  let chunk = format === 'csv' ? `${CSV_HEADER}\r\n` : '';
  let count = 0;
  for (const row of db ? storedEntries(db, filter) : []) {
    chunk += format === 'csv' ? csvLine(row) : `${JSON.stringify(exported(row))}\n`;
    count++;
    if (chunk.length >= 65_536) {
      write(chunk);
      chunk = '';
    }
  }
  if (chunk) write(chunk);
  return count;
}

function storedEntries(db: BetterSqlite3.Database, q: AuditQuery): IterableIterator<AuditRow> {
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (q.since !== undefined) (where.push('time >= ?'), args.push(q.since));
  if (q.until !== undefined) (where.push('time < ?'), args.push(q.until));
  if (q.entity !== undefined) {
    const m = entityMatch(q.entity);
    where.push(m.sql);
    args.push(...m.args);
  }
  const sql = `SELECT ${AUDIT_ROW_COLUMNS} FROM audit_log${where.length ? ` WHERE ${where.join(' AND ')}` : ''}` +
    ` ORDER BY seq${q.newestFirst ? ' DESC' : ''}${q.limit !== undefined ? ' LIMIT ?' : ''}`;
  return db.prepare(sql).iterate(...args, ...(q.limit !== undefined ? [q.limit] : [])) as IterableIterator<AuditRow>;
}

/** Prefixes as ranges [p, p with its last character incremented), which the index on entity serves. */
function entityMatch(entity: string): { sql: string; args: string[] } {
  const prefixes = /[:/]$/.test(entity) ? [entity] : [`${entity}/`, `${entity}:`];
  const ranges = prefixes.flatMap((p) => [p, p.slice(0, -1) + String.fromCharCode(p.charCodeAt(p.length - 1) + 1)]);
  return { sql: `(entity = ? OR ${prefixes.map(() => '(entity >= ? AND entity < ?)').join(' OR ')})`, args: [entity, ...ranges] };
}

function exported(row: AuditRow): ExportedEntry {
  let details: unknown;
  try {
    details = JSON.parse(row.details);
  } catch {
    details = row.details;
  }
  return { seq: row.seq, time: iso(row.time), actor: row.actor, action: row.action, entity: row.entity, details, prevHash: row.prev_hash, hash: row.hash };
}

function csvLine(row: AuditRow): string {
  return `${[String(row.seq), iso(row.time), row.actor, row.action, row.entity, row.details, row.prev_hash, row.hash].map(csvField).join(',')}\r\n`;
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
