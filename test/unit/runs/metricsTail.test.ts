/** MetricsTail on real files, written by real jobs or by the test: live points, partial lines, bad lines, volume, truncation. */
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { MetricPoint, MetricsTail } from '../../../server/src/core/runs/metricsTail';

/** The fixture jobs are plain .js files, not compiled: from out/test/unit/runs/ back to the source tree. */
const JOBS = path.resolve(__dirname, '../../../../test/fixtures/jobs');
/** Only to keep a broken test from hanging the suite; no assertion depends on time. */
const TIMEOUT = { timeout: 60_000 };

const tempDirs: string[] = [];
after(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function metricsFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-metrics-'));
  tempDirs.push(dir);
  return path.join(dir, 'metrics.jsonl');
}

function runJob(script: string, metrics: string, ...args: string[]): ChildProcess {
  return spawn(process.execPath, [path.join(JOBS, script), ...args], { env: { ...process.env, MLOPS_METRICS: metrics }, stdio: 'inherit' });
}

async function exitCodeOf(child: ChildProcess): Promise<number | null> {
  const [code] = await once(child, 'exit');
  return code as number | null;
}

/** What a tail delivered, with a way to wait for a condition to become true as deliveries arrive. */
class Received {
  readonly points: MetricPoint[] = [];
  readonly bad: Array<{ lineNumber: number; line: string; reason: string }> = [];
  batches = 0;
  private waiters: Array<{ ready: () => boolean; resolve: () => void }> = [];

  tail(file: string, intervalMs = 10): MetricsTail {
    return new MetricsTail({
      file,
      intervalMs,
      onPoints: (points) => {
        this.batches++;
        for (const point of points) this.points.push(point);
        this.check();
      },
      onBadLine: (lineNumber, line, reason) => {
        this.bad.push({ lineNumber, line, reason });
        this.check();
      },
    });
  }

  until(ready: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push({ ready, resolve });
      this.check();
    });
  }

  names(): string[] {
    return this.points.map((p) => p.name);
  }

  private check(): void {
    this.waiters = this.waiters.filter((w) => (w.ready() ? (w.resolve(), false) : true));
  }
}

describe('MetricsTail', () => {
  test('points arrive while the job still runs (the file does not exist yet when the tail starts)', TIMEOUT, async () => {
    const file = metricsFile();
    const flag = path.join(path.dirname(file), 'go-on');
    const received = new Received();
    const tail = received.tail(file);
    tail.start();
    const job = runJob('metrics.js', file, '5', flag);
    // The job waits for the flag before it writes its last point and exits.
    await received.until(() => received.points.length === 5);
    assert.equal(job.exitCode, null);
    assert.deepEqual(received.points.map(({ name, value, step }) => ({ name, value, step })),
      [0, 1, 2, 3, 4].map((step) => ({ name: 'loss', value: 1 / (step + 1), step })));
    fs.writeFileSync(flag, '');
    assert.equal(await exitCodeOf(job), 0);
    await tail.stop();
    assert.deepEqual(received.names(), ['loss', 'loss', 'loss', 'loss', 'loss', 'final']);
    assert.deepEqual(received.bad, []);
  });

  test('a line split across writes, a UTF-8 character split across reads, a last line without newline', TIMEOUT, async () => {
    const file = metricsFile();
    const received = new Received();
    const tail = received.tail(file);
    tail.start();
    const name = Buffer.from('bé', 'utf8');
    // One write: a whole line, then the start of the next one ending in the first byte of 'é'.
    fs.appendFileSync(file, Buffer.concat([Buffer.from('{"name":"a","value":1}\n{"name":"'), name.subarray(0, 2)]));
    await received.until(() => received.points.length === 1);
    fs.appendFileSync(file, Buffer.concat([name.subarray(2), Buffer.from('","value":2}\n{"name":"c","va')]));
    await received.until(() => received.points.length === 2);
    fs.appendFileSync(file, 'lue":3}');
    await tail.stop();
    assert.deepEqual(received.points.map(({ name, value }) => [name, value]), [['a', 1], ['bé', 2], ['c', 3]]);
    assert.deepEqual(received.bad, []);
  });

  test('bad lines are reported with their line numbers and reasons; the good ones are kept', TIMEOUT, async () => {
    const file = metricsFile();
    const lines = [
      '{"name":"loss","value":1}',
      'not json',
      '[1,2]',
      '{"name":"","value":1}',
      `{"name":"${'n'.repeat(201)}","value":1}`,
      '{"name":"loss","value":"0.5"}',
      '{"name":"loss","value":NaN}',
      '',
      '{"name":"loss","value":1e999}',
      '{"name":"loss","value":2,"step":-1}',
      '{"name":"loss","value":2,"step":1.5}',
      '{"name":"loss","value":2,"time":"yesterday"}',
      `{"name":"${'n'.repeat(200)}","value":2}`,
      '{"name":"loss","value":3}\r',
      `{"name":"long","value":1,"pad":"${'x'.repeat(70_000)}"}`,
      '{"name":"loss","value":4}',
    ];
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const received = new Received();
    await received.tail(file).stop();
    assert.deepEqual(received.points.map(({ name, value, step }) => [name, value, step]),
      [['loss', 1, 0], ['n'.repeat(200), 2, 0], ['loss', 3, 1], ['loss', 4, 2]]);
    assert.deepEqual(received.bad.map(({ lineNumber, reason }) => [lineNumber, reason]), [
      [2, `not valid JSON (${jsonError('not json')})`],
      [3, 'not a JSON object like {"name":"loss","value":0.31,"step":3}'],
      [4, '"name" must be a non-empty string'],
      [5, '"name" is longer than 200 characters'],
      [6, '"value" must be a finite number'],
      [7, `not valid JSON (${jsonError(lines[6])}); NaN and Infinity are not JSON, leave such points out`],
      [9, '"value" must be a finite number'],
      [10, '"step" must be a whole number >= 0'],
      [11, '"step" must be a whole number >= 0'],
      [12, '"time" must be milliseconds since 1970 or an ISO 8601 date'],
      [15, 'the line is longer than 65536 characters; a metric line is one small JSON object'],
    ]);
    assert.equal(received.bad[0].line, 'not json');
    assert.equal(received.bad[10].line, lines[14].slice(0, 200));
  });

  test('implicit steps count on per name from the last step; time from "time" or "timestamp", else arrival', TIMEOUT, async () => {
    const file = metricsFile();
    fs.writeFileSync(file, [
      '{"name":"loss","value":1}',
      '{"name":"acc","value":0.5}',
      '{"name":"loss","value":2,"step":10}',
      '{"name":"loss","value":3,"time":1700000000000}',
      '{"name":"acc","value":0.6,"timestamp":"2024-05-01T12:00:00.000Z"}',
      '{"name":"loss","value":4,"extra":"ignored"}',
    ].join('\n') + '\n');
    const received = new Received();
    const before = Date.now();
    await received.tail(file).stop();
    const afterStop = Date.now();
    assert.deepEqual(received.points.map(({ name, step }) => [name, step]), [['loss', 0], ['acc', 0], ['loss', 10], ['loss', 11], ['acc', 1], ['loss', 12]]);
    assert.equal(received.points[3].time, 1_700_000_000_000);
    assert.equal(received.points[4].time, Date.parse('2024-05-01T12:00:00.000Z'));
    for (const i of [0, 1, 2, 5]) assert.ok(received.points[i].time >= before && received.points[i].time <= afterStop);
  });

  test('100,000 points written by a job as fast as it can: none lost, none twice, steps in order', TIMEOUT, async () => {
    const count = 100_000;
    const file = metricsFile();
    const received = new Received();
    const tail = received.tail(file, 5);
    tail.start();
    assert.equal(await exitCodeOf(runJob('flood.js', file, String(count))), 0);
    await tail.stop();
    assert.equal(received.points.length, count);
    let expectedSum = 0;
    for (let i = 0; i < count; i++) expectedSum += i % 997;
    assert.equal(received.points.reduce((sum, p) => sum + p.value, 0), expectedSum);
    for (const name of ['loss', 'acc']) {
      const steps = received.points.filter((p) => p.name === name).map((p) => p.step);
      assert.deepEqual(steps, Array.from({ length: count / 2 }, (_, i) => i), name);
    }
    assert.deepEqual(received.bad, []);
  });

  test('a truncated file is read again from its start, reported once', TIMEOUT, async () => {
    const file = metricsFile();
    fs.writeFileSync(file, '{"name":"a","value":1}\n{"name":"a","value":2}\n{"name":"a","value":3}\n');
    const received = new Received();
    const tail = received.tail(file);
    tail.start();
    await received.until(() => received.points.length === 3);
    fs.truncateSync(file, 0);
    await received.until(() => received.bad.length === 1);
    fs.appendFileSync(file, '{"name":"b","value":4}\nnot json\n');
    await received.until(() => received.points.length === 4 && received.bad.length === 2);
    await tail.stop();
    assert.deepEqual(received.names(), ['a', 'a', 'a', 'b']);
    assert.deepEqual(received.bad.map(({ lineNumber, reason }) => [lineNumber, reason.startsWith('not valid JSON') ? 'not valid JSON' : reason]), [
      [0, 'the metrics file shrank from 69 to 0 bytes (truncated); reading it again from its start'],
      [2, 'not valid JSON'],
    ]);
  });

  test('a file replaced by another (renamed over it) is read from the new file\'s start', TIMEOUT, async () => {
    const file = metricsFile();
    fs.writeFileSync(file, '{"name":"old","value":1}\n');
    const received = new Received();
    const tail = received.tail(file);
    tail.start();
    await received.until(() => received.points.length === 1);
    // Longer than the old file, so that its size alone would not tell.
    fs.writeFileSync(`${file}.new`, '{"name":"new","value":1}\n{"name":"new","value":2}\n');
    fs.renameSync(`${file}.new`, file);
    await received.until(() => received.points.length === 3);
    await tail.stop();
    assert.deepEqual(received.names(), ['old', 'new', 'new']);
    assert.deepEqual(received.bad.map((b) => [b.lineNumber, b.reason]), [[0, 'the metrics file was replaced by a new file; reading the new one from its start']]);
  });

  test('stop() on a file that never appeared delivers nothing', TIMEOUT, async () => {
    const received = new Received();
    const tail = received.tail(metricsFile());
    tail.start();
    await tail.stop();
    assert.deepEqual([received.points, received.bad, received.batches], [[], [], 0]);
  });

  test('an unreadable path makes stop() reject, saying what the job must write', TIMEOUT, async () => {
    const dir = path.dirname(metricsFile());
    const tail = new Received().tail(dir);
    tail.start();
    await assert.rejects(tail.stop(), new RegExp(`^Error: Cannot read the metrics file ${dir}: EISDIR.*The job must write MLOPS_METRICS as a regular file of JSON lines\\.$`));
  });

  test('an onPoints that throws stops the tail; stop() rejects with its error', TIMEOUT, async () => {
    const file = metricsFile();
    fs.writeFileSync(file, '{"name":"a","value":1}\n');
    const failure = new Error('database is locked');
    let calls = 0;
    const tail = new MetricsTail({ file, intervalMs: 5, onPoints: () => { calls++; throw failure; } });
    tail.start();
    await assert.rejects(tail.stop(), (e) => e === failure);
    assert.equal(calls, 1);
  });
});

function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`${text} is valid JSON`);
}
