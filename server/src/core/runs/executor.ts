/**
 * What every executor (local, Docker, Slurm) offers the run orchestration: start a stage's command
 * under the training contract, stream its output to the run's log, cancel it, report how it ended.
 */

export interface JobSpec {
  runId: string;
  /** The stage's command line, already with ${params...} substituted and shell-quoted by the caller: run as `/bin/sh -c <command>`. */
  command: string;
  cwd: string;
  /** Extra environment (MLOPS_RUN_ID, MLOPS_PARAMS, MLOPS_DATA_<NAME>, MLOPS_OUTPUT_DIR, MLOPS_METRICS, stage env); merged over process.env. */
  env: Record<string, string>;
  /** Where stdout and stderr go, interleaved in arrival order (appended; created if missing, with its folder). */
  logFile: string;
}

export interface JobExit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** True when cancel() was called before the job ended on its own. */
  cancelled: boolean;
}

export interface RunningJob {
  /** OS process id of the job's leader (for "interrupted" detection after a crash). */
  pid: number;
  /**
   * Settles when the job (with every process it started) and its log are finished. Never rejects
   * for a job that ran and failed; rejects only when its output could not be written to the log
   * (e.g. disk full), once the job has ended, with an Error naming the log and the exit status.
   */
  done: Promise<JobExit>;
  /** Stop the whole process tree: SIGTERM to the process group, SIGKILL after graceMs (default 5000). Idempotent; no effect once the job has ended. */
  cancel(graceMs?: number): void;
  /** Called with each chunk of output as it arrives (for live logs); optional listener. */
  onOutput(listener: (chunk: string, stream: 'stdout' | 'stderr') => void): void;
}

/**
 * The abort reason that ends runs `interrupted` rather than `cancelled`: the process that started
 * them went away (see cli/interrupts.ts), nobody asked for the stop.
 */
export const RUN_INTERRUPTED = 'interrupted';

export interface Executor {
  readonly kind: 'local' | 'docker' | 'slurm';
  /**
   * Starts the job. Rejects, with an Error whose message says what to fix, when it cannot be
   * started (cwd missing, log file not writable, shell not runnable); nothing is left running then.
   */
  start(spec: JobSpec): Promise<RunningJob>;
}
