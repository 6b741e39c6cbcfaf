/** What the audit tests share: tampering as an attacker with the sqlite3 tool would, and reading CSV back. */
import { execFileSync } from 'node:child_process';

/**
 * Runs `sql` on the database file with the real `sqlite3` command-line tool, after dropping the
 * triggers that keep the audit log append-only: they stop code by mistake, not someone holding the
 * file, which is what the hash chain is for.
 */
export function tamper(dbPath: string, sql: string): void {
  sqlite3(dbPath, `DROP TRIGGER IF EXISTS audit_log_append_only; DROP TRIGGER IF EXISTS audit_log_no_delete; ${sql}`);
}

/** Runs `sql` on the database file with the real `sqlite3` command-line tool, triggers in place. */
export function sqlite3(dbPath: string, sql: string): void {
  execFileSync('sqlite3', [dbPath, sql], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** RFC 4180: rows of fields; quoted fields may hold commas, doubled quotes and line breaks. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"', i++);
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') (row.push(field), field = '');
    else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      (row = [], field = '', i++);
    } else field += c;
  }
  if (field || row.length) throw new Error(`the CSV does not end with CRLF: ${JSON.stringify(text.slice(-40))}`);
  return rows;
}
