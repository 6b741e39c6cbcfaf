/** LocalExecutor with real processes: exit status, the log, the environment, cancelling a process tree, start failures. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { after, describe, test } from 'node:test';
import { JobSpec, RunningJob } from '../../../server/src/core/runs/executor';
import { LocalExecutor } from '../../../server/src/core/runs/localExecutor';

/** The fixture jobs are plain .js files, not compiled: from out/test/unit/runs/ back to the source tree. */
const JOBS = path.resolve(__dirname, '../../../../test/fixtures/jobs');
const LOCAL_EXECUTOR_JS = path.resolve(__dirname, '../../../server/src/core/runs/localExecutor.js');
/** Only to keep a broken test from hanging the suite; no assertion depends on time. */
const TIMEOUT = { timeout: 60_000 };

const executor = new LocalExecutor();
const tempDirs: string[] = [];
after(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-exec-'));
  tempDirs.push(dir);
  return dir;
}

function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The command line running a fixture job with this Node. */
function jobCommand(script: string, ...args: string[]): string {
  return [process.execPath, path.join(JOBS, script), ...args].map(shellQuote).join(' ');
}

function specFor(command: string, over: Partial<JobSpec> = {}): JobSpec {
  const dir = tempDir();
  return { runId: `run-${path.basename(dir)}`, command, cwd: dir, env: {}, logFile: path.join(dir, 'logs', 'run.log'), ...over };
}

/** Resolves with the first match of `pattern` in the job's output (both streams, in arrival order). */
function outputMatching(job: RunningJob, pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolve) => {
    let text = '';
    let found = false;
    job.onOutput((chunk) => {
      text += chunk;
      const match = text.match(pattern);
      if (match && !found) {
        found = true;
        resolve(match);
      }
    });
  });
}

/**
 * Whether the process is still running. A zombie is not: its parent died, so PID 1 must reap it,
 * and the PID 1 of some containers (this sandbox's included) never does.
 */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    assert.equal((e as NodeJS.ErrnoException).code, 'ESRCH');
    return false;
  }
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
}

/** Polls until the process is gone; fails (rather than hangs) if it is still running after 10 s. */
async function waitUntilGone(pid: number): Promise<void> {
  for (let i = 0; i < 500 && isRunning(pid); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(isRunning(pid), false, `process ${pid} still runs`);
}

describe('LocalExecutor', () => {
  test('exit codes: 0 and 3 are reported, not cancelled', TIMEOUT, async () => {
    for (const code of [0, 3]) {
      const job = await executor.start(specFor(jobCommand('exit.js', String(code))));
      assert.ok(job.pid > 0);
      assert.deepEqual(await job.done, { exitCode: code, signal: null, cancelled: false });
    }
  });

  test('a job killed by a signal reports the signal and no exit code', TIMEOUT, async () => {
    const job = await executor.start(specFor('kill -KILL $$'));
    assert.deepEqual(await job.done, { exitCode: null, signal: 'SIGKILL', cancelled: false });
  });

  test('stdout and stderr go to one log in arrival order, appended after what it held; the folder is created', TIMEOUT, async () => {
    const spec = specFor('');
    const ackDir = tempDir();
    fs.mkdirSync(path.dirname(spec.logFile));
    fs.writeFileSync(spec.logFile, 'earlier attempt\n');
    const job = await executor.start({ ...spec, command: jobCommand('interleave.js', '6', ackDir) });
    // Acknowledge each line once seen: the job writes the next one only then, so the order is known.
    let seen = '';
    job.onOutput((chunk, stream) => {
      seen += chunk;
      for (const [, i, name] of chunk.matchAll(/line (\d+) on (\w+)/g)) {
        assert.equal(stream, name);
        fs.writeFileSync(path.join(ackDir, i), '');
      }
    });
    assert.deepEqual(await job.done, { exitCode: 0, signal: null, cancelled: false });
    const lines = Array.from({ length: 6 }, (_, i) => `line ${i} on ${i % 2 === 0 ? 'stdout' : 'stderr'}\n`).join('');
    assert.equal(seen, lines);
    assert.equal(fs.readFileSync(spec.logFile, 'utf8'), 'earlier attempt\n' + lines);
  });

  test('a burst on both streams: nothing lost, each stream in its order', TIMEOUT, async () => {
    const spec = specFor(jobCommand('burst.js', '20000'));
    const job = await executor.start(spec);
    const perStream = { stdout: '', stderr: '' };
    job.onOutput((chunk, stream) => (perStream[stream] += chunk));
    assert.equal((await job.done).exitCode, 0);
    const expected = (prefix: string) => Array.from({ length: 20000 }, (_, i) => `${prefix} ${i}\n`).join('');
    assert.equal(perStream.stdout, expected('out'));
    assert.equal(perStream.stderr, expected('err'));
    const log = fs.readFileSync(spec.logFile, 'utf8').split('\n').slice(0, -1);
    assert.deepEqual(log.filter((l) => l.startsWith('out ')).join('\n') + '\n', expected('out'));
    assert.deepEqual(log.filter((l) => l.startsWith('err ')).join('\n') + '\n', expected('err'));
    assert.equal(log.length, 40000);
  });

  test('onOutput gets multi-byte characters whole even when the job writes them byte by byte', TIMEOUT, async () => {
    const text = 'héllo wörld ✓ 🎉 ';
    const spec = specFor(jobCommand('utf8.js', text, '200'));
    const job = await executor.start(spec);
    let seen = '';
    job.onOutput((chunk, stream) => {
      assert.equal(stream, 'stdout');
      seen += chunk;
    });
    await job.done;
    assert.equal(seen, text.repeat(200));
    assert.equal(fs.readFileSync(spec.logFile, 'utf8'), text.repeat(200));
  });

  test('the job runs in cwd and sees the spec env merged over the parent environment', TIMEOUT, async () => {
    const spec = specFor(jobCommand('env.js'));
    const env = { MLOPS_RUN_ID: spec.runId, MLOPS_METRICS: path.join(spec.cwd, 'metrics.jsonl'), MLOPS_DATA_TRAIN: '/data/with space', HOME: '/overridden' };
    const job = await executor.start({ ...spec, env });
    let stdout = '';
    job.onOutput((chunk) => (stdout += chunk));
    assert.equal((await job.done).exitCode, 0);
    const seen = JSON.parse(stdout) as { cwd: string; env: Record<string, string> };
    assert.equal(seen.cwd, fs.realpathSync(spec.cwd));
    for (const [name, value] of Object.entries(env)) assert.equal(seen.env[name], value, name);
    assert.equal(seen.env.PATH, process.env.PATH);
  });

  test('cancel stops the whole process tree: the grandchild is gone too', TIMEOUT, async () => {
    const job = await executor.start(specFor(jobCommand('tree.js')));
    const [, node, grandchild] = await outputMatching(job, /job (\d+)\ngrandchild (\d+)\nready\n/);
    assert.ok(isRunning(Number(grandchild)));
    job.cancel();
    assert.deepEqual(await job.done, { exitCode: null, signal: 'SIGTERM', cancelled: true });
    await waitUntilGone(Number(node));
    await waitUntilGone(Number(grandchild));
  });

  test('cancel ends with SIGKILL a process that ignores SIGTERM', TIMEOUT, async () => {
    const job = await executor.start(specFor(jobCommand('tree.js', '--ignore-term')));
    const [, node, grandchild] = await outputMatching(job, /job (\d+)\ngrandchild (\d+)\nready\n/);
    const ignored = outputMatching(job, /ignoring SIGTERM/);
    job.cancel(200);
    await ignored;
    assert.equal((await job.done).cancelled, true);
    // The job's node process (the shell's child) ignored SIGTERM, yet it is gone.
    await waitUntilGone(Number(node));
    await waitUntilGone(Number(grandchild));
  });

  test('cancel is idempotent, and does nothing once the job has ended', TIMEOUT, async () => {
    const running = await executor.start(specFor(jobCommand('tree.js')));
    await outputMatching(running, /ready\n/);
    running.cancel(100);
    running.cancel();
    assert.equal((await running.done).cancelled, true);

    const finished = await executor.start(specFor(jobCommand('exit.js', '0')));
    const exit = await finished.done;
    finished.cancel();
    assert.deepEqual(exit, { exitCode: 0, signal: null, cancelled: false });
  });

  test('processes the job leaves behind are stopped when it exits, and done waits for them', TIMEOUT, async () => {
    const spec = specFor(jobCommand('tree.js', '--leave'));
    const job = await executor.start(spec);
    assert.deepEqual(await job.done, { exitCode: 0, signal: null, cancelled: false });
    const [, grandchild] = fs.readFileSync(spec.logFile, 'utf8').match(/grandchild (\d+)/)!;
    await waitUntilGone(Number(grandchild));
  });

  test('a process using the executor exits on its own once done settles (no handle is left open)', TIMEOUT, async () => {
    const spec = specFor(jobCommand('tree.js', '--leave'));
    const script = `
      const { LocalExecutor } = require(${JSON.stringify(LOCAL_EXECUTOR_JS)});
      new LocalExecutor().start(${JSON.stringify(spec)}).then((job) => job.done).then((exit) => console.log(JSON.stringify(exit)));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { timeout: 30_000 });
    assert.deepEqual(JSON.parse(stdout), { exitCode: 0, signal: null, cancelled: false });
  });

  test('start rejects, saying what to fix, when cwd does not exist or is a file; nothing runs', TIMEOUT, async () => {
    const spec = specFor(`touch ${shellQuote(path.join(tempDir(), 'ran'))}`);
    const missing = path.join(spec.cwd, 'no', 'such', 'dir');
    await assert.rejects(executor.start({ ...spec, cwd: missing }), {
      message: `Cannot start run ${spec.runId}: its working directory ${missing} does not exist. Create it or correct the stage's working directory.`,
    });
    const file = path.join(spec.cwd, 'file');
    fs.writeFileSync(file, '');
    await assert.rejects(executor.start({ ...spec, cwd: file }), /its working directory .*\/file is not a directory/);
    assert.equal(fs.existsSync(path.join(spec.cwd, 'ran')), false);
  });

  test('start rejects when the log file cannot be opened', TIMEOUT, async () => {
    const spec = specFor('true');
    const file = path.join(spec.cwd, 'file');
    fs.writeFileSync(file, '');
    await assert.rejects(
      executor.start({ ...spec, logFile: path.join(file, 'run.log') }),
      /^Error: Cannot start run .*: its log file .*\/file\/run\.log cannot be opened for writing \((EEXIST|ENOTDIR): .*\)\. Check that its folder is writable\.$/,
    );
  });

  test('done rejects, naming the log and the exit status, when the log cannot be written (disk full)', TIMEOUT, async () => {
    // Writes to /dev/full fail with ENOSPC: a disk that fills up during the run.
    const job = await executor.start(specFor(jobCommand('burst.js', '1000') + '; exit 4', { logFile: '/dev/full' }));
    let received = 0;
    job.onOutput((chunk) => (received += chunk.length));
    await assert.rejects(job.done, /its output could not be written to \/dev\/full \(ENOSPC.*\); the job exited with code 4\. Free disk space/);
    // The live listeners still got everything: the job was not left blocked on a full pipe.
    assert.equal(received, 2 * Array.from({ length: 1000 }, (_, i) => `out ${i}\n`).join('').length);
  });
});
