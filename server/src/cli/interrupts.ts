import { RUN_INTERRUPTED } from '../core/runs/executor';

/** The option of run, sweep and reproduce that ties their jobs to the process that started them. */
export const STOP_WITH_STDIN = 'stop-with-stdin';

/**
 * Ctrl+C (SIGINT) or a kill (SIGTERM) during a command that runs jobs: cancel them, so runs end
 * `cancelled`. With stopWithStdin (--stop-with-stdin, how the language server starts runs), the end
 * of standard input means the process that started us is gone (the editor closed, or its server
 * was killed): the jobs stop too and their runs end `interrupted`, rather than running on unseen.
 */
export function cancelOnSignals(stopWithStdin = false): { signal: AbortSignal; dispose(): void } {
  const abort = new AbortController();
  const cancel = (): void => abort.abort();
  const interrupt = (): void => abort.abort(RUN_INTERRUPTED);
  process.once('SIGINT', cancel);
  process.once('SIGTERM', cancel);
  if (stopWithStdin) {
    process.stdin.on('end', interrupt).on('error', interrupt).resume();
  }
  return {
    signal: abort.signal,
    dispose: () => {
      process.off('SIGINT', cancel);
      process.off('SIGTERM', cancel);
      if (stopWithStdin) process.stdin.off('end', interrupt).destroy(); // a reading stdin would keep the process alive
    },
  };
}
