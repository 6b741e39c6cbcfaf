/**
 * A pool of hashing threads, one per core (`os.availableParallelism()`), started on first use.
 * Jobs go out in batches (up to 256 files or 32 MiB each) so that thousands of small files do not
 * cost a message round trip each, while a big file is a batch of its own; a thread asks for the next
 * batch as soon as it is done, which keeps every core busy until the end.
 *
 * When the worker script is not there (a test loading the sources some other way) or `threads` is 0,
 * jobs run inline on the calling thread: same results, no parallelism.
 *
 * `jobsRun` and `bytesRead` count what was actually read: the tests use them to prove that an
 * unchanged tree is not read again.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { HashJob, HashJobResult, runHashJob, WorkerRequest, WorkerResponse } from './hashJobs';

const BATCH_FILES = 256;
const BATCH_BYTES = 32 << 20;
const MAX_RESPAWNS_PER_RUN = 2;

export interface RunOptions {
  /** Called as results arrive (in completion order), with the number of jobs done so far. */
  onProgress?: (done: number, total: number) => void;
  /** Called for each result as it arrives (the snapshot commits objects here, as it goes). */
  onResult?: (index: number, result: HashJobResult) => void;
  /** Stop dispatching: jobs not yet started get no result. */
  signal?: AbortSignal;
  /** Stop dispatching after the first failed result (the default). */
  stopOnError?: boolean;
}

export class HashPool {
  jobsRun = 0;
  bytesRead = 0;
  /** Threads that died mid-batch and were replaced (their batch was run again). */
  threadsReplaced = 0;
  private readonly workers: Worker[] = [];
  private readonly workerScript = path.join(__dirname, 'hashWorker.js');
  private readonly threads: number;
  private closed = false;

  constructor(threads = os.availableParallelism()) {
    this.threads = Math.max(0, Math.floor(threads));
  }

  get inline(): boolean {
    return this.threads === 0 || !fs.existsSync(this.workerScript);
  }

  /**
   * Results in the order of `jobs`; `undefined` for jobs never started (error or abort). Calls made
   * while another run is going on wait for it (the threads serve one run at a time).
   */
  run(jobs: HashJob[], opts: RunOptions = {}): Promise<(HashJobResult | undefined)[]> {
    const result = this.queue.then(() => this.runNow(jobs, opts));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private queue: Promise<unknown> = Promise.resolve();

  private async runNow(jobs: HashJob[], opts: RunOptions): Promise<(HashJobResult | undefined)[]> {
    if (this.closed) throw new Error('HashPool is closed');
    const results: (HashJobResult | undefined)[] = new Array(jobs.length);
    if (jobs.length === 0) return results;
    const stopOnError = opts.stopOnError ?? true;
    let done = 0;
    let failed = false;
    const account = (i: number, r: HashJobResult): void => {
      results[i] = r;
      this.jobsRun++;
      if (r.ok) this.bytesRead += r.size;
      else failed = true;
      done++;
      opts.onResult?.(i, r);
    };
    if (this.inline) {
      for (let i = 0; i < jobs.length; i++) {
        if (opts.signal?.aborted || (failed && stopOnError)) break;
        account(i, runHashJob(jobs[i]));
        opts.onProgress?.(done, jobs.length);
      }
      return results;
    }

    const batches = makeBatches(jobs);
    let next = 0;
    const count = Math.min(this.threads, batches.length);
    while (this.workers.length < count) this.workers.push(this.spawn());
    let respawnsLeft = MAX_RESPAWNS_PER_RUN;
    await new Promise<void>((resolve, reject) => {
      /** The batch each working thread holds (a thread without an entry is idle). */
      const inFlight = new Map<Worker, number>();
      const retry: number[] = [];
      let settled = false;
      const cleanups: (() => void)[] = [];
      const finish = (err?: Error): void => {
        if (settled) return;
        settled = true;
        for (const c of cleanups) c();
        for (const w of this.workers) w.unref();
        if (err) {
          void this.close(); // a thread in an unknown state is not reused
          reject(err);
        } else resolve();
      };
      const feed = (w: Worker): void => {
        const stop = opts.signal?.aborted || (failed && stopOnError);
        if (stop || (retry.length === 0 && next >= batches.length)) {
          if (inFlight.size === 0) finish();
          return;
        }
        const b = retry.length ? retry.shift()! : next++;
        inFlight.set(w, b);
        const req: WorkerRequest = { batch: b, jobs: batches[b].map((i) => jobs[i]) };
        w.postMessage(req);
      };
      const attach = (w: Worker): void => {
        // Referenced while it works (the process must wait for it), unreferenced when idle (an idle
        // pool that nobody closed must not keep the process alive).
        w.ref();
        const onMessage = (res: WorkerResponse): void => {
          inFlight.delete(w);
          try {
            const idx = batches[res.batch];
            res.results.forEach((r, j) => account(idx[j], r));
            opts.onProgress?.(done, jobs.length);
          } catch (err) {
            finish(err instanceof Error ? err : new Error(String(err))); // a callback's bug, not the thread's
            return;
          }
          feed(w);
        };
        // A thread that dies mid-batch (seen once under heavy load: "exited with code 0") loses only
        // that batch: its jobs are idempotent (hash, or copy to a fresh temporary name), so the batch
        // goes to a new thread, a bounded number of times per run.
        const onGone = (why: string): void => {
          const batch = inFlight.get(w);
          inFlight.delete(w);
          if (settled) return;
          if (batch === undefined) return; // idle: the exit listener below already dropped it
          if (respawnsLeft-- <= 0) {
            finish(new Error(`hashing thread ${why} (after ${MAX_RESPAWNS_PER_RUN} replacement threads in this run)`));
            return;
          }
          retry.push(batch);
          this.threadsReplaced++;
          const fresh = this.spawn();
          this.workers.push(fresh);
          attach(fresh);
          feed(fresh);
        };
        const onError = (err: Error): void => onGone(`failed: ${err.message}`);
        const onExit = (code: number): void => onGone(`exited with code ${code}`);
        w.on('message', onMessage);
        w.on('error', onError);
        w.on('exit', onExit);
        cleanups.push(() => {
          w.off('message', onMessage);
          w.off('error', onError);
          w.off('exit', onExit);
        });
      };
      const starting = this.workers.slice(0, count);
      for (const w of starting) attach(w);
      for (const w of starting) feed(w);
    });
    return results;
  }

  /** A new thread that leaves the pool when it ends, whatever the reason. */
  private spawn(): Worker {
    const w = new Worker(this.workerScript);
    w.on('error', () => undefined); // reported by the run's own listener; without one, an 'error' would throw
    w.once('exit', () => {
      const i = this.workers.indexOf(w);
      if (i >= 0) this.workers.splice(i, 1);
    });
    return w;
  }

  async close(): Promise<void> {
    this.closed = true;
    const ws = this.workers.splice(0);
    await Promise.all(ws.map((w) => w.terminate()));
  }
}

/** Job indexes grouped into batches, in order. */
function makeBatches(jobs: HashJob[]): number[][] {
  const batches: number[][] = [];
  let cur: number[] = [];
  let bytes = 0;
  for (let i = 0; i < jobs.length; i++) {
    const size = jobs[i].size;
    if (cur.length && (cur.length >= BATCH_FILES || bytes + size > BATCH_BYTES)) {
      batches.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(i);
    bytes += size;
  }
  if (cur.length) batches.push(cur);
  return batches;
}
