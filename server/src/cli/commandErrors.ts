/**
 * How every `mlops` command reports a located error: one JSON document `{"error":{code,message,path}}`
 * on stdout with --json, the message on stderr, exit code 1. Errors of other kinds are bugs and
 * propagate (the CLI prints them as internal errors, exit 3).
 */
import { AuditError } from '../core/audit/auditLog';
import { RunError } from '../core/runs/runStage';
import { RunRegisteredError } from '../core/runs/runStore';
import { SnapshotError } from '../core/snapshots/errors';
import { StoreError } from '../core/store/store';
import { UsageError } from './args';

type Out = NodeJS.WritableStream;

export async function reportErrors(json: boolean, out: Out, err: Out, fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (e) {
    const located = locate(e);
    if (!located) throw e;
    const message = (e as Error).message;
    if (json) out.write(`${JSON.stringify({ error: { ...located, message } })}\n`);
    err.write(`mlops: ${message}\n`);
    return 1;
  }
}

function locate(e: unknown): { code: string; path?: string } | undefined {
  if (e instanceof SnapshotError) return { code: e.code, path: e.path };
  if (e instanceof StoreError) return { code: e.code, path: e.dbPath };
  if (e instanceof AuditError) return { code: e.code, ...(e.path !== undefined && { path: e.path }) };
  if (e instanceof RunError || e instanceof RunRegisteredError) return { code: e.code };
  return undefined;
}

export function checkOptions(options: Map<string, string | true>, allowed: string[]): void {
  for (const k of options.keys()) if (!allowed.includes(k)) throw new UsageError(`unknown option --${k}`);
}
