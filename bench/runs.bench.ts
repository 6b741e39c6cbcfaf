/**
 * `npm run bench:runs`: how fast the run store takes in and lists metrics, against bare SQLite
 * doing the same work, measured in the same run on the same disk:
 *   (a) 1,000,000 metric points written as JSON lines by one training process (a child Node
 *       process, bench/metricsWriter.ts, 5 metrics interleaved), tailed by MetricsTail into
 *       RunStore.appendMetrics of a fresh project's .mlops/mlops.db, from the writer's first line
 *       to the last point committed; against a bare better-sqlite3 insert of the same rows into a
 *       table with the `metrics` columns and index, one prepared statement, in transactions of the
 *       same sizes as the ingestion's batches, in a fresh db file;
 *   (b) RunStore.list of 10,000 runs with the last values of their 5 metrics (50,000 series of
 *       100 steps: 5,000,000 points), against the bare queries that could answer it: a GROUP BY over
 *       every point, one index seek per series, and a SELECT from metric_latest joined to runs.
 * Rows without a goal say where the time goes: the writer, MetricsTail and appendMetrics each
 * alone; the join counted inside SQLite (its share, nothing handed to JavaScript); the first page
 * of `mlops runs list`.
 *
 * The contenders take turns, run after run, so a slow phase of the machine does not fall on one of
 * them. Both anchors use the store's journal settings (WAL, synchronous=NORMAL), so that neither
 * side pays for fsyncs the other skips. Prints one table and PASS/FAIL next to each goal; never
 * exits non-zero for a missed goal (benchmark machines are noisy). Environment:
 *   BENCH_RUNS_POINTS=1000000   points written in (a)
 *   BENCH_RUNS_RUNS=10000       runs listed in (b), 5 metrics of 100 steps each
 *   BENCH_INGEST_RUNS=5         runs per contender in (a)
 *   BENCH_LIST_RUNS=9           runs per contender in (b); BENCH_SLOW_LIST_RUNS=3 for the GROUP BY and the seeks
 *   BENCH_ONLY=ingest|list      run one part only
 *   BENCH_KEEP=1                keep the work folder with the listing's project (its path is printed)
 */
import Database from 'better-sqlite3';
import { spawn } from 'child_process';
import { once } from 'events';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { MetricsTail } from '../server/src/core/runs/metricsTail';
import { MetricPointRow, NewRun, RunStore } from '../server/src/core/runs/runStore';
import { Store } from '../server/src/core/store/store';
import { ms, printTable, Stat, stat } from './benchStats';
import { METRIC_NAMES, metricValue, pointNameIndex, pointStep } from './runsData';

const POINTS = Number(process.env.BENCH_RUNS_POINTS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS_RUNS ?? 10_000);
const STEPS = 100;
/** The runs `mlops runs list` shows by default. */
const FIRST_PAGE = 50;
const INGEST_RUNS = Number(process.env.BENCH_INGEST_RUNS ?? 5);
const LIST_RUNS = Number(process.env.BENCH_LIST_RUNS ?? 9);
const SLOW_LIST_RUNS = Number(process.env.BENCH_SLOW_LIST_RUNS ?? 3);
const ONLY = process.env.BENCH_ONLY;
const WRITER = path.join(__dirname, 'metricsWriter.js');
/** The arrival time the anchor stores for every point (MetricsTail stores the real one). */
const POINT_TIME = 1_700_000_000_000;

/** Wall-clock ms comparable across processes (see metricsWriter.ts). */
const wallNow = (): number => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------- table

const ratio = (a: Stat, b: Stat): string => `${(a.median / b.median).toFixed(2)}x`;
const perSecond = (count: number, s: Stat): string => `${Math.round(count / (s.median / 1000)).toLocaleString('en-US')}/s`;

const rows: string[][] = [];
function row(what: string, s: Stat, rate = '', vs = '', note = ''): void {
  rows.push([what, `${ms(s.median)} ms`, ms(s.min), ms(s.max), String(s.n), rate, vs, note]);
}
function section(title: string): void {
  rows.push([`-- ${title}`, '', '', '', '', '', '', '']);
}
const TABLE_HEAD = ['measurement', 'median', 'min', 'max', 'n', 'rate', 'ratio', 'note'];

interface Goal { label: string; value: string; ok: boolean; target: string }
const goals: Goal[] = [];

// ---------------------------------------------------------------- runs as RunStore.create writes them

function runId(i: number, startedAt: number): string {
  return `${Math.floor(startedAt / 1000).toString(16).padStart(8, '0')}${(i & 0xffff).toString(16).padStart(4, '0')}`;
}

function benchRun(i: number, startedAt: number): NewRun {
  return {
    id: runId(i, startedAt), pipeline: 'grant-fraud', pipelineFile: 'pipeline.yaml', stage: i % 4 ? 'train' : 'evaluate',
    sweepId: i % 3 ? undefined : `sweep-${Math.floor(i / 30)}`, startedAt, gitCommit: (i * 7919).toString(16).padStart(40, 'a'), gitDirty: i % 5 === 0,
    paramsHash: i.toString(16).padStart(64, 'p'), params: { train: { lr: 0.001 * (1 + (i % 10)), epochs: 20, batch_size: 64, seed: i }, model: { depth: 6, dropout: 0.1 } },
    data: { train: `sha256:${'d'.repeat(64)}`, test: `sha256:${'e'.repeat(64)}` },
    environment: { executor: 'local', node: 'v20.20.2', os: 'linux 6.8.0', arch: 'x64', python: '3.11.9' },
    command: `python src/train.py --lr ${0.001 * (1 + (i % 10))} --epochs 20`, inputsHash: i.toString(16).padStart(64, 'i'), executor: 'local', host: 'bench', pid: 4242,
  };
}

function freshProject(work: string, tag: string): string {
  return fs.mkdtempSync(path.join(work, `${tag}-`));
}

// ---------------------------------------------------------------- (a) ingestion

interface Ingestion { ms: number; writerMs: number; batches: number[]; file: string; project: string }

/** One training process writing POINTS lines while MetricsTail feeds them to the run store. */
async function ingest(work: string): Promise<Ingestion> {
  const project = freshProject(work, 'ingest');
  const store = Store.open(project);
  try {
    const runs = new RunStore(store);
    const run = benchRun(0, Date.now());
    runs.create(run, 'bench');
    // Where runStage puts it.
    const file = path.join(project, '.mlops', 'runs', run.id, 'metrics.jsonl');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const batches: number[] = [];
    const tail = new MetricsTail({
      file,
      onPoints: (points) => {
        batches.push(points.length);
        runs.appendMetrics(run.id, points);
      },
      onBadLine: (lineNumber, line, reason) => {
        throw new Error(`the writer wrote a bad line ${lineNumber} (${reason}): ${line}`);
      },
    });
    const writer = spawn(process.execPath, [WRITER, file, String(POINTS)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    writer.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    tail.start();
    const [code] = (await once(writer, 'close')) as [number | null];
    await tail.stop();
    const committedAt = wallNow();
    if (code !== 0) throw new Error(`the metrics writer exited with ${code}`);
    const written = JSON.parse(output) as { startedAt: number; endedAt: number };
    checkIngested(store, runs, run.id);
    return { ms: committedAt - written.startedAt, writerMs: written.endedAt - written.startedAt, batches, file, project };
  } finally {
    store.close();
  }
}

/** Every point arrived once, and the latest values are those of the last step of each metric. */
function checkIngested(store: Store, runs: RunStore, id: string): void {
  const count = store.db.prepare('SELECT count(*) FROM metrics WHERE run_id = ?').pluck().get(id);
  if (count !== POINTS) throw new Error(`ingested ${String(count)} points, expected ${POINTS}`);
  const metrics = runs.get(id)!.metrics;
  METRIC_NAMES.forEach((name, k) => {
    const steps = Math.floor(POINTS / METRIC_NAMES.length) + (k < POINTS % METRIC_NAMES.length ? 1 : 0);
    if (!steps) return;
    const m = metrics[name];
    const lastStep = steps - 1;
    if (!m || m.steps !== steps || m.lastStep !== lastStep || m.last !== metricValue(lastStep, k)) {
      throw new Error(`metric ${name}: expected ${steps} steps ending with ${metricValue(lastStep, k)} at step ${lastStep}, got ${JSON.stringify(m)}`);
    }
  });
}

/** The points of the writer as columns, built before any timing. */
interface Columns { names: string[]; steps: Int32Array; values: Float64Array }

function columns(): Columns {
  const steps = new Int32Array(POINTS);
  const values = new Float64Array(POINTS);
  const names: string[] = new Array<string>(POINTS);
  for (let i = 0; i < POINTS; i++) {
    const k = pointNameIndex(i);
    steps[i] = pointStep(i);
    values[i] = metricValue(steps[i], k);
    names[i] = METRIC_NAMES[k];
  }
  return { names, steps, values };
}

/** The anchor: the same rows into a table with the `metrics` columns and index, batch by batch. */
function bareInsert(work: string, cols: Columns, batches: readonly number[]): number {
  const file = path.join(freshProject(work, 'bare'), 'bare.db');
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(`
      CREATE TABLE metrics (run_id TEXT NOT NULL, name TEXT NOT NULL, step INTEGER NOT NULL, value REAL NOT NULL, time INTEGER NOT NULL);
      CREATE INDEX metrics_series ON metrics (run_id, name, step);`);
    const insert = db.prepare('INSERT INTO metrics (run_id, name, step, value, time) VALUES (?, ?, ?, ?, ?)');
    const id = runId(0, POINT_TIME);
    const insertBatch = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) insert.run(id, cols.names[i], cols.steps[i], cols.values[i], POINT_TIME);
    });
    const t0 = performance.now();
    let from = 0;
    for (const size of batches) {
      insertBatch(from, from + size);
      from += size;
    }
    return performance.now() - t0;
  } finally {
    db.close();
  }
}

/** RunStore.appendMetrics alone: the points already parsed, in the ingestion's batches. */
function appendOnly(work: string, cols: Columns, batches: readonly number[]): number {
  const store = Store.open(freshProject(work, 'append'));
  try {
    const runs = new RunStore(store);
    const run = benchRun(0, POINT_TIME);
    runs.create(run, 'bench');
    const prepared: MetricPointRow[][] = [];
    let from = 0;
    for (const size of batches) {
      const batch: MetricPointRow[] = [];
      for (let i = from; i < from + size; i++) batch.push({ name: cols.names[i], value: cols.values[i], step: cols.steps[i], time: POINT_TIME });
      prepared.push(batch);
      from += size;
    }
    const t0 = performance.now();
    for (const batch of prepared) runs.appendMetrics(run.id, batch);
    const elapsed = performance.now() - t0;
    checkIngested(store, runs, run.id);
    return elapsed;
  } finally {
    store.close();
  }
}

/** MetricsTail alone: reads and parses the finished file, stores nothing. */
async function tailOnly(file: string): Promise<number> {
  let count = 0;
  const t0 = performance.now();
  await new MetricsTail({ file, onPoints: (points) => (count += points.length) }).stop();
  const elapsed = performance.now() - t0;
  if (count !== POINTS) throw new Error(`the tail read ${count} points, expected ${POINTS}`);
  return elapsed;
}

async function ingestion(work: string): Promise<void> {
  let t0 = performance.now();
  const cols = columns();
  console.log(`(a) built the anchor's ${POINTS.toLocaleString('en-US')} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const times = { ingest: [] as number[], writer: [] as number[], bare: [] as number[], append: [] as number[], tail: [] as number[] };
  const batchCounts: number[] = [];
  t0 = performance.now();
  for (let run = 0; run < INGEST_RUNS; run++) {
    const r = await ingest(work);
    times.ingest.push(r.ms);
    times.writer.push(r.writerMs);
    batchCounts.push(r.batches.length);
    times.tail.push(await tailOnly(r.file));
    fs.rmSync(r.project, { recursive: true, force: true });
    times.bare.push(bareInsert(work, cols, r.batches));
    times.append.push(appendOnly(work, cols, r.batches));
    for (const dir of fs.readdirSync(work)) fs.rmSync(path.join(work, dir), { recursive: true, force: true });
  }
  console.log(`(a) ${INGEST_RUNS} runs of 4 contenders in ${((performance.now() - t0) / 1000).toFixed(0)} s; batches per ingestion: ${stat(batchCounts).median} (median), so ~${Math.round(POINTS / stat(batchCounts).median).toLocaleString('en-US')} points per transaction`);

  const ingestStat = stat(times.ingest);
  const bare = stat(times.bare);
  const n = POINTS.toLocaleString('en-US');
  section(`(a) ingestion of ${n} metric points written by one training process, fresh database, same disk`);
  row('bare indexed insert (better-sqlite3)', bare, perSecond(POINTS, bare), '1.00x', 'the anchor: one prepared INSERT, transactions of the ingestion\'s batch sizes');
  row('writer process alone', stat(times.writer), perSecond(POINTS, stat(times.writer)), ratio(stat(times.writer), bare), 'the child writing its JSON lines (8 KiB buffer), during the ingestion');
  row('MetricsTail alone (file written)', stat(times.tail), perSecond(POINTS, stat(times.tail)), ratio(stat(times.tail), bare), 'read, split and parse the finished file; store nothing');
  row('RunStore.appendMetrics alone', stat(times.append), perSecond(POINTS, stat(times.append)), ratio(stat(times.append), bare), 'the points already parsed, same batches: points + metric_latest');
  row('ingestion: writer -> MetricsTail -> RunStore', ingestStat, perSecond(POINTS, ingestStat), ratio(ingestStat, bare), 'from the writer\'s first line to the last point committed');
  const rateRatio = bare.median / ingestStat.median;
  goals.push({ label: '(a) ingestion rate / bare indexed insert rate', value: `${rateRatio.toFixed(2)}x`, ok: rateRatio >= 0.5, target: '>= 0.5x' });
}

// ---------------------------------------------------------------- (b) listing

/** 10,000 runs of 5 metrics x 100 steps, as RunStore.create and appendMetrics would leave them, in bare SQL for speed. */
function writeHistory(project: string): void {
  const store = Store.open(project);
  try {
    const db = store.db;
    const insertRun = db.prepare(`
      INSERT INTO runs (id, pipeline, pipeline_file, stage, sweep_id, status, exit_code, started_at, ended_at, git_commit, git_dirty, params_hash, params, data,
                        environment, command, inputs_hash, executor, host, pid, job_pid)
      VALUES (@id, @pipeline, @pipelineFile, @stage, @sweepId, @status, @exitCode, @startedAt, @endedAt, @gitCommit, @gitDirty, @paramsHash, @params, @data,
              @environment, @command, @inputsHash, @executor, @host, @pid, @jobPid)`);
    // One series per statement: 100 rows.
    const insertSeries = db.prepare(`INSERT INTO metrics (run_id, name, step, value, time) VALUES ${Array.from({ length: STEPS }, () => '(?, ?, ?, ?, ?)').join(', ')}`);
    const insertLatest = db.prepare('INSERT INTO metric_latest (run_id, name, last, last_step, min, max, steps) VALUES (?, ?, ?, ?, ?, ?, ?)');
    const args: (string | number)[] = new Array<string | number>(STEPS * 5);
    const writeRuns = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const startedAt = POINT_TIME + i * 60_000;
        const run = benchRun(i, startedAt);
        const failed = i % 17 === 0;
        insertRun.run({
          ...run, sweepId: run.sweepId ?? null, gitCommit: run.gitCommit, gitDirty: Number(run.gitDirty), params: JSON.stringify(run.params),
          data: JSON.stringify(run.data), environment: JSON.stringify(run.environment), status: failed ? 'failed' : 'completed', exitCode: failed ? 1 : 0,
          endedAt: startedAt + 50_000, jobPid: 4243,
        });
        METRIC_NAMES.forEach((name, k) => {
          let min = Infinity;
          let max = -Infinity;
          for (let step = 0; step < STEPS; step++) {
            const value = metricValue(step + i, k);
            min = Math.min(min, value);
            max = Math.max(max, value);
            args[step * 5] = run.id;
            args[step * 5 + 1] = name;
            args[step * 5 + 2] = step;
            args[step * 5 + 3] = value;
            args[step * 5 + 4] = startedAt + step * 500;
          }
          insertSeries.run(...args);
          insertLatest.run(run.id, name, metricValue(STEPS - 1 + i, k), STEPS - 1, min, max, STEPS);
        });
      }
    });
    for (let i = 0; i < RUNS; i += 100) writeRuns.immediate(i, Math.min(i + 100, RUNS));
  } finally {
    store.close();
  }
}

/** The newest run's metrics and the number of runs, as RunStore.list must give them. */
function checkListed(listed: ReturnType<RunStore['list']>): void {
  if (listed.length !== RUNS) throw new Error(`listed ${listed.length} runs, expected ${RUNS}`);
  const newest = RUNS - 1;
  if (listed[0].id !== runId(newest, POINT_TIME + newest * 60_000)) throw new Error(`the newest run is not first: ${listed[0].id}`);
  METRIC_NAMES.forEach((name, k) => {
    const m = listed[0].metrics[name];
    if (!m || m.last !== metricValue(STEPS - 1 + newest, k) || m.steps !== STEPS) throw new Error(`listed ${name} of the newest run as ${JSON.stringify(m)}`);
  });
  if (listed.some((r) => Object.keys(r.metrics).length !== METRIC_NAMES.length)) throw new Error(`a run was listed without its ${METRIC_NAMES.length} metrics`);
}

function listing(work: string): void {
  const project = freshProject(work, 'list');
  let t0 = performance.now();
  writeHistory(project);
  const mib = fs.statSync(Store.pathFor(project)).size / 2 ** 20;
  console.log(`(b) wrote ${RUNS.toLocaleString('en-US')} runs, ${(RUNS * METRIC_NAMES.length).toLocaleString('en-US')} series, ${(RUNS * METRIC_NAMES.length * STEPS).toLocaleString('en-US')} points in ${((performance.now() - t0) / 1000).toFixed(1)} s (${mib.toFixed(0)} MiB)`);

  const store = Store.open(project);
  try {
    const runs = new RunStore(store);
    const db = store.db;
    const newestIds = db.prepare('SELECT id FROM runs ORDER BY started_at DESC, id DESC LIMIT ?').pluck();
    const latestJoin = db.prepare(`
      SELECT r.id, r.stage, r.status, r.started_at, l.name, l.last, l.last_step, l.min, l.max, l.steps
      FROM (SELECT id, stage, status, started_at FROM runs ORDER BY started_at DESC, id DESC LIMIT ?) r JOIN metric_latest l ON l.run_id = r.id`);
    // The same join with every value read but nothing handed to JavaScript: SQLite's share of the work.
    const latestJoinInSql = db.prepare(`
      SELECT count(*), total(l.last + l.last_step + l.min + l.max + l.steps + length(l.name) + length(r.stage) + length(r.status) + r.started_at)
      FROM (SELECT id, stage, status, started_at FROM runs ORDER BY started_at DESC, id DESC LIMIT ?) r JOIN metric_latest l ON l.run_id = r.id`).pluck();
    // SQLite's bare column: `value` comes from the row holding MAX(step).
    const groupBy = db.prepare('SELECT run_id, name, value AS last, MAX(step) AS last_step, COUNT(*) AS steps FROM metrics GROUP BY run_id, name');
    const seekLast = db.prepare('SELECT value, step FROM metrics WHERE run_id = ? AND name = ? ORDER BY step DESC LIMIT 1');
    const timed = (fn: () => unknown, expectedRows: number): number => {
      const start = performance.now();
      const result = fn();
      const elapsed = performance.now() - start;
      const n = Array.isArray(result) ? result.length : Number(result);
      if (n !== expectedRows) throw new Error(`expected ${expectedRows} rows, got ${n}`);
      return elapsed;
    };
    const series = RUNS * METRIC_NAMES.length;
    const contenders: Record<string, () => number> = {
      list: () => {
        const start = performance.now();
        const listed = runs.list({ limit: RUNS });
        const elapsed = performance.now() - start;
        checkListed(listed);
        return elapsed;
      },
      join: () => timed(() => latestJoin.all(RUNS), series),
      joinInSql: () => timed(() => latestJoinInSql.get(RUNS), series),
      firstPage: () => timed(() => runs.list({ limit: FIRST_PAGE }), Math.min(FIRST_PAGE, RUNS)),
      seeks: () => timed(() => {
        let found = 0;
        for (const id of newestIds.all(RUNS) as string[]) for (const name of METRIC_NAMES) if (seekLast.get(id, name)) found++;
        return found;
      }, series),
      groupBy: () => timed(() => groupBy.all(), series),
    };
    // Warm-up: the database's pages into the page cache and SQLite's cache, every statement prepared.
    for (const run of Object.values(contenders)) run();
    const slow = new Set(['seeks', 'groupBy']);
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
    t0 = performance.now();
    for (let run = 0; run < LIST_RUNS; run++) {
      for (const [name, fn] of Object.entries(contenders)) if (run < SLOW_LIST_RUNS || !slow.has(name)) times[name].push(fn());
    }
    console.log(`(b) ${LIST_RUNS} runs of each contender (${Math.min(SLOW_LIST_RUNS, LIST_RUNS)} of the GROUP BY and the seeks) in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    const join = stat(times.join);
    const list = stat(times.list);
    section(`(b) ${RUNS.toLocaleString('en-US')} runs listed with the last values of their ${METRIC_NAMES.length} metrics (${series.toLocaleString('en-US')} series of ${STEPS} steps), warm cache`);
    row('bare SELECT metric_latest JOIN runs', join, '', '1.00x', 'the anchor: the newest runs joined to their latest values, rows only');
    row('the same join, counted in SQLite', stat(times.joinInSql), '', ratio(stat(times.joinInSql), join), 'every value read, none handed to JavaScript: SQLite\'s share');
    row('bare per-series seeks', stat(times.seeks), '', ratio(stat(times.seeks), join), `ORDER BY step DESC LIMIT 1 on the metrics index, ${series.toLocaleString('en-US')} times`);
    row('bare GROUP BY over metrics', stat(times.groupBy), '', ratio(stat(times.groupBy), join), 'MAX(step) per series over every point (MLflow\'s slow path)');
    row(`RunStore.list({ limit: ${RUNS} })`, list, '', ratio(list, join), 'what the Runs view calls: summaries with their latest metrics');
    row(`RunStore.list({ limit: ${FIRST_PAGE} })`, stat(times.firstPage), '', ratio(stat(times.firstPage), join), '`mlops runs list`: its default page, the newest runs');
    goals.push({ label: `(b) RunStore.list of ${RUNS.toLocaleString('en-US')} runs`, value: `${ms(list.median)} ms`, ok: list.median < 50, target: '< 50 ms' });
  } finally {
    store.close();
  }
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const memory = new Database(':memory:');
  const sqliteVersion = memory.prepare('SELECT sqlite_version()').pluck().get() as string;
  memory.close();
  console.log(`MLOps Workbench runs benchmark — node ${process.version}, ${os.cpus().length} CPU(s) (${os.cpus()[0]?.model ?? '?'}), SQLite ${sqliteVersion}`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-runsbench-'));
  console.log(`projects: ${work} (the disk of ${os.tmpdir()})\n`);
  try {
    if (ONLY !== 'list') await ingestion(work);
    if (ONLY !== 'ingest') listing(work);
    console.log('');
    printTable(TABLE_HEAD, rows);
    console.log('\nGoals (measured in this run; a miss is reported, never fatal):');
    for (const g of goals) console.log(`  ${g.ok ? 'PASS' : 'FAIL'}  ${g.label.padEnd(48)} ${g.value.padStart(9)}   goal ${g.target}`);
  } finally {
    if (process.env.BENCH_KEEP) console.log(`\nkept ${work}`);
    else fs.rmSync(work, { recursive: true, force: true, maxRetries: 5 });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
