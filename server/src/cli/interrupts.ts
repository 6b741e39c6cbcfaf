/** Ctrl+C (SIGINT) or a kill (SIGTERM) during a command that runs jobs: cancel them, so runs end `cancelled`. */
export function cancelOnSignals(): { signal: AbortSignal; dispose(): void } {
  const abort = new AbortController();
  const cancel = (): void => abort.abort();
  process.once('SIGINT', cancel);
  process.once('SIGTERM', cancel);
  return {
    signal: abort.signal,
    dispose: () => {
      process.off('SIGINT', cancel);
      process.off('SIGTERM', cancel);
    },
  };
}
