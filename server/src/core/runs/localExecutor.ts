/**
 * Runs a stage's command on this machine: `/bin/sh -c <command>` as the leader of its own process
 * group, so that cancelling (or cleaning up after the leader exits) reaches every process the job
 * started. Both output streams go to one log file in arrival order and to live listeners.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { Executor, JobExit, JobSpec, RunningJob } from './executor';

const DEFAULT_GRACE_MS = 5000;
/** How often a stopping process group is checked for live members. */
const GROUP_POLL_MS = 50;
/** After SIGKILL, how long to wait for processes stuck in the kernel (uninterruptible I/O) before giving up on them. */
const KILL_WAIT_MS = 5000;

type OutputListener = (chunk: string, stream: 'stdout' | 'stderr') => void;

export class LocalExecutor implements Executor {
  readonly kind = 'local';

  async start(spec: JobSpec): Promise<RunningJob> {
    await checkWorkingDirectory(spec);
    const log = await openLog(spec);
    let child: ChildProcess;
    try {
      child = spawn('/bin/sh', ['-c', spec.command], {
        cwd: spec.cwd,
        env: { ...process.env, ...spec.env },
        // Its own process group: cancel signals the group, grandchildren included.
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      await once(child, 'spawn');
    } catch (e) {
      log.destroy();
      throw new Error(`Cannot start run ${spec.runId}: /bin/sh could not be started in ${spec.cwd} (${messageOf(e)}).`);
    }
    return new LocalJob(spec, child, log);
  }
}

class LocalJob implements RunningJob {
  readonly pid: number;
  readonly done: Promise<JobExit>;
  private readonly listeners: OutputListener[] = [];
  private leaderExited = false;
  private cancelled = false;
  private groupStopped: Promise<void> | undefined;

  constructor(private readonly spec: JobSpec, child: ChildProcess, private readonly log: fs.WriteStream) {
    this.pid = child.pid!;
    this.done = this.follow(child);
  }

  onOutput(listener: OutputListener): void {
    this.listeners.push(listener);
  }

  cancel(graceMs = DEFAULT_GRACE_MS): void {
    // Once the leader has exited the job ended on its own; its leftovers are already being stopped.
    if (this.leaderExited) return;
    this.cancelled = true;
    void this.stopGroup(graceMs);
  }

  /** One stop sequence per job, shared by cancel() and the cleanup after the leader exits. */
  private stopGroup(graceMs: number): Promise<void> {
    return (this.groupStopped ??= stopProcessGroup(this.pid, graceMs));
  }

  private async follow(child: ChildProcess): Promise<JobExit> {
    const { log } = this;
    // Both listeners now: 'close' may be emitted synchronously right after 'exit'.
    const closed = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
    child.once('exit', () => {
      this.leaderExited = true;
      // Whatever the job left running (daemons, orphaned workers) would otherwise outlive the run.
      if (hasLiveMembers(this.pid)) void this.stopGroup(DEFAULT_GRACE_MS);
    });

    let logError: Error | undefined;
    const pipes: Array<[Readable, 'stdout' | 'stderr']> = [[child.stdout!, 'stdout'], [child.stderr!, 'stderr']];
    let waitingForDrain = false;
    const resumePipes = (): void => {
      waitingForDrain = false;
      for (const [pipe] of pipes) pipe.resume();
    };
    log.on('error', (e) => {
      logError ??= e;
      // Keep draining the pipes: a job blocked on a full pipe would never end.
      resumePipes();
    });
    for (const [pipe, stream] of pipes) {
      const decoder = new StringDecoder('utf8');
      pipe.on('data', (bytes: Buffer) => {
        // Backpressure: a job printing faster than the disk writes must not fill our memory.
        if (!logError && !log.write(bytes) && !waitingForDrain) {
          waitingForDrain = true;
          for (const [p] of pipes) p.pause();
          log.once('drain', resumePipes);
        }
        this.emit(decoder.write(bytes), stream);
      });
      pipe.on('end', () => this.emit(decoder.end(), stream));
    }

    const [exitCode, signal] = await closed;
    await this.groupStopped;
    if (!log.destroyed) log.end();
    if (!log.closed) await new Promise<void>((resolve) => log.once('close', () => resolve()));
    if (logError) {
      const status = signal ? `was killed by ${signal}` : `exited with code ${exitCode}`;
      throw new Error(
        `Run ${this.spec.runId}: its output could not be written to ${this.spec.logFile} (${logError.message}); ` +
        `the job ${status}${this.cancelled ? ' after being cancelled' : ''}. Free disk space or fix the log folder, then run it again.`,
      );
    }
    return { exitCode, signal, cancelled: this.cancelled };
  }

  private emit(chunk: string, stream: 'stdout' | 'stderr'): void {
    if (chunk === '') return;
    for (const listener of this.listeners) listener(chunk, stream);
  }
}

async function checkWorkingDirectory(spec: JobSpec): Promise<void> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(spec.cwd);
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(missing
      ? `Cannot start run ${spec.runId}: its working directory ${spec.cwd} does not exist. Create it or correct the stage's working directory.`
      : `Cannot start run ${spec.runId}: its working directory ${spec.cwd} cannot be read (${messageOf(e)}).`);
  }
  if (!stat.isDirectory()) {
    throw new Error(`Cannot start run ${spec.runId}: its working directory ${spec.cwd} is not a directory. Correct the stage's working directory.`);
  }
}

async function openLog(spec: JobSpec): Promise<fs.WriteStream> {
  try {
    await fs.promises.mkdir(path.dirname(spec.logFile), { recursive: true });
    const log = fs.createWriteStream(spec.logFile, { flags: 'a' });
    await once(log, 'open');
    return log;
  } catch (e) {
    throw new Error(`Cannot start run ${spec.runId}: its log file ${spec.logFile} cannot be opened for writing (${messageOf(e)}). Check that its folder is writable.`);
  }
}

/** SIGTERM to the group, SIGKILL to what is left after graceMs; resolves once no live member remains. */
function stopProcessGroup(pgid: number, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (!signalGroup(pgid, 'SIGTERM')) {
      resolve();
      return;
    }
    const killAt = Date.now() + graceMs;
    let giveUpAt: number | undefined;
    const timer = setInterval(() => {
      const now = Date.now();
      if (!hasLiveMembers(pgid) || (giveUpAt !== undefined && now >= giveUpAt)) {
        clearInterval(timer);
        resolve();
      } else if (giveUpAt === undefined && now >= killAt) {
        signalGroup(pgid, 'SIGKILL');
        giveUpAt = now + KILL_WAIT_MS;
      }
    }, GROUP_POLL_MS);
  });
}

/** False when the group has no member left to signal. */
function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (e) {
    // EPERM: members we may not signal (e.g. setuid programs) still exist.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether any process of the group is still running. Zombies do not count: an orphan whose parent
 * died is reaped by PID 1, and in some containers PID 1 never reaps, which would otherwise make a
 * dead group look alive forever. Without /proc (macOS) only kill(0) can tell.
 */
function hasLiveMembers(pgid: number): boolean {
  if (!signalGroup(pgid, 0)) return false;
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return true;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'latin1');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ')'.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') return true;
  }
  return false;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
