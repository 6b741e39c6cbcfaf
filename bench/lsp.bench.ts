/**
 * `npm run bench:lsp`: how fast and how lean the MLOps language server is on a 1,000-stage
 * pipeline (about 7,700 lines, 340 KB), against its own floors (js-yaml, our parser, our
 * validator in-process) and against yaml-language-server with the same JSON Schema.
 *
 * Prints one table and PASS/FAIL next to each goal; never exits non-zero for a missed goal
 * (benchmark machines are noisy). Environment:
 *   BENCH_EDITS=20          measured one-character edits per server (after BENCH_WARMUP=4)
 *   BENCH_SKIP_YLS=1        skip yaml-language-server
 *   BENCH_CPU_PROF=DIR      run our server with --cpu-prof --cpu-prof-dir=DIR (for profiling)
 *   BENCH_KEEP=1            keep the generated workspace (its path is printed)
 *   MLOPS_SERVER=FILE       the server bundle to run (default server/out/server.js)
 *   BENCH_NODE_ARGS="..."   node flags for our server instead of SERVER_NODE_FLAGS (the extension's), e.g. ''
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as jsyaml from 'js-yaml';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { pathToFileURL } from 'url';
import { validateFile } from '../server/src/core/validation/validator';
import { parseYaml, reparse } from '../server/src/core/yaml/yamlAst';
import { diskSource, FileSource, ParseCache } from '../server/src/core/workspace/workspaceFiles';
import { SERVER_NODE_FLAGS } from '../server/src/protocol';
import { LspStdioClient } from './lspStdioClient';
import { generateWorkspace, writeWorkspace } from './pipelineGenerator';
import { ms, Stat, stat } from './benchStats';

const REPO = path.resolve(__dirname, '..', '..');
/** The server under test (MLOPS_SERVER overrides it, e.g. to compare two builds). */
const SERVER = process.env.MLOPS_SERVER ? path.resolve(process.env.MLOPS_SERVER) : path.join(REPO, 'server', 'out', 'server.js');
const TOOLS = path.join(REPO, '.bench-tools');
const YLS_PKG = path.join(TOOLS, 'node_modules', 'yaml-language-server');
const SCHEMA = path.join(REPO, 'schemas', 'pipeline.schema.json');
const EDITS = Number(process.env.BENCH_EDITS ?? 20);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 4);
/** Pause between edits: a fast typist's inter-key gap, so each edit is measured on an idle server. */
const TYPING_GAP_MS = 60;

// ---------------------------------------------------------------- stats and table

const mib = (kib: number | undefined): string => (kib === undefined ? 'n/a' : `${(kib / 1024).toFixed(1)} MiB`);

const rows: string[][] = [];
function row(what: string, s: Stat | string, note = ''): void {
  if (typeof s === 'string') rows.push([what, s, '', '', '', note]);
  else rows.push([what, `${ms(s.median)} ms`, `${ms(s.min)}`, `${ms(s.max)}`, String(s.n), note]);
}
function section(title: string): void {
  rows.push([`-- ${title}`, '', '', '', '', '']);
}
function printTable(): void {
  const head = ['measurement', 'median', 'min', 'max', 'n', 'note'];
  const all = [head, ...rows];
  const widths = head.map((_, c) => Math.max(...all.filter((r) => !r[0].startsWith('-- ')).map((r) => (c === 5 ? 0 : r[c].length))));
  const line = (r: string[]): string => r.map((cell, c) => (c === 5 ? cell : c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd();
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(r[0].startsWith('-- ') ? `\n${r[0]}` : line(r));
}

const sleep = (t: number): Promise<void> => new Promise((r) => setTimeout(r, t));

function timeIt(n: number, warmup: number, fn: (i: number) => void): number[] {
  for (let i = 0; i < warmup; i++) fn(i);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn(i);
    out.push(performance.now() - t0);
  }
  return out;
}

// ---------------------------------------------------------------- the workspace

const ws = generateWorkspace(1000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-bench-'));
writeWorkspace(dir, ws);
const pipelinePath = path.join(dir, 'pipeline.yaml');
const pipelineUri = pathToFileURL(pipelinePath).toString();
const rootUri = pathToFileURL(dir).toString();
const text = ws.pipeline;
const lineCount = text.split('\n').length;

/** The text after the k-th edit: odd edits insert 'x' in the middle stage's cmd, even ones remove it. */
const edited = (() => {
  const lines = text.split('\n');
  const l = lines[ws.editAt.line];
  lines[ws.editAt.line] = l.slice(0, ws.editAt.character) + 'x' + l.slice(ws.editAt.character);
  return lines.join('\n');
})();
const editRange = { start: { line: ws.editAt.line, character: ws.editAt.character }, end: { line: ws.editAt.line, character: ws.editAt.character } };
const undoRange = { start: editRange.start, end: { line: ws.editAt.line, character: ws.editAt.character + 1 } };

// ---------------------------------------------------------------- (c) in-process floors

interface Floors { jsyaml: Stat; jsyamlCore: Stat; parse: Stat; reparse: Stat; validate: Stat; validateEdit: Stat; validateDisk: Stat; problems: number }
function floors(): Floors {
  const N = 31;
  const W = 10;
  const texts = [text, edited];
  const jsy = stat(timeIt(N, W, (i) => jsyaml.load(texts[i % 2])));
  const jsyCore = stat(timeIt(N, W, (i) => jsyaml.load(texts[i % 2], { schema: jsyaml.CORE_SCHEMA, json: true })));
  const parse = stat(timeIt(N, W, (i) => parseYaml(texts[i % 2])));
  // The incremental path a keystroke takes: the previous tree re-parsed around the edit.
  const re: number[] = [];
  for (let i = 0; i < N + W; i++) {
    const prev = parseYaml(texts[i % 2]);
    const t0 = performance.now();
    reparse(prev, texts[(i + 1) % 2]);
    if (i >= W) re.push(performance.now() - t0);
  }
  // validateFile as the server runs it on a keystroke: params/clusters already parsed (cached),
  // existence checks memoised (the server caches them for 1 s), the pipeline parsed afresh.
  const existsMemo = new Map<string, boolean>();
  const memoSource: FileSource = {
    read: diskSource.read,
    exists: (p) => {
      let e = existsMemo.get(p);
      if (e === undefined) existsMemo.set(p, (e = fs.existsSync(p)));
      return e;
    },
  };
  const cache = new ParseCache();
  const ctx = { source: memoSource, cache, roots: [dir] };
  let problems = -1;
  const validate = stat(timeIt(N, W, (i) => {
    cache.forget(pipelinePath);
    problems = validateFile(pipelinePath, texts[i % 2], ctx)!.problems.length;
  }));
  // As on a keystroke: the cache holds the previous version, so the parse is incremental.
  const validateEdit = stat(timeIt(N, W, (i) => validateFile(pipelinePath, texts[i % 2], ctx)));
  // The same with a stat() per path (what a keystroke costs once the server's 1 s cache expired).
  const diskCtx = { source: diskSource, cache: new ParseCache(), roots: [dir] };
  const validateDisk = stat(timeIt(N, W, (i) => {
    diskCtx.cache.forget(pipelinePath);
    validateFile(pipelinePath, texts[i % 2], diskCtx);
  }));
  return { jsyaml: jsy, jsyamlCore: jsyCore, parse, reparse: stat(re), validate, validateEdit, validateDisk, problems };
}

// ---------------------------------------------------------------- LSP measurements

interface ServerRun {
  /** (b) while another stage has a syntax error (an unclosed bracket): no incremental re-parse, error recovery. */
  editBroken?: Stat;
  brokenDiagnostics?: number;
  openCold?: Stat;
  openWarm?: Stat;
  edit: Stat;
  editAll: number[];
  rssIdle?: number;
  rssAfterOpen?: number;
  rssAfterEdits?: number;
  hwm?: number;
  diagnostics: number;
  note?: string;
}

/** One-character edits in the middle stage's cmd, each timed from didChange to its publishDiagnostics. */
async function typeEdits(client: LspStdioClient, versioned: boolean, firstVersion: number, edits = EDITS, warmup = WARMUP): Promise<{ times: number[]; version: number }> {
  const times: number[] = [];
  let version = firstVersion;
  for (let k = 0; k < warmup + edits; k++) {
    version++;
    const insert = k % 2 === 0;
    const wait = client.waitForDiagnostics(pipelineUri, versioned ? version : undefined, 120_000);
    const t0 = performance.now();
    client.didChangeRange(pipelineUri, version, insert ? editRange : undoRange, insert ? 'x' : '');
    const got = await wait;
    if (k >= warmup) times.push(got.at - t0);
    await sleep(TYPING_GAP_MS);
  }
  // Leave the document as it was opened (an even number of edits does).
  if ((warmup + edits) % 2 === 1) {
    version++;
    const wait = client.waitForDiagnostics(pipelineUri, versioned ? version : undefined, 120_000);
    client.didChangeRange(pipelineUri, version, undoRange, '');
    await wait;
  }
  return { times, version };
}

async function settle(t = 500): Promise<void> {
  await sleep(t);
}

function ourServer(extraArgs: string[] = []): LspStdioClient {
  // As the extension starts it, unless BENCH_NODE_ARGS says otherwise.
  const nodeArgs = process.env.BENCH_NODE_ARGS !== undefined ? process.env.BENCH_NODE_ARGS.split(/\s+/).filter(Boolean) : SERVER_NODE_FLAGS;
  return new LspStdioClient(process.execPath, [...nodeArgs, ...extraArgs, SERVER, '--stdio'], { timeoutMs: 120_000 });
}

async function measureOurs(): Promise<ServerRun> {
  // (a) cold: first didOpen in a fresh process (3 processes).
  const cold: number[] = [];
  for (let i = 0; i < 3; i++) {
    const c = ourServer();
    await c.initialize(rootUri);
    await settle(200);
    const wait = c.waitForDiagnostics(pipelineUri, 1);
    const t0 = performance.now();
    c.didOpen(pipelineUri, text, 1);
    cold.push((await wait).at - t0);
    await c.stop();
  }
  const prof = process.env.BENCH_CPU_PROF;
  const c = ourServer(prof ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(prof)}`] : []);
  await c.initialize(rootUri);
  await settle(500);
  const rssIdle = c.rssKiB();
  // (a) warm: close and reopen in the same process (7 times), each open with a new version.
  const warm: number[] = [];
  let version = 1;
  for (let i = 0; i < 7; i++) {
    version += 10;
    const wait = c.waitForDiagnostics(pipelineUri, version);
    const t0 = performance.now();
    c.didOpen(pipelineUri, text, version);
    const got = await wait;
    warm.push(got.at - t0);
    if (i < 6) {
      const cleared = c.waitForDiagnostics(pipelineUri);
      c.didClose(pipelineUri);
      await cleared;
      await sleep(50);
    }
  }
  const lastDiag = c.notifications.filter((n) => n.method === 'textDocument/publishDiagnostics').pop();
  const diagnostics = (lastDiag?.params as { diagnostics: unknown[] }).diagnostics.length;
  await settle(1000);
  const rssAfterOpen = c.rssKiB();
  const typed = await typeEdits(c, true, version);
  const times = typed.times;
  version = typed.version;
  await settle(1000);
  const rssAfterEdits = c.rssKiB();
  const hwm = c.rssKiB('VmHWM');
  // The same edits while a quarter of the way down a stage's `outs` lacks its closing bracket.
  const brokenLine = text.split('\n').indexOf('    outs: [data/s0250]');
  const bracket = { start: { line: brokenLine, character: 21 }, end: { line: brokenLine, character: 22 } };
  version++;
  const broke = c.waitForDiagnostics(pipelineUri, version);
  c.didChangeRange(pipelineUri, version, bracket, '');
  const brokenDiagnostics = (await broke).params.diagnostics.length;
  const brokenTimes = (await typeEdits(c, true, version, 10, 2)).times;
  await c.stop(10_000);
  return {
    openCold: stat(cold), openWarm: stat(warm), edit: stat(times), editAll: times, rssIdle, rssAfterOpen, rssAfterEdits, hwm, diagnostics,
    editBroken: stat(brokenTimes), brokenDiagnostics,
  };
}

function ensureYamlLanguageServer(): string | undefined {
  if (!fs.existsSync(path.join(YLS_PKG, 'package.json'))) {
    console.log('installing yaml-language-server@1 into .bench-tools/ ...');
    try {
      execFileSync('npm', ['install', '--prefix', TOOLS, 'yaml-language-server@1', '--no-audit', '--no-fund', '--loglevel=error'], { stdio: 'inherit', cwd: REPO });
    } catch (err) {
      console.log(`could not install yaml-language-server: ${(err as Error).message}`);
      return undefined;
    }
  }
  // A launcher that can change its validation debounce (200 ms by default, not a setting).
  const launcher = path.join(TOOLS, 'yls-launch.js');
  fs.writeFileSync(launcher, [
    "// Generated by bench/lsp.bench.ts: starts yaml-language-server with validationDelayMs from YLS_DELAY_MS.",
    "const settings = require('yaml-language-server/out/server/src/yamlSettings.js');",
    'const delay = process.env.YLS_DELAY_MS;',
    'if (delay !== undefined && delay !== "") {',
    '  const Base = settings.SettingsState;',
    '  settings.SettingsState = class extends Base { constructor() { super(); this.validationDelayMs = Number(delay); } };',
    '}',
    "process.env.YAML_LANGUAGE_SERVER_VERSION = require('yaml-language-server/package.json').version;",
    "require('yaml-language-server/out/server/src/server.js');",
    '',
  ].join('\n'));
  return launcher;
}

function ylsVersion(): string {
  try {
    return JSON.parse(fs.readFileSync(path.join(YLS_PKG, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}

async function measureYls(launcher: string, delayMs: number | undefined): Promise<ServerRun> {
  const schemaUri = pathToFileURL(SCHEMA).toString();
  let configured!: () => void;
  const configuredP = new Promise<void>((r) => (configured = r));
  const yamlSettings = {
    validate: true, hover: true, completion: true, format: { enable: false },
    schemas: { [schemaUri]: ['pipeline.yaml', '*.pipeline.yaml'] },
    schemaStore: { enable: false }, kubernetesCRDStore: { enable: false }, maxItemsComputed: 5000,
  };
  const env = { ...process.env, YLS_DELAY_MS: delayMs === undefined ? '' : String(delayMs) };
  const c = new LspStdioClient(process.execPath, [launcher, '--stdio'], {
    timeoutMs: 120_000,
    spawnOptions: { env, cwd: TOOLS },
    configuration: (item) => {
      if (item.section === 'yaml') {
        configured();
        return yamlSettings;
      }
      return item.section === 'http' ? { proxy: '', proxyStrictSSL: false } : {};
    },
  });
  await c.initialize(rootUri);
  await Promise.race([configuredP, sleep(5000)]);
  await settle(500);
  const rssIdle = c.rssKiB();
  const wait = c.waitForDiagnostics(pipelineUri);
  const t0 = performance.now();
  c.didOpen(pipelineUri, text, 1);
  const opened = await wait;
  const cold = opened.at - t0;
  await settle(1500);
  const rssAfterOpen = c.rssKiB();
  const diagnostics = (opened.params.diagnostics ?? []).length;
  const times = (await typeEdits(c, false, 1)).times;
  await settle(1000);
  const rssAfterEdits = c.rssKiB();
  const hwm = c.rssKiB('VmHWM');
  // Sanity check that the schema is applied: a wrong apiVersion must be reported.
  const check = c.waitForDiagnostics(pipelineUri);
  const apiLine = text.split('\n').findIndex((l) => l.startsWith('apiVersion:'));
  c.didChangeRange(pipelineUri, 1000, { start: { line: apiLine, character: 12 }, end: { line: apiLine, character: 20 } }, 'mlops/v2');
  const checked = await check;
  const schemaApplied = checked.params.diagnostics.some((d) => /mlops\/v1|apiVersion|const|Value must be/i.test(d.message));
  await c.stop(10_000);
  return {
    openCold: stat([cold]), edit: stat(times), editAll: times, rssIdle, rssAfterOpen, rssAfterEdits, hwm, diagnostics,
    note: schemaApplied ? 'schema applied (a wrong apiVersion is reported)' : `SCHEMA NOT APPLIED? after a wrong apiVersion: ${JSON.stringify(checked.params.diagnostics.slice(0, 2))}`,
  };
}

/** RSS of a bare idle node process: the part of every server's RSS that no server code can save. */
async function bareNodeRss(): Promise<number | undefined> {
  const { spawn } = await import('child_process');
  const p = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await sleep(500);
  let kib: number | undefined;
  try {
    kib = Number(/^VmRSS:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${p.pid}/status`, 'utf8'))?.[1]);
  } catch {
    kib = undefined;
  }
  p.kill();
  return kib;
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  console.log(`MLOps Workbench LSP benchmark — node ${process.version}, ${os.cpus().length} CPU(s) (${os.cpus()[0]?.model ?? '?'})`);
  console.log(`server: node ${process.env.BENCH_NODE_ARGS ?? SERVER_NODE_FLAGS.join(' ')} ${SERVER}\nworkspace: ${dir}`);
  console.log(`pipeline.yaml: 1000 stages, ${lineCount} lines, ${(Buffer.byteLength(text) / 1024).toFixed(0)} KiB; params.yaml ${ws.params.split('\n').length} lines; ` +
    `clusters.yaml; ${ws.paths.length} deps/image paths created, so the pipeline has no diagnostic (warning-free)`);
  console.log(`edit: ${EDITS} one-character edits (after ${WARMUP} warm-up ones), alternately inserting and deleting 'x' in the cmd of stage ` +
    `${ws.editAt.stage} (line ${ws.editAt.line + 1}), ${TYPING_GAP_MS} ms apart, each timed from didChange to the publishDiagnostics for it\n`);

  const f = floors();
  const bareRss = await bareNodeRss();
  const ours = await measureOurs();
  let ylsFast: ServerRun | undefined;
  let ylsDefault: ServerRun | undefined;
  let ylsError: string | undefined;
  if (!process.env.BENCH_SKIP_YLS) {
    const launcher = ensureYamlLanguageServer();
    if (launcher) {
      try {
        ylsFast = await measureYls(launcher, 0);
        ylsDefault = await measureYls(launcher, undefined);
      } catch (err) {
        ylsError = (err as Error).message;
      }
    } else ylsError = 'not installed';
  }

  section('(c) floors, in-process on the same text');
  row('js-yaml 4 load (default schema)', f.jsyaml, 'the anchor of goal 1');
  row('js-yaml 4 load (CORE_SCHEMA, json)', f.jsyamlCore, 'the options parseYaml uses');
  row('parseYaml (js-yaml + position listener)', f.parse);
  row('reparse after a 1-char edit (incremental)', f.reparse, 'the edited stage re-parsed, the rest of the tree reused');
  row('validateFile, full parse', f.validate, `${f.problems} problem(s); stat() results memoised as the server does for 1 s`);
  row('validateFile after a 1-char edit (cache warm)', f.validateEdit, 'what the server runs per keystroke');
  row('validateFile, full parse, stat() every path', f.validateDisk, 'as after the server\'s 1 s existence cache expired');
  section('our server (node server/out/server.js --stdio)');
  row('(a) didOpen -> publishDiagnostics, cold', ours.openCold!, 'first open in a fresh process');
  row('(a) didOpen -> publishDiagnostics, warm', ours.openWarm!, 'close + reopen in one process (the parse cache survives a close)');
  row('(b) 1-char edit -> publishDiagnostics', ours.edit, `${ours.diagnostics} diagnostic(s) published`);
  row('(b) the same, with a syntax error elsewhere', ours.editBroken!, `an unclosed [ in stage 250: ${ours.brokenDiagnostics} diagnostic(s); error recovery, no incremental re-parse`);
  row('(e) RSS after open', mib(ours.rssAfterOpen), `idle before open ${mib(ours.rssIdle)}, after the edits ${mib(ours.rssAfterEdits)}, peak (VmHWM) ${mib(ours.hwm)}`);
  section(`yaml-language-server ${ylsVersion()} with schemas/pipeline.schema.json (yaml.schemas)`);
  if (ylsFast && ylsDefault) {
    row('(d) didOpen -> publishDiagnostics, cold, no debounce', ylsFast.openCold!, 'validationDelayMs patched to 0');
    row('(d) 1-char edit -> diagnostics, no debounce', ylsFast.edit, `${ylsFast.diagnostics} diagnostic(s); ${ylsFast.note}`);
    row('(d) didOpen -> publishDiagnostics, cold, default', ylsDefault.openCold!, 'default 200 ms debounce');
    row('(d) 1-char edit -> diagnostics, default', ylsDefault.edit, 'default 200 ms debounce: what a user sees');
    row('(e) RSS after open', mib(ylsFast.rssAfterOpen), `idle before open ${mib(ylsFast.rssIdle)}, after the edits ${mib(ylsFast.rssAfterEdits)}, peak (VmHWM) ${mib(ylsFast.hwm)}`);
  } else row('yaml-language-server', 'skipped', ylsError ?? 'BENCH_SKIP_YLS');
  section('reference');
  row('RSS of a bare idle node process', mib(bareRss), `node ${process.version} -e 'setInterval(...)': the floor under both servers`);

  printTable();

  console.log('\nGoals (measured in this run; a miss is reported, never fatal):');
  const goal = (label: string, value: number, ok: boolean, target: string): void => {
    console.log(`  ${ok ? 'PASS' : 'FAIL'}  ${label.padEnd(58)} ${value.toFixed(2).padStart(7)}x   goal ${target}`);
  };
  goal('(b) edit / js-yaml load floor', ours.edit.median / f.jsyaml.median, ours.edit.median <= 2 * f.jsyaml.median, '<= 2x');
  if (ylsFast && ylsDefault) {
    goal('yaml-language-server (b) / ours, its default debounce', ylsDefault.edit.median / ours.edit.median, ylsDefault.edit.median >= 5 * ours.edit.median, '>= 5x');
    goal('yaml-language-server (b) / ours, debounce patched to 0', ylsFast.edit.median / ours.edit.median, ylsFast.edit.median >= 5 * ours.edit.median, '>= 5x');
    if (ours.rssAfterOpen !== undefined && ylsFast.rssAfterOpen !== undefined) {
      const r = ours.rssAfterOpen / ylsFast.rssAfterOpen;
      goal('our RSS / yaml-language-server RSS, after open', r, r < 0.5, '< 0.5');
    }
    if (ours.rssAfterEdits !== undefined && ylsFast.rssAfterEdits !== undefined) {
      const r = ours.rssAfterEdits / ylsFast.rssAfterEdits;
      goal('our RSS / yaml-language-server RSS, after the edits', r, r < 0.5, '< 0.5');
    }
  }
  console.log(`\nour edit samples (ms): ${ours.editAll.map(ms).join(' ')}`);
  if (ylsFast) console.log(`yaml-language-server edit samples, no debounce (ms): ${ylsFast.editAll.map(ms).join(' ')}`);
  if (process.env.BENCH_KEEP) console.log(`kept ${dir}`);
  else fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
