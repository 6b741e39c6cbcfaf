/**
 * `npm run bench:snapshot`: how fast `mlops snapshot` (the built CLI, as a user runs it) is against
 * the everyday tools doing part of its work, measured in the same run on the same disk:
 *   (a) the first snapshot of 1 GiB in 1,000 files (cold stat cache, empty object cache) against
 *       `cp -r` of the tree, one `sha256sum` and one `openssl dgst -sha256` over its files;
 *   (b) the re-snapshot of an unchanged 100,000-file tree (stat cache warm) against `git status`
 *       on the same tree, committed.
 *
 * (a) starts every run with an empty page cache (`sync; echo 3 > /proc/sys/vm/drop_caches`) when this
 * process may drop it, else with every input file read once beforehand (warm for all contenders);
 * the output says which. The contenders take turns, run after run, so a slow phase of the machine
 * does not fall on one of them. (b) runs with the page cache warm, as a re-snapshot usually does.
 *
 * Prints one table and PASS/FAIL next to each goal; never exits non-zero for a missed goal
 * (benchmark machines are noisy). Environment:
 *   BENCH_SNAPSHOT_GIB=1           size of tree (a) in GiB (fractions allowed)
 *   BENCH_SNAPSHOT_FILES=1000      files in tree (a)
 *   BENCH_RESNAPSHOT_FILES=100000  files in tree (b)
 *   BENCH_FIRST_RUNS=3             runs per contender in (a); BENCH_RE_RUNS=5 in (b)
 *   BENCH_ONLY=first|re            run one part only
 *   BENCH_CPU_PROF=DIR             one more (untimed) re-snapshot with node --cpu-prof into DIR
 *   BENCH_KEEP=1                   keep the generated trees (their path is printed)
 *   MLOPS_CLI=FILE                 the CLI bundle to run (default server/out/cli.js)
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { writeLargeTree, writeManySmallFiles } from './snapshotData';
import { ms, printTable, Stat, stat } from './benchStats';

const REPO = path.resolve(__dirname, '..', '..');
const CLI = process.env.MLOPS_CLI ? path.resolve(process.env.MLOPS_CLI) : path.join(REPO, 'server', 'out', 'cli.js');
const GIB = Number(process.env.BENCH_SNAPSHOT_GIB ?? 1);
const LARGE_FILES = Number(process.env.BENCH_SNAPSHOT_FILES ?? 1000);
const SMALL_FILES = Number(process.env.BENCH_RESNAPSHOT_FILES ?? 100_000);
const FIRST_RUNS = Number(process.env.BENCH_FIRST_RUNS ?? 3);
const RE_RUNS = Number(process.env.BENCH_RE_RUNS ?? 5);
const ONLY = process.env.BENCH_ONLY;

// ---------------------------------------------------------------- stats and table

const ratio = (a: Stat, b: Stat): string => `${(a.median / b.median).toFixed(2)}x`;

const rows: string[][] = [];
function row(what: string, s: Stat, vs = '', note = ''): void {
  rows.push([what, `${ms(s.median)} ms`, ms(s.min), ms(s.max), String(s.n), vs, note]);
}
function section(title: string): void {
  rows.push([`-- ${title}`, '', '', '', '', '', '']);
}
const TABLE_HEAD = ['measurement', 'median', 'min', 'max', 'n', 'ratio', 'note'];

interface Goal { label: string; value: number; ok: boolean; target: string }
const goals: Goal[] = [];

// ---------------------------------------------------------------- processes and the page cache

/** Runs a program to completion; the wall-clock time includes its start-up, as a user sees it. */
function timed(cmd: string, args: string[], cwd: string): { ms: number; stdout: string; stderr: string } {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 28 });
  const elapsed = performance.now() - t0;
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 4).join(' ')}... exited with ${r.status}: ${r.stderr}`);
  return { ms: elapsed, stdout: r.stdout, stderr: r.stderr };
}

/** Writes dirty pages back, then empties the page cache; false when this process may not. */
function dropPageCache(): boolean {
  execFileSync('sync');
  try {
    fs.writeFileSync('/proc/sys/vm/drop_caches', '3');
    return true;
  } catch {
    return false;
  }
}

function readAll(cwd: string, files: string[]): void {
  execFileSync('cat', ['--', ...files], { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** One `mlops snapshot DIR --json`, its output checked. */
function mlopsSnapshot(project: string, dir: string, files: number, stored: number, extraNodeArgs: string[] = []): number {
  const r = timed(process.execPath, [...extraNodeArgs, CLI, 'snapshot', dir, '--json'], project);
  // A warning (e.g. the stat cache unavailable, so every file is read) means this is not the case to measure.
  if (r.stderr) throw new Error(`mlops snapshot wrote to stderr: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { files: number; stored: number };
  if (out.files !== files || out.stored !== stored) throw new Error(`mlops snapshot: expected ${files} files and ${stored} new objects, got ${r.stdout}`);
  return r.ms;
}

function freshProject(dir: string): string {
  fs.mkdirSync(path.join(dir, '.mlops'), { recursive: true });
  return dir;
}

// ---------------------------------------------------------------- (a) first snapshot

function firstSnapshot(work: string): void {
  const project = freshProject(path.join(work, 'large'));
  const data = path.join(project, 'data');
  const bytes = Math.round(GIB * 2 ** 30);
  let t0 = performance.now();
  const files = writeLargeTree(data, bytes, LARGE_FILES);
  console.log(`(a) wrote ${LARGE_FILES} files, ${(bytes / 2 ** 30).toFixed(2)} GiB of random bytes in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const copy = path.join(work, 'large-copy');
  const cacheDropped = dropPageCache();
  console.log(cacheDropped
    ? '(a) page cache: dropped before every run (sync; echo 3 > /proc/sys/vm/drop_caches), so each contender reads from the disk\n'
    : '(a) page cache: cannot be dropped here (not root?); every file is read once before each run, so each contender reads from memory\n');
  const resetCache = (): void => {
    if (!cacheDropped || !dropPageCache()) {
      execFileSync('sync');
      readAll(data, files);
    }
  };

  interface Contender { name: string; before?: () => void; run: () => number; after?: () => void }
  const contenders: Contender[] = [
    { name: 'cp -r', run: () => timed('cp', ['-r', 'data', copy], project).ms, after: () => fs.rmSync(copy, { recursive: true, force: true }) },
    {
      name: 'cp -r, then sync',
      run: () => timed('cp', ['-r', 'data', copy], project).ms + timed('sync', [], project).ms,
      after: () => fs.rmSync(copy, { recursive: true, force: true }),
    },
    {
      name: 'sha256sum',
      run: () => {
        const r = timed('sha256sum', ['--', ...files], data);
        if (r.stdout.split('\n').length !== files.length + 1) throw new Error('sha256sum: one line per file expected');
        return r.ms;
      },
    },
    { name: 'openssl dgst -sha256', run: () => timed('openssl', ['dgst', '-sha256', ...files], data).ms },
    {
      name: 'mlops snapshot',
      before: () => {
        fs.rmSync(path.join(project, '.mlops'), { recursive: true, force: true });
        fs.rmSync(path.join(project, 'data.snapshot'), { force: true });
        freshProject(project);
      },
      run: () => mlopsSnapshot(project, 'data', files.length, files.length + 1),
    },
  ];
  const times = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  t0 = performance.now();
  for (let run = 0; run < FIRST_RUNS; run++) {
    for (const c of contenders) {
      c.before?.();
      resetCache();
      times.get(c.name)!.push(c.run());
      c.after?.();
    }
  }
  console.log(`(a) ${FIRST_RUNS} runs of ${contenders.length} contenders in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  const s = (name: string): Stat => stat(times.get(name)!);
  const snap = s('mlops snapshot');
  const cp = s('cp -r');
  const sha = s('sha256sum');
  const caching = cacheDropped ? 'cold page cache' : 'warm page cache';
  section(`(a) first snapshot of ${(bytes / 2 ** 30).toFixed(2)} GiB in ${files.length} files, ${caching}, same disk`);
  row('cp -r', cp, '1.00x', 'the anchor: reads and writes every byte, syncs nothing');
  row('cp -r, then sync', s('cp -r, then sync'), ratio(s('cp -r, then sync'), cp), 'the copy made durable, as the snapshot must make its objects');
  row('sha256sum (one process, all files)', sha, ratio(sha, cp), 'coreutils: reads and hashes every byte on one core');
  row('openssl dgst -sha256 (one process)', s('openssl dgst -sha256'), ratio(s('openssl dgst -sha256'), cp), 'OpenSSL\'s SHA-256, as node:crypto uses, on one core');
  row('mlops snapshot data --json', snap, ratio(snap, cp), `empty .mlops/: hashes, copies and fsyncs ${files.length} objects + the manifest`);
  goals.push({ label: '(a) first snapshot / cp -r', value: snap.median / cp.median, ok: snap.median <= 1.3 * cp.median, target: '<= 1.3x' });
  goals.push({ label: '(a) first snapshot / sha256sum', value: snap.median / sha.median, ok: snap.median < sha.median, target: '< 1x' });
}

// ---------------------------------------------------------------- (b) unchanged re-snapshot

function reSnapshot(work: string): void {
  const project = freshProject(path.join(work, 'small'));
  const data = path.join(project, 'data');
  let t0 = performance.now();
  writeManySmallFiles(data, SMALL_FILES);
  console.log(`(b) wrote ${SMALL_FILES} small files in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  t0 = performance.now();
  const git = (...args: string[]): void => void execFileSync('git', args, { cwd: project, stdio: ['ignore', 'ignore', 'inherit'] });
  git('init', '-q');
  // No background gc or maintenance after the big commit: it would compete with the timed runs.
  git('config', 'gc.auto', '0');
  git('config', 'maintenance.auto', 'false');
  git('add', '-A', 'data');
  git('-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', 'commit', '-q', '-m', 'data');
  console.log(`(b) git add + commit in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const first = mlopsSnapshot(project, 'data', SMALL_FILES, SMALL_FILES + 1);
  // Warm-ups: git status refreshes its index once after the commit; the snapshot's database pages.
  timed('git', ['status'], project);
  mlopsSnapshot(project, 'data', SMALL_FILES, 0);
  console.log('(b) page cache warm; each run of mlops snapshot checks that nothing was stored (stored: 0)\n');

  const snap: number[] = [];
  const status: number[] = [];
  const nodeStart: number[] = [];
  for (let run = 0; run < RE_RUNS; run++) {
    snap.push(mlopsSnapshot(project, 'data', SMALL_FILES, 0));
    status.push(timed('git', ['status'], project).ms);
    nodeStart.push(timed(process.execPath, ['-e', '0'], project).ms);
  }
  const prof = process.env.BENCH_CPU_PROF;
  if (prof) {
    mlopsSnapshot(project, 'data', SMALL_FILES, 0, ['--cpu-prof', `--cpu-prof-dir=${path.resolve(prof)}`]);
    console.log(`(b) CPU profile of one re-snapshot written to ${path.resolve(prof)}`);
  }
  const s = stat(snap);
  const g = stat(status);
  section(`(b) re-snapshot of an unchanged tree of ${SMALL_FILES} small files, warm page cache`);
  row('git status (after add + commit)', g, '1.00x', 'the anchor: lstat of every tracked file, git\'s threads');
  row('mlops snapshot data --json (unchanged)', s, ratio(s, g), 'stat cache warm: one lstat per file, nothing read or stored');
  row('node -e 0', stat(nodeStart), ratio(stat(nodeStart), g), 'start-up of a bare Node process: the floor of any Node CLI');
  rows.push(['first snapshot of this tree (once, untimed above)', `${ms(first)} ms`, '', '', '1', '', 'empty cache: every file read, hashed, stored']);
  goals.push({ label: '(b) unchanged re-snapshot / git status', value: s.median / g.median, ok: s.median <= g.median, target: '<= 1x' });
}

// ---------------------------------------------------------------- main

function main(): void {
  console.log(`MLOps Workbench snapshot benchmark — node ${process.version}, ${os.cpus().length} CPU(s) (${os.cpus()[0]?.model ?? '?'})`);
  console.log(`cli: node ${CLI}`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-snapbench-'));
  console.log(`trees: ${work} (the disk of ${os.tmpdir()})\n`);
  try {
    if (ONLY !== 're') firstSnapshot(work);
    if (ONLY !== 'first') reSnapshot(work);
    console.log('');
    printTable(TABLE_HEAD, rows);
    console.log('\nGoals (measured in this run; a miss is reported, never fatal):');
    for (const g of goals) console.log(`  ${g.ok ? 'PASS' : 'FAIL'}  ${g.label.padEnd(44)} ${g.value.toFixed(2).padStart(6)}x   goal ${g.target}`);
  } finally {
    if (process.env.BENCH_KEEP) console.log(`\nkept ${work}`);
    else fs.rmSync(work, { recursive: true, force: true, maxRetries: 5 });
  }
}

try {
  main();
} catch (err) {
  console.error(err);
  process.exitCode = 1;
}
