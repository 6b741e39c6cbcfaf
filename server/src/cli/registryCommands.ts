/** `mlops registry ...` (being written). */
import { UsageError } from './args';

/** The registry lines of `mlops --help`. */
export const REGISTRY_HELP = '  mlops registry ...';

export async function registryCommand(argv: string[], _out: NodeJS.WritableStream, _err: NodeJS.WritableStream): Promise<number> {
  throw new UsageError(`registry ${argv[0] ?? ''}: not available yet`);
}
