/**
 * `mlops audit verify|log|export|prune`: the project's tamper-evident audit log (core/audit/), the
 * record of who changed which run, snapshot or model version, and when (EU AI Act Art. 12, 19).
 * With --json each prints one JSON document (errors too, see commandErrors.ts); times in JSON are
 * ISO 8601 strings. The read commands (verify, log, export) never create the database.
 */
import * as fs from 'fs';
import type BetterSqlite3 from 'better-sqlite3';
import { resolveActor } from '../core/audit/actor';
import { escapeControls, GENESIS_HASH } from '../core/audit/auditLog';
import { auditEntries, EXPORT_FORMATS, ExportedEntry, exportAudit, ExportFormat } from '../core/audit/export';
import { pruneAudit } from '../core/audit/prune';
import { projectRetention } from '../core/audit/retention';
import { AuditCheckpoint, ChainVerification, verifyAuditChain } from '../core/audit/verify';
import { iso } from '../core/isoTime';
import { findProjectRoot } from '../core/workspace/projectRoot';
import { optionValue, parseArgs, UsageError } from './args';
import { checkOptions, reportErrors, writeWholeFile } from './commandErrors';

export const AUDIT_VERIFY_USAGE = 'mlops audit verify [--json]';
export const AUDIT_LOG_USAGE = 'mlops audit log [--entity E] [--limit N | --all] [--json]';
export const AUDIT_EXPORT_USAGE = 'mlops audit export [--since DATE] [--until DATE] [--entity E] [--format jsonl|csv] [--out FILE]';
export const AUDIT_PRUNE_USAGE = 'mlops audit prune --before DATE [--by USER] [--json]';

/** The audit lines of `mlops --help`. */
export const AUDIT_HELP = `  ${AUDIT_VERIFY_USAGE}
      Recompute the hash chain of the audit log (every change to runs, snapshots and the registry:
      who, what, when). Exit code 1 naming the first entry that was edited, deleted or moved; else
      the head hash, to keep elsewhere (a git commit): entries removed from the end show only there.
  ${AUDIT_LOG_USAGE}
      The latest entries, newest first (50 by default, --all: every one). --entity model:NAME also
      lists model:NAME/2; an entity ending with : or / is a prefix (run:).
  ${AUDIT_EXPORT_USAGE}
      The entries with their hashes as JSON lines (default) or CSV, from --since (inclusive) to
      --until (exclusive). DATE is YYYY-MM-DD (midnight UTC) or an ISO time.
  ${AUDIT_PRUNE_USAGE}
      Remove the entries older than DATE, only past the longest governance.logRetentionDays of the
      project's pipelines (EU AI Act Art. 19); a checkpoint keeps the rest of the chain verifiable.`;

type Out = NodeJS.WritableStream;

/** What `log` shows when --limit is not given, as `mlops runs list` does. */
const DEFAULT_LOG_LIMIT = 50;

export async function auditCommand(argv: string[], out: Out, err: Out): Promise<number> {
  const [sub, ...rest] = argv;
  const { positionals, options } = parseArgs(rest, new Set(['entity', 'limit', 'since', 'until', 'format', 'out', 'before', 'by']));
  const json = options.has('json');
  const root = findProjectRoot(process.cwd());
  const noPositionals = (): void => {
    if (positionals.length) throw new UsageError(`audit ${sub} takes no positional argument (got ${positionals.join(' ')})`);
  };
  switch (sub) {
    case 'verify':
      checkOptions(options, ['json']);
      noPositionals();
      return reportErrors(json, out, err, () => readAuditLog(root, (db) => verify(db, json, out)));
    case 'log': {
      checkOptions(options, ['entity', 'limit', 'all', 'json']);
      noPositionals();
      const entity = optionValue(options, 'entity');
      const limitText = optionValue(options, 'limit');
      if (limitText !== undefined && !/^\d+$/.test(limitText)) throw new UsageError(`--limit needs a number of entries (got '${limitText}')`);
      const all = options.has('all');
      if (all && limitText !== undefined) throw new UsageError('audit log takes --limit N or --all, not both');
      const limit = all ? undefined : limitText === undefined ? DEFAULT_LOG_LIMIT : Number(limitText);
      return reportErrors(json, out, err, () => readAuditLog(root, (db) => {
        const entries = db ? [...auditEntries(db, { entity, newestFirst: true, limit })] : [];
        if (json) out.write(`${JSON.stringify({ entries })}\n`);
        else out.write(entries.length ? `${entries.map(entryLine).join('\n')}\n` : `No audit entries${entity === undefined ? ' yet' : ` for ${entity}`}.\n`);
        return 0;
      }));
    }
    case 'export': {
      checkOptions(options, ['since', 'until', 'entity', 'format', 'out']);
      noPositionals();
      const since = dateOption(options, 'since');
      const until = dateOption(options, 'until');
      const format = (optionValue(options, 'format') ?? 'jsonl') as ExportFormat;
      if (!EXPORT_FORMATS.includes(format)) throw new UsageError(`--format must be ${EXPORT_FORMATS.join(' or ')} (got '${format}')`);
      const file = optionValue(options, 'out');
      const filter = { since, until, entity: optionValue(options, 'entity') };
      return reportErrors(false, out, err, () => readAuditLog(root, (db) => {
        if (file === undefined) {
          exportAudit(db, filter, format, (chunk) => out.write(chunk));
          return 0;
        }
        const count = writeWholeFile(file, 'the export', `audit.${format}`, (write) => exportAudit(db, filter, format, write));
        out.write(`Exported ${plural(count, 'entry', 'entries')} to ${file} (${format}).\n`);
        return 0;
      }));
    }
    case 'prune': {
      checkOptions(options, ['before', 'by', 'json']);
      noPositionals();
      const before = dateOption(options, 'before');
      if (before === undefined) throw new UsageError('audit prune needs --before DATE: the entries older than DATE are removed');
      const by = optionValue(options, 'by');
      return reportErrors(json, out, err, () => prune(root, before, by, json, out));
    }
    default:
      throw new UsageError(sub === undefined ? 'audit needs a subcommand: verify, log, export or prune' : `unknown audit subcommand '${sub}': use verify, log, export or prune`);
  }
}

/**
 * Runs `fn` on the project's database, or on undefined when there is none yet (an empty log):
 * reading the log creates nothing. The native module is loaded only here.
 */
async function readAuditLog<T>(root: string, fn: (db: BetterSqlite3.Database | undefined) => T): Promise<T> {
  const { Store } = await import('../core/store/store');
  if (!fs.existsSync(Store.pathFor(root))) return fn(undefined);
  const store = Store.open(root);
  try {
    return fn(store.db);
  } finally {
    store.close();
  }
}

/** The verification of a log that has no entry and no checkpoint. */
const EMPTY_LOG: ChainVerification = { ok: true, entries: 0, firstSeq: null, lastSeq: null, headHash: GENESIS_HASH, checkpoint: null };

function verify(db: BetterSqlite3.Database | undefined, json: boolean, out: Out): number {
  const v = db ? verifyAuditChain(db) : EMPTY_LOG;
  if (json) {
    out.write(`${JSON.stringify({ ok: v.ok, entries: v.entries, firstSeq: v.firstSeq, lastSeq: v.lastSeq, headHash: v.headHash, checkpoint: checkpointJson(v.checkpoint), broken: v.broken ?? null })}\n`);
  } else if (v.broken) {
    out.write(`audit log broken at seq ${v.broken.seq}: ${v.broken.reason}.\n` +
      `The entries before seq ${v.broken.seq} verify. Keep .mlops/mlops.db as it is (it is the evidence) and compare it with a backup or an earlier export.\n`);
  } else {
    const pruned = v.checkpoint ? `; entries before ${iso(v.checkpoint.prunedBefore)} were pruned, the chain starts after entry ${v.checkpoint.seq}` : '';
    out.write(`${plural(v.entries, 'entry', 'entries')}, chain intact, head ${v.headHash}${pruned}\n`);
  }
  return v.ok ? 0 : 1;
}

async function prune(root: string, before: number, by: string | undefined, json: boolean, out: Out): Promise<number> {
  const retention = await projectRetention(root);
  const actor = resolveActor(root, by);
  const { Store } = await import('../core/store/store');
  const store = Store.open(root);
  try {
    const r = pruneAudit(store, { before, actor, retentionDays: retention.days, retentionSource: `governance.logRetentionDays of ${retention.pipelineFile}` });
    if (json) {
      out.write(`${JSON.stringify({
        removed: r.removed, fromSeq: r.fromSeq, toSeq: r.toSeq, before: iso(before), retentionDays: retention.days, retentionPipeline: retention.pipelineFile,
        checkpoint: checkpointJson(r.checkpoint), entry: r.entry?.seq ?? null,
      })}\n`);
    } else if (r.removed) {
      out.write(`Removed ${plural(r.removed, 'entry', 'entries')} (seq ${r.fromSeq} to ${r.toSeq}) older than ${iso(before)}; the chain now starts after the checkpoint at seq ${r.toSeq} ` +
        `(hash ${r.checkpoint?.hash}). Retention: ${retention.days} days (${retention.pipelineFile}). The prune is entry ${r.entry?.seq}.\n`);
    } else {
      out.write(`No entry is older than ${iso(before)}: nothing was pruned.\n`);
    }
    return 0;
  } finally {
    store.close();
  }
}

function checkpointJson(c: AuditCheckpoint | null): object | null {
  return c && { seq: c.seq, hash: c.hash, prunedBefore: iso(c.prunedBefore), at: iso(c.at) };
}

/**
 * `#17  2026-11-26T15:51:29.000Z  t@example.org  run.end run:3f2a1b0c9d8e  status=completed exitCode=0 points=6`:
 * one line per entry, whatever it holds (control characters escaped), so that no entry can show as several.
 */
function entryLine(e: ExportedEntry): string {
  const details = typeof e.details === 'object' && e.details !== null
    ? Object.entries(e.details).filter(([, v]) => v !== null).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ')
    : String(e.details);
  return escapeControls(`#${e.seq}  ${e.time}  ${e.actor}  ${e.action} ${e.entity}${details ? `  ${details}` : ''}`);
}

/** DATE: YYYY-MM-DD (midnight UTC) or an ISO 8601 time (UTC unless it names an offset). */
function dateOption(options: Map<string, string | true>, name: string): number | undefined {
  const text = optionValue(options, name);
  if (text === undefined) return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})(T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/.exec(text);
  const ms = m ? Date.parse(m[4] === undefined ? `${text}T00:00:00Z` : m[5] === undefined ? `${text}Z` : text) : Number.NaN;
  // Date.parse rolls 2025-02-30 over to March: the day must read back unchanged.
  if (!m || Number.isNaN(ms) || new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))).toISOString().slice(0, 10) !== `${m[1]}-${m[2]}-${m[3]}`) {
    throw new UsageError(`--${name} ${text}: expected a date YYYY-MM-DD (midnight UTC) or an ISO time such as 2025-06-30T12:00:00Z`);
  }
  return ms;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
