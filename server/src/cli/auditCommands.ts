/** `mlops audit ...` (being written). */
import { UsageError } from './args';

/** The audit lines of `mlops --help`. */
export const AUDIT_HELP = '  mlops audit ...';

export async function auditCommand(argv: string[], _out: NodeJS.WritableStream, _err: NodeJS.WritableStream): Promise<number> {
  throw new UsageError(`audit ${argv[0] ?? ''}: not available yet`);
}
